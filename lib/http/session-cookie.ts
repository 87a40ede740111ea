import type { ApiRequest } from '#lib/http/request';
import { isApiKey } from '#lib/auth/api-key';

/**
 * The token travels as `Authorization: Bearer` (new clients) or in the cookie jar (existing
 * clients); an API key as `Authorization: Bearer` or `X-API-Key`, never as a cookie.
 */
export function tokenFromRequest(req: ApiRequest, cookie: string): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || undefined;
  const apiKey = req.headers['x-api-key']?.trim();
  if (apiKey) return apiKey;
  const fromCookie = req.cookies[cookie];
  return fromCookie && !isApiKey(fromCookie) ? fromCookie : undefined;
}

/** Path=/ covers both /api and /iredadmin/api; HttpOnly and SameSite=Strict as the original. */
export function sessionCookie(name: string, token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function expiredCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
