import { ApiError, NotFoundError } from '#lib/http/errors';
import { ROUTES, type Route } from '#lib/http/routes';
import { isDomain, isEmail } from '#lib/model/addresses';

/**
 * `//` collapses, a trailing `/` is the same resource, and both `/api/…` and
 * `/iredadmin/api/…` are served (clients configure either base URL). Returns the path
 * below `/api`, or undefined when the path is not under the API at all.
 */
export function normalizePath(path: string): string | undefined {
  let clean = ('/' + path).replace(/\/{2,}/g, '/');
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  if (clean.startsWith('/iredadmin/')) clean = clean.slice('/iredadmin'.length);
  if (clean === '/api') return '';
  if (!clean.startsWith('/api/')) return undefined;
  return clean.slice('/api'.length);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('INVALID_PARAMETER');
  }
}

/** Captures are checked by name, so an invalid domain or address is refused with its code. */
function checkCapture(name: string, raw: string): string {
  const value = raw.trim().toLowerCase();
  switch (name) {
    case 'domain':
      if (!isDomain(value)) throw new ApiError('INVALID_DOMAIN_NAME');
      return value;
    case 'mail':
      if (!isEmail(value)) throw new ApiError('INVALID_MAIL');
      return value;
    case 'new_mail':
      if (!isEmail(value)) throw new ApiError('INVALID_NEW_EMAIL');
      return value;
    case 'days':
      if (!/^\d{1,6}$/.test(value)) throw new ApiError('INVALID_PARAMETER');
      return value;
    // Throttle and greylisting targets: `global`, a domain or an address.
    case 'account':
      if (value !== 'global' && !isDomain(value) && !isEmail(value)) throw new ApiError('INVALID_ACCOUNT');
      return value;
    case 'direction':
      if (value !== 'inbound' && value !== 'outbound') throw new NotFoundError();
      return value;
    // API key ids (DELETE /apikey/:id) are UUIDs; nothing else can name a key.
    case 'id':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) throw new ApiError('NO_SUCH_API_KEY');
      return value;
    default:
      return value;
  }
}

export interface RouteMatch {
  route: Route;
  captures: Record<string, string>;
}

function segmentsMatch(pattern: string[], actual: string[]): boolean {
  if (pattern.length !== actual.length) return false;
  return pattern.every((part, i) => part.startsWith(':') || part === actual[i]);
}

/**
 * Finds the route for a method and path. Literal segments win over captures because the
 * table lists them first. A known path with another method answers INVALID_HTTP_METHOD,
 * as the original does for `GET /api/login`.
 */
export function matchRoute(method: string, apiPath: string): RouteMatch {
  const actual = apiPath.split('/').slice(1);
  let pathKnown = false;
  for (const route of ROUTES) {
    const pattern = route.pattern.split('/').slice(1);
    if (!segmentsMatch(pattern, actual)) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const captures: Record<string, string> = {};
    pattern.forEach((part, i) => {
      if (part.startsWith(':')) captures[part.slice(1)] = checkCapture(part.slice(1), decodeSegment(actual[i]!));
    });
    return { route, captures };
  }
  if (pathKnown) throw new ApiError('INVALID_HTTP_METHOD');
  throw new NotFoundError();
}
