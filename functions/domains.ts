/** GET /api/domains */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/domains';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { flag } from '#lib/http/request';
import { listDomains } from '#lib/services/domains';

export const operations: Operations = {
  async list(ctx) {
    const result = await listDomains(ctx);
    // name_only: a sorted list of names; otherwise an object keyed by domain name (original shapes).
    const data = flag(ctx.req, 'name_only')
      ? result.items.map((domain) => domain.domain)
      : Object.fromEntries(result.items.map((domain) => [domain.domain, domain]));
    const reply = ok(data);
    reply.body._total = result.total;
    return reply;
  },
};

export { validators };
export const handler = createHandler('domains', { operations, validators });
