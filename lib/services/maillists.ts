import type { Context } from '#lib/http/context';
import type { AccountStore, MailingListStore } from '#lib/storage/store';
import type { MailingList, MailingListChanges } from '#lib/model/maillists';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertDomainAccess } from '#lib/auth/access';
import { domainOf, isAccountEmail, stripExtension } from '#lib/model/addresses';
import { assertNotBoth, readEmailList, readText } from '#lib/model/params';
import { logAction } from '#lib/services/admin-log';
import { resumeBeforeWrite, withPolicyFollowUp } from '#lib/services/policy-followups';
import { assertAccountLimit, memberChanges, readAccessPolicy } from '#lib/services/domain-accounts';

/**
 * Legacy mailing lists, /api/maillist/<mail> (pro-api-behaviour §1.14; LDAP only: SQL servers
 * answer NOT_SUPPORTED_BY_BACKEND before reading any parameter). As for aliases, this refuses
 * where the original was lax: an unknown accessPolicy (INVALID_ACCESS_POLICY, POST and PUT),
 * a member of the list's own domain that does not exist (NO_SUCH_ACCOUNT), the list as its
 * own member (INVALID_MAIL).
 */

/** The store, or NOT_SUPPORTED_BY_BACKEND on backends without legacy lists. */
function listStore(ctx: Context): MailingListStore {
  const lists = ctx.store.accounts.lists;
  if (!lists.supported) throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
  return lists;
}

function readName(ctx: Context): string | undefined {
  return readText(param(ctx.req, 'name') ?? param(ctx.req, 'cn'));
}

/** New members: never the list itself; inside the list's domain, an existing account (its +extension ignored). */
async function assertMembersAcceptable(tx: AccountStore, list: string, members: string[]): Promise<void> {
  for (const member of members) {
    if (member === list) throw new ApiError('INVALID_MAIL');
    if (domainOf(member) === domainOf(list) && !(await tx.lists.addressInUse(stripExtension(member)))) throw new ApiError('NO_SUCH_ACCOUNT');
  }
}

/** The domain's default_mailing_lists setting without the list. */
async function forgetDefaultList(tx: AccountStore, domain: string, list: string): Promise<void> {
  const current = await tx.domains.lock(domain);
  const defaults = current?.settings.default_mailing_lists;
  if (!current || !Array.isArray(defaults) || !defaults.includes(list)) return;
  await tx.domains.update(domain, { settings: { ...current.settings, default_mailing_lists: defaults.filter((item) => item !== list) } });
}

export async function getMailingList(ctx: Context, mail: string): Promise<MailingList> {
  assertDomainAccess(ctx.caller, domainOf(mail));
  const list = await listStore(ctx).get(mail);
  if (!list) throw new ApiError('NO_SUCH_ACCOUNT');
  return list;
}

export async function createMailingList(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  listStore(ctx);
  if (!isAccountEmail(mail)) throw new ApiError('INVALID_MAIL');
  const name = readName(ctx) ?? '';
  const accessPolicy = readAccessPolicy(param(ctx.req, 'accessPolicy')) ?? 'public';
  const members = readEmailList(param(ctx.req, 'members')) ?? [];
  await ctx.store.accounts.transaction(async (tx) => {
    // On LDAP the transactions of a container run one at a time: the count below cannot go stale.
    const target = await tx.domains.lock(domain);
    if (!target) throw new ApiError('INVALID_DOMAIN_NAME');
    if (await tx.lists.addressInUse(mail)) throw new ApiError('ALREADY_EXISTS');
    await assertAccountLimit(target.maillists, () => tx.lists.count(domain));
    await assertMembersAcceptable(tx, mail, members);
    await tx.lists.create({ mail, name, accessPolicy }, members);
  });
  await logAction(ctx, { event: 'create', domain, username: mail, msg: `Create mailing list: ${mail}.` });
}

/**
 * PUT: `name`, `accessPolicy`, and members either as `members` (the whole new list) or as
 * `addMember` / `removeMember` (both may be given; an address in both stays a member).
 */
export async function updateMailingList(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  listStore(ctx);
  const name = readName(ctx);
  const accessPolicy = readAccessPolicy(param(ctx.req, 'accessPolicy'));
  assertNotBoth(ctx.req.params, 'members', 'addMember', 'removeMember');
  const reset = readEmailList(param(ctx.req, 'members'));
  const add = readEmailList(param(ctx.req, 'addMember')) ?? [];
  const remove = readEmailList(param(ctx.req, 'removeMember')) ?? [];
  await ctx.store.accounts.transaction(async (tx) => {
    const current = await tx.lists.get(mail);
    if (!current) throw new ApiError('NO_SUCH_ACCOUNT');
    const existing = current.members;
    const { toAdd, toRemove } = memberChanges(existing, { reset, add, remove });
    await assertMembersAcceptable(tx, mail, toAdd);
    const changes: MailingListChanges = {};
    if (name !== undefined) changes.name = name;
    if (accessPolicy !== undefined) changes.accessPolicy = accessPolicy;
    await tx.lists.update(mail, changes);
    await tx.lists.removeMembers(mail, toRemove);
    await tx.lists.addMembers(mail, toAdd);
  });
  await logAction(ctx, { event: 'update', domain, username: mail, msg: `Update mailing list profile: ${mail}.` });
}

/**
 * DELETE: the list, its external-members entry, every memberOfGroup naming it, its place in
 * the domain's default lists, and its iRedAPD/Amavisd rows. `archive` is accepted and has
 * nothing to act on: a legacy list keeps no archive (mlmmj lists do). Deleting a list that is
 * not there succeeds, as for aliases.
 */
export async function deleteMailingList(ctx: Context, mail: string): Promise<void> {
  const domain = domainOf(mail);
  assertDomainAccess(ctx.caller, domain);
  listStore(ctx);
  await resumeBeforeWrite(ctx);
  const existed = await withPolicyFollowUp(ctx.store, { kind: 'forget', accounts: { users: [mail] } }, () => ctx.store.accounts.transaction(async (tx) => {
    if (!(await tx.lists.delete(mail))) return false;
    await forgetDefaultList(tx, domain, mail);
    return true;
  }), (done) => done);
  if (existed === false) return;
  await logAction(ctx, { event: 'delete', domain, username: mail, msg: `Delete mailing list: ${mail}.` });
}
