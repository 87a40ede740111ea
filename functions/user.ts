/** /api/user/<mail>, /api/user/<mail>/keep_mailbox_days/<n>, /api/user/<mail>/change_email/<new_mail> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/user';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { changeUserEmail, createUser, deleteUser, getUserProfile, updateUser } from '#lib/services/users';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getUserProfile(ctx, ctx.req.route.mail!));
  },
  async create(ctx) {
    await createUser(ctx, ctx.req.route.mail!);
    return ok();
  },
  async update(ctx) {
    await updateUser(ctx, ctx.req.route.mail!);
    return ok();
  },
  async delete(ctx) {
    await deleteUser(ctx, ctx.req.route.mail!);
    return ok();
  },
  async changeEmail(ctx) {
    await changeUserEmail(ctx, ctx.req.route.mail!, ctx.req.route.new_mail!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('user', { operations, validators });
