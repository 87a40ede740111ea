/** The iRedAdmin-Pro envelope: `{"_success": true[, "_data": …]}` or `{"_success": false, "_msg": CODE}`. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  cookies?: string[];
  /** A body that is not the envelope (the OpenAPI document, the docs page): sent as-is instead of `body`. */
  rawBody?: string;
}

export function ok(data?: unknown): Reply {
  return { status: 200, body: data === undefined ? { _success: true } : { _success: true, _data: data } };
}

export function fail(code: string, status = 200): Reply {
  return { status, body: { _success: false, _msg: code } };
}

/** A body passed through as-is: throttle GETs (`setting`) and verify_password (`{_success: bool}`). */
export function raw(body: Record<string, unknown>): Reply {
  return { status: 200, body };
}

/** A prebuilt document (JSON or HTML), sent byte for byte with its own Content-Type; cacheable. */
export function document(text: string, contentType: string): Reply {
  return { status: 200, body: {}, rawBody: text, headers: { 'Content-Type': contentType, 'Cache-Control': 'public, max-age=300' } };
}
