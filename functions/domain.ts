/** /api/domain/<domain>, /api/domain/<domain>/keep_mailbox_days/<n>, /api/domain/admins/<domain> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/domain';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { createDomain, deleteDomain, getDomainAdmins, getDomainProfile, updateDomain, updateDomainAdmins } from '#lib/services/domains';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getDomainProfile(ctx, ctx.req.route.domain!));
  },
  async create(ctx) {
    await createDomain(ctx, ctx.req.route.domain!);
    return ok();
  },
  async update(ctx) {
    await updateDomain(ctx, ctx.req.route.domain!);
    return ok();
  },
  async delete(ctx) {
    await deleteDomain(ctx, ctx.req.route.domain!);
    return ok();
  },
  async getAdmins(ctx) {
    return ok(await getDomainAdmins(ctx, ctx.req.route.domain!));
  },
  async updateAdmins(ctx) {
    await updateDomainAdmins(ctx, ctx.req.route.domain!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('domain', { operations, validators });
