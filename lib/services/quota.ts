import type { Domain } from '#lib/model/types';
import { ApiError } from '#lib/http/errors';

/**
 * A user's mailbox quota, in MB (0 = unlimited), as iRedAdmin-Pro assigns it
 * (pro-api-behaviour §1.10). The domain quota is *allocated*: spare = domain maxquota minus
 * the quotas of the domain's other users. Clamping is silent, as in the original (clients
 * read the stored value back with GET). Call it with the domain row locked, or two requests
 * could both take the same spare quota.
 *
 * @param requested the `quota` parameter; undefined on POST means the domain default
 * @param allocatedByOthers sum of the quotas of the domain's other users (on PUT the user's
 *   own current quota is left out, so it counts as spare)
 */
export function assignQuota(domain: Pick<Domain, 'maxquota' | 'settings'>, requested: number | undefined, allocatedByOthers: number): number {
  const defaultQuota = positive(domain.settings.default_user_quota);
  const maxUserQuota = positive(domain.settings.max_user_quota);
  let quota = requested ?? defaultQuota;
  if (domain.maxquota > 0) {
    const spare = domain.maxquota - allocatedByOthers;
    if (spare <= 0) throw new ApiError('EXCEEDED_DOMAIN_QUOTA_SIZE');
    // Unlimited cannot fit in a limited domain: the domain default, else the per-user cap, else what is left.
    if (quota === 0) quota = defaultQuota || maxUserQuota || spare;
    if (quota > spare) quota = spare;
  }
  // "Unlimited" is more than any cap, so 0 is clamped too.
  if (maxUserQuota > 0 && (quota === 0 || quota > maxUserQuota)) quota = maxUserQuota;
  return quota;
}

function positive(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}
