/**
 * Helpers of the hardening suites (test/integration/api/hardening-*.test.ts): raw requests
 * straight into the dispatcher (any path bytes, body bytes and headers, unlike ApiClient,
 * which always sends well-formed requests and parses JSON), the envelope check every reply
 * must pass, a snapshot of all storage, and a batch runner that proves a batch of refused
 * requests changed nothing (and names the request when one did).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createHandler } from '#lib/http/dispatch';
import { ROUTES, type Route } from '#lib/http/routes';
import { ORIGINAL_CODES, PROJECT_CODES } from '#lib/model/codes';
import { loadFamily } from '../../functions/registry';
import type { Harness } from './api';
import type { Probe } from './probe';

export interface RawRequest {
  method: string;
  /** The path as the gateway hands it over (still percent-encoded). */
  path: string;
  query?: Record<string, string[]>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  sourceIp?: string;
  /** Short description for failure messages (defaults to method + path). */
  label?: string;
}

export interface RawReply {
  status: number;
  contentType: string;
  text: string;
  body: Record<string, unknown> | undefined;
}

const handler = createHandler('*', loadFamily);

export async function send(req: RawRequest): Promise<RawReply> {
  const body = req.body === undefined ? null : Buffer.from(req.body).toString('base64');
  const result = await handler({
    path: req.path,
    httpMethod: req.method,
    headers: req.headers ?? {},
    multiValueQueryStringParameters: req.query ?? {},
    requestContext: { requestId: randomBytes(8).toString('hex'), identity: { sourceIp: req.sourceIp ?? '127.0.0.1' } },
    body,
    isBase64Encoded: true,
  });
  const contentType = result.headers['Content-Type'] ?? '';
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(result.body);
  } catch {
    parsed = undefined;
  }
  return { status: result.statusCode, contentType, text: result.body, body: parsed };
}

export function label(req: RawRequest): string {
  const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}…(${s.length} chars)` : s);
  const parts = [req.label ?? '', `${req.method} ${clip(req.path)}`];
  if (req.query && Object.keys(req.query).length > 0) parts.push(`query=${clip(JSON.stringify(req.query))}`);
  if (req.headers?.['content-type']) parts.push(`content-type=${req.headers['content-type']}`);
  if (req.body !== undefined) parts.push(`body=${clip(JSON.stringify(Buffer.from(req.body).toString('latin1')))}`);
  return parts.filter(Boolean).join(' ');
}

const KNOWN_CODES = new Set<string>([...ORIGINAL_CODES, ...PROJECT_CODES]);
/** Codes that mean the server failed rather than refused: never an answer to bad input. */
const FAILURE_CODES = new Set(['INTERNAL_ERROR', 'STORAGE_UNAVAILABLE']);

/**
 * Every reply is HTTP < 500 and a JSON envelope: `_success` true, or false with a documented
 * `_msg` code and nothing else (no exception text, no SQL, no stack). The only non-JSON replies
 * allowed are public documents (GET /docs).
 */
export function assertEnvelope(req: RawRequest, res: RawReply, route?: Route): void {
  const where = label(req);
  assert.ok(res.status < 500, `HTTP ${res.status} for ${where}: ${res.text.slice(0, 300)}`);
  if (!res.contentType.startsWith('application/json')) {
    assert.ok(route?.access.kind === 'public' && res.status === 200, `non-JSON reply (${res.contentType}) for ${where}`);
    return;
  }
  const body = res.body;
  // Public documents (GET /openapi.json) are JSON but not envelopes.
  if (route?.access.kind === 'public' && route.method === 'GET' && res.status === 200 && body && !('_success' in body)) return;
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `not an envelope for ${where}: ${res.text.slice(0, 300)}`);
  assert.equal(typeof body._success, 'boolean', `no _success for ${where}: ${res.text.slice(0, 300)}`);
  if (body._success === false) {
    assert.deepEqual(Object.keys(body).sort(), ['_msg', '_success'], `refusal carries more than _msg for ${where}: ${res.text.slice(0, 300)}`);
    // Password-policy failures are joined by commas (pro-api-behaviour.md, the PW_* row).
    assert.ok(String(body._msg).split(',').every((code) => KNOWN_CODES.has(code)), `undocumented _msg ${JSON.stringify(body._msg)} for ${where}`);
    assert.ok(!FAILURE_CODES.has(String(body._msg)), `${String(body._msg)} for ${where}`);
  }
}

export const refused = (res: RawReply): boolean => res.body?._success === false;

const tableLists = new WeakMap<object, Promise<string[]>>();
function allTables(db: Kysely<any>): Promise<string[]> {
  let list = tableLists.get(db);
  if (!list) tableLists.set(db, (list = listTables(db)));
  return list;
}

async function listTables(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.filter((t) => !t.isView).map((t) => (t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name));
}

async function readTable(db: Kysely<any>, table: string): Promise<string[]> {
  const rows = await db.selectFrom(table).selectAll().execute();
  return rows.map((row) => JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v))).sort();
}

/**
 * Writes a refused request legitimately makes, left out of the comparison:
 * - iredadmin.login_failures: every failed login counts (brute-force throttling);
 * - iredadmin.log rows of event `login`: failed logins are logged;
 * - iredadmin.api_keys.last_used_at: a refused request made with a key still counts as use.
 * Everything else in every table of amavisd, iredapd and iredadmin, plus all account storage
 * (probe.snapshot(): the vmail tables on SQL, the directory on LDAP), must stay as it was.
 */
export async function storageSnapshot(h: Harness, p: Probe): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { accounts: await p.snapshot() };
  const dbs: [string, Kysely<any>][] = h.backend === 'embedded' ? [['embedded', h.iredadmin]] : [['amavisd', h.amavisd], ['iredapd', h.iredapd], ['iredadmin', h.iredadmin]];
  for (const [name, db] of dbs) {
    for (const table of await allTables(db)) {
      const bare = table.split('.').pop()!;
      if (bare === 'login_failures') continue;
      let rows = await readTable(db, table);
      if (bare === 'log') rows = rows.filter((row) => JSON.parse(row).event !== 'login');
      if (bare === 'api_keys') rows = rows.map((row) => JSON.stringify({ ...JSON.parse(row), last_used_at: undefined }));
      out[`${name}.${table}`] = rows;
    }
  }
  return out;
}

/** Which keys of two snapshots differ, for messages. */
export function changedParts(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

export async function inChunks<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export interface SweepCase {
  req: RawRequest;
  route?: Route;
}

/**
 * Sends a batch; every reply must pass the envelope check. Then proves the refused ones
 * changed nothing: one snapshot around the whole batch. When some request of the batch
 * succeeded (a hostile-looking value can be a legitimate one, e.g. a display name), the
 * refused ones are sent again on their own as a pure-refusal batch. When a pure-refusal batch
 * changed storage, each request is re-sent alone to name the culprit.
 * Returns the replies of the first pass.
 */
export async function sweepBatch(h: Harness, p: Probe, cases: SweepCase[], concurrency = 8): Promise<RawReply[]> {
  const before = await storageSnapshot(h, p);
  const replies = await inChunks(cases, concurrency, async (c) => {
    const res = await send(c.req);
    assertEnvelope(c.req, res, c.route);
    return res;
  });
  let pending = cases.filter((_c, i) => refused(replies[i]!));
  let baseline = before;
  let succeeded = pending.length !== cases.length;
  // Some succeeded: their writes are legitimate, so re-send the refused ones as a batch of their own.
  for (let round = 0; succeeded && round < 3; round++) {
    baseline = await storageSnapshot(h, p);
    const again = await inChunks(pending, concurrency, (c) => send(c.req));
    succeeded = again.some((res) => !refused(res));
    pending = pending.filter((_c, i) => refused(again[i]!));
  }
  if (succeeded) return replies; // still not a pure-refusal batch: nothing provable
  const changed = changedParts(baseline, await storageSnapshot(h, p));
  if (changed.length > 0) {
    // Bisect: re-send each refused request alone and name the first one that changes storage.
    for (const c of pending) {
      const one = await storageSnapshot(h, p);
      const res = await send(c.req);
      const diff = changedParts(one, await storageSnapshot(h, p));
      if (refused(res) && diff.length > 0) assert.fail(`refused request changed storage (${diff.join(', ')}): ${label(c.req)} -> ${res.text.slice(0, 200)}`);
    }
    assert.fail(`a batch of refused requests changed storage (${changed.join(', ')}), but no single request reproduces it`);
  }
  return replies;
}

/** Builds a concrete path from a route pattern and capture values. */
export function pathOf(route: Route, captures: Record<string, string>, prefix = '/api'): string {
  return prefix + route.pattern.replace(/:([a-z_]+)/g, (_m, name: string) => {
    const value = captures[name];
    if (value === undefined) throw new Error(`no test value for capture :${name} of ${route.method} ${route.pattern}: add one to the suite's capture table`);
    return value;
  });
}

export function capturesOf(route: Route): string[] {
  return [...route.pattern.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
}

export { ROUTES };
