/**
 * Throughput of GET /api/user/<mail> and GET /api/domain/<d> on the local HTTP server against
 * MariaDB, driven by autocannon on loopback (bounded: BENCH_SECONDS per route, default 10,
 * BENCH_CONNECTIONS concurrent keep-alive connections, default 10). Not part of the test run.
 *   npx tsx bench/throughput.ts
 *
 * autocannon runs in a worker thread beside the server; both share this machine (2 cores here): the figures are a floor
 * for one Node process, not for API Gateway + Lambda, which scales by adding containers.
 */
import { createRequire } from 'node:module';
import { apiClient, BENCH_ADMIN, machineLine, startBenchApi } from './support';

interface Histogram { average: number; p50: number; p90: number; p99: number; max: number }
interface Result { requests: Histogram & { total: number }; latency: Histogram; non2xx: number; errors: number; timeouts: number; duration: number }
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;
// autocannon ships no type declarations; only the fields read below are declared.
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function main(): Promise<void> {
  const server = await startBenchApi('mysql');
  const client = apiClient(server.base);
  try {
    const token = (await client.ok('POST', '/login', BENCH_ADMIN))._data.token as string;
    client.setToken(token);
    await client.ok('POST', '/domain/load.test', { name: 'Load' });
    await client.ok('POST', '/user/someone@load.test', { password: 'Bench!User1', name: 'Someone' });
    const rows: string[] = [];
    for (const path of ['/user/someone@load.test', '/domain/load.test']) {
      const url = `${server.base}${path}`;
      await autocannon({ url, connections: CONNECTIONS, workers: 1, duration: 2, headers: { authorization: `Bearer ${token}` } }); // warm up
      const result = await autocannon({ url, connections: CONNECTIONS, workers: 1, duration: SECONDS, headers: { authorization: `Bearer ${token}` } });
      // Every reply must be a success envelope, or the rate would count refusals.
      const check = await client.call('GET', path);
      if (!check._success || result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: non-2xx ${result.non2xx}, errors ${result.errors}, ${check._msg ?? ''}`);
      const l = result.latency;
      rows.push(`| GET /api${path} | ${CONNECTIONS} | ${result.requests.total} | ${result.requests.average.toFixed(0)} | ${l.p50} | ${l.p90} | ${l.p99} | ${l.max} |`);
    }
    process.stdout.write(`Throughput, autocannon on loopback, ${SECONDS} s per route, local HTTP server on MariaDB (${machineLine()})\n\n`);
    process.stdout.write(`| request | connections | requests | req/s (mean) | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    client.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
