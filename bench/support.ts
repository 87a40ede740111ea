/** Measuring helpers shared by the benchmarks. */
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { EqualityFilter, type Client } from 'ldapts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Stats {
  n: number;
  median: number;
  p99: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, median: at(0.5), p99: at(0.99) };
}

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export const BENCH_ADMIN = { username: 'bench@admins.test', password: 'Bench1!Pw' };

/**
 * The local HTTP server (the Lambdas' dispatcher) on throw-away databases of one engine,
 * with a global admin to log in as. `ldap`: accounts in a private slapd, the policy and
 * iredadmin databases on MariaDB (as on an iRedMail LDAP server). close() stops the server,
 * drops the databases and stops slapd.
 */
export async function startBenchApi(engine: 'mysql' | 'pgsql' | 'embedded' | 'ldap') {
  const { randomBytes } = await import('node:crypto');
  const { configFromEnv, setConfig } = await import('#lib/config');
  const { closeStore, getStore } = await import('#lib/storage/open-store');
  const { createLocalServer } = await import('#lib/http/local-server');
  const { hashPassword } = await import('#lib/auth/passwords');
  const { loadFamily } = await import('../functions/registry');
  const { createTestDatabases } = await import('../test/support/databases');
  const { startSlapd } = await import('../test/support/slapd');
  process.env.LOG_LEVEL = 'silent';
  const slapd = engine === 'ldap' ? await startSlapd() : undefined;
  const dbs = await createTestDatabases(slapd ? 'mysql' : (engine as 'mysql' | 'pgsql' | 'embedded'), 'project');
  const env: Record<string, string> = { BACKEND: engine, JWT_SECRET: randomBytes(32).toString('hex'), DATA_DIR: dbs.dataDir ?? '/tmp/unused' };
  if (dbs.urls) Object.assign(env, { AMAVISD_DB_URL: dbs.urls.amavisd, IREDAPD_DB_URL: dbs.urls.iredapd, IREDADMIN_DB_URL: dbs.urls.iredadmin });
  if (dbs.urls && !slapd) env.VMAIL_DB_URL = dbs.urls.vmail;
  if (slapd) Object.assign(env, { LDAP_URL: slapd.url, LDAP_SUFFIX: slapd.suffix, LDAP_BIND_DN: slapd.adminDn, LDAP_BIND_PASSWORD: slapd.adminPassword });
  const config = configFromEnv(env);
  setConfig(config);
  const store = await getStore(config);
  await store.migrate();
  await store.accounts.identities.createStandaloneAdmin({ username: BENCH_ADMIN.username, passwordHash: await hashPassword(BENCH_ADMIN.password, 'SSHA512'), name: 'bench', language: 'en_US', isGlobalAdmin: true, active: true, settings: {} });
  const port = await freePort();
  const server = createLocalServer(loadFamily).listen(port, '127.0.0.1');
  return {
    dbs,
    slapd,
    store,
    /** The server's environment (same JWT secret and databases), for function bundles run beside it. */
    env,
    base: `http://127.0.0.1:${port}/api`,
    async close() {
      server.close();
      await closeStore();
      await dbs.dropAll();
      await slapd?.stop();
    },
  };
}

/**
 * A keep-alive HTTP client for the local server: lighter than fetch, so the figures measure
 * the server, not the client. Resolves with the parsed JSON body.
 */
export function apiClient(base: string, token?: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(base);
  let bearer = token;
  const call = (method: string, path: string, params?: Record<string, string>) =>
    new Promise<{ _success: boolean; _msg?: string; _data?: any }>((resolve, reject) => {
      const body = params ? new URLSearchParams(params).toString() : undefined;
      const headers: Record<string, string> = {};
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) });
      const req = request({ agent, host: url.hostname, port: url.port, method, path: `${url.pathname}${path}`, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (error) { reject(error); }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    call,
    /** Like call, but throws when the API refuses. */
    async ok(method: string, path: string, params?: Record<string, string>) {
      const reply = await call(method, path, params);
      if (reply._success !== true) throw new Error(`${method} ${path} refused: ${reply._msg}`);
      return reply;
    },
    setToken(value: string) { bearer = value; },
    close() { agent.destroy(); },
  };
}

/** The machine and its load, printed above every table (other work on the machine skews the figures). */
export function machineLine(): string {
  const load = loadavg().map((value) => value.toFixed(2)).join(' ');
  return `node ${process.version}, ${cpus().length}x ${cpus()[0]?.model.trim()}, load average ${load}`;
}

/** The usual table: one row per operation with its sample count, median and p99. */
export function printStatsTable(results: Record<string, Stats>): void {
  process.stdout.write(`| operation | n | median ms | p99 ms |\n|---|---|---|---|\n`);
  for (const [name, s] of Object.entries(results)) process.stdout.write(`| ${name} | ${s.n} | ${s.median.toFixed(2)} | ${s.p99.toFixed(2)} |\n`);
}

/** The raw side of the LDAP benches: one base-scope read of an entry, with the timestamps the API's stores read. */
export function readEntry(client: Client, dn: string, objectClass: string) {
  return client.search(dn, { scope: 'base', filter: new EqualityFilter({ attribute: 'objectClass', value: objectClass }), attributes: ['*', 'createTimestamp', 'modifyTimestamp'] });
}

/** The line above the LDAP benches' tables. */
export function ldapMachineLine(slapdUrl: string): string {
  return `backend=ldap (slapd ${slapdUrl}, MariaDB for iredadmin), ${machineLine()}\n`;
}
