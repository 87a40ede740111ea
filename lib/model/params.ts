import { ApiError } from '#lib/http/errors';
import type { MsgCode } from '#lib/model/codes';
import { isEmail, parseList } from '#lib/model/addresses';

/**
 * Parameter readers shared by every service. Each refuses a malformed value with a code
 * rather than guessing: the original turned unparsable numbers into 0 (unlimited), which
 * silently lifts limits.
 */
export function readInt(value: string | undefined, code: MsgCode, range: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^-?\d{1,15}$/.test(text)) throw new ApiError(code);
  const number = Number(text);
  if ((range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max)) throw new ApiError(code);
  return number;
}

const UNITS: Record<string, number> = { MB: 1, GB: 1024, TB: 1024 * 1024 };

/** A size in MB, with an optional unit parameter (MB, GB, TB). */
export function readMegabytes(value: string | undefined, unit: string | undefined, code: MsgCode = 'INVALID_QUOTA_SIZE'): number | undefined {
  const amount = readInt(value, code, { min: 0 });
  if (amount === undefined) return undefined;
  const factor = UNITS[(unit ?? 'MB').trim().toUpperCase()];
  if (factor === undefined) throw new ApiError(code);
  const megabytes = amount * factor;
  if (!Number.isSafeInteger(megabytes) || megabytes > 2 ** 50) throw new ApiError(code);
  return megabytes;
}

/** `active`, `enable`, `yes`, `1` mean enabled; anything else disabled (original behaviour, kept: clients rely on it). */
export function readAccountStatus(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return ['active', 'enable', 'yes', '1'].includes(value.trim().toLowerCase()) ? 1 : 0;
}

export function readYesNo(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return ['yes', 'y', 'true', '1', 'on', 'enable'].includes(value.trim().toLowerCase());
}

/** A comma list of addresses; any malformed entry refuses the request. */
export function readEmailList(value: string | undefined, code: MsgCode = 'INVALID_MAIL'): string[] | undefined {
  if (value === undefined) return undefined;
  const list = parseList(value);
  if (list.some((item) => !isEmail(item))) throw new ApiError(code);
  return list;
}

/** One optional address: empty means "none". */
export function readOptionalEmail(value: string | undefined, code: MsgCode = 'INVALID_MAIL'): string | null | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return null;
  if (!isEmail(text)) throw new ApiError(code);
  return text;
}

export function readText(value: string | undefined, maxLength = 255): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length > maxLength) throw new ApiError('INVALID_PARAMETER');
  return text;
}

const LANGUAGE = /^[a-z]{2,3}(?:_[A-Z]{2})?$/;
export function readLanguage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text !== '' && !LANGUAGE.test(text)) throw new ApiError('INVALID_LANGUAGE');
  return text;
}

const TIMEZONE = /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){0,2}$/;
export function readTimezone(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text !== '' && (!TIMEZONE.test(text) || text.length > 64)) throw new ApiError('INVALID_TIMEZONE');
  return text;
}

// Postfix transports: `dovecot`, `lmtp:unix:private/dovecot-lmtp`, `relay:[10.0.0.1]:25`, `smtp:[mx.example.com]:587`.
const TRANSPORT = /^[a-z0-9_-]+(?::[A-Za-z0-9_.:\[\]\/@-]*)?$/;
export function readTransport(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length > 255 || (text !== '' && !TRANSPORT.test(text))) throw new ApiError('INVALID_TRANSPORT');
  return text;
}

// A Postfix next-hop: optional transport, then `[host]` or host, then an optional port.
const RELAYHOST = /^(?:[a-z0-9_-]+:)?(?:\[[A-Za-z0-9.:-]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
export function readRelayhost(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return null;
  if (text.length > 255 || !RELAYHOST.test(text)) throw new ApiError('INVALID_RELAYHOST');
  return text;
}

/** Names from a fixed vocabulary (services, profiles); unknown names refuse the request. */
export function readNames(value: string | undefined, allowed: ReadonlySet<string> | RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  const names = parseList(value);
  for (const name of names) {
    const known = allowed instanceof RegExp ? allowed.test(name) : allowed.has(name);
    if (!known) throw new ApiError('INVALID_SERVICE');
  }
  return names;
}

export function assertNotBoth(params: Record<string, string>, reset: string, ...incremental: string[]): void {
  if (reset in params && incremental.some((name) => name in params)) throw new ApiError('CONFLICTING_PARAMETERS');
}
