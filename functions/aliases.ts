/** GET /api/aliases/<domain> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/aliases';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { flag } from '#lib/http/request';
import { listAliases } from '#lib/services/aliases';

export const operations: Operations = {
  async list(ctx) {
    const result = await listAliases(ctx, ctx.req.route.domain!);
    // email_only: the addresses; otherwise the alias rows, without members (original shapes).
    const reply = ok(flag(ctx.req, 'email_only') ? result.items.map((alias) => alias.address) : result.items);
    reply.body._total = result.total;
    return reply;
  },
};

export { validators };
export const handler = createHandler('aliases', { operations, validators });
