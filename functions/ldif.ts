/** /api/ldif/{domain,catchall}/<domain>, /api/ldif/{admin,user,maillist,alias}/<mail> (LDAP only) */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/ldif';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { exportLdif } from '#lib/services/ldif';

export const operations: Operations = {
  async domain(ctx) {
    return ok(await exportLdif(ctx, { kind: 'domain', domain: ctx.req.route.domain! }));
  },
  async catchall(ctx) {
    return ok(await exportLdif(ctx, { kind: 'catchall', domain: ctx.req.route.domain! }));
  },
  async admin(ctx) {
    return ok(await exportLdif(ctx, { kind: 'admin', mail: ctx.req.route.mail! }));
  },
  async user(ctx) {
    return ok(await exportLdif(ctx, { kind: 'user', mail: ctx.req.route.mail! }));
  },
  async maillist(ctx) {
    return ok(await exportLdif(ctx, { kind: 'maillist', mail: ctx.req.route.mail! }));
  },
  async alias(ctx) {
    return ok(await exportLdif(ctx, { kind: 'alias', mail: ctx.req.route.mail! }));
  },
};

export { validators };
export const handler = createHandler('ldif', { operations, validators });
