/** /api/admin/<mail>: standalone admins (global admins only) */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/admin';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { createAdmin, deleteAdmin, getAdmin, updateAdmin } from '#lib/services/admins';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getAdmin(ctx, ctx.req.route.mail!));
  },
  async create(ctx) {
    await createAdmin(ctx, ctx.req.route.mail!);
    return ok();
  },
  async update(ctx) {
    await updateAdmin(ctx, ctx.req.route.mail!);
    return ok();
  },
  async delete(ctx) {
    await deleteAdmin(ctx, ctx.req.route.mail!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('admin', { operations, validators });
