/** /api/spampolicy/global, /api/spampolicy/domain/<domain>, /api/spampolicy/user/<mail> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/spampolicy';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { deleteSpamPolicy, getSpamPolicy, updateSpamPolicy } from '#lib/services/spam-policy';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getSpamPolicy(ctx));
  },
  async update(ctx) {
    await updateSpamPolicy(ctx);
    return ok();
  },
  async delete(ctx) {
    await deleteSpamPolicy(ctx);
    return ok();
  },
};

export { validators };
export const handler = createHandler('spampolicy', { operations, validators });
