/** What a route operation sees of an HTTP request, the same under Lambda and the local server. */
export interface ApiRequest {
  method: string;
  /** Normalised path below `/api`, e.g. `/domain/example.com` (no prefix, no trailing slash). */
  path: string;
  /** Query string and body merged; a body value wins over a query value of the same name. */
  params: Record<string, string>;
  /** Captures of the route pattern, lower-cased where they are addresses or domains. */
  route: Record<string, string>;
  headers: Record<string, string>;
  cookies: Record<string, string>;
  sourceIp: string;
  requestId: string;
}

export function param(req: ApiRequest, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(req.params, name) ? req.params[name] : undefined;
}

/** Flags such as `name_only` count as set when present, whatever their value (as the original). */
export function flag(req: ApiRequest, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(req.params, name);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}
