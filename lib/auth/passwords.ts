/**
 * Password hashing and verification compatible with iRedMail's Dovecot and iRedAdmin
 * (reference/storage.md §4). Everything is native: a Lambda has no `doveadm`.
 *
 * Stored values always carry a `{SCHEME}` prefix spelled the way Dovecot reads it, so the
 * hashes we write work for IMAP/POP3/SMTP logins as well as for this API.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
// @ts-ignore -- js-md4 ships no type declarations; the shape we use is typed below.
import md4Module from 'js-md4';

import { WRITABLE_PASSWORD_SCHEMES, type PasswordScheme } from '#lib/auth/password-schemes';

export { WRITABLE_PASSWORD_SCHEMES, type PasswordScheme };

/** What the iRedMail installer configures on Linux SQL and most LDAP servers. */
export const DEFAULT_PASSWORD_SCHEME: PasswordScheme = 'SSHA512';

/** Schemes an API caller may hand over ready-made in `password_hash` (stored as-is). */
export const ACCEPTED_HASH_SCHEMES: readonly string[] = [
  'PLAIN',
  'CRYPT',
  'MD5',
  'PLAIN-MD5',
  'SHA',
  'SSHA',
  'SHA512',
  'SSHA512',
  'SHA512-CRYPT',
  'SHA256-CRYPT',
  'BCRYPT',
  'BLF-CRYPT',
  'CRAM-MD5',
  'NTLM',
];

/** Dovecot's own names for two schemes, accepted in DEFAULT_PASSWORD_SCHEME too. */
const SCHEME_ALIASES: Record<string, PasswordScheme> = { 'BLF-CRYPT': 'BCRYPT', 'MD5-CRYPT': 'MD5' };

/**
 * Cost limits for verification. A `password_hash` is stored as given, so without a cap one
 * hash such as `$6$rounds=999999999$…` or `$2b$31$…` would pin a function for hours.
 * The caps still cover every real generator (passlib's sha512_crypt default is 656,000).
 */
export const MAX_SHA_CRYPT_ROUNDS = 1_000_000;
export const MAX_BCRYPT_COST = 16;

/** bcrypt cost for new hashes: the default of Python's bcrypt, which iRedAdmin uses. */
const BCRYPT_COST = 12;
/** iRedAdmin's salt size for SSHA and SSHA512. */
const SALT_BYTES = 8;
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// ---------------------------------------------------------------------------------------
// Scheme names

export function isPasswordScheme(value: string): value is PasswordScheme {
  return (WRITABLE_PASSWORD_SCHEMES as readonly string[]).includes(value);
}

/**
 * Reads DEFAULT_PASSWORD_SCHEME (case-insensitive). Unset or blank means the default;
 * an unknown name throws, so a typo stops the deployment instead of weakening hashes.
 */
export function parsePasswordScheme(value: string | undefined): PasswordScheme {
  const name = value?.trim().toUpperCase() ?? '';
  if (name === '') return DEFAULT_PASSWORD_SCHEME;
  const scheme = SCHEME_ALIASES[name] ?? name;
  if (isPasswordScheme(scheme)) return scheme;
  throw new RangeError(
    `DEFAULT_PASSWORD_SCHEME must be one of ${WRITABLE_PASSWORD_SCHEMES.join(', ')} (got "${value}")`,
  );
}

/**
 * `password_hash` check: `{SCHEME}` from the accepted list (any case) followed by
 * non-empty printable ASCII without whitespace.
 */
export function isAcceptedPasswordHash(hash: string): boolean {
  const match = /^\{([A-Za-z0-9-]+)\}([\x21-\x7e]+)$/.exec(hash);
  return match !== null && ACCEPTED_HASH_SCHEMES.includes(match[1]!.toUpperCase());
}

/**
 * iRedAdmin accepts `{BCRYPT}` in `password_hash`, but Dovecot knows no such scheme.
 * Rewriting it to `{BLF-CRYPT}` before storing keeps mail logins working.
 */
export function toDovecotHash(hash: string): string {
  return hash.replace(/^\{BCRYPT\}/i, '{BLF-CRYPT}');
}

// ---------------------------------------------------------------------------------------
// Hashing

// Python's str.strip() set, which differs from String.prototype.trim() (\x1c-\x1f, \x85, no \ufeff).
const PYTHON_EDGE_WHITESPACE =
  /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Removes leading and trailing whitespace the way iRedAdmin does before hashing. */
export function stripPassword(plain: string): string {
  return plain.replace(PYTHON_EDGE_WHITESPACE, '');
}

export interface HashOptions {
  /** bcrypt work factor, 4…MAX_BCRYPT_COST; 12 by default (bcryptjs is pure JS, so it is slow on small Lambdas). */
  bcryptCost?: number;
}

/**
 * Hashes a password for storage, with its `{SCHEME}` prefix. Surrounding whitespace is
 * removed first (as iRedAdmin does). An empty result is refused: no caller should ever
 * store a hash that an empty password would match.
 */
export async function hashPassword(
  plain: string,
  scheme: PasswordScheme = DEFAULT_PASSWORD_SCHEME,
  options: HashOptions = {},
): Promise<string> {
  const password = stripPassword(plain);
  if (password === '') throw new RangeError('refusing to hash an empty password');
  const bcryptCost = options.bcryptCost ?? BCRYPT_COST;
  if (!Number.isInteger(bcryptCost) || bcryptCost < 4 || bcryptCost > MAX_BCRYPT_COST) {
    throw new RangeError(`bcrypt cost must be an integer from 4 to ${MAX_BCRYPT_COST}`);
  }
  const bytes = Buffer.from(password, 'utf8');
  switch (scheme) {
    case 'SSHA512':
      return `{SSHA512}${saltedDigest('sha512', bytes, randomBytes(SALT_BYTES)).toString('base64')}`;
    case 'SSHA':
      return `{SSHA}${saltedDigest('sha1', bytes, randomBytes(SALT_BYTES)).toString('base64')}`;
    case 'SHA512':
      return `{SHA512}${digest('sha512', bytes).toString('base64')}`;
    case 'BCRYPT':
      // {BLF-CRYPT} rather than iRedAdmin's `{CRYPT}$2b$`: {CRYPT} is handed to the system's
      // crypt(3), which knows bcrypt only with libxcrypt (glibc's own crypt has none), while
      // BLF-CRYPT runs Dovecot's bundled crypt_blowfish everywhere. The installer uses it too.
      return `{BLF-CRYPT}${await bcrypt.hash(password, bcryptCost)}`;
    case 'SHA512-CRYPT':
      return `{SHA512-CRYPT}${(await loadShaCrypt())(password, `$6$${randomCryptSalt(16)}`)}`;
    case 'MD5':
      // {CRYPT} as iRedAdmin writes it: every libc knows $1$, and so does OpenLDAP's {CRYPT}.
      return `{CRYPT}${md5Crypt(bytes, randomCryptSalt(8))}`;
    case 'PLAIN-MD5':
      // iRedAdmin omits this prefix, which leaves Dovecot unable to verify the hash.
      return `{PLAIN-MD5}${digest('md5', bytes).toString('hex')}`;
    case 'PLAIN':
      return `{PLAIN}${password}`;
    case 'CRAM-MD5':
      return `{CRAM-MD5}${cramMd5Context(bytes).toString('hex')}`;
    default:
      throw new RangeError(`unknown password scheme: ${String(scheme)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Verification

/**
 * True only when `plain` is the password behind `stored`. Never throws: an unknown or
 * malformed hash is simply false. Unlike iRedAdmin-Pro 5.5, the stored string itself is
 * never accepted as the password, and an empty password never matches anything.
 * The password is not stripped here (iRedAdmin does not strip it either).
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string' || plain === '') return false;
  try {
    return await verifyByScheme(plain, stored);
  } catch {
    return false;
  }
}

async function verifyByScheme(plain: string, stored: string): Promise<boolean> {
  const prefixed = /^\{([A-Za-z0-9.-]+)\}(.*)$/s.exec(stored);
  const bytes = Buffer.from(plain, 'utf8');
  if (prefixed === null) return verifyUnprefixed(plain, bytes, stored);
  const scheme = prefixed[1]!.toUpperCase();
  const body = prefixed[2]!;
  switch (scheme) {
    case 'PLAIN':
    case 'CLEARTEXT':
      return safeEqual(bytes, Buffer.from(body, 'utf8'));
    case 'CRYPT':
      return verifyCrypt(plain, bytes, body, ['1', '5', '6', 'bcrypt']);
    case 'MD5-CRYPT':
      return verifyCrypt(plain, bytes, body, ['1']);
    case 'MD5':
      // Dovecot: {MD5} is md5-crypt when it looks like one, otherwise a plain MD5 digest.
      return body.startsWith('$1$')
        ? verifyCrypt(plain, bytes, body, ['1'])
        : verifyDigest('md5', bytes, body);
    case 'SHA256-CRYPT':
      return verifyCrypt(plain, bytes, body, ['5']);
    case 'SHA512-CRYPT':
      return verifyCrypt(plain, bytes, body, ['6']);
    case 'BLF-CRYPT':
    case 'BCRYPT': // iRedAdmin accepts this spelling in password_hash; see toDovecotHash
      return verifyCrypt(plain, bytes, body, ['bcrypt']);
    case 'PLAIN-MD5':
    case 'LDAP-MD5':
      return verifyDigest('md5', bytes, body);
    case 'SMD5':
      return verifySaltedDigest('md5', bytes, body);
    case 'SHA':
    case 'SHA1':
      return verifyDigest('sha1', bytes, body);
    case 'SSHA':
      return verifySaltedDigest('sha1', bytes, body);
    case 'SHA256':
      return verifyDigest('sha256', bytes, body);
    case 'SSHA256':
      return verifySaltedDigest('sha256', bytes, body);
    case 'SHA512':
      return verifyDigest('sha512', bytes, body);
    case 'SSHA512':
      return verifySaltedDigest('sha512', bytes, body);
    case 'NTLM':
      return /^[0-9a-f]{32}$/i.test(body) && safeEqual(ntlmDigest(plain), Buffer.from(body, 'hex'));
    case 'CRAM-MD5':
      return /^[0-9a-f]{64}$/i.test(body) && safeEqual(cramMd5Context(bytes), Buffer.from(body, 'hex'));
    default:
      return false;
  }
}

/**
 * Values without a prefix: Dovecot reads them as CRYPT (its iRedMail default), and
 * iRedAdmin writes PLAIN-MD5 as bare hex. Bare NTLM (also 32 hex) is not tried: the two
 * cannot be told apart, and iRedAdmin never verified bare NTLM either.
 */
function verifyUnprefixed(plain: string, bytes: Buffer, stored: string): Promise<boolean> | boolean {
  if (stored.startsWith('$')) return verifyCrypt(plain, bytes, stored, ['1', '5', '6', 'bcrypt']);
  return /^[0-9a-f]{32}$/i.test(stored) && safeEqual(digest('md5', bytes), Buffer.from(stored, 'hex'));
}

type CryptKind = '1' | '5' | '6' | 'bcrypt';

/** Modular crypt strings: `$1$` md5-crypt, `$5$`/`$6$` SHA-crypt, `$2a$`/`$2b$`/`$2y$` bcrypt. */
async function verifyCrypt(plain: string, bytes: Buffer, hash: string, allowed: readonly CryptKind[]): Promise<boolean> {
  const md5 = /^\$1\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/.exec(hash);
  if (md5 !== null) return allowed.includes('1') && constantTimeStringEqual(md5Crypt(bytes, md5[1]!), hash);

  const sha = /^\$([56])\$(?:rounds=(\d{1,10})\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/.exec(hash);
  if (sha !== null) return allowed.includes(sha[1] as CryptKind) && verifyShaCrypt(plain, sha);

  const blowfish = /^\$2[aby]\$(\d\d)\$[./0-9A-Za-z]{53}$/.exec(hash);
  if (blowfish !== null) {
    const cost = Number(blowfish[1]);
    if (!allowed.includes('bcrypt') || cost < 4 || cost > MAX_BCRYPT_COST) return false;
    return bcrypt.compare(plain, hash); // bcryptjs compares in constant time
  }
  return false;
}

async function verifyShaCrypt(plain: string, parts: RegExpExecArray): Promise<boolean> {
  const [, id, rounds, salt, checksum] = parts;
  if (checksum!.length !== (id === '5' ? 43 : 86)) return false;
  if (rounds !== undefined && Number(rounds) > MAX_SHA_CRYPT_ROUNDS) return false;
  const setting = rounds === undefined ? `$${id}$${salt}` : `$${id}$rounds=${rounds}$${salt}`;
  const computed = (await loadShaCrypt())(plain, setting);
  // Compare only the checksum: unixcrypt may spell the rounds field differently (e.g. "05000").
  return constantTimeStringEqual(computed.slice(computed.lastIndexOf('$') + 1), checksum!);
}

/** Unsalted digests: hex (Dovecot's PLAIN-MD5 default) or base64 (iRedAdmin's SHA512). */
function verifyDigest(algorithm: string, bytes: Buffer, body: string): boolean {
  const expected = digest(algorithm, bytes);
  const stored = decodeDigest(body, expected.length);
  return stored !== null && safeEqual(expected, stored);
}

/** base64(digest ‖ salt), salt of any length (iRedAdmin uses 8 bytes, doveadm 4). */
function verifySaltedDigest(algorithm: string, bytes: Buffer, body: string): boolean {
  const raw = decodeBase64(body);
  const size = digestSize(algorithm);
  if (raw === null || raw.length <= size) return false;
  return safeEqual(saltedDigest(algorithm, bytes, raw.subarray(size)), raw);
}

function decodeDigest(body: string, size: number): Buffer | null {
  if (body.length === size * 2 && /^[0-9a-f]+$/i.test(body)) return Buffer.from(body, 'hex');
  const raw = decodeBase64(body);
  return raw !== null && raw.length === size ? raw : null;
}

/**
 * Base64 as Dovecot reads it: whitespace is skipped, padding is required, anything else
 * is an error. (Node's own decoder silently skips junk, which would accept broken hashes.)
 */
function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

// ---------------------------------------------------------------------------------------
// Primitives

type ShaCrypt = (plain: string, setting: string) => string;
let shaCrypt: Promise<ShaCrypt> | undefined;

/**
 * unixcrypt (SHA-256/512-crypt) is ESM-only: its exports have no "require" condition, and
 * this project's .ts files run as CommonJS under tsx, where a static import becomes require().
 */
function loadShaCrypt(): Promise<ShaCrypt> {
  shaCrypt ??= import('unixcrypt').then((module) => module.encrypt);
  return shaCrypt;
}

function digest(algorithm: string, data: Buffer): Buffer {
  return createHash(algorithm).update(data).digest();
}

function digestSize(algorithm: string): number {
  return createHash(algorithm).digest().length;
}

/** H(password ‖ salt) ‖ salt: the {SSHA*} layout. */
function saltedDigest(algorithm: string, password: Buffer, salt: Buffer): Buffer {
  return Buffer.concat([createHash(algorithm).update(password).update(salt).digest(), salt]);
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function constantTimeStringEqual(a: string, b: string): boolean {
  return safeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function randomCryptSalt(length: number): string {
  let salt = '';
  for (let i = 0; i < length; i++) salt += CRYPT_ALPHABET[randomInt(CRYPT_ALPHABET.length)];
  return salt;
}

/** Crypt's base64: little-endian groups of 6 bits over its own alphabet. */
function cryptBase64(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++, value >>>= 6) out += CRYPT_ALPHABET[value & 63];
  return out;
}

/**
 * md5-crypt (`$1$`, Poul-Henning Kamp's algorithm as in glibc). Written here because the
 * apache-md5 package hashes the UTF-16 string as 'ascii' and counts characters instead of
 * bytes, so any non-ASCII password comes out different from crypt(3) and Dovecot.
 */
function md5Crypt(password: Buffer, saltText: string): string {
  const salt = Buffer.from(saltText, 'utf8');
  const magic = Buffer.from('$1$');
  const alternate = createHash('md5').update(password).update(salt).update(password).digest();
  const context = createHash('md5').update(password).update(magic).update(salt);
  for (let left = password.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(16, left)));
  for (let bits = password.length; bits > 0; bits >>>= 1) {
    context.update(bits & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  }
  let result = context.digest();
  // The 1000 rounds exist only to slow down guessing.
  for (let round = 0; round < 1000; round++) {
    const step = createHash('md5');
    step.update(round & 1 ? password : result);
    if (round % 3) step.update(salt);
    if (round % 7) step.update(password);
    step.update(round & 1 ? result : password);
    result = step.digest();
  }
  const r = (i: number): number => result[i]!;
  const encoded =
    cryptBase64((r(0) << 16) | (r(6) << 8) | r(12), 4) +
    cryptBase64((r(1) << 16) | (r(7) << 8) | r(13), 4) +
    cryptBase64((r(2) << 16) | (r(8) << 8) | r(14), 4) +
    cryptBase64((r(3) << 16) | (r(9) << 8) | r(15), 4) +
    cryptBase64((r(4) << 16) | (r(10) << 8) | r(5), 4) +
    cryptBase64(r(11), 2);
  return `$1$${saltText}$${encoded}`;
}

interface Md4 {
  arrayBuffer(message: Uint8Array): ArrayBuffer;
}
// The plain md4() call goes through node:crypto, which OpenSSL 3 no longer allows for MD4;
// .arrayBuffer() always runs the library's own JavaScript implementation.
const md4 = md4Module as Md4;

/** NTLM: MD4 of the UTF-16LE password. */
function ntlmDigest(password: string): Buffer {
  return Buffer.from(md4.arrayBuffer(Buffer.from(password, 'utf16le')));
}

// MD5 round constants (RFC 1321 §3.4: floor(|sin(i + 1)| · 2^32)) and rotation amounts.
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
const MD5_R = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/**
 * One MD5 compression step over a 64-byte block, updating `state` (a, b, c, d) in place.
 * Dovecot's CRAM-MD5 stores the HMAC-MD5 intermediate states, and no library exposes
 * MD5's internal state, so this one step is implemented by hand. Exported for tests.
 */
export function md5Compress(state: number[], block: Uint8Array): void {
  const view = new DataView(block.buffer, block.byteOffset, 64);
  let [a, b, c, d] = state as [number, number, number, number];
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    let f: number;
    let word: number;
    if (round === 0) [f, word] = [(b & c) | (~b & d), i];
    else if (round === 1) [f, word] = [(d & b) | (~d & c), (5 * i + 1) % 16];
    else if (round === 2) [f, word] = [b ^ c ^ d, (3 * i + 5) % 16];
    else [f, word] = [c ^ (b | ~d), (7 * i) % 16];
    const sum = (a + f + MD5_K[i]! + view.getUint32(word * 4, true)) | 0;
    const shift = MD5_R[round * 4 + (i % 4)]!;
    [a, d, c] = [d, c, b];
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
}

function md5StateAfterBlock(block: Uint8Array): Buffer {
  const state = [...MD5_IV];
  md5Compress(state, block);
  const out = Buffer.alloc(16);
  state.forEach((word, i) => out.writeUInt32LE(word, i * 4));
  return out;
}

/**
 * Dovecot's CRAM-MD5 "hash": the MD5 states after absorbing the HMAC outer and inner
 * padded keys (outer first), 32 bytes. It lets a server answer CRAM-MD5 challenges
 * without the clear-text password.
 */
function cramMd5Context(password: Buffer): Buffer {
  const key = Buffer.alloc(64);
  (password.length > 64 ? digest('md5', password) : password).copy(key);
  const outer = key.map((byte) => byte ^ 0x5c);
  const inner = key.map((byte) => byte ^ 0x36);
  return Buffer.concat([md5StateAfterBlock(outer), md5StateAfterBlock(inner)]);
}
