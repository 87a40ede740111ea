import type { Config } from '#lib/config';
import type { Store } from '#lib/storage/store';
import type { AdminIdentity } from '#lib/model/types';
import { passwordFingerprint, verifyToken, type TokenClaims } from '#lib/auth/token';

/** The authenticated admin behind a request, re-read from storage on every request. */
export interface Caller {
  username: string;
  kind: 'admin' | 'mailuser';
  isGlobalAdmin: boolean;
  managedDomains: ReadonlySet<string>;
  claims: TokenClaims;
}

/** An identity may use the API only while active, with admin rights, and (mail users) in an active domain. */
export function mayUseApi(identity: AdminIdentity | undefined): identity is AdminIdentity {
  return identity !== undefined && identity.active && identity.hasAdminRights && identity.domainActive;
}

/**
 * Turns a token into a caller, or undefined when the token is invalid, expired, or no
 * longer matches its admin: disabled, deleted, demoted, or a password changed since login.
 */
export async function resolveCaller(config: Config, store: Store, token: string): Promise<Caller | undefined> {
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
    claims,
  };
}
