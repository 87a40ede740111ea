import { randomUUID } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Context } from '#lib/http/context';
import type { ApiKeyRecord, KeyAccess } from '#lib/model/api-keys';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertKeyManager, assertMayCreateKey, canManageKey, keyListFilter } from '#lib/auth/access';
import { generateApiKey, hashApiKey } from '#lib/auth/api-key';
import { isDomain, parseList } from '#lib/model/addresses';
import { readInt, readText } from '#lib/model/params';
import { logAction } from '#lib/services/admin-log';

/**
 * API keys: POST /api/apikey, GET /api/apikeys, DELETE /api/apikey/<id>. Who may do what is
 * decided in lib/auth/access.ts; how a key becomes a caller in lib/auth/caller.ts. Every
 * input is checked before anything is written.
 */
const MAX_DAYS = 3650;
const MAX_ALLOWED_IPS = 100;

/** What GET /api/apikeys shows of a key: never its secret nor its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  created_by: string;
  /** Empty = unrestricted. */
  domains: string[];
  access: KeyAccess;
  /** Empty = any address. */
  allowed_ips: string[];
  /** ISO 8601 UTC, null = never. */
  expires_at: string | null;
  expired: boolean;
  revoked: boolean;
  created_at: string;
  /** Updated at most once a minute; null = never used. */
  last_used_at: string | null;
}

const iso = (epoch: number): string => new Date(epoch * 1000).toISOString();

function view(key: ApiKeyRecord, now: number): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    created_by: key.createdBy,
    domains: key.domains,
    access: key.access,
    allowed_ips: key.allowedIps,
    expires_at: key.expiresAt === null ? null : iso(key.expiresAt),
    expired: key.expiresAt !== null && key.expiresAt <= now,
    revoked: key.revoked,
    created_at: iso(key.createdAt),
    last_used_at: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
  };
}

function readAccess(value: string | undefined): KeyAccess {
  const text = (value ?? 'ro').trim().toLowerCase();
  if (text !== 'ro' && text !== 'rw') throw new ApiError('INVALID_ACCESS_MODE');
  return text;
}

// YYYY-MM-DD, optionally followed by a time and, with a time, an offset (none = UTC).
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Epoch seconds of an ISO 8601 date or date-time; undefined when it is not one (2026-02-30 is not). */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (month! < 1 || month! > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  if (new Date(utc).getUTCDate() !== day) return undefined; // the day overflowed its month
  let offsetMinutes = 0;
  const zone = m[7];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return Math.floor(utc / 1000) - offsetMinutes * 60;
}

/** `expires` (ISO date-time) or `expires_in_days`; neither (or an empty `expires`) = never. */
function readExpiry(ctx: Context, now: number): number | null {
  const at = param(ctx.req, 'expires')?.trim();
  const inDays = param(ctx.req, 'expires_in_days');
  if (at && inDays !== undefined) throw new ApiError('CONFLICTING_PARAMETERS');
  if (inDays !== undefined) return now + readInt(inDays, 'INVALID_EXPIRY', { min: 1, max: MAX_DAYS })! * 86_400;
  if (!at) return null;
  const epoch = parseIsoDateTime(at);
  if (epoch === undefined || epoch <= now || epoch > now + MAX_DAYS * 86_400) throw new ApiError('INVALID_EXPIRY');
  return epoch;
}

function readDomains(value: string | undefined): string[] {
  const domains = parseList(value);
  if (domains.some((domain) => !isDomain(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
  return domains.sort();
}

/** One IP or CIDR network in its canonical text; dotted-quad IPv4 only (no `0x7f.1`-style forms). */
function canonicalIpEntry(entry: string): string {
  const [address = '', prefix, extra] = entry.split('/');
  const bad = () => new ApiError('INVALID_IP_ADDRESS');
  if (extra !== undefined || !/^[0-9a-f:.]+$/.test(address) || !ipaddr.isValid(address)) throw bad();
  if (ipaddr.IPv4.isValid(address) && !ipaddr.IPv4.isValidFourPartDecimal(address)) throw bad();
  const parsed = ipaddr.parse(address);
  if (prefix === undefined) return parsed.toString();
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (bits < 0 || bits > (parsed.kind() === 'ipv4' ? 32 : 128)) throw bad();
  return `${parsed.toString()}/${bits}`;
}

function readAllowedIps(value: string | undefined): string[] {
  const entries = parseList(value);
  if (entries.length > MAX_ALLOWED_IPS) throw new ApiError('INVALID_IP_ADDRESS');
  return [...new Set(entries.map(canonicalIpEntry))];
}

/** POST /api/apikey: the secret is in this reply and nowhere else, ever. */
export async function createApiKey(ctx: Context): Promise<{ id: string; key: string } & ApiKeyView> {
  assertKeyManager(ctx.caller);
  const now = Math.floor(Date.now() / 1000);
  const name = readText(param(ctx.req, 'name'));
  if (!name) throw new ApiError('INVALID_PARAMETER');
  const access = readAccess(param(ctx.req, 'access'));
  const expiresAt = readExpiry(ctx, now);
  const domains = readDomains(param(ctx.req, 'domains'));
  const allowedIps = readAllowedIps(param(ctx.req, 'allowed_ips'));
  const caller = assertMayCreateKey(ctx.caller, domains);
  for (const domain of domains) {
    if (!(await ctx.store.accounts.domains.get(domain))) throw new ApiError('INVALID_DOMAIN_NAME');
  }

  const id = randomUUID();
  const key = generateApiKey();
  const record = { id, name, createdBy: caller.username, domains, access, allowedIps, expiresAt, createdAt: now };
  await ctx.store.apiKeys.create({ ...record, secretHash: hashApiKey(ctx.config, key) });
  await logAction(ctx, {
    event: 'create',
    msg: `Create API key ${id} (${name}): ${access}, domains: ${domains.join(', ') || 'all'}${expiresAt === null ? '' : `, expires ${iso(expiresAt)}`}.`,
  });
  // `key` right after `id`, so it is the first thing a reader of the reply sees.
  return Object.assign({ id, key }, view({ ...record, revoked: false, lastUsedAt: null }, now));
}

/** GET /api/apikeys: global admins see every key, other admins the keys they created. */
export async function listApiKeys(ctx: Context): Promise<ApiKeyView[]> {
  const caller = assertKeyManager(ctx.caller);
  const now = Math.floor(Date.now() / 1000);
  return (await ctx.store.apiKeys.list(keyListFilter(caller))).map((key) => view(key, now));
}

/** DELETE /api/apikey/<id>: the next request with the key is refused. Revoking a revoked key succeeds. */
export async function revokeApiKey(ctx: Context, id: string): Promise<void> {
  const caller = assertKeyManager(ctx.caller);
  const key = await ctx.store.apiKeys.get(id);
  if (!key) throw new ApiError('NO_SUCH_API_KEY');
  if (!canManageKey(caller, key)) throw new ApiError('PERMISSION_DENIED');
  if (key.revoked) return;
  await ctx.store.apiKeys.revoke(id);
  await logAction(ctx, { event: 'revoke', msg: `Revoke API key ${id} (${key.name}), created by ${key.createdBy}.` });
}
