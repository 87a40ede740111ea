/**
 * Quick figures for the foundation: median and p99 latency of login, create domain and get
 * domain on the local HTTP server (the same dispatcher as the Lambdas) against MariaDB, or
 * another engine with BENCH_ENGINE=pgsql|embedded. Not part of the test run.
 *   npx tsx bench/quick.ts
 */
import { randomBytes } from 'node:crypto';
import { configFromEnv, setConfig } from '#lib/config';
import { closeStore, getStore } from '#lib/storage/open-store';
import { createLocalServer } from '#lib/http/local-server';
import { hashPassword } from '#lib/auth/passwords';
import { loadFamily } from '../functions/registry';
import { createTestDatabases } from '../test/support/databases';
import { cpus } from 'node:os';
import { freePort, stats, time } from './support';

const engine = (process.env.BENCH_ENGINE ?? 'mysql') as 'mysql' | 'pgsql' | 'embedded';


async function main(): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const dbs = await createTestDatabases(engine, 'project');
  const env: Record<string, string> = { BACKEND: engine, JWT_SECRET: randomBytes(32).toString('hex'), DATA_DIR: dbs.dataDir ?? '/tmp/unused' };
  if (dbs.urls) Object.assign(env, { VMAIL_DB_URL: dbs.urls.vmail, AMAVISD_DB_URL: dbs.urls.amavisd, IREDAPD_DB_URL: dbs.urls.iredapd, IREDADMIN_DB_URL: dbs.urls.iredadmin });
  const config = configFromEnv(env);
  setConfig(config);
  const store = await getStore(config);
  await store.migrate();
  await store.accounts.identities.createStandaloneAdmin({ username: 'bench@admins.test', passwordHash: await hashPassword('Bench1!Pw', 'SSHA512'), name: 'bench', language: 'en_US', isGlobalAdmin: true, active: true, settings: {} });
  const port = await freePort();
  const server = createLocalServer(loadFamily).listen(port, '127.0.0.1');
  const base = `http://127.0.0.1:${port}/api`;
  try {
    const login = () => fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'bench@admins.test', password: 'Bench1!Pw' }) });
    const token = ((await (await login()).json()) as any)._data.token as string;
    const auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 20; i++) await fetch(`${base}/domains`, { headers: auth }); // warm up
    const results: Record<string, ReturnType<typeof stats>> = {};
    const loginTimes: number[] = [];
    for (let i = 0; i < 4; i++) loginTimes.push(await time(login)); // under the per-user attempt limit
    await store.admin.clearLoginFailures(['user:bench@admins.test', 'ip:127.0.0.1']);
    for (let i = 0; i < 4; i++) loginTimes.push(await time(login));
    results['login'] = stats(loginTimes);
    const creates: number[] = [];
    for (let i = 0; i < 200; i++) creates.push(await time(() => fetch(`${base}/domain/bench${i}.test`, { method: 'POST', headers: auth, body: new URLSearchParams({ name: `Bench ${i}`, quota: '1024' }) })));
    results['create domain'] = stats(creates);
    const gets: number[] = [];
    for (let i = 0; i < 500; i++) gets.push(await time(() => fetch(`${base}/domain/bench${i % 200}.test`, { headers: auth })));
    results['get domain'] = stats(gets);
    process.stdout.write(`engine=${engine} node=${process.version} cpus=${cpus().length}x ${cpus()[0]?.model}\n`);
    process.stdout.write(`| operation | n | median ms | p99 ms |\n|---|---|---|---|\n`);
    for (const [name, s] of Object.entries(results)) process.stdout.write(`| ${name} | ${s.n} | ${s.median.toFixed(2)} | ${s.p99.toFixed(2)} |\n`);
  } finally {
    server.close();
    await closeStore();
    await dbs.dropAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
