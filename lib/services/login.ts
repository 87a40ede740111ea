import type { Context } from '#lib/http/context';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { isEmail } from '#lib/model/addresses';
import { mayUseApi } from '#lib/auth/caller';
import { verifyPassword } from '#lib/auth/passwords';
import { issueToken, passwordFingerprint } from '#lib/auth/token';
import { logAction } from '#lib/services/admin-log';

/**
 * Brute-force brake (the original had none): per username and per client address, attempts
 * inside a window are counted in the iredadmin database, which every Lambda container
 * shares. Past the limit, attempts are refused without checking the password, with the same
 * INVALID_CREDENTIALS reply, so the brake reveals nothing.
 */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_ATTEMPTS_PER_USER = 5;
export const MAX_ATTEMPTS_PER_ADDRESS = 30;

// Verified when the account does not exist, so both paths cost about the same.
const DECOY_HASH = '{SSHA512}ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGVjb3k=';

export interface LoginResult {
  token: string;
  expiresAt: number;
}

export async function login(ctx: Context): Promise<LoginResult> {
  const username = (param(ctx.req, 'username') ?? '').trim().toLowerCase();
  const password = (param(ctx.req, 'password') ?? '').trim();
  if (!isEmail(username)) throw new ApiError('INVALID_USERNAME');
  if (password === '') throw new ApiError('EMPTY_PASSWORD');

  const keys = [`user:${username}`, `ip:${ctx.req.sourceIp || 'unknown'}`];
  const [userAttempts = 0, addressAttempts = 0] = await ctx.store.admin.recordLoginAttempt(keys, LOGIN_WINDOW_SECONDS, Math.floor(Date.now() / 1000));
  const braked = userAttempts > MAX_ATTEMPTS_PER_USER || addressAttempts > MAX_ATTEMPTS_PER_ADDRESS;

  const identity = braked ? undefined : await ctx.store.accounts.identities.findAdmin(username);
  const verified = braked ? false : await verifyPassword(password, identity?.passwordHash ?? DECOY_HASH);
  if (!verified || !mayUseApi(identity)) {
    await logAction(ctx, { admin: username, event: 'login', loglevel: 'error', msg: braked ? 'Login failed (too many attempts).' : 'Login failed.' });
    throw new ApiError('INVALID_CREDENTIALS');
  }
  await ctx.store.admin.clearLoginFailures([keys[0]!]);
  await ctx.store.admin.releaseLoginAttempt(keys[1]!);
  const issued = await issueToken(ctx.config, { username, kind: identity.kind, pwf: passwordFingerprint(ctx.config, identity.passwordHash) });
  await logAction(ctx, { admin: username, event: 'login', msg: 'Admin login success.' });
  return { token: issued.token, expiresAt: issued.expiresAt };
}
