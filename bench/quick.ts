/**
 * Quick figures for the foundation: median and p99 latency of login, create domain and get
 * domain on the local HTTP server (the same dispatcher as the Lambdas) against MariaDB, or
 * another engine with BENCH_ENGINE=pgsql|embedded. Not part of the test run.
 *   npx tsx bench/quick.ts
 */
import { cpus } from 'node:os';
import { BENCH_ADMIN, startBenchApi, stats, time, printStatsTable } from './support';

const engine = (process.env.BENCH_ENGINE ?? 'mysql') as 'mysql' | 'pgsql' | 'embedded';


async function main(): Promise<void> {
  const api = await startBenchApi(engine);
  const { store, base } = api;
  try {
    const login = () => fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: BENCH_ADMIN.username, password: BENCH_ADMIN.password }) });
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
    printStatsTable(results);
  } finally {
    await api.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
