/** Measuring helpers shared by the benchmarks. */
import { createServer } from 'node:net';

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
 * with a global admin to log in as. close() stops the server and drops the databases.
 */
export async function startBenchApi(engine: 'mysql' | 'pgsql' | 'embedded') {
  const { randomBytes } = await import('node:crypto');
  const { configFromEnv, setConfig } = await import('#lib/config');
  const { closeStore, getStore } = await import('#lib/storage/open-store');
  const { createLocalServer } = await import('#lib/http/local-server');
  const { hashPassword } = await import('#lib/auth/passwords');
  const { loadFamily } = await import('../functions/registry');
  const { createTestDatabases } = await import('../test/support/databases');
  process.env.LOG_LEVEL = 'silent';
  const dbs = await createTestDatabases(engine, 'project');
  const env: Record<string, string> = { BACKEND: engine, JWT_SECRET: randomBytes(32).toString('hex'), DATA_DIR: dbs.dataDir ?? '/tmp/unused' };
  if (dbs.urls) Object.assign(env, { VMAIL_DB_URL: dbs.urls.vmail, AMAVISD_DB_URL: dbs.urls.amavisd, IREDAPD_DB_URL: dbs.urls.iredapd, IREDADMIN_DB_URL: dbs.urls.iredadmin });
  const config = configFromEnv(env);
  setConfig(config);
  const store = await getStore(config);
  await store.migrate();
  await store.accounts.identities.createStandaloneAdmin({ username: BENCH_ADMIN.username, passwordHash: await hashPassword(BENCH_ADMIN.password, 'SSHA512'), name: 'bench', language: 'en_US', isGlobalAdmin: true, active: true, settings: {} });
  const port = await freePort();
  const server = createLocalServer(loadFamily).listen(port, '127.0.0.1');
  return {
    dbs,
    store,
    base: `http://127.0.0.1:${port}/api`,
    async close() {
      server.close();
      await closeStore();
      await dbs.dropAll();
    },
  };
}
