/** POST /api/apikey, GET /api/apikeys, DELETE /api/apikey/<id> — see lib/services/api-keys.ts for the rules. */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/apikey';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { createApiKey, listApiKeys, revokeApiKey } from '#lib/services/api-keys';

export const operations: Operations = {
  async create(ctx) {
    return ok(await createApiKey(ctx));
  },
  async list(ctx) {
    return ok(await listApiKeys(ctx));
  },
  async revoke(ctx) {
    await revokeApiKey(ctx, ctx.req.route.id!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('apikey', { operations, validators });
