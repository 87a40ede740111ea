/**
 * The behavioural suite's harness: one backend per test process, chosen by TEST_BACKEND
 * (embedded | mysql | pgsql | mysql-genuine | pgsql-genuine | ldap). It creates throw-away
 * databases on the real servers (or a PGlite directory), runs the same dispatcher the
 * Lambdas run, and gives tests a client that speaks the API as a cookie-jar client does.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { configFromEnv, setConfig, type Config } from '#lib/config';
import { closeStore, getStore } from '#lib/storage/open-store';
import { createHandler } from '#lib/http/dispatch';
import type { GatewayEvent } from '#lib/http/aws-event';
import type { Store } from '#lib/storage/store';
import { hashPassword } from '#lib/auth/passwords';
import { openDatabase, openEmbedded } from '#lib/storage/sql/connect';
import { loadFamily } from '../../functions/registry';
import { createTestDatabases } from './databases';
import { startSlapd, type SlapdInstance } from './slapd';

export const BACKEND = (process.env.TEST_BACKEND ?? 'embedded') as 'embedded' | 'mysql' | 'pgsql' | 'mysql-genuine' | 'pgsql-genuine' | 'ldap';
export const GLOBAL_ADMIN = { username: 'admin@admins.test', password: 'Adm1n!Secret#' };

export interface ApiResponse {
  status: number;
  body: Record<string, any>;
  headers: Record<string, string>;
  cookies: string[];
}

export interface CallOptions {
  /** Sent as a form body (default), JSON, or left in the query string. */
  as?: 'form' | 'json' | 'query' | 'multipart';
  token?: string;
  /** Raw Cookie header; overrides the client's jar. */
  cookie?: string;
  headers?: Record<string, string>;
  sourceIp?: string;
  rawBody?: string;
}

export class ApiClient {
  private jar = new Map<string, string>();
  constructor(private readonly handler: (event: GatewayEvent) => Promise<any>) {}

  async call(method: string, path: string, params: Record<string, string> = {}, options: CallOptions = {}): Promise<ApiResponse> {
    const as = options.as ?? (method === 'GET' || method === 'DELETE' ? 'query' : 'form');
    const url = new URL(path, 'http://api.test');
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.rawBody;
    if (as === 'query') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    else if (as === 'json') {
      body = JSON.stringify(params);
      headers['content-type'] = 'application/json';
    } else if (as === 'multipart') {
      const boundary = '----b' + randomBytes(6).toString('hex');
      body = Object.entries(params).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    } else if (body === undefined) {
      body = new URLSearchParams(params).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const cookie = options.cookie ?? [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    const multi: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (multi[k] ??= []).push(v);
    const result = await this.handler({
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueQueryStringParameters: multi,
      requestContext: { requestId: randomBytes(8).toString('hex'), identity: { sourceIp: options.sourceIp ?? '127.0.0.1' } },
      body: body === undefined ? null : Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    const cookies: string[] = result.multiValueHeaders?.['Set-Cookie'] ?? [];
    for (const line of cookies) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: result.statusCode, body: JSON.parse(result.body), headers: result.headers, cookies };
  }

  get(path: string, params?: Record<string, string>, options?: CallOptions) { return this.call('GET', path, params, options); }
  post(path: string, params?: Record<string, string>, options?: CallOptions) { return this.call('POST', path, params, options); }
  put(path: string, params?: Record<string, string>, options?: CallOptions) { return this.call('PUT', path, params, options); }
  delete(path: string, params?: Record<string, string>, options?: CallOptions) { return this.call('DELETE', path, params, options); }

  async login(username: string, password: string): Promise<ApiResponse> {
    return this.post('/api/login', { username, password });
  }

  clearCookies(): void {
    this.jar.clear();
  }
}

export interface Harness {
  backend: typeof BACKEND;
  config: Config;
  store: Store;
  /** Direct handles on the databases, for checking what the API wrote. */
  vmail: Kysely<any>;
  amavisd: Kysely<any>;
  iredapd: Kysely<any>;
  iredadmin: Kysely<any>;
  engine: 'mysql' | 'postgres';
  /** TEST_BACKEND=ldap: the private slapd holding the accounts (vmail is then absent; use test/support/probe.ts). */
  ldap?: SlapdInstance;
  /** A fresh cookie-jar client (not logged in). */
  client(): ApiClient;
  /** A client logged in as the given admin (default: the global admin). */
  loggedIn(username?: string, password?: string): Promise<ApiClient>;
  /** Creates a standalone admin directly in storage (not through the API under test). */
  seedAdmin(username: string, password: string, options?: { global?: boolean; domains?: string[]; active?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Rewrites the URL the API's store uses for one database or the directory (e.g. through test/support/fault-proxy.ts); the test's own handles keep the direct URL. */
  connectVia?: (target: 'vmail' | 'amavisd' | 'iredapd' | 'iredadmin' | 'ldap', url: string) => string;
  /** Extra settings for the API's configuration (e.g. POLICY_FOLLOWUP_GRACE_SECONDS). */
  env?: Record<string, string>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  process.env.LOG_LEVEL ??= 'silent';
  // ldap: accounts in a private slapd; amavisd/iredapd/iredadmin on MariaDB, as on an iRedMail LDAP server.
  const ldap = BACKEND === 'ldap' ? await startSlapd() : undefined;
  const engine = BACKEND.startsWith('mysql') || ldap ? 'mysql' : BACKEND.startsWith('pgsql') ? 'pgsql' : 'embedded';
  const flavour = BACKEND.endsWith('-genuine') ? 'genuine' : 'project';
  const dbs = await createTestDatabases(engine, flavour);
  const env: Record<string, string | undefined> = {
    BACKEND: ldap ? 'ldap' : engine,
    DATA_DIR: dbs.dataDir ?? '/tmp/unused',
    JWT_SECRET: randomBytes(32).toString('hex'),
    DEFAULT_PASSWORD_SCHEME: 'SSHA512',
    // DB_POOL_SIZE=1 runs a suite with the connections a Lambda container has.
    DB_POOL_SIZE: process.env.DB_POOL_SIZE,
  };
  const via = options.connectVia ?? ((_target: string, url: string) => url);
  if (dbs.urls) {
    if (!ldap) env.VMAIL_DB_URL = via('vmail', dbs.urls.vmail);
    env.AMAVISD_DB_URL = via('amavisd', dbs.urls.amavisd);
    env.IREDAPD_DB_URL = via('iredapd', dbs.urls.iredapd);
    env.IREDADMIN_DB_URL = via('iredadmin', dbs.urls.iredadmin);
  }
  if (ldap) Object.assign(env, { LDAP_URL: via('ldap', ldap.url), LDAP_SUFFIX: ldap.suffix, LDAP_BIND_DN: ldap.adminDn, LDAP_BIND_PASSWORD: ldap.adminPassword });
  const config = configFromEnv({ ...env, ...options.env });
  setConfig(config);
  const store = await getStore(config);
  await store.migrate();

  // Separate handles for assertions; the embedded database is shared with the store (one PGlite).
  let handles: { vmail: Kysely<any>; amavisd: Kysely<any>; iredapd: Kysely<any>; iredadmin: Kysely<any>; close: () => Promise<void> };
  if (dbs.urls) {
    const opened = await Promise.all([dbs.urls.vmail, dbs.urls.amavisd, dbs.urls.iredapd, dbs.urls.iredadmin].map((url) => openDatabase(url)));
    handles = { vmail: opened[0]!.db, amavisd: opened[1]!.db, iredapd: opened[2]!.db, iredadmin: opened[3]!.db, close: async () => { await Promise.all(opened.map((entry) => entry.close())); } };
    if (ldap) handles.vmail = new Proxy({}, { get() { throw new Error('TEST_BACKEND=ldap has no vmail database: check storage through test/support/probe.ts'); } }) as Kysely<any>;
  } else {
    const shared = (store as unknown as { accounts: { db: Kysely<any> } }).accounts.db;
    handles = { vmail: shared, amavisd: shared, iredapd: shared, iredadmin: shared, close: async () => {} };
  }

  const handler = createHandler('*', loadFamily);
  const harness: Harness = {
    backend: BACKEND,
    config,
    store,
    ...handles,
    engine: engine === 'mysql' ? 'mysql' : 'postgres',
    ldap,
    client: () => new ApiClient(handler),
    async loggedIn(username = GLOBAL_ADMIN.username, password = GLOBAL_ADMIN.password) {
      const client = new ApiClient(handler);
      const res = await client.login(username, password);
      if (res.body._success !== true) throw new Error(`login as ${username} failed: ${JSON.stringify(res.body)}`);
      return client;
    },
    async seedAdmin(username, password, options = {}) {
      const passwordHash = await hashPassword(password, 'SSHA512');
      await store.accounts.identities.createStandaloneAdmin({ username, passwordHash, name: username, language: 'en_US', isGlobalAdmin: options.global ?? false, active: options.active ?? true, settings: {} });
      for (const domain of options.domains ?? []) {
        await store.accounts.domains.setAdmins(domain, { add: [username], remove: [], removeAll: false });
      }
    },
    async close() {
      await handles.close();
      await closeStore();
      await dbs.dropAll();
      await ldap?.stop();
    },
  };
  await harness.seedAdmin(GLOBAL_ADMIN.username, GLOBAL_ADMIN.password, { global: true });
  return harness;
}

/** Reads every row of a table (sorted), to compare storage before and after a refused request. */
export async function snapshot(db: Kysely<any>, tables: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute();
    out[table] = rows.map((row) => JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))).sort();
  }
  return out;
}

export const VMAIL_TABLES = ['domain', 'alias_domain', 'mailbox', 'forwardings', 'alias', 'domain_admins', 'admin', 'sender_bcc_domain', 'recipient_bcc_domain', 'sender_bcc_user', 'recipient_bcc_user', 'sender_relayhost', 'deleted_mailboxes'];

/** A mailbox row written straight into vmail, for tests of domain features that need users. */
export async function seedMailbox(h: Harness, username: string, options: { quota?: number; isadmin?: boolean; password?: string } = {}): Promise<void> {
  const domain = username.split('@')[1]!;
  const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
  const password = options.password ? await hashPassword(options.password, 'SSHA512') : '{PLAIN}unused';
  await h.vmail.insertInto('mailbox').values({
    username, password, name: username, domain, quota: options.quota ?? 0,
    storagebasedirectory: '/var/vmail', storagenode: 'vmail1', maildir: `${domain}/${username[0]}/x/y/${username.split('@')[0]}-2026.01.01.00.00.00/`,
    isadmin: options.isadmin ? 1 : 0, created: now, modified: now, passwordlastchange: now, active: 1,
  }).execute();
  await h.vmail.insertInto('forwardings').values({ address: username, forwarding: username, domain, dest_domain: domain, is_forwarding: 1, active: 1 }).execute();
}
