import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '#lib/config';
import { ConfigError } from '#lib/config';

/**
 * The API key format and its stored hash.
 *
 * A key is `ira_` + 32 random bytes in base64url (43 characters, 256 bits): the prefix tells
 * it apart from a login JWT (which starts with `eyJ`) without any lookup, and lets secret
 * scanners recognise a leaked key. The key holds no id: it is found by its hash.
 *
 * Only HMAC-SHA-256(key) is stored. The key is high-entropy random, so a slow password hash
 * would add cost and nothing else; the HMAC is keyed with a subkey derived from JWT_SECRET, so a
 * copy of the database alone cannot even confirm a guessed key. Consequence, documented in the
 * README: rotating JWT_SECRET ends every API key, as it ends every login.
 */
export const API_KEY_PREFIX = 'ira_';
const KEY_SHAPE = /^ira_[A-Za-z0-9_-]{43}$/;
const SUBKEY_LABEL = 'iredadmin-serverless api-key hash v1';

export function isApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

/** True when the credential has the exact shape of a key (checked before any lookup). */
export function isWellFormedApiKey(credential: string): boolean {
  return KEY_SHAPE.test(credential);
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

let cached: { secret: string; subkey: Buffer } | undefined;

function subkeyOf(config: Config): Buffer {
  const secret = config.jwtSecret;
  if (!secret || secret.length < 32) throw new ConfigError('JWT_SECRET must be set to at least 32 characters');
  if (cached?.secret !== secret) cached = { secret, subkey: createHmac('sha256', secret).update(SUBKEY_LABEL).digest() };
  return cached.subkey;
}

/**
 * The value kept in `api_keys.secret_hash` and looked up on its unique index. Lower-case hex,
 * so MySQL's case-insensitive collation compares it exactly.
 */
export function hashApiKey(config: Config, key: string): string {
  return createHmac('sha256', subkeyOf(config)).update(key).digest('hex');
}
