/**
 * The names of the password schemes the API writes, apart from the hashing code
 * (lib/auth/passwords.ts) so that configuration checks load no crypto at cold start.
 */

/** Schemes the API can write (values of DEFAULT_PASSWORD_SCHEME, as iRedAdmin names them). */
export const WRITABLE_PASSWORD_SCHEMES = [
  'SSHA512',
  'SSHA',
  'BCRYPT',
  'SHA512-CRYPT',
  'MD5',
  'SHA512',
  'PLAIN-MD5',
  'PLAIN',
  'CRAM-MD5',
] as const;
// NTLM is verified but not written: Dovecot 2.3.19 as packaged in Debian 12 answers
// "Unknown scheme: NTLM", so a user given an NTLM hash could not log in to mail there.

export type PasswordScheme = (typeof WRITABLE_PASSWORD_SCHEMES)[number];

/**
 * DEFAULT_PASSWORD_SCHEME values whose hashes slapd cannot verify: refused with BACKEND=ldap
 * (lib/storage/ldap/password-form.ts says which forms slapd reads).
 */
export const LDAP_UNSUPPORTED_WRITE_SCHEMES: readonly PasswordScheme[] = ['PLAIN', 'CRAM-MD5'];

/** The schemes the API can write on LDAP. */
export const LDAP_WRITABLE_PASSWORD_SCHEMES: readonly PasswordScheme[] = WRITABLE_PASSWORD_SCHEMES.filter(
  (scheme) => !LDAP_UNSUPPORTED_WRITE_SCHEMES.includes(scheme),
);
