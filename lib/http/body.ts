import { ApiError } from '#lib/http/errors';

/** Values longer than this are refused: no field of the API needs more, and 1 MB names are attacks. */
export const MAX_VALUE_LENGTH = 64 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

type Params = Record<string, string>;

function contentTypeOf(headers: Record<string, string>): { type: string; full: string } {
  const full = headers['content-type'] ?? '';
  return { type: full.split(';')[0]!.trim().toLowerCase(), full };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApiError('INVALID_REQUEST_BODY');
  }
}

/** Percent-decoding that refuses invalid UTF-8 instead of silently replacing it. */
export function parseUrlEncoded(text: string, into: Params = {}): Params {
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    into[decodeComponent(rawName)] = decodeComponent(rawValue);
  }
  return into;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new ApiError('INVALID_REQUEST_BODY');
  }
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '';
  // Lists become the comma-separated form every list parameter of the API uses.
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) {
    return value.join(',');
  }
  throw new ApiError('INVALID_PARAMETER');
}

function parseJson(bytes: Buffer): Params {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(bytes));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('INVALID_REQUEST_BODY');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError('INVALID_REQUEST_BODY');
  }
  const params: Params = {};
  for (const [name, value] of Object.entries(parsed)) params[name] = scalar(value);
  return params;
}

async function parseMultipart(bytes: Buffer, contentType: string): Promise<Params> {
  const { default: busboy } = await import('busboy');
  return new Promise<Params>((resolve, reject) => {
    const params: Params = {};
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { fieldSize: MAX_VALUE_LENGTH + 1, fields: 1000, files: 0 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(new ApiError('INVALID_REQUEST_BODY'));
      return;
    }
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated || info.nameTruncated) {
        reject(new ApiError('REQUEST_TOO_LARGE'));
        return;
      }
      params[name] = value;
    });
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('error', () => reject(new ApiError('INVALID_REQUEST_BODY')));
    parser.on('close', () => resolve(params));
    parser.end(bytes);
  });
}

/**
 * Reads the body into parameters. Form and multipart as the original; JSON as an
 * extension (the original silently ignored it); a PUT or POST without Content-Type is
 * read as a form, since clients that forget the header send form data. DELETE bodies are
 * ignored, as the original did: its clients put DELETE options in the query string.
 */
export async function parseBody(
  method: string,
  headers: Record<string, string>,
  bytes: Buffer | undefined,
): Promise<Params> {
  if (!bytes || bytes.length === 0 || method === 'GET' || method === 'DELETE' || method === 'HEAD') return {};
  if (bytes.length > MAX_BODY_BYTES) throw new ApiError('REQUEST_TOO_LARGE');
  const { type, full } = contentTypeOf(headers);
  switch (type) {
    case '':
    case 'application/x-www-form-urlencoded':
      return parseUrlEncoded(decodeUtf8(bytes));
    case 'multipart/form-data':
      return parseMultipart(bytes, full);
    case 'application/json':
      return parseJson(bytes);
    default:
      if (type.endsWith('+json')) return parseJson(bytes);
      throw new ApiError('UNSUPPORTED_CONTENT_TYPE');
  }
}

/** Refuses values no field can hold: NUL and other C0 controls except tab/newline, or oversize. */
export function assertSaneParams(params: Params): void {
  for (const [name, value] of Object.entries(params)) {
    if (name.length > 100 || value.length > MAX_VALUE_LENGTH) throw new ApiError('REQUEST_TOO_LARGE');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(name + value)) throw new ApiError('INVALID_PARAMETER');
    if ((name + value).includes('\ufffd')) throw new ApiError('INVALID_PARAMETER');
  }
}
