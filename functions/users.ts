/** /api/users/<domain> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/users';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { listUsers, updateDomainUsers } from '#lib/services/users';

export const operations: Operations = {
  async list(ctx) {
    const result = await listUsers(ctx, ctx.req.route.domain!);
    const reply = ok(result.items);
    // Every match, also when paged (an extension: the original had no paging, so it only adds a key).
    reply.body._total = result.total;
    return reply;
  },
  async updateAll(ctx) {
    await updateDomainUsers(ctx, ctx.req.route.domain!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('users', { operations, validators });
