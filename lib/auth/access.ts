import type { Caller } from '#lib/auth/caller';
import type { Route } from '#lib/http/routes';
import { ApiError } from '#lib/http/errors';
import { domainOf } from '#lib/model/addresses';
import { isAllowedClient } from '#lib/http/allow-list';

/**
 * Every permission decision of the API is made here. Routes declare who may call them
 * (routes.ts); services ask the finer questions (may this caller grant global rights,
 * touch that account) through the functions below, never by inspecting roles themselves.
 */

export function requireCaller(caller: Caller | undefined): Caller {
  if (!caller) throw new ApiError('LOGIN_REQUIRED');
  return caller;
}

export function canManageDomain(caller: Caller, domain: string): boolean {
  return caller.isGlobalAdmin || caller.managedDomains.has(domain.toLowerCase());
}

export function assertGlobalAdmin(caller: Caller | undefined): Caller {
  const known = requireCaller(caller);
  if (!known.isGlobalAdmin) throw new ApiError('PERMISSION_DENIED');
  return known;
}

export function assertDomainAccess(caller: Caller | undefined, domain: string): Caller {
  const known = requireCaller(caller);
  if (!canManageDomain(known, domain)) throw new ApiError('PERMISSION_DENIED');
  return known;
}

/**
 * The admin log (GET /api/log): global admins read every row; other admins (and domain-limited
 * API keys) the rows of the domains they manage, and a `domain` filter outside those is refused.
 */
export function adminLogScope(caller: Caller | undefined, domain: string | undefined): { domains?: string[] } {
  const known = requireCaller(caller);
  if (domain !== undefined) assertDomainAccess(known, domain);
  return known.isGlobalAdmin ? {} : { domains: [...known.managedDomains].sort() };
}

/** The domain a route capture points at: itself for a domain, the domain part of an address. */
export function targetDomain(value: string): string {
  return value.includes('@') ? domainOf(value) : value;
}

/** Policy accounts (`@.`, `@domain`, `user@domain`): the global one is for global admins, the rest for the domain's admins. */
export function assertPolicyAccess(caller: Caller | undefined, account: string): Caller {
  if (account === '@.') return assertGlobalAdmin(caller);
  return assertDomainAccess(caller, domainOf(account));
}

/** The route-level check, run by the dispatcher before any operation. */
export function authorizeRoute(caller: Caller | undefined, route: Route, captures: Record<string, string>): void {
  // A read-only API key reads: every POST, PUT and DELETE is refused, whatever the route.
  if (caller?.readOnly && route.method !== 'GET') throw new ApiError('PERMISSION_DENIED');
  switch (route.access.kind) {
    case 'public':
      return;
    case 'anyAdmin':
      requireCaller(caller);
      return;
    case 'globalAdmin':
      assertGlobalAdmin(caller);
      return;
    case 'domainAdmin': {
      const value = captures[route.access.target] ?? '';
      // `global` in /throttle/global/… and /greylisting/global… is the server-wide setting.
      if (value === 'global') assertGlobalAdmin(caller);
      else assertDomainAccess(caller, targetDomain(value));
      return;
    }
  }
}

/** Only global admins may grant or take away global rights, or change a global admin's account. */
export function mayGrantGlobalAdmin(caller: Caller): boolean {
  return caller.isGlobalAdmin;
}

export function assertMayModifyAccount(caller: Caller, target: { isGlobalAdmin: boolean }): void {
  if (target.isGlobalAdmin && !caller.isGlobalAdmin) throw new ApiError('PERMISSION_DENIED');
}

/** Domain-level settings a normal admin may not change: they are silently ignored (pro-api-behaviour §1.4). */
export function mayChangeDomainLimits(caller: Caller): boolean {
  return caller.isGlobalAdmin;
}

/** Keep-mailbox days: normal admins are clamped to 365 (DAYS_TO_KEEP_REMOVED_MAILBOX). */
export function clampKeepDays(caller: Caller, days: number): number {
  if (caller.isGlobalAdmin) return days;
  return days === 0 ? 365 : Math.min(days, 365);
}

/**
 * Who may become an admin of a domain: a global admin may grant any mail user or standalone
 * admin; a normal admin only mail users of domains it manages (the API document's rule).
 */
export function assertMayGrantDomainAdmin(caller: Caller, candidate: { address: string; isMailUser: boolean }, domain: string): void {
  if (!canManageDomain(caller, domain)) throw new ApiError('PERMISSION_DENIED');
  if (caller.isGlobalAdmin) return;
  if (!candidate.isMailUser || !caller.managedDomains.has(domainOf(candidate.address))) throw new ApiError('PERMISSION_DENIED');
}

/** The domains a caller's lists show: undefined (all) for a global admin, else those it manages. */
export function visibleDomains(caller: Caller): string[] | undefined {
  return caller.isGlobalAdmin ? undefined : [...caller.managedDomains];
}

/** The global password-length floor (iRedAdmin's settings.py default) binds normal admins only. */
export const GLOBAL_MIN_PASSWORD_LENGTH = 8;
export function domainMinPasswordLength(caller: Caller, requested: number): number {
  return caller.isGlobalAdmin ? requested : Math.max(requested, GLOBAL_MIN_PASSWORD_LENGTH);
}

/**
 * Standalone admins are managed by global admins only, and no admin may lock itself out:
 * delete itself, drop its own global rights or disable its own account. As the caller is
 * a global admin, at least one global admin always remains.
 */
export function assertMayChangeAdmin(caller: Caller | undefined, target: string, change: { deletes?: boolean; revokesGlobal?: boolean; disables?: boolean } = {}): Caller {
  const known = assertGlobalAdmin(caller);
  if (known.username === target.toLowerCase() && (change.deletes || change.revokesGlobal || change.disables)) throw new ApiError('CANNOT_CHANGE_OWN_ACCOUNT');
  return known;
}

/** change_email: both addresses in one domain the caller manages; PERMISSION_DENIED otherwise (as the original). */
export function assertMayChangeAddress(caller: Caller | undefined, from: string, to: string): Caller {
  const known = assertDomainAccess(caller, domainOf(from));
  if (domainOf(from) !== domainOf(to)) throw new ApiError('PERMISSION_DENIED');
  return assertDomainAccess(known, domainOf(to));
}

/**
 * Mail users (fix of quirk #9): only global admins grant or revoke global rights (any
 * `isGlobalAdmin` from a normal admin is refused) or change a global admin's mailbox; no
 * admin may lock itself out (delete, disable or demote its own mailbox).
 */
export function assertMayChangeUser(caller: Caller, target: { username: string; isGlobalAdmin: boolean }, change: { globalRights?: boolean; revokesGlobal?: boolean; deletes?: boolean; disables?: boolean } = {}): void {
  if (change.globalRights && !mayGrantGlobalAdmin(caller)) throw new ApiError('PERMISSION_DENIED');
  assertMayModifyAccount(caller, target);
  if (caller.username === target.username.toLowerCase() && (change.deletes || change.revokesGlobal || change.disables)) throw new ApiError('CANNOT_CHANGE_OWN_ACCOUNT');
}

/**
 * PUT /api/users/<domain>: a normal admin's bulk change leaves the domain's global admins
 * alone; disabling every user is refused when the caller's own mailbox is among them.
 */
export function assertMayChangeDomainUsers(caller: Caller, domain: string, change: { disables?: boolean }): { spareGlobalAdmins: boolean } {
  assertDomainAccess(caller, domain);
  if (change.disables && caller.kind === 'mailuser' && domainOf(caller.username) === domain) throw new ApiError('CANNOT_CHANGE_OWN_ACCOUNT');
  return { spareGlobalAdmins: !caller.isGlobalAdmin };
}

/**
 * LDIF export (GET /api/ldif/...): password hashes are left out unless a global admin asks for
 * them; a normal admin asking is refused rather than handed a silently different export.
 */
export function assertMayExportPasswords(caller: Caller | undefined): Caller {
  return assertGlobalAdmin(caller);
}

// ---------------------------------------------------------------------------------------
// API keys (lib/services/api-keys.ts, lib/auth/caller.ts)

/**
 * The rights a key carries at this moment: never more than its creator holds now. An
 * unrestricted key needs a creator who is still a global admin; a domain-limited key keeps
 * only the domains its creator still manages. Undefined (the key stops working) when nothing
 * is left.
 */
export function keyScope(key: { domains: readonly string[] }, creator: { isGlobalAdmin: boolean; managedDomains: readonly string[] }): { isGlobalAdmin: boolean; managedDomains: ReadonlySet<string> } | undefined {
  if (key.domains.length === 0) return creator.isGlobalAdmin ? { isGlobalAdmin: true, managedDomains: new Set() } : undefined;
  const kept = creator.isGlobalAdmin ? key.domains : key.domains.filter((domain) => creator.managedDomains.includes(domain));
  return kept.length > 0 ? { isGlobalAdmin: false, managedDomains: new Set(kept) } : undefined;
}

/** A key with an address list works only from those addresses and networks. */
export function assertKeyAddress(key: { allowedIps: readonly string[] }, sourceIp: string): void {
  if (key.allowedIps.length > 0 && !isAllowedClient(key.allowedIps, sourceIp)) throw new ApiError('NOT_AUTHORIZED');
}

/** Keys are managed by people who logged in: a key can neither create, list nor revoke keys. */
export function assertKeyManager(caller: Caller | undefined): Caller {
  const known = requireCaller(caller);
  if (known.via !== 'login') throw new ApiError('PERMISSION_DENIED');
  return known;
}

/** Global admins create any key (no domains = unrestricted); other admins only keys limited to domains they manage. */
export function assertMayCreateKey(caller: Caller | undefined, domains: readonly string[]): Caller {
  const known = assertKeyManager(caller);
  if (known.isGlobalAdmin) return known;
  if (domains.length === 0 || domains.some((domain) => !known.managedDomains.has(domain))) throw new ApiError('PERMISSION_DENIED');
  return known;
}

/** Which keys a caller lists: every key for global admins, its own for the others. */
export function keyListFilter(caller: Caller): { createdBy?: string } {
  return caller.isGlobalAdmin ? {} : { createdBy: caller.username };
}

/** Global admins revoke any key; the others the keys they created. */
export function canManageKey(caller: Caller, key: { createdBy: string }): boolean {
  return caller.isGlobalAdmin || key.createdBy === caller.username;
}
