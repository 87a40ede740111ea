import type { Context } from '#lib/http/context';
import type { AdminChanges, AdminProfile, AdminQuotaUnit } from '#lib/model/admins';
import type { Settings } from '#lib/model/settings-codec';
import { ADMIN_QUOTA_UNITS } from '#lib/model/admins';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertMayChangeAdmin, mayGrantGlobalAdmin } from '#lib/auth/access';
import { hashPassword, parsePasswordScheme, stripPassword } from '#lib/auth/passwords';
import { checkPasswordPolicy, DEFAULT_PASSWORD_POLICY } from '#lib/auth/password-policy';
import { domainOf, isAccountEmail, isDomain } from '#lib/model/addresses';
import { readAccountStatus, readInt, readLanguage, readText } from '#lib/model/params';
import { isDuplicateKey } from '#lib/storage/sql/sql-helpers';
import { logAction } from '#lib/services/admin-log';

/**
 * Standalone admins (`/api/admin/<mail>`, global admins only; pro-api-behaviour §1.6.3).
 * Creation limits live in admin.settings with the keys of storage.md §2.1. Fixes of the
 * original: a missing password is PW_EMPTY (#21), and on PUT the max* keys apply whenever
 * present, 0 removing a limit (#20).
 */

/** Legacy names (before iRedAdmin-Pro-SQL 2.5.0) are accepted as aliases. */
function value(ctx: Context, name: string, legacy?: string): string | undefined {
  return param(ctx.req, name) ?? (legacy ? param(ctx.req, legacy) : undefined);
}

const YES = new Set(['yes', 'y', 'true', '1', 'on']);
const NO = new Set(['no', 'n', 'false', '0', 'off']);

/** A strict yes/no: a garbled value must not silently demote a global admin. */
function readSwitch(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (YES.has(text)) return true;
  if (NO.has(text)) return false;
  throw new ApiError('INVALID_PARAMETER');
}

/** admin.language is VARCHAR(5): `en_US`, `de`, or empty. */
function readAdminLanguage(value: string | undefined): string | undefined {
  const language = readLanguage(value);
  if (language !== undefined && language.length > 5) throw new ApiError('INVALID_LANGUAGE');
  return language;
}

function readQuotaUnit(value: string | undefined): AdminQuotaUnit | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toUpperCase();
  if (text === '') return undefined;
  if (!(ADMIN_QUOTA_UNITS as readonly string[]).includes(text)) throw new ApiError('INVALID_QUOTA_SIZE');
  return text as AdminQuotaUnit;
}

const COUNT_LIMITS = [
  ['maxDomains', 'create_max_domains'],
  ['maxUsers', 'create_max_users'],
  ['maxAliases', 'create_max_aliases'],
  ['maxLists', 'create_max_lists'],
] as const;

interface AdminParams {
  name?: string;
  language?: string;
  active?: number;
  global?: boolean;
  counts: Partial<Record<(typeof COUNT_LIMITS)[number][1], number>>;
  maxQuota?: number;
  quotaUnit?: AdminQuotaUnit;
  hideMailLog?: boolean;
  hideQuarantine?: boolean;
  password?: string;
}

/** Every parameter is read and checked before anything is stored. */
function readAdminParams(ctx: Context): AdminParams {
  const counts: AdminParams['counts'] = {};
  for (const [name, key] of COUNT_LIMITS) {
    const limit = readInt(param(ctx.req, name), 'INVALID_PARAMETER', { min: 0, max: 2_147_483_647 });
    if (limit !== undefined) counts[key] = limit;
  }
  return {
    name: readText(value(ctx, 'name', 'cn')),
    language: readAdminLanguage(value(ctx, 'language', 'preferredLanguage')),
    active: readAccountStatus(param(ctx.req, 'accountStatus')),
    global: readSwitch(param(ctx.req, 'isGlobalAdmin')),
    counts,
    maxQuota: readInt(param(ctx.req, 'maxQuota'), 'INVALID_QUOTA_SIZE', { min: 0, max: 2 ** 40 }),
    quotaUnit: readQuotaUnit(param(ctx.req, 'quotaUnit')),
    hideMailLog: readSwitch(param(ctx.req, 'disableViewingMailLog')),
    hideQuarantine: readSwitch(param(ctx.req, 'disableManagingQuarantinedMails')),
    password: param(ctx.req, 'password'),
  };
}

/**
 * The new settings. The limits are dropped from a request that makes the admin global (the
 * API document: "with isGlobalAdmin=yes, these parameters will be discarded"); otherwise
 * each one present applies, 0 removing it. `maxDomains` also grants `create_new_domains`.
 */
function nextSettings(current: Settings, p: AdminParams): Settings {
  const next: Settings = { ...current };
  const set = (key: string, amount: number | undefined) => {
    if (amount === undefined) return;
    if (amount === 0) delete next[key];
    else next[key] = amount;
  };
  if (p.global !== true) {
    if (p.counts.create_max_domains !== undefined) next.create_new_domains = 'yes';
    for (const [, key] of COUNT_LIMITS) set(key, p.counts[key]);
    if (p.maxQuota === 0) {
      delete next.create_max_quota;
      delete next.create_quota_unit;
    } else if (p.maxQuota !== undefined) {
      next.create_max_quota = p.maxQuota;
      next.create_quota_unit = p.quotaUnit ?? (next.create_quota_unit as string | undefined) ?? 'MB';
    } else if (p.quotaUnit !== undefined && next.create_max_quota !== undefined) {
      next.create_quota_unit = p.quotaUnit;
    }
  }
  if (p.hideMailLog === true) next.disable_viewing_mail_log = 'yes';
  if (p.hideMailLog === false) delete next.disable_viewing_mail_log;
  if (p.hideQuarantine === true) next.disable_managing_quarantined_mails = 'yes';
  if (p.hideQuarantine === false) delete next.disable_managing_quarantined_mails;
  return next;
}

/** Hashes a new password after the policy check; the PW_* failures are joined by commas, as the original. */
async function newPasswordHash(ctx: Context, password: string | undefined): Promise<string> {
  const plain = stripPassword(password ?? '');
  const problems = checkPasswordPolicy(plain, DEFAULT_PASSWORD_POLICY);
  if (problems.length > 0) throw new ApiError(problems.join(','));
  return hashPassword(plain, parsePasswordScheme(ctx.config.defaultPasswordScheme));
}

function assertAdminAddress(mail: string): void {
  if (!isAccountEmail(mail)) throw new ApiError('INVALID_MAIL');
  if (!isDomain(domainOf(mail))) throw new ApiError('INVALID_DOMAIN');
}

export async function createAdmin(ctx: Context, mail: string): Promise<void> {
  const caller = assertMayChangeAdmin(ctx.caller, mail);
  assertAdminAddress(mail);
  const p = readAdminParams(ctx);
  if (p.global && !mayGrantGlobalAdmin(caller)) throw new ApiError('PERMISSION_DENIED');
  // Checked before the address, as the original does; hashed outside the transaction (bcrypt is slow).
  const passwordHash = await newPasswordHash(ctx, p.password);
  await ctx.store.accounts.transaction(async (tx) => {
    if (await tx.domains.isLocal(domainOf(mail))) throw new ApiError('CAN_NOT_BE_LOCAL_DOMAIN');
    if ((await tx.identities.isStandaloneAdmin(mail)) || (await tx.identities.isMailUser(mail))) throw new ApiError('ALREADY_EXISTS');
    try {
      await tx.admins.create({
        username: mail,
        passwordHash,
        name: p.name ?? '',
        language: p.language ?? '',
        active: p.active !== 0,
        isGlobalAdmin: p.global === true,
        settings: nextSettings({}, p),
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('ALREADY_EXISTS');
      throw error;
    }
  });
  await logAction(ctx, { event: 'create', username: mail, msg: `Create admin: ${mail}${p.global ? ' (global admin)' : ''}.` });
}

export async function getAdmin(ctx: Context, mail: string): Promise<AdminProfile> {
  assertMayChangeAdmin(ctx.caller, mail);
  // Only standalone admins: a mail user with admin rights is not found here (as the original).
  const profile = await ctx.store.accounts.admins.get(mail);
  if (!profile) throw new ApiError('NO_SUCH_ACCOUNT');
  return profile;
}

/**
 * PUT /api/admin/<mail>: changes what it names. A missing admin (or a mail-user admin) is
 * NO_SUCH_ACCOUNT and nothing is written; the original answered success and, with
 * `isGlobalAdmin=yes`, left an orphan domain_admins row behind.
 */
export async function updateAdmin(ctx: Context, mail: string): Promise<void> {
  const p = readAdminParams(ctx);
  const caller = assertMayChangeAdmin(ctx.caller, mail, { revokesGlobal: p.global === false, disables: p.active === 0 });
  if (p.global && !mayGrantGlobalAdmin(caller)) throw new ApiError('PERMISSION_DENIED');
  const passwordHash = p.password === undefined ? undefined : await newPasswordHash(ctx, p.password);
  const outcome = await ctx.store.accounts.transaction(async (tx) => {
    const current = await tx.admins.lock(mail);
    if (!current) throw new ApiError('NO_SUCH_ACCOUNT');
    const changes: AdminChanges = { settings: nextSettings(current.settings, p) };
    if (p.name !== undefined) changes.name = p.name;
    if (p.language !== undefined) changes.language = p.language;
    if (p.active !== undefined) changes.active = p.active;
    if (passwordHash !== undefined) changes.passwordHash = passwordHash;
    await tx.admins.update(mail, changes);
    if (p.global !== undefined && p.global !== current.isGlobalAdmin) await tx.admins.setGlobalAdmin(mail, p.global);
    return { wasGlobal: current.isGlobalAdmin };
  });
  await logAction(ctx, { event: 'update', username: mail, msg: `Update admin profile: ${mail}.` });
  if (p.global === true && !outcome.wasGlobal) await logAction(ctx, { event: 'grant', username: mail, msg: `Admin ${mail} is marked as global admin.` });
  if (p.global === false && outcome.wasGlobal) await logAction(ctx, { event: 'revoke', username: mail, msg: `Admin ${mail} is not a global admin anymore.` });
}

/**
 * DELETE /api/admin/<mail>: the admin row and all its domain_admins rows. Deleting what is
 * not there succeeds (sync tools rely on it); a mail user of that address is left alone.
 */
export async function deleteAdmin(ctx: Context, mail: string): Promise<void> {
  assertMayChangeAdmin(ctx.caller, mail, { deletes: true });
  const existed = await ctx.store.accounts.transaction((tx) => tx.admins.delete(mail));
  if (existed) await logAction(ctx, { event: 'delete', username: mail, msg: `Delete admin(s): ${mail}.` });
}
