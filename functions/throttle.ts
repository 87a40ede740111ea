/** /api/throttle/{global|<domain>|<mail>}/{inbound|outbound} */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/throttle';
import type { Operations } from '#lib/http/context';
import { ok, raw } from '#lib/http/reply';
import { getThrottle, setThrottle } from '#lib/services/throttle';

export const operations: Operations = {
  async get(ctx) {
    // The original replies `setting` instead of `_data`; both are sent (pro-api-behaviour §1.12 #2).
    const setting = await getThrottle(ctx);
    return raw({ _success: true, setting, _data: setting });
  },
  async set(ctx) {
    await setThrottle(ctx);
    return ok();
  },
};

export { validators };
export const handler = createHandler('throttle', { operations, validators });
