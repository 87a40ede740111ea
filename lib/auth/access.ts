import type { Caller } from '#lib/auth/caller';
import type { Route } from '#lib/http/routes';
import { ApiError } from '#lib/http/errors';
import { domainOf } from '#lib/model/addresses';

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

/** The domain a route capture points at: itself for a domain, the domain part of an address. */
export function targetDomain(value: string): string {
  return value.includes('@') ? domainOf(value) : value;
}

/** The route-level check, run by the dispatcher before any operation. */
export function authorizeRoute(caller: Caller | undefined, route: Route, captures: Record<string, string>): void {
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

/** Normal admins may only promote mail users of domains they manage. */
export function mayGrantDomainAdmin(caller: Caller, candidate: string, domain: string): boolean {
  if (!canManageDomain(caller, domain)) return false;
  return caller.isGlobalAdmin || caller.managedDomains.has(domainOf(candidate));
}
