/** POST /api/login — see lib/services/login.ts for the rules. */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/login';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import { sessionCookie } from '#lib/http/session-cookie';
import { cookieName } from '#lib/config';
import { login } from '#lib/services/login';

export const operations: Operations = {
  async login(ctx) {
    const result = await login(ctx);
    const reply = ok({ token: result.token, expires_at: new Date(result.expiresAt * 1000).toISOString(), expires_in: ctx.config.tokenTtlSeconds });
    // Existing clients keep a cookie jar and never read the token: give it to them as the session cookie.
    reply.cookies = [sessionCookie(cookieName(ctx.config.backend), result.token, ctx.config.tokenTtlSeconds, ctx.config.cookieSecure)];
    return reply;
  },
};

export { validators };
export const handler = createHandler('login', { operations, validators });
