/**
 * Address and domain rules of iRedAdmin (reference/pro-api-behaviour.md §1.9,
 * storage.md §1.6), applied to lower-cased input. Written as plain regular expressions
 * because they are the contract: a value the original refuses must be refused here too.
 */

// Labels of letters, digits, '_' and '-', at least one dot, a TLD of 2-25 [a-z0-9-].
const DOMAIN = /^(?=.{1,253}$)[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.[a-z0-9-]{2,25}$/;
// Local part of any address (forwarding targets, members): may hold + = / & #.
const LOCAL = /^[a-z0-9_#-][a-z0-9_.+=\/&#-]*$/;
// Local part of a new account ("auth email"): no + = / (they break lookups and hashing).
const AUTH_LOCAL = /^[a-z0-9_#-][a-z0-9_.&#-]*$/;

export function isDomain(value: string): boolean {
  return DOMAIN.test(value) && !value.includes('..');
}

function splitAddress(value: string): [string, string] | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at !== value.indexOf('@')) return undefined;
  return [value.slice(0, at), value.slice(at + 1)];
}

/** Any deliverable address: forwarding targets, alias members, BCC addresses. */
export function isEmail(value: string): boolean {
  if (value.length > 320) return false;
  const parts = splitAddress(value);
  return parts !== undefined && parts[0].length <= 64 && LOCAL.test(parts[0]) && isDomain(parts[1]);
}

/** An address that may become a new local account (user, alias, admin). */
export function isAccountEmail(value: string): boolean {
  const parts = splitAddress(value);
  return parts !== undefined && isEmail(value) && AUTH_LOCAL.test(parts[0]);
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

export function localPartOf(email: string): string {
  return email.slice(0, email.lastIndexOf('@'));
}

/** `user+ext@d` -> `user@d`: existence checks ignore the extension, as Postfix does. */
export function stripExtension(email: string): string {
  const local = localPartOf(email);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}@${domainOf(email)}` : email;
}

/** Splits a comma list, trims and lower-cases each entry and drops empty ones and duplicates. */
export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const seen = new Set<string>();
  for (const raw of value.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item) seen.add(item);
  }
  return [...seen];
}
