import type { Context } from '#lib/http/context';
import type { AdminLogEntry } from '#lib/model/admin-log';
import type { PagedResult } from '#lib/model/types';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { adminLogScope } from '#lib/auth/access';
import { isDomain } from '#lib/model/addresses';
import { readInt } from '#lib/model/params';
import { utcTimestamp } from '#lib/model/clock';

export const LOG_PAGE_DEFAULT = 100;
export const LOG_PAGE_MAX = 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A `since`/`until` value as the UTC `YYYY-MM-DD HH:MM:SS` the log rows hold. A date alone is
 * its midnight; `endOfDay` makes it the next midnight (so `until=2026-01-31` includes that day).
 * Date-times without an offset are UTC, as the rows are.
 */
export function logTime(value: string | undefined, options: { endOfDay?: boolean } = {}): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let date: Date;
  if (DATE_ONLY.test(text)) {
    date = new Date(`${text}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) !== text) throw new ApiError('INVALID_PARAMETER'); // 2026-02-31
    if (options.endOfDay) date = new Date(date.getTime() + 86_400_000);
  } else if (DATE_TIME.test(text)) {
    const iso = text.replace(' ', 'T');
    date = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  } else {
    throw new ApiError('INVALID_PARAMETER');
  }
  if (Number.isNaN(date.getTime())) throw new ApiError('INVALID_PARAMETER');
  return utcTimestamp(date);
}

/** A date-time `until` is inclusive: the store's bound is exclusive, so it moves one second on. */
function untilBound(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (DATE_ONLY.test(value.trim())) return logTime(value, { endOfDay: true });
  const at = logTime(value)!;
  return utcTimestamp(new Date(new Date(`${at.replace(' ', 'T')}Z`).getTime() + 1000));
}

/** GET /api/log: the admin log, newest first, filtered, paged, limited to what the caller may see. */
export async function readAdminLog(ctx: Context): Promise<PagedResult<AdminLogEntry>> {
  const domain = param(ctx.req, 'domain')?.trim().toLowerCase() || undefined;
  if (domain !== undefined && !isDomain(domain)) throw new ApiError('INVALID_DOMAIN_NAME');
  const scope = adminLogScope(ctx.caller, domain);
  const page = readInt(param(ctx.req, 'page'), 'INVALID_PARAMETER', { min: 1, max: 1_000_000 }) ?? 1;
  const limit = readInt(param(ctx.req, 'limit'), 'INVALID_PARAMETER', { min: 1, max: LOG_PAGE_MAX }) ?? LOG_PAGE_DEFAULT;
  const text = (name: string) => param(ctx.req, name)?.trim() || undefined;
  return ctx.store.admin.listLog({
    ...scope,
    domain,
    event: text('event')?.toLowerCase(),
    admin: text('admin')?.toLowerCase(),
    since: logTime(text('since')),
    before: untilBound(text('until')),
    page: { page, limit },
  });
}
