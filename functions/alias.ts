/** /api/alias/<mail>, /api/alias/<mail>/change_email/<new_mail> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/alias';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { changeAliasEmail, createAlias, deleteAlias, getAlias, updateAlias } from '#lib/services/aliases';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getAlias(ctx, ctx.req.route.mail!));
  },
  async create(ctx) {
    await createAlias(ctx, ctx.req.route.mail!);
    return ok();
  },
  async update(ctx) {
    await updateAlias(ctx, ctx.req.route.mail!);
    return ok();
  },
  async delete(ctx) {
    await deleteAlias(ctx, ctx.req.route.mail!);
    return ok();
  },
  async changeEmail(ctx) {
    await changeAliasEmail(ctx, ctx.req.route.mail!, ctx.req.route.new_mail!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('alias', { operations, validators });
