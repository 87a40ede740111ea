// On LDAP, iRedMail's Dovecot logs users in by binding to slapd as them (auth_bind = yes), so
// userPassword must be in a form slapd verifies. These tests pin the conversion, check that
// the API's own login (verifyPassword) still accepts every converted hash — and only with the
// right password — and that schemes slapd cannot verify are refused, also at start-up.
// That slapd and Dovecot accept the forms is proven in test/interop/mailstack.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashPassword, verifyPassword, WRITABLE_PASSWORD_SCHEMES } from '#lib/auth/passwords';
import { ApiError } from '#lib/http/errors';
import { ConfigError, configFromEnv } from '#lib/config';
import { directoryPasswordForm } from '#lib/storage/ldap/password-form';
import { LDAP_UNSUPPORTED_WRITE_SCHEMES, LDAP_WRITABLE_PASSWORD_SCHEMES } from '#lib/auth/password-schemes';

const PASSWORD = 'Form#Test1 é';
const md5 = createHash('md5').update(PASSWORD, 'utf8').digest();
const sha1 = createHash('sha1').update(PASSWORD, 'utf8').digest();
const sha512 = createHash('sha512').update(PASSWORD, 'utf8').digest();

function refused(hash: string): void {
  assert.throws(() => directoryPasswordForm(hash), (error: unknown) => error instanceof ApiError && error.code === 'INVALID_PASSWORD_SCHEME', hash);
}

describe('directoryPasswordForm: the userPassword forms slapd verifies', () => {
  test('conversion table', () => {
    const bcryptBody = '$2b$04$abcdefghijklmnopqrstuu5LnQ0sTqXRz1HsHkKQ8eQ0J0CLdFZmG';
    const sha512Crypt = '$6$saltsalt$' + 'a'.repeat(86);
    const sha256Crypt = '$5$saltsalt$' + 'a'.repeat(43);
    const md5Crypt = '$1$saltsalt$' + 'a'.repeat(22);
    const cases: [string, string][] = [
      [`{BLF-CRYPT}${bcryptBody}`, `{CRYPT}${bcryptBody}`],
      [`{BCRYPT}${bcryptBody}`, `{CRYPT}${bcryptBody}`],
      [`{blf-crypt}${bcryptBody}`, `{CRYPT}${bcryptBody}`],
      [`{SHA512-CRYPT}${sha512Crypt}`, `{CRYPT}${sha512Crypt}`],
      [`{SHA256-CRYPT}${sha256Crypt}`, `{CRYPT}${sha256Crypt}`],
      [`{MD5}${md5Crypt}`, `{CRYPT}${md5Crypt}`],
      [`{PLAIN-MD5}${md5.toString('hex')}`, `{MD5}${md5.toString('base64')}`],
      [`{PLAIN-MD5}${md5.toString('hex').toUpperCase()}`, `{MD5}${md5.toString('base64')}`],
      [`{MD5}${md5.toString('hex')}`, `{MD5}${md5.toString('base64')}`],
      [`{SHA}${sha1.toString('hex')}`, `{SHA}${sha1.toString('base64')}`],
      [`{SHA512}${sha512.toString('hex')}`, `{SHA512}${sha512.toString('base64')}`],
      // Already in slapd's form: unchanged.
      [`{CRYPT}${bcryptBody}`, `{CRYPT}${bcryptBody}`],
      [`{CRYPT}${md5Crypt}`, `{CRYPT}${md5Crypt}`],
      [`{MD5}${md5.toString('base64')}`, `{MD5}${md5.toString('base64')}`],
      [`{SHA}${sha1.toString('base64')}`, `{SHA}${sha1.toString('base64')}`],
      [`{SHA512}${sha512.toString('base64')}`, `{SHA512}${sha512.toString('base64')}`],
      ['{SSHA}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '{SSHA}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['{SSHA512}QUJD', '{SSHA512}QUJD'],
    ];
    for (const [stored, expected] of cases) assert.equal(directoryPasswordForm(stored), expected, stored);
  });

  test('schemes slapd cannot verify are refused with INVALID_PASSWORD_SCHEME', () => {
    refused('{PLAIN}secret');
    refused('{plain}secret');
    refused('{CLEARTEXT}secret');
    refused(`{CRAM-MD5}${'0'.repeat(64)}`);
    refused(`{NTLM}${'0'.repeat(32)}`);
    refused('{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA');
    refused(md5.toString('hex')); // no prefix
    refused('');
    refused('{PLAIN-MD5}not-a-digest'); // neither hex nor base64 of 16 bytes
    refused(`{SHA512}${md5.toString('base64')}`); // a digest of the wrong size
  });

  test('the LDAP backend writes every scheme but PLAIN and CRAM-MD5', () => {
    assert.deepEqual([...LDAP_UNSUPPORTED_WRITE_SCHEMES].sort(), ['CRAM-MD5', 'PLAIN']);
    assert.deepEqual([...LDAP_WRITABLE_PASSWORD_SCHEMES, ...LDAP_UNSUPPORTED_WRITE_SCHEMES].sort(), [...WRITABLE_PASSWORD_SCHEMES].sort());
  });

  for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
    const writable = LDAP_WRITABLE_PASSWORD_SCHEMES.includes(scheme);
    test(`${scheme}: ${writable ? 'the converted hash still verifies the right password only (API login, verify_password)' : 'refused'}`, async () => {
      const hash = await hashPassword(PASSWORD, scheme, { bcryptCost: 4 });
      if (!writable) return refused(hash);
      const converted = directoryPasswordForm(hash);
      assert.match(converted, /^\{(CRYPT|MD5|SHA|SHA512|SSHA|SSHA512)\}/, converted.slice(0, 16));
      assert.equal(await verifyPassword(PASSWORD, converted), true, `${scheme} as ${converted.slice(0, 16)}…`);
      assert.equal(await verifyPassword(PASSWORD + 'x', converted), false, `${scheme}: wrong password`);
    });
  }
});

describe('BACKEND=ldap refuses a DEFAULT_PASSWORD_SCHEME slapd cannot verify', () => {
  const ldapEnv = {
    BACKEND: 'ldap',
    LDAP_URL: 'ldap://127.0.0.1:389',
    LDAP_BIND_DN: 'cn=Manager,dc=example,dc=com',
    LDAP_BIND_PASSWORD: 'secret',
    AMAVISD_DB_URL: 'mysql://127.0.0.1/amavisd',
    IREDAPD_DB_URL: 'mysql://127.0.0.1/iredapd',
    IREDADMIN_DB_URL: 'mysql://127.0.0.1/iredadmin',
  };

  test('PLAIN and CRAM-MD5 stop the start with a message naming the setting', () => {
    for (const scheme of ['PLAIN', 'plain', 'CRAM-MD5', ' cram-md5 ']) {
      assert.throws(() => configFromEnv({ ...ldapEnv, DEFAULT_PASSWORD_SCHEME: scheme }), (error: unknown) => error instanceof ConfigError && /DEFAULT_PASSWORD_SCHEME=.*BACKEND=ldap/.test(error.message), scheme);
    }
  });

  test('the other schemes start, and SQL backends keep PLAIN and CRAM-MD5', () => {
    for (const scheme of LDAP_WRITABLE_PASSWORD_SCHEMES) {
      assert.equal(configFromEnv({ ...ldapEnv, DEFAULT_PASSWORD_SCHEME: scheme }).defaultPasswordScheme, scheme);
    }
    assert.equal(configFromEnv({ ...ldapEnv }).defaultPasswordScheme, 'SSHA512');
    for (const scheme of LDAP_UNSUPPORTED_WRITE_SCHEMES) {
      assert.equal(configFromEnv({ BACKEND: 'mysql', VMAIL_DB_URL: 'mysql://127.0.0.1/vmail', DEFAULT_PASSWORD_SCHEME: scheme }).defaultPasswordScheme, scheme);
    }
  });
});
