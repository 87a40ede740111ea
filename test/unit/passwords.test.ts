// Password hashes as a mail operator meets them: what we write must log in through
// Dovecot, what Dovecot, the installer, openssl and Python wrote must verify here, and a
// stored hash must never work as the password (the iRedAdmin-Pro 5.5 flaw).
//
// Independent implementations are used when present: openssl, python3 (crypt, hashlib)
// and doveadm. doveadm is installed from Debian once (as root) when it is missing; the
// cases needing a tool that is not there are skipped, never silently passed.

import { before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  ACCEPTED_HASH_SCHEMES,
  DEFAULT_PASSWORD_SCHEME,
  MAX_BCRYPT_COST,
  MAX_SHA_CRYPT_ROUNDS,
  WRITABLE_PASSWORD_SCHEMES,
  hashPassword,
  isAcceptedPasswordHash,
  md5Compress,
  parsePasswordScheme,
  stripPassword,
  toDovecotHash,
  verifyPassword,
  type PasswordScheme,
} from '#lib/auth/passwords';

// ---------------------------------------------------------------------------------------
// Tools

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeout = 60_000, input?: string): Run {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout,
    input,
    env: { ...process.env, PYTHONUTF8: '1', DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { status: result.status, stdout: (result.stdout ?? '').trim(), stderr: (result.stderr ?? '').trim() };
}

function hasCommand(name: string): boolean {
  return run('sh', ['-c', `command -v ${name}`]).status === 0;
}

function output(command: string, args: string[]): string {
  const result = run(command, args);
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const openssl = (...args: string[]) => output('openssl', args);

/**
 * Calls the Python function `f` (defined by `definition`) once per argument list, all in
 * one python3 process: starting Python costs about half a second here.
 */
function pythonMap(definition: string, cases: string[][]): string[] {
  const program = `import json, sys\n${definition}\nprint(json.dumps([f(*args) for args in json.load(sys.stdin)]))`;
  const result = run('python3', ['-W', 'ignore', '-c', program], 60_000, JSON.stringify(cases));
  assert.equal(result.status, 0, `python3 failed: ${result.stderr}`);
  const answers = JSON.parse(result.stdout) as string[];
  assert.equal(answers.length, cases.length);
  return answers;
}

const PY_CRYPT = 'import crypt\ndef f(password, setting): return crypt.crypt(password, setting)';
const pythonCrypt = (cases: [password: string, setting: string][]) => pythonMap(PY_CRYPT, cases);

/** bcrypt at cost 4 keeps the many bcryptjs round trips fast; the default cost has its own test. */
const hashFast = (password: string, scheme: PasswordScheme) => hashPassword(password, scheme, { bcryptCost: 4 });

/**
 * doveadm is only installed when missing, by root, with apt available. The lock timeout
 * lets it wait for another test file's apt run; the package lists are fetched only when
 * a fresh container has none.
 */
function ensureDoveadm(): boolean {
  if (hasCommand('doveadm')) return true;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) return false;
  const apt = (...args: string[]) => run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], 300_000).status === 0;
  const install = () => apt('install', '-y', '--no-install-recommends', 'dovecot-core');
  if (!install() && !hasCommand('doveadm')) apt('update') && install();
  return hasCommand('doveadm');
}

const doveadmVerifies = (hash: string, password: string) => run('doveadm', ['pw', '-t', hash, '-p', password]).status === 0;
// Debian 12's Dovecot (OpenSSL 3) answers "Unknown scheme: NTLM".
const doveadmKnows = (scheme: string) => !/unknown scheme/i.test(run('doveadm', ['pw', '-s', scheme, '-p', 'x']).stderr);

let tools = { openssl: false, python: false, doveadm: false };

before(
  () => {
    tools = {
      openssl: hasCommand('openssl'),
      python: run('python3', ['-W', 'ignore', '-c', 'import crypt, hashlib']).status === 0,
      doveadm: ensureDoveadm(),
    };
  },
  { timeout: 660_000 },
);

function need(t: TestContext, tool: keyof typeof tools): boolean {
  if (tools[tool]) return true;
  t.skip(`${tool} is not available on this machine`);
  return false;
}

// ---------------------------------------------------------------------------------------
// Fixtures

const PASSWORDS = [
  'Secr3t-p4ss!',
  'pässwörd-€-Ünïcode', // non-ASCII: bytes must be UTF-8, lengths counted in bytes
  `q'uo"te$ \\back\`tick`,
  `${'Long-passw0rd-'.repeat(7)}!`, // longer than 64 bytes: HMAC key hashing, SHA-crypt blocks
];

const EXPECTED_SHAPE: Record<PasswordScheme, RegExp> = {
  SSHA512: /^\{SSHA512\}[A-Za-z0-9+/]{96}$/, // 64-byte digest + 8-byte salt
  SSHA: /^\{SSHA\}[A-Za-z0-9+/]{38}==$/, // 20-byte digest + 8-byte salt
  BCRYPT: /^\{BLF-CRYPT\}\$2b\$\d\d\$[./A-Za-z0-9]{53}$/,
  'SHA512-CRYPT': /^\{SHA512-CRYPT\}\$6\$[./A-Za-z0-9]{16}\$[./A-Za-z0-9]{86}$/,
  MD5: /^\{CRYPT\}\$1\$[./A-Za-z0-9]{8}\$[./A-Za-z0-9]{22}$/,
  SHA512: /^\{SHA512\}[A-Za-z0-9+/]{86}==$/,
  'PLAIN-MD5': /^\{PLAIN-MD5\}[0-9a-f]{32}$/,
  PLAIN: /^\{PLAIN\}/,
  'CRAM-MD5': /^\{CRAM-MD5\}[0-9a-f]{64}$/,
};

/** The body after `{SCHEME}`, i.e. what a careless check might also accept. */
const body = (hash: string) => hash.replace(/^\{[^}]*\}/, '');

/** bcrypt reads only the first 72 bytes of a password (Dovecot's too), so changes past them go unnoticed. */
const beyondBcryptLimit = (stored: string, password: string) =>
  /\$2[aby]\$/.test(stored) && Buffer.byteLength(password) >= 72;

/** Passwords one character away from the real one. */
function nearMisses(stored: string, password: string): string[] {
  const misses = [`x${password}`, password.slice(1), password.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))];
  if (!beyondBcryptLimit(stored, password)) misses.push(`${password}x`, password.slice(0, -1));
  return misses;
}

/** A stored hash is only right if the password works, a near miss does not, and the hash itself does not. */
async function assertOnlyPasswordWorks(stored: string, password: string): Promise<void> {
  assert.equal(await verifyPassword(password, stored), true, `${stored} should verify ${JSON.stringify(password)}`);
  for (const miss of nearMisses(stored, password)) {
    assert.equal(await verifyPassword(miss, stored), false, `${stored}: ${JSON.stringify(miss)} must fail`);
  }
  assert.equal(await verifyPassword(stored, stored), false, `${stored}: the hash itself must not be the password`);
  if (body(stored) !== password) {
    assert.equal(await verifyPassword(body(stored), stored), false, `${stored}: the hash body must not be the password`);
  }
}

// ---------------------------------------------------------------------------------------

describe('hashPassword: every writable scheme', () => {
  test('the writable schemes and the default are what the project documents', () => {
    assert.equal(DEFAULT_PASSWORD_SCHEME, 'SSHA512');
    for (const scheme of ['SSHA512', 'SSHA', 'BCRYPT', 'SHA512-CRYPT', 'MD5', 'SHA512', 'PLAIN-MD5', 'PLAIN']) {
      assert.ok((WRITABLE_PASSWORD_SCHEMES as readonly string[]).includes(scheme), scheme);
    }
  });

  for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
    test(`${scheme}: prefixed output that verifies the password and nothing else`, async () => {
      for (const password of PASSWORDS) {
        const hash = await hashFast(password, scheme);
        assert.match(hash, EXPECTED_SHAPE[scheme]);
        await assertOnlyPasswordWorks(hash, password);
        assert.equal(await verifyPassword('Wrong-passw0rd!', hash), false);
      }
    });
  }

  test('PLAIN stores the password itself after the prefix', async () => {
    assert.equal(await hashPassword('Secr3t-p4ss!', 'PLAIN'), '{PLAIN}Secr3t-p4ss!');
  });

  test('the default scheme is SSHA512', async () => {
    assert.match(await hashPassword('Secr3t-p4ss!'), /^\{SSHA512\}/);
  });

  test('BCRYPT uses cost 12 unless told otherwise, and refuses costs it would not verify', async () => {
    const hash = await hashPassword('Secr3t-p4ss!', 'BCRYPT');
    assert.match(hash, /^\{BLF-CRYPT\}\$2b\$12\$/);
    assert.equal(await verifyPassword('Secr3t-p4ss!', hash), true);
    assert.equal(await verifyPassword('Secr3t-p4ss?', hash), false);
    assert.match(await hashPassword('Secr3t-p4ss!', 'BCRYPT', { bcryptCost: 5 }), /^\{BLF-CRYPT\}\$2b\$05\$/);
    for (const bcryptCost of [3, MAX_BCRYPT_COST + 1, 10.5]) {
      await assert.rejects(hashPassword('Secr3t-p4ss!', 'BCRYPT', { bcryptCost }), RangeError, String(bcryptCost));
    }
  });

  test('salted schemes use a fresh salt each time', async () => {
    for (const scheme of ['SSHA512', 'SSHA', 'SHA512-CRYPT', 'MD5', 'BCRYPT'] as const) {
      assert.notEqual(await hashFast('Secr3t-p4ss!', scheme), await hashFast('Secr3t-p4ss!', scheme), scheme);
    }
  });

  test('SSHA512 and SSHA follow iRedAdmin\'s byte layout: H(password ‖ salt) ‖ 8-byte salt', async () => {
    for (const [scheme, algorithm, size] of [['SSHA512', 'sha512', 64], ['SSHA', 'sha1', 20]] as const) {
      const raw = Buffer.from(body(await hashPassword('Secr3t-p4ss!', scheme)), 'base64');
      assert.equal(raw.length, size + 8);
      const salt = raw.subarray(size);
      assert.deepEqual(raw.subarray(0, size), createHash(algorithm).update('Secr3t-p4ss!').update(salt).digest());
    }
  });

  test('surrounding whitespace is stripped before hashing, as iRedAdmin does', async () => {
    for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
      const hash = await hashFast('  \tSecr3t-p4ss!\n ', scheme);
      assert.equal(await verifyPassword('Secr3t-p4ss!', hash), true, scheme);
      assert.equal(await verifyPassword('  \tSecr3t-p4ss!\n ', hash), false, `${scheme}: verification does not strip`);
    }
    assert.equal(await hashPassword(' in side ', 'PLAIN'), '{PLAIN}in side');
  });

  test('stripping follows Python\'s str.strip(), not JavaScript\'s trim()', () => {
    assert.equal(stripPassword('\x1c\x85\u3000pw\u00a0\x1f'), 'pw'); // Python strips these
    assert.equal(stripPassword('\ufeffpw'), '\ufeffpw'); // …but not the BOM
  });

  test('an empty (or all-whitespace) password is refused rather than hashed', async () => {
    await assert.rejects(hashPassword('', 'SSHA512'), RangeError);
    await assert.rejects(hashPassword(' \t ', 'PLAIN'), RangeError);
  });

  test('an unknown scheme from untyped code throws', async () => {
    await assert.rejects(hashPassword('Secr3t-p4ss!', 'DES' as PasswordScheme), RangeError);
  });
});

describe('parsePasswordScheme (DEFAULT_PASSWORD_SCHEME)', () => {
  test('accepts every writable scheme in any case', () => {
    for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
      assert.equal(parsePasswordScheme(scheme), scheme);
      assert.equal(parsePasswordScheme(scheme.toLowerCase()), scheme);
    }
    assert.equal(parsePasswordScheme(' ssha512 '), 'SSHA512');
  });

  test('unset or blank gives SSHA512', () => {
    assert.equal(parsePasswordScheme(undefined), 'SSHA512');
    assert.equal(parsePasswordScheme(''), 'SSHA512');
  });

  test('Dovecot\'s names for bcrypt and md5-crypt are understood', () => {
    assert.equal(parsePasswordScheme('BLF-CRYPT'), 'BCRYPT');
    assert.equal(parsePasswordScheme('md5-crypt'), 'MD5');
  });

  test('unknown values are rejected', () => {
    for (const value of ['SSHA256', 'DES', 'CRYPT', 'SHA-512', 'ssha512x', '{SSHA512}']) {
      assert.throws(() => parsePasswordScheme(value), RangeError, value);
    }
  });
});

describe('isAcceptedPasswordHash (password_hash parameter)', () => {
  test('accepts every listed scheme, in any case', () => {
    assert.equal(ACCEPTED_HASH_SCHEMES.length, 14);
    for (const scheme of ACCEPTED_HASH_SCHEMES) {
      assert.equal(isAcceptedPasswordHash(`{${scheme}}abc$./+=`), true, scheme);
      assert.equal(isAcceptedPasswordHash(`{${scheme.toLowerCase()}}abc`), true, scheme.toLowerCase());
    }
  });

  test('accepts real hashes as the tools print them', async () => {
    for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
      assert.equal(isAcceptedPasswordHash(await hashFast('Secr3t-p4ss!', scheme)), true, scheme);
    }
    assert.equal(isAcceptedPasswordHash('{SHA256-CRYPT}$5$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG'), true);
  });

  test('refuses values without a prefix, with an unknown scheme, or with an unusable body', () => {
    const refused = [
      '',
      'Secr3t-p4ss!',
      '$6$salt$hash', // bare crypt: no {SCHEME}
      '5f4dcc3b5aa765d61d8327deb882cf99', // bare PLAIN-MD5
      '{SSHA512}', // empty body
      '{SSHA256}abc', // a Dovecot scheme, but not in the list
      '{DES}abc',
      '{MD5-CRYPT}$1$abc$def',
      '{SSHA512}abc def', // whitespace
      '{SSHA512}abc\n',
      '{PLAIN}pässwort', // non-ASCII
      '{PLAIN}a\x00b',
      ' {SSHA512}abc',
      '{SSHA512 }abc',
      'SSHA512}abc',
    ];
    for (const value of refused) assert.equal(isAcceptedPasswordHash(value), false, JSON.stringify(value));
  });

  test('toDovecotHash renames iRedAdmin\'s {BCRYPT} to Dovecot\'s {BLF-CRYPT} and leaves others alone', async () => {
    const bcrypt = body(await hashFast('Secr3t-p4ss!', 'BCRYPT'));
    assert.equal(toDovecotHash(`{bcrypt}${bcrypt}`), `{BLF-CRYPT}${bcrypt}`);
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{BCRYPT}${bcrypt}`), true);
    assert.equal(toDovecotHash('{SSHA512}abc'), '{SSHA512}abc');
  });
});

describe('verifyPassword: formats found in existing iRedMail data', () => {
  test('{PLAIN} and {plain}', async () => {
    await assertOnlyPasswordWorks('{PLAIN}Secr3t-p4ss!', 'Secr3t-p4ss!');
    await assertOnlyPasswordWorks('{plain}Secr3t-p4ss!', 'Secr3t-p4ss!');
  });

  test('a {PLAIN} value is compared exactly (no stripping, case-sensitive)', async () => {
    assert.equal(await verifyPassword('secr3t-p4ss!', '{PLAIN}Secr3t-p4ss!'), false);
    assert.equal(await verifyPassword(' Secr3t-p4ss!', '{PLAIN}Secr3t-p4ss!'), false);
  });

  test('a {PLAIN} password that happens to look like a hash still works as that password', async () => {
    assert.equal(await verifyPassword('{PLAIN}abc', '{PLAIN}{PLAIN}abc'), true);
  });

  test('Dovecot-style SSHA512 and SSHA with a 4-byte salt', async () => {
    for (const [scheme, algorithm] of [['SSHA512', 'sha512'], ['SSHA', 'sha1']] as const) {
      const salt = randomBytes(4);
      const raw = Buffer.concat([createHash(algorithm).update('Secr3t-p4ss!').update(salt).digest(), salt]);
      assert.equal(raw.length, algorithm === 'sha512' ? 68 : 24);
      await assertOnlyPasswordWorks(`{${scheme}}${raw.toString('base64')}`, 'Secr3t-p4ss!');
    }
  });

  test('salted digests with unusual salt lengths (1 and 32 bytes)', async () => {
    for (const size of [1, 32]) {
      const salt = randomBytes(size);
      const raw = Buffer.concat([createHash('sha512').update('Secr3t-p4ss!').update(salt).digest(), salt]);
      await assertOnlyPasswordWorks(`{SSHA512}${raw.toString('base64')}`, 'Secr3t-p4ss!');
    }
  });

  test('{SHA} and {SHA512}, unsalted', async () => {
    await assertOnlyPasswordWorks(`{SHA}${createHash('sha1').update('Secr3t-p4ss!').digest('base64')}`, 'Secr3t-p4ss!');
    await assertOnlyPasswordWorks(`{SHA512}${createHash('sha512').update('Secr3t-p4ss!').digest('base64')}`, 'Secr3t-p4ss!');
  });

  test('{PLAIN-MD5} in lower- or upper-case hex, {MD5} with hex, and iRedAdmin\'s bare hex', async () => {
    const hex = createHash('md5').update('Secr3t-p4ss!').digest('hex');
    await assertOnlyPasswordWorks(`{PLAIN-MD5}${hex}`, 'Secr3t-p4ss!');
    await assertOnlyPasswordWorks(`{plain-md5}${hex.toUpperCase()}`, 'Secr3t-p4ss!');
    await assertOnlyPasswordWorks(`{MD5}${hex}`, 'Secr3t-p4ss!');
    await assertOnlyPasswordWorks(hex, 'Secr3t-p4ss!');
  });

  test('{NTLM}: MD4 of the UTF-16LE password (published test vectors)', async () => {
    await assertOnlyPasswordWorks('{NTLM}8846f7eaee8fb117ad06bdd830b7586c', 'password');
    await assertOnlyPasswordWorks('{ntlm}8846F7EAEE8FB117AD06BDD830B7586C', 'password');
    // Bare NTLM is not attempted: 32 hex digits are read as PLAIN-MD5 (see verifyUnprefixed).
    assert.equal(await verifyPassword('password', '8846f7eaee8fb117ad06bdd830b7586c'), false);
  });

  test('bcrypt from bcryptjs in {CRYPT} and {BLF-CRYPT} as $2a$, $2b$ and $2y$', async (t) => {
    const { default: bcrypt } = await import('bcryptjs');
    const hash = await bcrypt.hash('Secr3t-p4ss!', 4);
    for (const variant of ['2a', '2b', '2y']) {
      const rewritten = hash.replace(/^\$2b\$/, `$${variant}$`);
      for (const prefix of ['{CRYPT}', '{BLF-CRYPT}', '{blf-crypt}', '']) {
        await t.test(`${prefix}$${variant}$`, () => assertOnlyPasswordWorks(`${prefix}${rewritten}`, 'Secr3t-p4ss!'));
      }
    }
  });

  test('scheme prefixes are case-insensitive', async () => {
    const hash = await hashPassword('Secr3t-p4ss!', 'SSHA512');
    await assertOnlyPasswordWorks(hash.replace('{SSHA512}', '{ssha512}'), 'Secr3t-p4ss!');
    const crypt = await hashPassword('Secr3t-p4ss!', 'SHA512-CRYPT');
    await assertOnlyPasswordWorks(crypt.replace('{SHA512-CRYPT}', '{Sha512-Crypt}'), 'Secr3t-p4ss!');
  });

  test('a hash is only checked by its own scheme', async () => {
    const sha512crypt = body(await hashPassword('Secr3t-p4ss!', 'SHA512-CRYPT'));
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SHA256-CRYPT}${sha512crypt}`), false);
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{BLF-CRYPT}${sha512crypt}`), false);
    const md5crypt = body(await hashPassword('Secr3t-p4ss!', 'MD5'));
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SHA512-CRYPT}${md5crypt}`), false);
    const ssha = body(await hashPassword('Secr3t-p4ss!', 'SSHA'));
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SSHA512}${ssha}`), false);
  });

  test('an empty password never verifies, not even against {PLAIN}', async () => {
    assert.equal(await verifyPassword('', '{PLAIN}'), false);
    assert.equal(await verifyPassword('', await hashPassword('x', 'SSHA512')), false);
  });

  test('unknown or malformed hashes are false and never throw', async () => {
    const bad = [
      '',
      '{}',
      '{SSHA512}',
      '{SSHA512}!!!!not-base64!!!!',
      '{SSHA512}c2hvcnQ=', // shorter than a digest
      '{SHA512}c2hvcnQ=',
      '{SHA}AAAA',
      '{CRYPT}abJnggxhB/yWI', // DES crypt: not supported
      '{CRYPT}$6$salt$tooShort',
      '{SHA512-CRYPT}$6$',
      '{SHA512-CRYPT}$6$rounds=abc$salt$x',
      '{BLF-CRYPT}$2b$12$short',
      '{BLF-CRYPT}$2x$12$' + 'a'.repeat(53),
      '{CRAM-MD5}zz',
      '{NTLM}nothex',
      '{UNKNOWN}Secr3t-p4ss!',
      '{SSHA512',
      'Secr3t-p4ss!', // a legacy clear-text value without prefix is not a password store
    ];
    for (const stored of bad) {
      assert.equal(await verifyPassword('Secr3t-p4ss!', stored), false, JSON.stringify(stored));
    }
    assert.equal(await verifyPassword(undefined as unknown as string, '{PLAIN}x'), false);
    assert.equal(await verifyPassword('x', null as unknown as string), false);
  });

  test('base64 bodies are read as Dovecot reads them: whitespace skipped, junk and missing padding refused', async () => {
    const hash = await hashFast('Secr3t-p4ss!', 'SSHA');
    const b64 = body(hash);
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SSHA}${b64.slice(0, 10)} ${b64.slice(10)}\n`), true);
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SSHA}${b64.slice(0, 10)}!${b64.slice(10)}`), false);
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SSHA}${b64.replace(/=+$/, '')}`), false);
  });

  test('absurd cost parameters are refused instead of pinning the function', async () => {
    const { default: bcrypt } = await import('bcryptjs');
    const cheap = await bcrypt.hash('Secr3t-p4ss!', 4);
    const expensive = cheap.replace(/^\$2b\$04\$/, `$2b$${MAX_BCRYPT_COST + 1}$`);
    const started = Date.now();
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{BLF-CRYPT}${expensive}`), false);
    const rounds = `$6$rounds=${MAX_SHA_CRYPT_ROUNDS + 1}$saltsalt$${'a'.repeat(86)}`;
    assert.equal(await verifyPassword('Secr3t-p4ss!', `{SHA512-CRYPT}${rounds}`), false);
    assert.ok(Date.now() - started < 1000, 'refused without computing');
  });
});

describe('the stored hash is never accepted as the password (iRedAdmin-Pro 5.5 flaw)', () => {
  for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
    test(`${scheme}`, async () => {
      const hash = await hashFast('Secr3t-p4ss!', scheme);
      assert.equal(await verifyPassword(hash, hash), false);
      assert.equal(await verifyPassword(hash.toLowerCase(), hash), false);
      assert.equal(await verifyPassword(hash.toUpperCase(), hash), false);
      // For {PLAIN} the body is the password itself; for every other scheme it must fail.
      assert.equal(await verifyPassword(body(hash), hash), scheme === 'PLAIN');
    });
  }
});

describe('md5-crypt and SHA-crypt against openssl and Python\'s crypt (libxcrypt)', () => {
  test('our MD5 ($1$) equals `openssl passwd -1` with the same salt', async (t) => {
    if (!need(t, 'openssl')) return;
    for (const password of PASSWORDS) {
      const ours = body(await hashFast(password, 'MD5'));
      const salt = ours.split('$')[2]!;
      assert.equal(openssl('passwd', '-1', '-salt', salt, password), ours, JSON.stringify(password));
    }
  });

  test('hashes made by `openssl passwd -1` verify bare, as {CRYPT}, {MD5} and {MD5-CRYPT}', async (t) => {
    if (!need(t, 'openssl')) return;
    for (const password of PASSWORDS) {
      const hash = openssl('passwd', '-1', '-salt', 'Ab3./xYz', password);
      for (const prefix of ['', '{CRYPT}', '{MD5}', '{md5-crypt}']) await assertOnlyPasswordWorks(`${prefix}${hash}`, password);
    }
  });

  test('md5-crypt with salts shorter than 8 characters', async (t) => {
    if (!need(t, 'openssl')) return;
    for (const salt of ['a', 'abcd']) {
      await assertOnlyPasswordWorks(openssl('passwd', '-1', '-salt', salt, 'Secr3t-p4ss!'), 'Secr3t-p4ss!');
    }
  });

  test('hashes made by `openssl passwd -6` verify as {SHA512-CRYPT}, {CRYPT} and bare', async (t) => {
    if (!need(t, 'openssl')) return;
    for (const password of PASSWORDS) {
      const hash = openssl('passwd', '-6', '-salt', 'Zq8rT2./k9LmNo1P', password);
      for (const prefix of ['{SHA512-CRYPT}', '{CRYPT}', '']) await assertOnlyPasswordWorks(`${prefix}${hash}`, password);
    }
  });

  test('hashes made by `openssl passwd -5` verify as {SHA256-CRYPT}, {CRYPT} and bare', async (t) => {
    if (!need(t, 'openssl')) return;
    for (const password of PASSWORDS) {
      const hash = openssl('passwd', '-5', '-salt', 'shortsalt', password);
      for (const prefix of ['{SHA256-CRYPT}', '{CRYPT}', '']) await assertOnlyPasswordWorks(`${prefix}${hash}`, password);
    }
  });

  test('SHA-crypt with an explicit rounds= field (Python crypt)', async (t) => {
    if (!need(t, 'python')) return;
    const settings = ['$6$rounds=1000$saltsalt', '$6$rounds=12345$x', '$5$rounds=5000$abc'];
    const hashes = pythonCrypt(settings.map((setting) => ['Secr3t-p4ss!', setting]));
    for (const hash of hashes) await assertOnlyPasswordWorks(`{CRYPT}${hash}`, 'Secr3t-p4ss!');
  });

  test('our SHA512-CRYPT and MD5 hashes are reproduced by Python\'s crypt', async (t) => {
    if (!need(t, 'python')) return;
    const cases: [string, string][] = [];
    for (const password of PASSWORDS) {
      for (const scheme of ['SHA512-CRYPT', 'MD5'] as const) cases.push([password, body(await hashFast(password, scheme))]);
    }
    assert.deepEqual(pythonCrypt(cases), cases.map(([, ours]) => ours));
  });
});

describe('bcrypt against Python\'s crypt (libxcrypt)', () => {
  test('Python-made $2b$ hashes, rewritten to $2a$ and $2y$, verify in every prefix', async (t) => {
    if (!need(t, 'python')) return;
    const made = pythonMap(
      'import crypt\ndef f(password): return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))',
      PASSWORDS.map((password) => [password]),
    );
    const variants = PASSWORDS.flatMap((password, i) =>
      ['2a', '2b', '2y'].map((variant): [string, string] => [password, made[i]!.replace(/^\$2b\$/, `$${variant}$`)]),
    );
    for (const hash of made) assert.match(hash, /^\$2b\$04\$/);
    assert.deepEqual(pythonCrypt(variants), variants.map(([, hash]) => hash), 'libxcrypt treats the variants alike');
    for (const [password, hash] of variants) {
      for (const prefix of ['{CRYPT}', '{BLF-CRYPT}']) await assertOnlyPasswordWorks(`${prefix}${hash}`, password);
    }
  });

  test('our BCRYPT hashes (default cost 12) are reproduced by Python\'s crypt', async (t) => {
    if (!need(t, 'python')) return;
    const ours = body(await hashPassword('pässwörd-€', 'BCRYPT'));
    assert.match(ours, /^\$2b\$12\$/);
    assert.deepEqual(pythonCrypt([['pässwörd-€', ours]]), [ours]);
  });
});

describe('SSHA / SSHA512 / SHA512 / PLAIN-MD5 layouts against Python\'s hashlib', () => {
  const PY_SALTED = [
    'import base64, hashlib, os',
    'def f(password, algorithm, salt_size, scheme):',
    '    salt = os.urandom(int(salt_size))',
    '    raw = hashlib.new(algorithm, password.encode() + salt).digest() + salt',
    '    return "{%s}%s" % (scheme, base64.b64encode(raw).decode())',
  ].join('\n');

  test('Python-made {SSHA512} and {SSHA} with 8- and 4-byte salts verify', async (t) => {
    if (!need(t, 'python')) return;
    const cases = PASSWORDS.flatMap((password) =>
      [['sha512', 'SSHA512'], ['sha1', 'SSHA']].flatMap(([algorithm, scheme]) =>
        ['8', '4'].map((salt) => [password, algorithm!, salt, scheme!]),
      ),
    );
    const hashes = pythonMap(PY_SALTED, cases);
    for (const [i, hash] of hashes.entries()) await assertOnlyPasswordWorks(hash, cases[i]![0]!);
  });

  test('Python recomputes our {SSHA512}, {SSHA}, {SHA512} and {PLAIN-MD5} from the password', async (t) => {
    if (!need(t, 'python')) return;
    const check = [
      'import base64, binascii, hashlib',
      'def f(password, stored):',
      '    scheme, value = stored[1:].split("}", 1)',
      '    algo = {"SSHA512": "sha512", "SSHA": "sha1", "SHA512": "sha512", "PLAIN-MD5": "md5"}[scheme]',
      '    raw = binascii.unhexlify(value) if scheme == "PLAIN-MD5" else base64.b64decode(value)',
      '    size = hashlib.new(algo).digest_size',
      '    salted = scheme.startswith("SSHA")',
      '    ok = hashlib.new(algo, password.encode() + raw[size:]).digest() == raw[:size]',
      '    return "ok" if ok and len(raw) == size + (8 if salted else 0) else "mismatch: " + stored',
    ].join('\n');
    const cases: string[][] = [];
    for (const password of PASSWORDS) {
      for (const scheme of ['SSHA512', 'SSHA', 'SHA512', 'PLAIN-MD5'] as const) cases.push([password, await hashFast(password, scheme)]);
    }
    assert.deepEqual(pythonMap(check, cases), cases.map(() => 'ok'));
  });

  test('Python-made bare PLAIN-MD5 hex (as iRedAdmin stores it) verifies', async (t) => {
    if (!need(t, 'python')) return;
    const [hex] = pythonMap('import hashlib\ndef f(password): return hashlib.md5(password.encode()).hexdigest()', [['pässwörd-€']]);
    await assertOnlyPasswordWorks(hex!, 'pässwörd-€');
  });
});

describe('CRAM-MD5: the hand-written MD5 step', () => {
  const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const stateBytes = (state: number[]) => Buffer.concat(state.map((w) => { const b = Buffer.alloc(4); b.writeUInt32LE(w); return b; }));
  const readState = (bytes: Buffer) => [0, 4, 8, 12].map((offset) => bytes.readUInt32LE(offset));

  /** Finishes MD5 from a saved state, after one 64-byte block was already absorbed. */
  function finishMd5(state: number[], message: Buffer): Buffer {
    const total = 64 + message.length;
    const padded = Buffer.alloc(Math.ceil((message.length + 9) / 64) * 64);
    message.copy(padded);
    padded[message.length] = 0x80;
    padded.writeBigUInt64LE(BigInt(total * 8), padded.length - 8);
    const s = [...state];
    for (let offset = 0; offset < padded.length; offset += 64) md5Compress(s, padded.subarray(offset, offset + 64));
    return stateBytes(s);
  }

  test('one compression over a padded block is exactly node\'s MD5', () => {
    for (const text of ['', 'abc', 'The quick brown fox jumps over the lazy dog', 'x'.repeat(55)]) {
      const block = Buffer.alloc(64);
      block.write(text);
      block[text.length] = 0x80;
      block.writeBigUInt64LE(BigInt(text.length * 8), 56);
      const state = [...IV];
      md5Compress(state, block);
      assert.equal(stateBytes(state).toString('hex'), createHash('md5').update(text).digest('hex'), text);
    }
  });

  test('the stored states finish into the real HMAC-MD5 of a challenge (outer state first)', async () => {
    const challenge = Buffer.from('<1896.697170952@postoffice.example.net>');
    for (const password of PASSWORDS) {
      const context = Buffer.from(body(await hashFast(password, 'CRAM-MD5')), 'hex');
      const outer = readState(context.subarray(0, 16));
      const inner = readState(context.subarray(16));
      const response = finishMd5(outer, finishMd5(inner, challenge));
      assert.deepEqual(response, createHmac('md5', password).update(challenge).digest(), JSON.stringify(password));
    }
  });
});

describe('Dovecot (doveadm pw), the program that really checks mail logins', () => {
  const DOVEADM_SCHEMES = ['SSHA512', 'SSHA', 'BLF-CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'MD5-CRYPT', 'CRAM-MD5', 'NTLM', 'PLAIN-MD5', 'SHA512'];

  for (const scheme of DOVEADM_SCHEMES) {
    test(`hashes from \`doveadm pw -s ${scheme}\` verify here`, async (t) => {
      if (!need(t, 'doveadm')) return;
      if (!doveadmKnows(scheme)) {
        t.skip(`this Dovecot build has no ${scheme} scheme`);
        return;
      }
      for (const password of PASSWORDS) {
        const hash = output('doveadm', ['pw', '-s', scheme, '-p', password]);
        assert.ok(hash.toUpperCase().startsWith(`{${scheme}}`), hash);
        await assertOnlyPasswordWorks(hash, password);
      }
    });
  }

  for (const scheme of WRITABLE_PASSWORD_SCHEMES) {
    test(`doveadm accepts our ${scheme} hashes, and refuses near misses`, async (t) => {
      if (!need(t, 'doveadm')) return;
      for (const password of PASSWORDS) {
        const hash = await hashFast(password, scheme);
        assert.equal(doveadmVerifies(hash, password), true, `doveadm rejected ${hash} for ${JSON.stringify(password)}`);
        for (const miss of nearMisses(hash, password).slice(0, 2)) {
          assert.equal(doveadmVerifies(hash, miss), false, `doveadm accepted ${JSON.stringify(miss)} for ${hash}`);
        }
      }
    });
  }

  test('malformed base64 is judged the same way as Dovecot judges it', async (t) => {
    if (!need(t, 'doveadm')) return;
    for (const scheme of ['SSHA512', 'SHA512'] as const) {
      const b64 = body(await hashFast('Secr3t-p4ss!', scheme));
      const variants = [b64, `${b64.slice(0, 10)} ${b64.slice(10)}`, `${b64.slice(0, 10)}!${b64.slice(10)}`, b64.slice(0, -1), `${b64}\n`];
      for (const variant of variants) {
        const stored = `{${scheme}}${variant}`;
        assert.equal(await verifyPassword('Secr3t-p4ss!', stored), doveadmVerifies(stored, 'Secr3t-p4ss!'), JSON.stringify(stored));
      }
    }
  });

  test('bcrypt ignores bytes past the 72nd, here exactly as in Dovecot', async (t) => {
    if (!need(t, 'doveadm')) return;
    const password = `${'a'.repeat(72)}-one`;
    const hash = await hashFast(password, 'BCRYPT');
    assert.equal(await verifyPassword(`${'a'.repeat(72)}-two`, hash), true);
    assert.equal(doveadmVerifies(hash, `${'a'.repeat(72)}-two`), true);
  });

  test('Dovecot knows no {BCRYPT} scheme, so toDovecotHash is needed for iRedAdmin-style values', async (t) => {
    if (!need(t, 'doveadm')) return;
    const hash = body(await hashFast('Secr3t-p4ss!', 'BCRYPT'));
    assert.equal(doveadmVerifies(`{BCRYPT}${hash}`, 'Secr3t-p4ss!'), false);
    assert.equal(doveadmVerifies(toDovecotHash(`{BCRYPT}${hash}`), 'Secr3t-p4ss!'), true);
  });
});
