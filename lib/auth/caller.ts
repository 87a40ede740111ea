import type { Config } from '#lib/config';
import type { Store } from '#lib/storage/store';
import type { AdminIdentity } from '#lib/model/types';
import { passwordFingerprint, verifyToken, type TokenClaims } from '#lib/auth/token';
import { hashApiKey, isApiKey, isWellFormedApiKey } from '#lib/auth/api-key';
import { assertKeyAddress, keyScope } from '#lib/auth/access';
import { describeError, log } from '#lib/log';

/** The authenticated admin behind a request, re-read from storage on every request. */
export interface Caller {
  username: string;
  kind: 'admin' | 'mailuser';
  isGlobalAdmin: boolean;
  managedDomains: ReadonlySet<string>;
  /** A login token (Bearer or cookie) or an API key (Bearer or X-API-Key). */
  via: 'login' | 'apikey';
  /** API keys: the key's id; the caller's actions are logged as `apikey:<id>`. */
  keyId?: string;
  /** Read-only API keys: refused on every method but GET. */
  readOnly: boolean;
  /** Login tokens only. */
  claims?: TokenClaims;
}

/** Who an action is logged as: the admin of a login, `apikey:<id>` for a key. */
export function actorOf(caller: Caller): string {
  return caller.via === 'apikey' ? `apikey:${caller.keyId}` : caller.username;
}

/** An identity may use the API only while active, with admin rights, and (mail users) in an active domain. */
export function mayUseApi(identity: AdminIdentity | undefined): identity is AdminIdentity {
  return identity !== undefined && identity.active && identity.hasAdminRights && identity.domainActive;
}

/**
 * Turns a token into a caller, or undefined when the token is invalid, expired, or no
 * longer matches its admin: disabled, deleted, demoted, or a password changed since login.
 */
export async function resolveCaller(config: Config, store: Store, token: string, sourceIp = ''): Promise<Caller | undefined> {
  if (isApiKey(token)) return resolveKeyCaller(config, store, token, sourceIp);
  const claims = await verifyToken(config, token);
  if (!claims) return undefined;
  const identity = await store.accounts.identities.findAdmin(claims.sub);
  if (!mayUseApi(identity) || identity.kind !== claims.kind) return undefined;
  if (passwordFingerprint(config, identity.passwordHash) !== claims.pwf) return undefined;
  return {
    username: identity.username,
    kind: identity.kind,
    isGlobalAdmin: identity.isGlobalAdmin,
    managedDomains: new Set(identity.managedDomains),
    via: 'login',
    readOnly: false,
    claims,
  };
}

/** last_used_at is written at most this often per key, not on every request. */
export const KEY_TOUCH_INTERVAL_SECONDS = 60;

/**
 * Turns an API key into a caller: one lookup by the key's hash (unique index), then its
 * creator is re-read exactly as a login's admin is, so a disabled, deleted or demoted creator
 * ends the key at once. Unknown, revoked or expired keys give undefined (LOGIN_REQUIRED);
 * a key used from outside its allowed_ips throws NOT_AUTHORIZED.
 */
async function resolveKeyCaller(config: Config, store: Store, key: string, sourceIp: string): Promise<Caller | undefined> {
  if (!isWellFormedApiKey(key)) return undefined;
  const record = await store.apiKeys.findByHash(hashApiKey(config, key));
  const now = Math.floor(Date.now() / 1000);
  if (!record || record.revoked || (record.expiresAt !== null && record.expiresAt <= now)) return undefined;
  assertKeyAddress(record, sourceIp);
  const creator = await store.accounts.identities.findAdmin(record.createdBy);
  const scope = mayUseApi(creator) ? keyScope(record, creator) : undefined;
  if (!creator || !scope) return undefined;
  if (record.lastUsedAt === null || now - record.lastUsedAt >= KEY_TOUCH_INTERVAL_SECONDS) {
    // Bookkeeping only: a failed write must not refuse a valid key.
    await store.apiKeys.touch(record.id, now, KEY_TOUCH_INTERVAL_SECONDS).catch((error: unknown) => log('warn', 'api key last_used_at write failed', { keyId: record.id, ...describeError(error) }));
  }
  return { username: creator.username, kind: creator.kind, ...scope, via: 'apikey', keyId: record.id, readOnly: record.access !== 'rw' };
}
