import type { Context } from '#lib/http/context';
import type { AccountStore } from '#lib/storage/store';
import type { AliasChanges, AliasProfile } from '#lib/model/aliases';
import { ApiError } from '#lib/http/errors';
import { flag, param } from '#lib/http/request';
import { assertDomainAccess, assertMayChangeAddress } from '#lib/auth/access';
import { domainOf, isAccountEmail } from '#lib/model/addresses';
import { assertNotBoth, readAccountStatus, readEmailList, readInt, readText } from '#lib/model/params';
import { isDuplicateKey } from '#lib/storage/sql/sql-helpers';
import { logAction } from '#lib/services/admin-log';
import { resumeBeforeWrite, withPolicyFollowUp } from '#lib/services/policy-followups';
import { assertAccountLimit, memberChanges, readAccessPolicy } from '#lib/services/domain-accounts';

/**
 * Mail aliases on SQL (pro-api-behaviour §1.6.3, §1.7, §1.11; storage.md §1.3). Where the
 * original was lax, this refuses with a code instead: an unknown access policy
 * (INVALID_ACCESS_POLICY, on POST and PUT), and a member inside the alias's domain that
 * does not exist (NO_SUCH_ACCOUNT; the original dropped it silently).
 */

function value(ctx: Context, name: string, legacy: string): string | undefined {
  return param(ctx.req, name) ?? param(ctx.req, legacy);
}

/** Lower-cased; empty means public (iRedAPD reads an empty policy as public). */
/**
 * A member inside the alias's own domain must be something that receives mail there: a
 * user, alias, mailing list or forwarding address (its +extension ignored). External
 * members are plain forwarding targets and are kept as given.
 */
async function assertLocalMembersExist(tx: AccountStore, domain: string, members: string[]): Promise<void> {
  for (const member of members) {
    if (domainOf(member) === domain && !(await tx.aliases.addressInUse(member))) throw new ApiError('NO_SUCH_ACCOUNT');
  }
}

/** The domain's `default_groups` setting without (or with `to` in place of) the alias. */
async function replaceDefaultGroup(tx: AccountStore, domain: string, from: string, to?: string): Promise<void> {
  const current = await tx.domains.lock(domain);
  const groups = current?.settings.default_groups;
  if (!current || !Array.isArray(groups) || !groups.includes(from)) return;
  const next = groups.filter((group) => group !== from);
  if (to !== undefined && !next.includes(to)) next.push(to);
  await tx.domains.update(domain, { settings: { ...current.settings, default_groups: next.sort() } });
}

export async function createAlias(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  if (!isAccountEmail(mail)) throw new ApiError('INVALID_MAIL');
  const name = readText(value(ctx, 'name', 'cn')) ?? '';
  const accesspolicy = readAccessPolicy(param(ctx.req, 'accessPolicy')) ?? 'public';
  const members = readEmailList(param(ctx.req, 'members')) ?? [];
  // accountStatus is not read: a new alias is always active, as the original.
  await ctx.store.accounts.transaction(async (tx) => {
    // The domain's row lock serialises creates in the domain: the count below cannot go stale.
    const target = await tx.domains.lock(domain);
    if (!target) throw new ApiError('INVALID_DOMAIN_NAME');
    if (await tx.aliases.addressInUse(mail)) throw new ApiError('ALREADY_EXISTS');
    await assertAccountLimit(target.aliases, () => tx.aliases.count(domain));
    await assertLocalMembersExist(tx, domain, members);
    try {
      await tx.aliases.create({ address: mail, name, accesspolicy, domain }, members);
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('ALREADY_EXISTS');
      throw error;
    }
  });
  await logAction(ctx, { event: 'create', domain, username: mail, msg: `Create mail alias: ${mail}.` });
}

export async function getAlias(ctx: Context, mail: string): Promise<AliasProfile> {
  assertDomainAccess(ctx.caller, domainOf(mail));
  const alias = await ctx.store.accounts.aliases.get(mail);
  if (!alias) throw new ApiError('NO_SUCH_ACCOUNT');
  return alias;
}

/** PUT /api/alias/<mail>: changes only what it names; a missing alias is NO_SUCH_ACCOUNT (as the original). */
export async function updateAlias(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  const p = ctx.req.params;
  const name = readText(value(ctx, 'name', 'cn'));
  const accesspolicy = readAccessPolicy(param(ctx.req, 'accessPolicy'));
  const active = readAccountStatus(param(ctx.req, 'accountStatus'));
  assertNotBoth(p, 'members', 'addMember', 'removeMember');
  const reset = readEmailList(param(ctx.req, 'members'));
  const add = readEmailList(param(ctx.req, 'addMember')) ?? [];
  const remove = readEmailList(param(ctx.req, 'removeMember')) ?? [];
  await ctx.store.accounts.transaction(async (tx) => {
    const current = await tx.aliases.lock(mail);
    if (!current) throw new ApiError('NO_SUCH_ACCOUNT');
    const existing = await tx.aliases.members(mail);
    const { toAdd, toRemove } = memberChanges(existing, { reset, add, remove });
    await assertLocalMembersExist(tx, domain, toAdd);
    const changes: AliasChanges = {};
    if (name !== undefined) changes.name = name;
    if (accesspolicy !== undefined) changes.accesspolicy = accesspolicy;
    if (active !== undefined) changes.active = active;
    await tx.aliases.update(mail, changes);
    await tx.aliases.removeMembers(mail, toRemove);
    await tx.aliases.addMembers(mail, domain, toAdd, active ?? current.active);
  });
  if (active !== undefined) await logAction(ctx, { event: active ? 'active' : 'disable', domain, username: mail, msg: `${active ? 'Active' : 'Disable'} mail alias: ${mail}.` });
  await logAction(ctx, { event: 'update', domain, username: mail, msg: `Update mail alias profile: ${mail}.` });
}

/**
 * DELETE /api/alias/<mail>: the alias row, forwardings to and from it, its moderators rows
 * (the original orphaned them), its place in default_groups, and its Amavisd/iRedAPD rows.
 * Deleting what is not there succeeds; a user of that address is not touched.
 */
export async function deleteAlias(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  await resumeBeforeWrite(ctx);
  const existed = await withPolicyFollowUp(ctx.store, { kind: 'forget', accounts: { users: [mail] } }, () => ctx.store.accounts.transaction(async (tx) => {
    // Domain row first, the same lock order as create and change_email.
    await tx.domains.lock(domain);
    if (!(await tx.aliases.delete(mail))) return false;
    await replaceDefaultGroup(tx, domain, mail);
    return true;
  }), (done) => done);
  if (existed === false) return;
  await logAction(ctx, { event: 'delete', domain, username: mail, msg: `Delete mail alias: ${mail}.` });
}

/** POST /api/alias/<mail>/change_email/<new_mail>: same domain only (PERMISSION_DENIED otherwise). */
export async function changeAliasEmail(ctx: Context, mail: string, newMail: string): Promise<void> {
  assertMayChangeAddress(ctx.caller, mail, newMail);
  if (!isAccountEmail(newMail)) throw new ApiError('INVALID_NEW_EMAIL');
  const domain = domainOf(mail);
  await resumeBeforeWrite(ctx);
  // Amavisd and iRedAPD live in other databases: moved once the accounts are committed.
  await withPolicyFollowUp(ctx.store, { kind: 'rename', from: mail, to: newMail }, () => ctx.store.accounts.transaction(async (tx) => {
    // Domain first (as every create does), so a concurrent create of the new address waits.
    await tx.domains.lock(domain);
    if (!(await tx.aliases.lock(mail))) throw new ApiError('OLD_EMAIL_NOT_EXIST');
    if (await tx.aliases.addressInUse(newMail)) throw new ApiError('NEW_EMAIL_ALREADY_EXISTS');
    try {
      await tx.aliases.rename(mail, newMail);
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('NEW_EMAIL_ALREADY_EXISTS');
      throw error;
    }
    await replaceDefaultGroup(tx, domain, mail, newMail);
  }));
  await logAction(ctx, { event: 'update', domain, username: newMail, msg: `Change email address of mail alias: ${mail} to ${newMail}.` });
}

export async function listAliases(ctx: Context, domain: string) {
  assertDomainAccess(ctx.caller, domain);
  const page = readInt(param(ctx.req, 'page'), 'INVALID_PARAMETER', { min: 1, max: 1_000_000 });
  const limit = readInt(param(ctx.req, 'limit'), 'INVALID_PARAMETER', { min: 1, max: 10_000 });
  if (!(await ctx.store.accounts.domains.get(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
  return ctx.store.accounts.aliases.list(domain, {
    disabledOnly: flag(ctx.req, 'disabled_only'),
    page: page !== undefined || limit !== undefined ? { page: page ?? 1, limit: limit ?? 100 } : undefined,
  });
}
