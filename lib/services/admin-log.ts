import type { Context } from '#lib/http/context';
import { describeError, log } from '#lib/log';
import { actorOf } from '#lib/auth/caller';

/**
 * iRedAdmin's admin log (`iredadmin.log`, "System → Admin Log"): one row per action, with
 * the `[API] ` prefix iRedAdmin-Pro gives API actions. A failure to log never fails the
 * action that already happened; it is reported in the structured log instead.
 */
export async function logAction(ctx: Context, entry: { event: string; msg: string; domain?: string; username?: string; loglevel?: string; admin?: string }): Promise<void> {
  try {
    await ctx.store.admin.log({
      // Actions done with an API key are logged as `apikey:<id>` (the key's row names its creator).
      admin: entry.admin ?? (ctx.caller ? actorOf(ctx.caller) : ''),
      ip: ctx.req.sourceIp,
      domain: entry.domain,
      username: entry.username,
      event: entry.event,
      loglevel: entry.loglevel,
      msg: `[API] ${entry.msg}`,
    });
  } catch (error) {
    log('warn', 'admin log write failed', { requestId: ctx.req.requestId, ...describeError(error) });
  }
}
