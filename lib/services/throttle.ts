import type { Context } from '#lib/http/context';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertPolicyAccess } from '#lib/auth/access';
import { readInt } from '#lib/model/params';
import { accountFromCapture, domainOfAccount, IREDAPD_PRIORITY, levelOf, type ThrottleKind, type ThrottleSetting } from '#lib/model/policy';
import { logAction } from '#lib/services/admin-log';

/**
 * iRedAPD throttling (reference/policy.md §2). A POST writes the whole setting of one
 * (account, direction): `period` is required, at least one limit must be given, and a limit
 * not given is stored as -1 ("inherit from a lower-priority setting") — iRedAdmin-Pro stored
 * 0, which means "unlimited" and hides the domain and global settings. `max_rcpts` is not
 * an API parameter: a new row gets the column default (-1) and an update keeps it.
 * `period=0` deletes the setting (tracking rows first).
 */

/** iRedMail's MySQL column is INT UNSIGNED. */
const MAX_PERIOD = 4_294_967_295;
const LIMITS = ['msg_size', 'max_msgs', 'max_quota'] as const;

export interface ThrottleTarget {
  account: string;
  kind: ThrottleKind;
}

export function throttleTarget(ctx: Context): ThrottleTarget {
  const account = accountFromCapture(ctx.req.route.account ?? '');
  // throttle.account is VARCHAR(255).
  if (account.length > 255) throw new ApiError('INVALID_ACCOUNT');
  return { account, kind: ctx.req.route.direction as ThrottleKind };
}

/** An integer parameter; empty counts as not given (forms post their blank fields). */
function readNumber(ctx: Context, name: string, range: { min: number; max: number }): number | undefined {
  const value = param(ctx.req, name);
  if (value === undefined || value.trim() === '') return undefined;
  return readInt(value, 'INVALID_PARAMETER', range);
}

export async function getThrottle(ctx: Context): Promise<ThrottleSetting | Record<string, never>> {
  const { account, kind } = throttleTarget(ctx);
  assertPolicyAccess(ctx.caller, account);
  return (await ctx.store.throttle.get(account, kind)) ?? {};
}

export async function setThrottle(ctx: Context): Promise<void> {
  const { account, kind } = throttleTarget(ctx);
  assertPolicyAccess(ctx.caller, account);
  const period = readNumber(ctx, 'period', { min: 0, max: MAX_PERIOD });
  if (period === undefined) throw new ApiError('MISS_PERIOD');
  const limits: Partial<Record<(typeof LIMITS)[number], number>> = {};
  for (const name of LIMITS) {
    const limit = readNumber(ctx, name, { min: -1, max: Number.MAX_SAFE_INTEGER });
    if (limit !== undefined) limits[name] = limit;
  }
  const logged = { domain: domainOfAccount(account), username: levelOf(account) === 'user' ? account : undefined };

  if (period === 0) {
    const existed = await ctx.store.throttle.delete(account, kind);
    if (existed) await logAction(ctx, { event: 'delete', ...logged, msg: `Delete ${kind} throttle setting of ${account}.` });
    return;
  }
  if (Object.keys(limits).length === 0) throw new ApiError('MISS_THROTTLE_SETTING');
  const setting = {
    account,
    kind,
    priority: IREDAPD_PRIORITY[levelOf(account)],
    period,
    msg_size: limits.msg_size ?? -1,
    max_msgs: limits.max_msgs ?? -1,
    max_quota: limits.max_quota ?? -1,
  };
  await ctx.store.throttle.set(setting);
  await logAction(ctx, {
    event: 'update',
    ...logged,
    msg: `Set ${kind} throttle setting of ${account}: period=${period}, msg_size=${setting.msg_size}, max_msgs=${setting.max_msgs}, max_quota=${setting.max_quota}.`,
  });
}
