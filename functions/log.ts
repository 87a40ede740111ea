/** GET /api/log — the admin log (iredadmin.log); rules in lib/services/admin-log-query.ts. */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/log';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { readAdminLog } from '#lib/services/admin-log-query';

export const operations: Operations = {
  async list(ctx) {
    const result = await readAdminLog(ctx);
    const reply = ok(result.items);
    reply.body._total = result.total;
    return reply;
  },
};

export { validators };
export const handler = createHandler('log', { operations, validators });
