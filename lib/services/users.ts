import type { Context } from '#lib/http/context';
import type { Caller } from '#lib/auth/caller';
import type { AccountStore, UserStore } from '#lib/storage/store';
import type { Domain } from '#lib/model/types';
import type { BulkMailboxChanges, MailboxChanges, MailboxState, MailUser, MailUserListItem, UserExtras } from '#lib/model/users';
import { ApiError } from '#lib/http/errors';
import { flag, param } from '#lib/http/request';
import { assertMayChangeAddress, assertMayChangeDomainUsers, assertMayChangeUser, clampKeepDays, requireCaller } from '#lib/auth/access';
import { domainOf, isAccountEmail, parseList } from '#lib/model/addresses';
import { deleteDateAfter } from '#lib/model/clock';
import { assertNotBoth, readAccountStatus, readEmailList, readInt, readLanguage, readMegabytes, readOptionalEmail, readText, readTransport, readYesNo } from '#lib/model/params';
import { serviceColumns } from '#lib/model/mail-services';
import { checkPasswordPolicy, DEFAULT_PASSWORD_POLICY, effectivePolicy } from '#lib/auth/password-policy';
import { hashPassword, isAcceptedPasswordHash, parsePasswordScheme, stripPassword, toDovecotHash, verifyPassword } from '#lib/auth/passwords';
import { isDuplicateKey } from '#lib/storage/sql/sql-helpers';
import { logAction } from '#lib/services/admin-log';
import { resumeBeforeWrite, withPolicyFollowUp } from '#lib/services/policy-followups';
import { assignQuota } from '#lib/services/quota';
import { newMaildir, parseMaildirParam, readMailboxFolder, readMailboxFormat, type MaildirLocation } from '#lib/services/maildir';
import { assertAccountLimit } from '#lib/services/domain-accounts';

/**
 * Mail users (pro-api-behaviour §1.5–1.11, storage.md §1–5). Every parameter is read and
 * checked before storage is touched; limits and quotas are checked with the domain row
 * locked, so concurrent requests can neither pass a limit nor over-allocate the quota.
 */

const DEFAULT_MAILBOX_FORMAT = 'maildir';
const DEFAULT_MAILBOX_FOLDER = 'Maildir';

interface ListChange {
  reset?: string[];
  add?: string[];
  remove?: string[];
}

/** Everything a POST or PUT may change, read and validated from the parameters. */
interface ProfileInput {
  name?: string;
  language?: string;
  employeeid?: string;
  transport?: string;
  /** PUT only: `accountStatus` on POST is ignored (a new user is always active, as the original). */
  active?: number;
  password?: string;
  passwordHash?: string;
  quota?: number;
  globalAdmin?: boolean;
  forwarding?: ListChange;
  aliases?: ListChange;
  services?: ListChange;
  senderBcc?: string | null;
  recipientBcc?: string | null;
  mailboxformat?: string;
  mailboxfolder?: string;
  location?: MaildirLocation;
}

/** The current name of a parameter, else its name before iRedAdmin-Pro-SQL 2.5.0 (the official samples still send those). */
function value(ctx: Context, name: string, ...legacy: string[]): string | undefined {
  for (const key of [name, ...legacy]) {
    const found = param(ctx.req, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Addresses that may become accounts: no `+`, `=` or `/` in the local part. */
function readAccountEmails(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = parseList(text);
  if (list.some((address) => !isAccountEmail(address))) throw new ApiError('INVALID_MAIL');
  return list;
}

function readChange(ctx: Context, names: [string, string, string], read: (text: string | undefined) => string[] | undefined): ListChange | undefined {
  const [reset, add, remove] = names;
  assertNotBoth(ctx.req.params, reset, add, remove);
  const change: ListChange = { reset: read(param(ctx.req, reset)), add: read(param(ctx.req, add)), remove: read(param(ctx.req, remove)) };
  return change.reset || change.add || change.remove ? change : undefined;
}

/** Service names: unknown ones are kept here and ignored later (the API document says so for SQL). */
function readServiceNames(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : parseList(text);
}

function readProfile(ctx: Context, creating: boolean): ProfileInput {
  const input: ProfileInput = {
    name: readText(value(ctx, 'name', 'cn')),
    language: readLanguage(value(ctx, 'language', 'preferredLanguage')),
    employeeid: readText(param(ctx.req, 'employeeid')),
    transport: readTransport(param(ctx.req, 'transport')),
    active: creating ? undefined : readAccountStatus(param(ctx.req, 'accountStatus')),
    quota: readMegabytes(value(ctx, 'quota', 'mailQuota'), undefined),
    globalAdmin: readYesNo(param(ctx.req, 'isGlobalAdmin')),
    forwarding: readChange(ctx, ['forwarding', 'addForwarding', 'removeForwarding'], (text) => readEmailList(text)),
    aliases: readChange(ctx, ['aliases', 'addAlias', 'removeAlias'], readAccountEmails),
    services: readChange(ctx, ['services', 'addService', 'removeService'], readServiceNames),
    senderBcc: readOptionalEmail(param(ctx.req, 'senderBcc')),
    recipientBcc: readOptionalEmail(param(ctx.req, 'recipientBcc')),
    mailboxformat: readMailboxFormat(param(ctx.req, 'mailboxFormat')),
    mailboxfolder: readMailboxFolder(param(ctx.req, 'mailboxFolder')),
  };
  const maildir = param(ctx.req, 'maildir');
  if (maildir !== undefined) input.location = parseMaildirParam(maildir, ctx.config.storageBaseDirectory);
  const password = param(ctx.req, 'password');
  const hash = param(ctx.req, 'password_hash');
  if (password !== undefined && hash !== undefined) throw new ApiError('CONFLICTING_PARAMETERS');
  if (hash !== undefined) {
    const trimmed = hash.trim();
    if (!isAcceptedPasswordHash(trimmed)) throw new ApiError('INVALID_PASSWORD_SCHEME');
    input.passwordHash = toDovecotHash(trimmed);
  }
  if (password !== undefined) input.password = password;
  // `store_password_in_plain_text` is accepted and ignored: clear text is stored only when
  // DEFAULT_PASSWORD_SCHEME is PLAIN, never at a client's request.
  return input;
}

/** The domain's min/max length replace the global ones when set; every failure is reported, comma-joined. */
function assertPasswordPolicy(domain: Pick<Domain, 'settings'> | undefined, password: string): void {
  const settings = domain?.settings ?? {};
  const policy = effectivePolicy(DEFAULT_PASSWORD_POLICY, settings.min_passwd_length as number | undefined, settings.max_passwd_length as number | undefined);
  const failures = checkPasswordPolicy(stripPassword(password), policy);
  if (failures.length > 0) throw new ApiError(failures.join(','));
}

/** The hash to store, or undefined when the request sets no password; hashed before any lock is taken. */
async function passwordToStore(ctx: Context, domain: Pick<Domain, 'settings'> | undefined, input: ProfileInput, required: boolean): Promise<string | undefined> {
  if (input.passwordHash !== undefined) return input.passwordHash;
  if (input.password === undefined) {
    if (required) throw new ApiError('PW_EMPTY');
    return undefined;
  }
  assertPasswordPolicy(domain, input.password);
  return hashPassword(input.password, parsePasswordScheme(ctx.config.defaultPasswordScheme));
}

function toggled(current: string[], change: ListChange): string[] {
  if (change.reset) return [...change.reset];
  const set = new Set(current);
  for (const item of change.add ?? []) set.add(item);
  for (const item of change.remove ?? []) set.delete(item);
  return [...set];
}

type Event = { event: string; msg: string };

/**
 * Room for one more user: the account limit (-1 none allowed, 0 unlimited) and the quota the
 * new user gets (§1.10). Run once without locks, so a full domain is refused before the
 * password is judged (the original's order), then again under the domain lock, which decides.
 */
async function assertRoomForUser(users: UserStore, domain: Domain, requested: number | undefined): Promise<number> {
  await assertAccountLimit(domain.mailboxes, () => users.count(domain.domain));
  return assignQuota(domain, requested, domain.maxquota > 0 ? await users.allocatedQuota(domain.domain) : 0);
}

/** The quota the domain's other users hold; only a limited domain needs the sum. */
function allocated(tx: AccountStore, domain: Pick<Domain, 'domain' | 'maxquota'>, except?: string): Promise<number> {
  return domain.maxquota > 0 ? tx.users.allocatedQuota(domain.domain, except) : Promise.resolve(0);
}

/**
 * Applies a profile inside the transaction that holds the domain lock (`domain` is the row
 * read under it). Returns the admin-log events beyond the plain create/update.
 */
async function applyProfile(tx: AccountStore, user: MailboxState, domain: Pick<Domain, 'domain' | 'maxquota' | 'settings'>, input: ProfileInput, passwordHash: string | undefined): Promise<Event[]> {
  const events: Event[] = [];
  const changes: MailboxChanges = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.language !== undefined) changes.language = input.language;
  if (input.employeeid !== undefined) changes.employeeid = input.employeeid;
  if (input.transport !== undefined) changes.transport = input.transport;
  if (input.active !== undefined) changes.active = input.active;
  if (passwordHash !== undefined) changes.passwordHash = passwordHash;
  if (input.mailboxformat !== undefined) changes.mailboxformat = input.mailboxformat;
  if (input.mailboxfolder !== undefined) changes.mailboxfolder = input.mailboxfolder;
  if (input.location) Object.assign(changes, input.location);
  if (input.services) changes.services = serviceColumns(input.services);
  // The user's current quota counts as spare: it is given back before the new one is taken.
  if (input.quota !== undefined) changes.quota = assignQuota(domain, input.quota, await allocated(tx, domain, user.username));

  const active = input.active ?? (user.active ? 1 : 0);
  let extras: UserExtras | undefined;
  const current = async () => (extras ??= await tx.users.extras(user.username));

  // Judged before anything is written: LDAP undoes a failed step, but cannot undo modifyTimestamp.
  let aliases: string[] | undefined;
  if (input.aliases) {
    const owned = (await current()).aliases;
    aliases = toggled(owned, input.aliases);
    const aliasDomains = await tx.users.aliasDomainsOf(user.domain);
    for (const alias of aliases) {
      if (owned.includes(alias)) continue;
      const aliasDomain = domainOf(alias);
      if (aliasDomain !== user.domain && !aliasDomains.includes(aliasDomain)) throw new ApiError('ADDRESS_OUTSIDE_DOMAIN');
      if (alias === user.username || (await tx.users.addressInUse(alias))) throw new ApiError('ALREADY_EXISTS');
    }
  }

  await tx.users.update(user.username, changes);

  if (input.forwarding) {
    let targets = toggled((await current()).forwarding_targets, input.forwarding);
    // No target left means plain delivery: the self row alone (never no row at all, or a
    // catch-all would take the user's mail). The user's own address in the list keeps a copy.
    if (targets.length === 0) targets = [user.username];
    await tx.users.setForwardings(user.username, user.domain, targets.sort(), active);
  }

  if (aliases) await tx.users.setAliases(user.username, user.domain, aliases.sort(), active);

  if (input.senderBcc !== undefined) await tx.users.setBcc(user.username, user.domain, 'sender', input.senderBcc ?? undefined);
  if (input.recipientBcc !== undefined) await tx.users.setBcc(user.username, user.domain, 'recipient', input.recipientBcc ?? undefined);

  if (input.globalAdmin !== undefined && input.globalAdmin !== user.isGlobalAdmin) {
    await tx.users.setGlobalAdmin(user.username, input.globalAdmin);
    events.push(input.globalAdmin
      ? { event: 'grant', msg: `User ${user.username} is marked as global admin.` }
      : { event: 'revoke', msg: `User ${user.username} is not a global admin anymore.` });
  }
  return events;
}

/** What the rules check about the change a request asks for (access.ts decides). */
function changeOf(input: ProfileInput, target: { isGlobalAdmin: boolean }) {
  return {
    globalRights: input.globalAdmin !== undefined,
    revokesGlobal: input.globalAdmin === false && target.isGlobalAdmin,
    disables: input.active === 0,
  };
}

/** Services the domain turns off for its new users (`disabled_mail_services`), as enable<x>=0. */
function disabledServices(domain: Domain) {
  const names = domain.settings.disabled_mail_services;
  return Array.isArray(names) && names.length > 0 ? serviceColumns({ remove: names }) : {};
}

async function writeLog(ctx: Context, mail: string, events: Event[]): Promise<void> {
  for (const entry of events) await logAction(ctx, { ...entry, domain: domainOf(mail), username: mail });
}

// ---------------------------------------------------------------------------------------
// POST /api/user/<mail>

export async function createUser(ctx: Context, mail: string): Promise<void> {
  const caller = requireCaller(ctx.caller);
  if (!isAccountEmail(mail)) throw new ApiError('INVALID_MAIL');
  const domainName = domainOf(mail);
  const input = readProfile(ctx, true);
  assertMayChangeUser(caller, { username: mail, isGlobalAdmin: false }, changeOf(input, { isGlobalAdmin: false }));

  const known = await ctx.store.accounts.domains.get(domainName);
  if (!known) throw new ApiError('INVALID_DOMAIN_NAME');
  if (await ctx.store.accounts.users.addressInUse(mail)) throw new ApiError('ALREADY_EXISTS');
  await assertRoomForUser(ctx.store.accounts.users, known, input.quota);
  const passwordHash = await passwordToStore(ctx, known, input, true);

  const events = await ctx.store.accounts.transaction(async (tx) => {
    // First statement of the transaction: on MySQL the snapshot of later reads starts after the lock.
    const domain = await tx.domains.lock(domainName);
    if (!domain) throw new ApiError('INVALID_DOMAIN_NAME');
    if (await tx.users.addressInUse(mail)) throw new ApiError('ALREADY_EXISTS');
    const quota = await assertRoomForUser(tx.users, domain, input.quota);
    const language = input.language ?? (typeof domain.settings.default_language === 'string' ? domain.settings.default_language : '');
    try {
      await tx.users.create({
        username: mail,
        domain: domainName,
        passwordHash: passwordHash!,
        name: input.name ?? '',
        language,
        quota,
        ...(input.location ?? newMaildir(mail, ctx.config.storageBaseDirectory)),
        mailboxformat: input.mailboxformat ?? DEFAULT_MAILBOX_FORMAT,
        mailboxfolder: input.mailboxfolder ?? DEFAULT_MAILBOX_FOLDER,
        services: disabledServices(domain),
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('ALREADY_EXISTS');
      throw error;
    }
    const user: MailboxState = { username: mail, domain: domainName, quota, active: true, isAdmin: false, isGlobalAdmin: false };
    // What POST shares with PUT (aliases, forwarding, services, BCC, employeeid, ...); the
    // columns written by create above are not written again.
    const rest: ProfileInput = { ...input, name: undefined, language: undefined, quota: undefined, mailboxformat: undefined, mailboxfolder: undefined, location: undefined };
    const extra = await applyProfile(tx, user, domain, rest, undefined);
    const groups = domain.settings.default_groups;
    if (Array.isArray(groups)) await tx.users.joinAliases(mail, groups);
    return extra;
  });
  await writeLog(ctx, mail, [{ event: 'create', msg: `Create user: ${mail}.` }, ...events]);
}

// ---------------------------------------------------------------------------------------
// GET /api/user/<mail>

export async function getUserProfile(ctx: Context, mail: string): Promise<Record<string, unknown>> {
  const users = ctx.store.accounts.users;
  // The route's access rule has already passed: read the row and its extras together (the
  // extras of a missing user are discarded).
  const [user, extras] = await Promise.all([users.get(mail), users.extras(mail)]);
  if (!user) throw new ApiError('NO_SUCH_ACCOUNT');
  const targets = extras.forwarding_targets;
  const profile: Record<string, unknown> = {
    ...user,
    sender_bcc_address: extras.sender_bcc_address,
    sbcc_active: extras.sbcc_active,
    recipient_bcc_address: extras.recipient_bcc_address,
    rbcc_active: extras.rbcc_active,
    aliases: extras.aliases,
    mailing_aliases: extras.mailing_aliases,
    // mlmmj subscriptions live in mlmmj's own files, which SQL backends without mlmmjadmin do not have.
    mailing_lists: [],
    // `[]` when the user only delivers to itself; with other targets the own address (a
    // kept copy) is listed, so the list can be sent back as `forwarding` unchanged.
    forwardings: targets.length === 1 && targets[0] === mail ? [] : targets,
    stored_bytes: extras.stored_bytes,
    stored_messages: extras.stored_messages,
    // The original printed a Python dict here (quirk #11): an HTTP date in GMT, or "".
    last_login: extras.last_login_epoch === undefined ? '' : new Date(extras.last_login_epoch * 1000).toUTCString(),
  };
  if (user.isadmin === 1 || user.isglobaladmin === 1) profile.managed_domains = extras.managed_domains;
  return profile;
}

// ---------------------------------------------------------------------------------------
// PUT /api/user/<mail>

export async function updateUser(ctx: Context, mail: string): Promise<void> {
  const caller = requireCaller(ctx.caller);
  const input = readProfile(ctx, false);
  const found = await ctx.store.accounts.users.find(mail);
  if (!found) return; // the original answers success for a missing user; nothing is written
  assertMayChangeUser(caller, found, changeOf(input, found));
  const passwordHash = await passwordToStore(ctx, await ctx.store.accounts.domains.get(found.domain), input, false);

  const events = await ctx.store.accounts.transaction(async (tx) => {
    const domain = await tx.domains.lock(found.domain);
    const user = await tx.users.find(mail, { lock: true });
    if (!user) return undefined;
    assertMayChangeUser(caller, user, changeOf(input, user)); // its rights may have changed meanwhile
    return applyProfile(tx, user, domain ?? { domain: user.domain, maxquota: 0, settings: {} }, input, passwordHash);
  });
  if (events) await writeLog(ctx, mail, [{ event: 'update', msg: `Update user profile: ${mail}.` }, ...events]);
}

// ---------------------------------------------------------------------------------------
// DELETE /api/user/<mail>[/keep_mailbox_days/<n>]

export async function deleteUser(ctx: Context, mail: string): Promise<void> {
  const caller = requireCaller(ctx.caller);
  const days = clampKeepDays(caller, Number(ctx.req.route.days ?? '0'));
  // Before the lookup: a delete of what is not there is still a write request that finishes others' work.
  await resumeBeforeWrite(ctx);
  const found = await ctx.store.accounts.users.find(mail);
  if (!found) return; // deleting what is not there succeeds, as the original (sync tools rely on it)
  assertMayChangeUser(caller, found, { deletes: true });
  // Amavisd and iRedAPD live in other databases: cleaned once the account is gone.
  const deleted = await withPolicyFollowUp(
    ctx.store,
    { kind: 'forget', accounts: { users: [mail] } },
    () => ctx.store.accounts.transaction(async (tx) => {
      const user = await tx.users.find(mail, { lock: true });
      if (!user) return false;
      assertMayChangeUser(caller, user, { deletes: true });
      return tx.users.delete(mail, { deleteDate: deleteDateAfter(days), admin: caller.username });
    }),
    (done) => done,
  );
  if (deleted === false) return;
  await writeLog(ctx, mail, [{ event: 'delete', msg: `Delete user: ${mail}.` }]);
}

// ---------------------------------------------------------------------------------------
// POST /api/user/<mail>/change_email/<new_mail>

export async function changeUserEmail(ctx: Context, mail: string, newMail: string): Promise<void> {
  const caller: Caller = assertMayChangeAddress(ctx.caller, mail, newMail);
  if (!isAccountEmail(mail)) throw new ApiError('INVALID_OLD_EMAIL');
  if (!isAccountEmail(newMail)) throw new ApiError('INVALID_NEW_EMAIL');
  const found = await ctx.store.accounts.users.find(mail);
  if (!found) throw new ApiError('OLD_EMAIL_NOT_EXIST');
  assertMayChangeUser(caller, found);
  await resumeBeforeWrite(ctx);
  // Spam policy, wblist, throttle and greylisting follow the address (the original left them behind).
  await withPolicyFollowUp(ctx.store, { kind: 'rename', from: mail, to: newMail }, () => ctx.store.accounts.transaction(async (tx) => {
    // Under the domain lock, so a concurrent create of the new address waits for us.
    await tx.domains.lock(found.domain);
    const user = await tx.users.find(mail, { lock: true });
    if (!user) throw new ApiError('OLD_EMAIL_NOT_EXIST');
    assertMayChangeUser(caller, user);
    if (await tx.users.addressInUse(newMail)) throw new ApiError('NEW_EMAIL_ALREADY_EXISTS');
    await tx.users.rename(mail, newMail);
  }));
  await writeLog(ctx, newMail, [{ event: 'update', msg: `Change email address of user: ${mail} -> ${newMail}.` }]);
}

// ---------------------------------------------------------------------------------------
// GET and PUT /api/users/<domain>

export async function listUsers(ctx: Context, domain: string): Promise<{ total: number; items: (MailUserListItem | string)[] }> {
  const page = readInt(param(ctx.req, 'page'), 'INVALID_PARAMETER', { min: 1, max: 1_000_000 });
  const limit = readInt(param(ctx.req, 'limit'), 'INVALID_PARAMETER', { min: 1, max: 10_000 });
  const query = readText(param(ctx.req, 'q'));
  if (!(await ctx.store.accounts.domains.get(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
  return ctx.store.accounts.users.list(domain, {
    emailOnly: flag(ctx.req, 'email_only'),
    disabledOnly: flag(ctx.req, 'disabled_only'),
    query: query || undefined,
    page: page !== undefined || limit !== undefined ? { page: page ?? 1, limit: limit ?? 100 } : undefined,
  });
}

/**
 * PUT /api/users/<domain>: SET operations on every mailbox of the domain, a constant number
 * of statements whatever its size. A new password is checked once and hashed ONCE, with one
 * fresh salt: every user of the domain then stores the same hash string, as with the
 * original (which also hashes once). A normal admin's change leaves global admins alone.
 */
export async function updateDomainUsers(ctx: Context, domain: string): Promise<void> {
  const caller = requireCaller(ctx.caller);
  const changes: BulkMailboxChanges = {
    name: readText(value(ctx, 'name', 'cn')),
    language: readLanguage(value(ctx, 'language', 'preferredLanguage')),
    transport: readTransport(param(ctx.req, 'transport')),
    active: readAccountStatus(param(ctx.req, 'accountStatus')),
  };
  const password = param(ctx.req, 'password');
  if (password !== undefined && stripPassword(password) === '') throw new ApiError('EMPTY_PASSWORD');
  const row = await ctx.store.accounts.domains.get(domain);
  if (!row) return; // as PUT of a missing domain or user: success, nothing written
  const scope = assertMayChangeDomainUsers(caller, domain, { disables: changes.active === 0 });
  if (password !== undefined) {
    assertPasswordPolicy(row, password);
    changes.passwordHash = await hashPassword(password, parsePasswordScheme(ctx.config.defaultPasswordScheme));
  }
  const updated = await ctx.store.accounts.transaction((tx) => tx.users.updateAll(domain, changes, scope));
  if (updated > 0) await logAction(ctx, { event: 'update', domain, msg: `Update profiles of all users under domain: ${domain}.` });
}

// ---------------------------------------------------------------------------------------
// POST /api/verify_password/{user,admin}/<mail>

/** True or false for the password; EMPTY_PASSSWORD (sic) and NO_SUCH_ACCOUNT as the original. */
export async function checkAccountPassword(ctx: Context, kind: 'user' | 'admin', mail: string): Promise<boolean> {
  const password = param(ctx.req, 'password') ?? '';
  if (stripPassword(password) === '') throw new ApiError('EMPTY_PASSSWORD');
  let stored: string | undefined;
  if (kind === 'user') stored = await ctx.store.accounts.users.passwordHash(mail);
  else {
    const identity = await ctx.store.accounts.identities.findAdmin(mail);
    stored = identity?.kind === 'admin' ? identity.passwordHash : undefined;
  }
  if (stored === undefined) throw new ApiError('NO_SUCH_ACCOUNT');
  // Hashes written by this API are of the stripped password; hashes from elsewhere may not be.
  if (await verifyPassword(password, stored)) return true;
  const stripped = stripPassword(password);
  return stripped !== password && verifyPassword(stripped, stored);
}

export type { MailUser };
