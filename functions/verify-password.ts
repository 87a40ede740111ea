/** /api/verify_password/user/<mail>, /api/verify_password/admin/<mail> */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/verify-password';
import type { Operations } from '#lib/http/context';
import { raw } from '#lib/http/reply';
import { checkAccountPassword } from '#lib/services/users';

// The original's bare-boolean reply: {"_success": true} or {"_success": false}, no `_msg`.
export const operations: Operations = {
  async user(ctx) {
    return raw({ _success: await checkAccountPassword(ctx, 'user', ctx.req.route.mail!) });
  },
  async admin(ctx) {
    return raw({ _success: await checkAccountPassword(ctx, 'admin', ctx.req.route.mail!) });
  },
};

export { validators };
export const handler = createHandler('verify-password', { operations, validators });
