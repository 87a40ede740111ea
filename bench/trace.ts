/**
 * Lists the SQL statements (and round trips) one request of each benchmarked operation runs on
 * MariaDB: the honest basis for the raw-SQL side of bench/latency.ts. Not part of the test run.
 *   npx tsx bench/trace.ts
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BENCH_ADMIN, startBenchApi } from './support';

const requireHere = createRequire(__filename);
const statements: string[] = [];
let tracing = false;
// Kysely's MySQL driver sends every statement through Connection.prototype.query.
const BaseConnection = requireHere(join(dirname(requireHere.resolve('mysql2')), 'lib', 'base', 'connection.js')) as { prototype: { query: (...args: unknown[]) => unknown } };
const original = BaseConnection.prototype.query;
BaseConnection.prototype.query = function (this: unknown, ...args: unknown[]) {
  const first = args[0] as string | { sql: string };
  if (tracing) statements.push(typeof first === 'string' ? first : first.sql);
  return original.apply(this, args);
};

async function main(): Promise<void> {
  const api = await startBenchApi('mysql');
  try {
    const post = (path: string, params: Record<string, string>, headers: Record<string, string> = {}) => fetch(`${api.base}${path}`, { method: 'POST', headers, body: new URLSearchParams(params) });
    const token = ((await (await post('/login', BENCH_ADMIN)).json()) as any)._data.token as string;
    const auth = { authorization: `Bearer ${token}` };
    await post('/domain/trace.test', { name: 'Trace' }, auth);
    const cases: [string, () => Promise<Response>][] = [
      ['POST /api/login', () => post('/login', BENCH_ADMIN)],
      ['POST /api/user', () => post('/user/t1@trace.test', { password: 'Bench!User1', name: 'T' }, auth)],
      ['GET /api/user', () => fetch(`${api.base}/user/t1@trace.test`, { headers: auth })],
      ['PUT /api/user', () => fetch(`${api.base}/user/t1@trace.test`, { method: 'PUT', headers: auth, body: new URLSearchParams({ name: 'R', employeeid: 'E1' }) })],
      ['GET /api/domain', () => fetch(`${api.base}/domain/trace.test`, { headers: auth })],
    ];
    for (const [label, run] of cases) {
      statements.length = 0;
      tracing = true;
      const body = (await (await run()).json()) as { _success: boolean };
      tracing = false;
      process.stdout.write(`\n## ${label} (${body._success ? 'ok' : 'refused'}): ${statements.length} statements\n`);
      for (const statement of statements) process.stdout.write(`  ${statement.replace(/\s+/g, ' ').slice(0, 400)}\n`);
    }
  } finally {
    await api.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
