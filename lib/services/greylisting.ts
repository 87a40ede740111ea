import type { Context } from '#lib/http/context';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertPolicyAccess } from '#lib/auth/access';
import { isDomain } from '#lib/model/addresses';
import { assertNotBoth } from '#lib/model/params';
import {
  accountFromCapture, domainOfAccount, IREDAPD_PRIORITY, levelOf, MAX_SENDER_LENGTH,
  normaliseRemovableSender, normaliseWhitelistSender, type ListChange,
} from '#lib/model/policy';
import { logAction } from '#lib/services/admin-log';

/**
 * iRedAPD greylisting (reference/policy.md §3). A setting is the row (account, sender `@.`)
 * with `active` 1 or 0; no row means the account inherits. Whitelists live in
 * greylisting_whitelists; the SPF job's rows (greylisting_whitelist_domain_spf) are not
 * listed here, as in iRedAdmin-Pro.
 */

export type GreylistingStatus = 'enabled' | 'disabled' | 'inherit';

export function greylistingAccount(ctx: Context): string {
  const account = accountFromCapture(ctx.req.route.account ?? '');
  // iRedMail's MySQL schema declares greylisting accounts VARCHAR(100).
  if (account.length > MAX_SENDER_LENGTH) throw new ApiError('INVALID_ACCOUNT');
  return account;
}

function logged(account: string) {
  return { domain: domainOfAccount(account), username: levelOf(account) === 'user' ? account : undefined };
}

export async function getGreylistingStatus(ctx: Context): Promise<{ status: GreylistingStatus }> {
  const account = greylistingAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  const active = await ctx.store.greylisting.status(account);
  // Nothing lies below the global setting: without a row greylisting is off (as the original reports).
  if (active === undefined) return { status: account === '@.' ? 'disabled' : 'inherit' };
  return { status: active ? 'enabled' : 'disabled' };
}

/**
 * `enable` / `disable` set the account's own row. On a domain or user any other value
 * (missing included) removes its setting, so it inherits — the documented behaviour. The
 * global setting has nothing to inherit from: other values are refused.
 */
export async function setGreylistingStatus(ctx: Context): Promise<void> {
  const account = greylistingAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  const status = (param(ctx.req, 'status') ?? '').trim().toLowerCase();
  if (status === 'enable' || status === 'disable') {
    await ctx.store.greylisting.setStatus(account, IREDAPD_PRIORITY[levelOf(account)], status === 'enable');
    await logAction(ctx, { event: 'update', ...logged(account), msg: `${status === 'enable' ? 'Enable' : 'Disable'} greylisting for ${account}.` });
    return;
  }
  if (account === '@.') throw new ApiError('INVALID_PARAMETER');
  await inherit(ctx, account);
}

/** DELETE: the account inherits (every greylisting row of it goes, as the original's "inherit"). */
export async function deleteGreylistingStatus(ctx: Context): Promise<void> {
  const account = greylistingAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  await inherit(ctx, account);
}

async function inherit(ctx: Context, account: string): Promise<void> {
  const removed = await ctx.store.greylisting.clear(account);
  if (removed > 0) await logAction(ctx, { event: 'delete', ...logged(account), msg: `Remove greylisting setting of ${account} (inherit).` });
}

export async function listGreylistingSettings(ctx: Context): Promise<Record<string, { sender: string; account: string; status: 'enabled' | 'disabled' }[]>> {
  const result: Record<string, { sender: string; account: string; status: 'enabled' | 'disabled' }[]> = {};
  for (const row of await ctx.store.greylisting.all()) {
    (result[row.account] ??= []).push({ sender: row.sender, account: row.account, status: row.active ? 'enabled' : 'disabled' });
  }
  return result;
}

export async function getGreylistingWhitelists(ctx: Context): Promise<{ whitelists: string[]; whitelist_domains?: string[] }> {
  const account = greylistingAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  const whitelists = await ctx.store.greylisting.whitelists(account);
  if (account !== '@.') return { whitelists };
  return { whitelists, whitelist_domains: await ctx.store.greylisting.whitelistDomains() };
}

/** A comma list where every entry must pass `normalise`; one bad entry refuses the request. */
function readEntries(value: string | undefined, normalise: (entry: string) => string | undefined, code: string): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = new Set<string>();
  for (const raw of value.split(',')) {
    if (raw.trim() === '') continue;
    const entry = normalise(raw);
    if (entry === undefined) throw new ApiError(code);
    entries.add(entry);
  }
  return [...entries];
}

function readChange(ctx: Context, names: { reset: string; add: string; remove: string }, strict: (entry: string) => string | undefined, loose: (entry: string) => string | undefined, code: string): ListChange | undefined {
  assertNotBoth(ctx.req.params, names.reset, names.add, names.remove);
  const reset = readEntries(param(ctx.req, names.reset), strict, code);
  const add = readEntries(param(ctx.req, names.add), strict, code);
  const remove = readEntries(param(ctx.req, names.remove), loose, code);
  if (reset === undefined && add === undefined && remove === undefined) return undefined;
  return { reset, add: add ?? [], remove: remove ?? [] };
}

/** The admin-log wording of a change, cut short for long lists. */
function describe(change: ListChange): string {
  const text = change.reset
    ? `reset to ${change.reset.join(', ') || 'nothing'}`
    : [change.add.length ? `add ${change.add.join(', ')}` : '', change.remove.length ? `remove ${change.remove.join(', ')}` : ''].filter(Boolean).join('; ') || 'no change';
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** `senders` resets the list; `addSenders` / `removeSenders` change it; only this account's rows are touched. */
export async function updateGreylistingWhitelists(ctx: Context): Promise<void> {
  const account = greylistingAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  const change = readChange(ctx, { reset: 'senders', add: 'addSenders', remove: 'removeSenders' }, normaliseWhitelistSender, normaliseRemovableSender, 'INVALID_SENDER');
  if (!change) return;
  await ctx.store.greylisting.changeWhitelists(account, change);
  await logAction(ctx, { event: 'update', ...logged(account), msg: `Greylisting whitelists of ${account}: ${describe(change)}.` });
}

export async function getSpfDomains(ctx: Context): Promise<{ domains: string[] }> {
  return { domains: await ctx.store.greylisting.whitelistDomains() };
}

const readDomain = (entry: string): string | undefined => {
  const domain = entry.trim().toLowerCase();
  return isDomain(domain) ? domain : undefined;
};

/** `domains` resets the list; `addDomains` / `removeDomains` change it. The SPF job resolves them hourly. */
export async function updateSpfDomains(ctx: Context): Promise<void> {
  const change = readChange(ctx, { reset: 'domains', add: 'addDomains', remove: 'removeDomains' }, readDomain, readDomain, 'INVALID_DOMAIN_NAME');
  if (!change) return;
  await ctx.store.greylisting.changeWhitelistDomains(change);
  await logAction(ctx, { event: 'update', msg: `Greylisting SPF whitelist domains: ${describe(change)}.` });
}
