import type { Context } from '#lib/http/context';
import type { Domain, DomainChanges } from '#lib/model/types';
import type { Settings } from '#lib/model/settings-codec';
import { ApiError } from '#lib/http/errors';
import { param, flag } from '#lib/http/request';
import { assertDomainAccess, assertMayGrantDomainAdmin, canManageDomain, clampKeepDays, domainMinPasswordLength, mayChangeDomainLimits, requireCaller, visibleDomains } from '#lib/auth/access';
import { domainOf, isDomain, parseList } from '#lib/model/addresses';
import { deleteDateAfter } from '#lib/model/clock';
import { assertNotBoth, readAccountStatus, readEmailList, readInt, readLanguage, readMegabytes, readNames, readOptionalEmail, readRelayhost, readText, readTimezone, readTransport, readYesNo } from '#lib/model/params';
import { isDuplicateKey } from '#lib/storage/sql/sql-helpers';
import { logAction } from '#lib/services/admin-log';
import { resumeBeforeWrite, withPolicyFollowUp } from '#lib/services/policy-followups';

/** The vocabularies of pro-api-behaviour §1.6.1 and the API document. */
const DOMAIN_SERVICES = /^[a-z0-9_-]{1,40}$/;
const DOMAIN_PROFILES = new Set(['bcc', 'relay', 'catchall', 'aliases', 'throttle', 'greylisting', 'wblist', 'spampolicy', 'backupmx', 'advanced', 'password_policies', 'general']);
const USER_PROFILES = new Set(['bcc', 'forwarding', 'relay', 'aliases', 'throttle', 'greylisting', 'wblist', 'spampolicy']);
const USER_PREFERENCES = new Set(['personal_info', 'forwarding', 'wblist', 'quarantine', 'rcvd_mails', 'spampolicy']);


/** Legacy names (before iRedAdmin-Pro-SQL 2.5.0) still used by the official samples: accepted as aliases. */
function value(ctx: Context, name: string, ...legacy: string[]): string | undefined {
  const current = param(ctx.req, name);
  if (current !== undefined) return current;
  for (const old of legacy) {
    const found = param(ctx.req, old);
    if (found !== undefined) return found;
  }
  return undefined;
}

function readDomainList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = parseList(value);
  if (list.some((item) => !isDomain(item))) throw new ApiError('INVALID_DOMAIN_NAME');
  return list;
}

/** Settings keys shared by POST and PUT. */
function settingsFromParams(ctx: Context, settings: Settings): Settings {
  const next = { ...settings };
  const language = readLanguage(value(ctx, 'language', 'preferredLanguage'));
  if (language !== undefined) next.default_language = language;
  const timezone = readTimezone(param(ctx.req, 'timezone'));
  if (timezone !== undefined) next.timezone = timezone;
  const defaultQuota = readMegabytes(param(ctx.req, 'defaultQuota'), param(ctx.req, 'defaultQuotaUnit'));
  if (defaultQuota !== undefined) next.default_user_quota = defaultQuota;
  const maxUserQuota = readMegabytes(param(ctx.req, 'maxUserQuota'), param(ctx.req, 'maxUserQuotaUnit'));
  if (maxUserQuota !== undefined) next.max_user_quota = maxUserQuota;
  return next;
}

function readLimit(ctx: Context, name: string): number | undefined {
  // 0 means unlimited, -1 means none allowed.
  return readInt(param(ctx.req, name), 'INVALID_PARAMETER', { min: -1, max: 2_147_483_647 });
}

export async function createDomain(ctx: Context, domain: string): Promise<void> {
  const description = readText(value(ctx, 'name', 'cn')) ?? '';
  const transport = readTransport(param(ctx.req, 'transport')) || ctx.config.defaultTransport;
  const maxquota = readMegabytes(value(ctx, 'quota', 'mailQuota'), param(ctx.req, 'quotaUnit')) ?? 0;
  const settings = settingsFromParams(ctx, {});
  const senderBcc = readOptionalEmail(param(ctx.req, 'senderBcc'));
  const recipientBcc = readOptionalEmail(param(ctx.req, 'recipientBcc'));
  const limits = {
    mailboxes: readLimit(ctx, 'numberOfUsers') ?? 0,
    aliases: readLimit(ctx, 'numberOfAliases') ?? 0,
    maillists: readLimit(ctx, 'numberOfLists') ?? 0,
  };
  await ctx.store.accounts.transaction(async (tx) => {
    if (await tx.domains.isLocal(domain)) throw new ApiError('ALREADY_EXISTS');
    try {
      await tx.domains.create({ domain, description, transport, maxquota, ...limits, settings });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('ALREADY_EXISTS');
      throw error;
    }
    if (senderBcc) await tx.domains.setBcc(domain, 'sender', senderBcc);
    if (recipientBcc) await tx.domains.setBcc(domain, 'recipient', recipientBcc);
  });
  await logAction(ctx, { event: 'create', domain, msg: `New domain: ${domain}.` });
}

export async function getDomainProfile(ctx: Context, domain: string): Promise<Domain & Record<string, unknown>> {
  // Access was checked by the route's rule: read the row and its extras together (the extras
  // of a missing domain are discarded).
  const [row, extras] = await Promise.all([ctx.store.accounts.domains.get(domain), ctx.store.accounts.domains.extras(domain)]);
  if (!row) throw new ApiError('INVALID_DOMAIN_NAME');
  return { ...row, ...extras };
}

export async function listDomains(ctx: Context) {
  const caller = requireCaller(ctx.caller);
  const page = readInt(param(ctx.req, 'page'), 'INVALID_PARAMETER', { min: 1, max: 1_000_000 });
  const limit = readInt(param(ctx.req, 'limit'), 'INVALID_PARAMETER', { min: 1, max: 10_000 });
  const result = await ctx.store.accounts.domains.list({
    only: visibleDomains(caller),
    disabledOnly: flag(ctx.req, 'disabled_only'),
    page: page !== undefined || limit !== undefined ? { page: page ?? 1, limit: limit ?? 100 } : undefined,
  });
  return result;
}

/** `relay:` transport for a backup MX: bare IPs are bracketed so Postfix does not look up MX records for them. */
function backupMxTransport(primary: string | undefined, domain: string): string {
  if (!primary) return `relay:${domain}`;
  if (/^[0-9.]+$/.test(primary)) return `relay:[${primary}]`;
  return `relay:${primary}`;
}

function toggleList(current: string[] | undefined, add: string[] | undefined, remove: string[] | undefined): string[] {
  const set = new Set(current ?? []);
  for (const item of add ?? []) set.add(item);
  for (const item of remove ?? []) set.delete(item);
  return [...set].sort();
}

/**
 * PUT /api/domain/<d>: changes only what it names. (The original always rewrote catch-all
 * and relay, wiping them on any PUT that did not repeat them; that is not kept.) Limits,
 * quota, services and profiles are global-admin settings, silently ignored for others.
 */
export async function updateDomain(ctx: Context, domain: string): Promise<void> {
  const caller = assertDomainAccess(ctx.caller, domain);
  const p = ctx.req.params;
  const description = readText(value(ctx, 'name', 'cn'));
  const active = readAccountStatus(param(ctx.req, 'accountStatus'));
  const transport = readTransport(param(ctx.req, 'transport'));
  const backup = readYesNo(param(ctx.req, 'is_backupmx'));
  const primaryMx = readRelayhost(param(ctx.req, 'primarymx')) ?? undefined;
  if (transport !== undefined && (backup !== undefined || primaryMx !== undefined)) throw new ApiError('CONFLICTING_PARAMETERS');
  const minLength = readInt(param(ctx.req, 'minPasswordLength'), 'INVALID_PARAMETER', { min: 0, max: 256 });
  const maxLength = readInt(param(ctx.req, 'maxPasswordLength'), 'INVALID_PARAMETER', { min: 0, max: 256 });
  const senderBcc = readOptionalEmail(param(ctx.req, 'senderBcc'));
  const recipientBcc = readOptionalEmail(param(ctx.req, 'recipientBcc'));
  const catchall = readEmailList(param(ctx.req, 'catchall'));
  const relay = readRelayhost(param(ctx.req, 'outboundRelay'));
  assertNotBoth(p, 'aliasDomains', 'addAliasDomain', 'removeAliasDomain');
  const aliasReset = readDomainList(param(ctx.req, 'aliasDomains'));
  const aliasAdd = readDomainList(param(ctx.req, 'addAliasDomain'));
  const aliasRemove = readDomainList(param(ctx.req, 'removeAliasDomain'));

  const limitsAllowed = mayChangeDomainLimits(caller);
  assertNotBoth(p, 'services', 'addService', 'removeService', 'enableService', 'disableService');
  const services = readNames(param(ctx.req, 'services'), DOMAIN_SERVICES);
  const addServices = readNames(param(ctx.req, 'addService') ?? param(ctx.req, 'enableService'), DOMAIN_SERVICES);
  const removeServices = readNames(param(ctx.req, 'removeService') ?? param(ctx.req, 'disableService'), DOMAIN_SERVICES);
  const profiles = {
    domainOff: readNames(param(ctx.req, 'disableDomainProfile'), DOMAIN_PROFILES),
    domainOn: readNames(param(ctx.req, 'enableDomainProfile'), DOMAIN_PROFILES),
    userOff: readNames(param(ctx.req, 'disableUserProfile'), USER_PROFILES),
    userOn: readNames(param(ctx.req, 'enableUserProfile'), USER_PROFILES),
    prefOff: readNames(param(ctx.req, 'disableUserPreference'), USER_PREFERENCES),
    prefOn: readNames(param(ctx.req, 'enableUserPreference'), USER_PREFERENCES),
  };
  const maxquota = readMegabytes(value(ctx, 'quota', 'mailQuota'), param(ctx.req, 'quotaUnit'));
  const limits = { mailboxes: readLimit(ctx, 'numberOfUsers'), aliases: readLimit(ctx, 'numberOfAliases'), maillists: readLimit(ctx, 'numberOfLists') };

  await ctx.store.accounts.transaction(async (tx) => {
    const current = await tx.domains.lock(domain);
    if (!current) return; // the original answers success for a missing domain; nothing is written
    const changes: DomainChanges = {};
    if (description !== undefined) changes.description = description;
    if (active !== undefined) changes.active = active;
    if (transport !== undefined) changes.transport = transport || ctx.config.defaultTransport;
    if (backup === true || (backup === undefined && primaryMx !== undefined)) {
      changes.backupmx = 1;
      changes.transport = backupMxTransport(primaryMx, domain);
    } else if (backup === false) {
      changes.backupmx = 0;
      if (current.transport.startsWith('relay:')) changes.transport = ctx.config.defaultTransport;
    }

    let settings = settingsFromParams(ctx, current.settings);
    if (minLength !== undefined) settings.min_passwd_length = domainMinPasswordLength(caller, minLength);
    if (maxLength !== undefined) settings.max_passwd_length = maxLength;
    if (limitsAllowed) {
      if (maxquota !== undefined) changes.maxquota = maxquota;
      if (limits.mailboxes !== undefined) changes.mailboxes = limits.mailboxes;
      if (limits.aliases !== undefined) changes.aliases = limits.aliases;
      if (limits.maillists !== undefined) changes.maillists = limits.maillists;
      const currentServices = current.settings.enabled_services as string[] | undefined;
      if (services !== undefined) settings.enabled_services = [...services].sort();
      else if (addServices || removeServices) settings.enabled_services = toggleList(currentServices, addServices, removeServices);
      if ('removeAllServices' in p) settings.enabled_services = [];
      settings = {
        ...settings,
        disabled_domain_profiles: toggleList(settings.disabled_domain_profiles as string[] | undefined, profiles.domainOff, profiles.domainOn),
        disabled_user_profiles: toggleList(settings.disabled_user_profiles as string[] | undefined, profiles.userOff, profiles.userOn),
        disabled_user_preferences: toggleList(settings.disabled_user_preferences as string[] | undefined, profiles.prefOff, profiles.prefOn),
      };
    }
    changes.settings = settings;

    // Every check that can refuse runs before the first write: a refused PUT touches nothing
    // (LDAP has no rollback, only compensation).
    if (catchall !== undefined) {
      // A local target must exist, or the catch-all would bounce what it was meant to catch.
      for (const target of catchall) {
        if (domainOf(target) === domain && !(await tx.identities.isMailUser(target))) throw new ApiError('NO_SUCH_ACCOUNT');
      }
    }
    let aliasDomains: string[] | undefined;
    if (aliasReset !== undefined || aliasAdd !== undefined || aliasRemove !== undefined) {
      const existing = (await tx.domains.extras(domain)).alias_domains;
      aliasDomains = aliasReset ?? toggleList(existing, aliasAdd, aliasRemove);
      for (const alias of aliasDomains) {
        if (alias === domain) throw new ApiError('INVALID_DOMAIN_NAME');
        if (!existing.includes(alias) && (await tx.domains.isLocal(alias))) throw new ApiError('ALREADY_EXISTS');
      }
    }

    await tx.domains.update(domain, changes);
    if (senderBcc !== undefined) await tx.domains.setBcc(domain, 'sender', senderBcc ?? undefined);
    if (recipientBcc !== undefined) await tx.domains.setBcc(domain, 'recipient', recipientBcc ?? undefined);
    if (relay !== undefined) await tx.domains.setRelayhost('@' + domain, relay ?? undefined);
    if (catchall !== undefined) await tx.domains.setCatchall(domain, catchall);
    if (aliasDomains !== undefined) await tx.domains.setAliasDomains(domain, aliasDomains);
  });
  await logAction(ctx, { event: 'update', domain, msg: `Update domain profile: ${domain}.` });
}

export async function deleteDomain(ctx: Context, domain: string): Promise<void> {
  const caller = assertDomainAccess(ctx.caller, domain);
  const days = clampKeepDays(caller, Number(ctx.req.route.days ?? '0'));
  await resumeBeforeWrite(ctx);
  // Amavisd and iRedAPD live in other databases: cleaned after the accounts are gone.
  const existed = await withPolicyFollowUp(
    ctx.store,
    { kind: 'forget', accounts: { domain } },
    () => ctx.store.accounts.transaction((tx) => tx.domains.delete(domain, { deleteDate: deleteDateAfter(days), admin: caller.username })),
    (done) => done,
  );
  if (existed === false) return; // deleting what is not there succeeds, as the original (sync tools rely on it)
  await logAction(ctx, { event: 'delete', domain, msg: `Delete domain: ${domain}.` });
}

export async function getDomainAdmins(ctx: Context, domain: string): Promise<string[]> {
  if (!(await ctx.store.accounts.domains.get(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
  return ctx.store.accounts.domains.admins(domain);
}

/** PUT /api/domain/admins/<d>: normal admins may only promote mail users of domains they manage. */
export async function updateDomainAdmins(ctx: Context, domain: string): Promise<void> {
  const caller = assertDomainAccess(ctx.caller, domain);
  const add = readEmailList(param(ctx.req, 'addAdmin')) ?? [];
  const remove = readEmailList(param(ctx.req, 'removeAdmin')) ?? [];
  const removeAll = flag(ctx.req, 'removeAllAdmins');
  await ctx.store.accounts.transaction(async (tx) => {
    if (!(await tx.domains.lock(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
    for (const candidate of add) {
      const isUser = await tx.identities.isMailUser(candidate);
      const isAdmin = !isUser && (await tx.identities.isStandaloneAdmin(candidate));
      if (!isUser && !isAdmin) throw new ApiError('NO_SUCH_ACCOUNT');
      assertMayGrantDomainAdmin(caller, { address: candidate, isMailUser: isUser }, domain);
    }
    await tx.domains.setAdmins(domain, { add, remove, removeAll });
  });
  if (add.length > 0) await logAction(ctx, { event: 'grant', domain, msg: `Grant domain admin privilege of ${domain}: ${add.join(', ')}.` });
  if (remove.length > 0 || removeAll) await logAction(ctx, { event: 'revoke', domain, msg: `Revoke domain admin privilege of ${domain}: ${removeAll ? 'all' : remove.join(', ')}.` });
}

export { canManageDomain };
