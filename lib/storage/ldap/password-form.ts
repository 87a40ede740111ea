/**
 * The form of a password hash that OpenLDAP itself can verify.
 *
 * iRedMail's dovecot-ldap.conf ships `auth_bind = yes` (storage.md §3.3): Dovecot checks a
 * mail login by binding to slapd as the user, so slapd — not Dovecot — verifies userPassword.
 * slapd knows {CRYPT} (handed to crypt(3): $1$, $5$, $6$, $2b$…), {MD5}/{SHA}/{SHA512} as
 * base64 digests, and the salted {SMD5}/{SSHA}/{SSHA512}; it knows none of Dovecot's own
 * names ({BLF-CRYPT}, {SHA512-CRYPT}, {PLAIN-MD5}…), nor {PLAIN} or {CRAM-MD5}. iRedAdmin
 * writes bcrypt as `{CRYPT}$2b$…` on LDAP for the same reason (storage.md §4.2).
 *
 * Every form produced here is also verified by lib/auth/passwords.ts verifyPassword, so the
 * API's own login and verify_password keep working on what the LDAP stores write.
 */
import { ApiError } from '#lib/http/errors';
import { LDAP_UNSUPPORTED_WRITE_SCHEMES } from '#lib/auth/password-schemes';

/** Dovecot names of modular-crypt schemes: the body is a crypt(3) string slapd's {CRYPT} reads. */
const CRYPT_BODIES = new Set(['CRYPT', 'BLF-CRYPT', 'BCRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'MD5-CRYPT']);

/** Unsalted digests: slapd wants base64; Dovecot (and iRedAdmin) also write hex. */
const DIGESTS: Record<string, { scheme: string; bytes: number }> = {
  'MD5': { scheme: 'MD5', bytes: 16 },
  'PLAIN-MD5': { scheme: 'MD5', bytes: 16 },
  'LDAP-MD5': { scheme: 'MD5', bytes: 16 },
  'SHA': { scheme: 'SHA', bytes: 20 },
  'SHA1': { scheme: 'SHA', bytes: 20 },
  'SHA512': { scheme: 'SHA512', bytes: 64 },
};

/** Salted digests slapd verifies as they are (base64 of digest ‖ salt). */
const SALTED = new Set(['SMD5', 'SSHA', 'SSHA512']);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * `hash` (with its `{SCHEME}` prefix) rewritten so that slapd verifies it. A hash slapd
 * cannot verify ({PLAIN}, {CRAM-MD5}, {NTLM}, no prefix, anything unknown) is refused with
 * INVALID_PASSWORD_SCHEME: stored, it would lock the user out of IMAP/POP3/SMTP.
 */
export function directoryPasswordForm(hash: string): string {
  const match = /^\{([A-Za-z0-9.-]+)\}(.+)$/s.exec(hash);
  if (match === null) throw new ApiError('INVALID_PASSWORD_SCHEME');
  const scheme = match[1]!.toUpperCase();
  const body = match[2]!;

  if (CRYPT_BODIES.has(scheme)) return scheme === 'CRYPT' ? hash : `{CRYPT}${body}`;
  // Dovecot's {MD5} is md5-crypt when it looks like one; slapd's {MD5} is only the digest.
  if (scheme === 'MD5' && body.startsWith('$1$')) return `{CRYPT}${body}`;
  const digest = DIGESTS[scheme];
  if (digest) return `{${digest.scheme}}${base64Digest(body, digest.bytes)}`;
  if (SALTED.has(scheme)) return hash;
  throw new ApiError('INVALID_PASSWORD_SCHEME');
}

/** A digest of `bytes` bytes, given as hex or base64, in base64; anything else is refused. */
function base64Digest(body: string, bytes: number): string {
  if (body.length === bytes * 2 && /^[0-9a-f]+$/i.test(body)) return Buffer.from(body, 'hex').toString('base64');
  if (BASE64.test(body) && Buffer.from(body, 'base64').length === bytes) return body;
  throw new ApiError('INVALID_PASSWORD_SCHEME');
}
