/** /api/maillist/<mail> (legacy mailing lists; LDAP only) */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/maillist';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { createMailingList, deleteMailingList, getMailingList, updateMailingList } from '#lib/services/maillists';

export const operations: Operations = {
  async get(ctx) {
    return ok(await getMailingList(ctx, ctx.req.route.mail!));
  },
  async create(ctx) {
    await createMailingList(ctx, ctx.req.route.mail!);
    return ok();
  },
  async update(ctx) {
    await updateMailingList(ctx, ctx.req.route.mail!);
    return ok();
  },
  async delete(ctx) {
    await deleteMailingList(ctx, ctx.req.route.mail!);
    return ok();
  },
};

export { validators };
export const handler = createHandler('maillist', { operations, validators });
