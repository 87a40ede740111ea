import type { Context } from '#lib/http/context';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertPolicyAccess } from '#lib/auth/access';
import { AMAVISD_PRIORITY, domainOfAccount, levelOf, policyAccount, type SpamPolicyChanges, type SpamPolicyRow } from '#lib/model/policy';
import { logAction } from '#lib/services/admin-log';

/**
 * Spam policies (reference/policy.md §1.4–1.5). A PUT changes the columns its parameters name
 * and keeps the rest, and `no` is an explicit off that overrides lower levels — where
 * iRedAdmin-Pro rebuilt the row from defaults on every PUT and could only write NULL
 * ("inherit") for "no quarantine" and "no subject prefix".
 *
 * Encodings: NULL inherits from the next lower level (user → domain → global →
 * amavisd.conf); 'Y'/'N' are explicit flags; for `*_quarantine_to` 'kind-quarantine' means
 * quarantine into SQL and '' means do not quarantine; for subject tags '' means no tag.
 */

/** iRedAdmin-Pro's AMAVISD_SPAM_SUBJECT_PREFIX default, also iRedMail's $sa_spam_subject_tag. */
export const SPAM_SUBJECT_PREFIX = '[SPAM] ';
/** iRedMail's $sa_tag_level_deflt: where X-Spam headers start when they are not forced. */
export const DEFAULT_TAG_LEVEL = 2.0;
/** always_insert_x_spam_headers=yes: a tag level every message reaches (as iRedAdmin-Pro). */
export const ALWAYS_TAG_LEVEL = -100;
/** The %banned_rules iRedMail's amavisd.conf defines and the API may name. */
export const BANNED_RULES = ['ALLOW_MS_OFFICE', 'ALLOW_MS_WORD', 'ALLOW_MS_EXCEL', 'ALLOW_MS_PPT'] as const;
/** spam_score bounds: SpamAssassin scores of real mail lie well inside; 0 or below would mark everything spam. */
export const SPAM_SCORE_RANGE = { min: 0.1, max: 100 };
/** policy.banned_rulenames is VARCHAR(64). */
const BANNED_RULENAMES_MAX = 64;

const QUARANTINE: Record<string, 'spam_quarantine_to' | 'virus_quarantine_to' | 'banned_quarantine_to' | 'bad_header_quarantine_to'> = {
  quarantine_spam: 'spam_quarantine_to',
  quarantine_virus: 'virus_quarantine_to',
  quarantine_banned: 'banned_quarantine_to',
  quarantine_bad_header: 'bad_header_quarantine_to',
};
const QUARANTINE_TARGET: Record<string, string> = {
  quarantine_spam: 'spam-quarantine',
  quarantine_virus: 'virus-quarantine',
  quarantine_banned: 'banned-quarantine',
  quarantine_bad_header: 'bad-header-quarantine',
};
const BYPASS = ['bypass_spam_checks', 'bypass_virus_checks', 'bypass_banned_checks', 'bypass_header_checks'] as const;

/** The account a spampolicy route names: `@.`, `@domain` or the address. */
export function spamPolicyAccount(ctx: Context): string {
  const { domain, mail } = ctx.req.route;
  if (mail !== undefined) {
    // users.email and policy.policy_name hold at most 255 characters.
    if (mail.length > 255) throw new ApiError('INVALID_MAIL');
    return policyAccount('user', mail);
  }
  if (domain !== undefined) return policyAccount('domain', domain);
  return policyAccount('global');
}

/** `yes` / `no` (any case, trimmed); anything else is refused rather than guessed. */
function readSwitch(ctx: Context, name: string): boolean | undefined {
  const value = param(ctx.req, name);
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'yes') return true;
  if (text === 'no') return false;
  throw new ApiError('INVALID_PARAMETER');
}

/** A decimal score such as `6` or `6.5`; empty means "use the system default" (NULL). */
function readSpamScore(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return null;
  if (!/^\d{1,3}(?:\.\d{1,2})?$/.test(text)) throw new ApiError('INVALID_SPAM_SCORE');
  const score = Number(text);
  if (score < SPAM_SCORE_RANGE.min || score > SPAM_SCORE_RANGE.max) throw new ApiError('INVALID_SPAM_SCORE');
  return score;
}

/** Comma-separated rule names, any case; empty means inherit (NULL). */
function readBannedRules(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  const names = [...new Set(value.split(',').map((name) => name.trim().toUpperCase()).filter(Boolean))];
  if (names.length === 0) return null;
  if (names.some((name) => !(BANNED_RULES as readonly string[]).includes(name))) throw new ApiError('INVALID_PARAMETER');
  const joined = names.join(',');
  if (joined.length > BANNED_RULENAMES_MAX) throw new ApiError('INVALID_PARAMETER');
  return joined;
}

/** The columns a PUT writes, from its parameters; every value is checked before anything is stored. */
export function spamPolicyChanges(ctx: Context): SpamPolicyChanges {
  const changes: SpamPolicyChanges = {};
  for (const name of BYPASS) {
    const on = readSwitch(ctx, name);
    if (on !== undefined) changes[name] = on ? 'Y' : 'N';
  }
  for (const [name, column] of Object.entries(QUARANTINE)) {
    const on = readSwitch(ctx, name);
    if (on !== undefined) changes[column] = on ? QUARANTINE_TARGET[name]! : '';
  }
  const prefix = readSwitch(ctx, 'prefix_spam_in_subject');
  if (prefix !== undefined) {
    // The tag2/tag3 tags mark spam; the level-1 tag (spam_subject_tag, set by iRedAdmin-Pro too)
    // would also mark mail that merely reaches the tag level, so it is cleared either way.
    changes.spam_subject_tag = prefix ? null : '';
    changes.spam_subject_tag2 = prefix ? SPAM_SUBJECT_PREFIX : '';
    changes.spam_subject_tag3 = prefix ? SPAM_SUBJECT_PREFIX : '';
  }
  const headers = readSwitch(ctx, 'always_insert_x_spam_headers');
  if (headers !== undefined) changes.spam_tag_level = headers ? ALWAYS_TAG_LEVEL : DEFAULT_TAG_LEVEL;
  const score = readSpamScore(param(ctx.req, 'spam_score'));
  if (score !== undefined) {
    changes.spam_tag2_level = score;
    changes.spam_tag3_level = score;
    changes.spam_kill_level = score;
  }
  const rules = readBannedRules(param(ctx.req, 'banned_rulenames'));
  if (rules !== undefined) changes.banned_rulenames = rules;
  return changes;
}

export async function getSpamPolicy(ctx: Context): Promise<SpamPolicyRow | Record<string, never>> {
  const account = spamPolicyAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  return (await ctx.store.spam.get(account)) ?? {};
}

export async function updateSpamPolicy(ctx: Context): Promise<void> {
  const account = spamPolicyAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  const changes = spamPolicyChanges(ctx);
  await ctx.store.spam.update(account, AMAVISD_PRIORITY[levelOf(account)], changes);
  const named = Object.keys(changes).sort().join(', ') || 'nothing';
  await logAction(ctx, { event: 'update', domain: domainOfAccount(account), username: levelOf(account) === 'user' ? account : undefined, msg: `Update spam policy of ${account}: ${named}.` });
}

export async function deleteSpamPolicy(ctx: Context): Promise<void> {
  const account = spamPolicyAccount(ctx);
  assertPolicyAccess(ctx.caller, account);
  await ctx.store.spam.delete(account);
  await logAction(ctx, { event: 'delete', domain: domainOfAccount(account), username: levelOf(account) === 'user' ? account : undefined, msg: `Delete spam policy of ${account}.` });
}
