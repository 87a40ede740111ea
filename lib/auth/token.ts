import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { Config } from '#lib/config';
import { ConfigError } from '#lib/config';

const ISSUER = 'iredadmin-serverless';
const AUDIENCE = 'iredadmin-api';

export interface TokenClaims {
  sub: string;
  kind: 'admin' | 'mailuser';
  /** Fingerprint of the password hash at login: a later password change ends the token. */
  pwf: string;
  iat: number;
  exp: number;
}

/** The last secret's key object: jose imports a raw key on every call, which costs ~0.3 ms per request. */
let cached: { secret: string; key: KeyObject } | undefined;

function keyOf(config: Config): KeyObject {
  const secret = config.jwtSecret;
  if (!secret || secret.length < 32) throw new ConfigError('JWT_SECRET must be set to at least 32 characters');
  if (cached?.secret !== secret) cached = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return cached.key;
}

/** Keyed, so the token reveals nothing about the hash it fingerprints. */
export function passwordFingerprint(config: Config, passwordHash: string): string {
  return createHmac('sha256', keyOf(config)).update(passwordHash).digest('base64url').slice(0, 22);
}

/** `pwf` is passwordFingerprint() of the admin's stored hash; renewals copy it from the old token. */
export async function issueToken(config: Config, subject: { username: string; kind: 'admin' | 'mailuser'; pwf: string }, now = Math.floor(Date.now() / 1000)) {
  const exp = now + config.tokenTtlSeconds;
  const token = await new SignJWT({ kind: subject.kind, pwf: subject.pwf })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject.username)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(exp)
    .sign(keyOf(config));
  return { token, expiresAt: exp };
}

/** Verifies signature, algorithm (HS256 only: no `none`, no key confusion), issuer, audience and times. */
export async function verifyToken(config: Config, token: string): Promise<TokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyOf(config), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, clockTolerance: 5 });
    if (typeof payload.sub !== 'string' || typeof payload.pwf !== 'string' || (payload.kind !== 'admin' && payload.kind !== 'mailuser')) return undefined;
    if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number') return undefined;
    return { sub: payload.sub, kind: payload.kind, pwf: payload.pwf, iat: payload.iat, exp: payload.exp };
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return undefined;
    throw error;
  }
}
