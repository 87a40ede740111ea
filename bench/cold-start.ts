/**
 * Cold start of every function bundle: bytes, and the time a fresh `node` process takes to
 * require the bundle and answer one request with its handler (median over BENCH_RUNS fresh
 * processes, default 5). Not part of the test run.
 *   npx tsx bench/cold-start.ts              (variants all, mysql and pgsql)
 *   BENCH_VARIANTS=mysql npx tsx bench/cold-start.ts
 *
 * Each variant is built by scripts/build-functions.ts (BUNDLE_BACKEND=<variant>) into a
 * temporary directory. The request is each family's sample event from events/ (a GET where the
 * family has one), sent with a valid Bearer token for a global admin, so it pays for what a
 * real first request pays: loading the driver, opening the pool, verifying the token,
 * re-reading the caller and running the operation, on MariaDB (variants all and mysql) or
 * PostgreSQL (pgsql). The LDAP variant needs a slapd and is not measured here. The process gets
 * the variable Lambda sets (AWS_LAMBDA_FUNCTION_NAME), so the configuration takes its
 * Lambda defaults (DB_POOL_SIZE 1).
 * Targets (issue #8): every bundle < 1 MB; first answer < 150 ms ("import + answer": from the
 * first line of the process's script to the handler's reply, which excludes Node's own boot,
 * shown separately as "process start → answer").
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every fresh process there (for finding where
 * the time goes; profiling slows the run, so the figures of such a run are not the ones to quote).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FAMILIES } from '#lib/http/routes';
import { EXTRA_FUNCTIONS } from '../infra/extra-functions';
import { shippedBytes } from '../scripts/shipped-bytes';
import { apiClient, BENCH_ADMIN, machineLine, startBenchApi, stats } from './support';

const run = promisify(execFile);
const root = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'all,mysql,pgsql').split(',') as ('all' | 'mysql' | 'pgsql')[];
const MAX_BYTES = 1_000_000;
const MAX_MS = 150;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const BENCH_FUNCTIONS = process.env.BENCH_FUNCTIONS?.split(',');

/** The sample event each function answers (events/<family>/<file>); body overrides where the sample has none. */
const REQUESTS: Record<string, { event: string; body?: string }> = {
  login: { event: 'login/post-login.json', body: new URLSearchParams(BENCH_ADMIN).toString() },
  domains: { event: 'domains/get-domains.json' },
  domain: { event: 'domain/get-domain-domain.json' },
  admin: { event: 'admin/get-admin-mail.json' },
  alias: { event: 'alias/get-alias-mail.json' },
  aliases: { event: 'aliases/get-aliases-domain.json' },
  spampolicy: { event: 'spampolicy/get-spampolicy-global.json' },
  throttle: { event: 'throttle/get-throttle-account-direction.json' },
  greylisting: { event: 'greylisting/get-greylisting-all.json' },
  user: { event: 'user/get-user-mail.json' },
  users: { event: 'users/get-users-domain.json' },
  maillist: { event: 'maillist/get-maillist-mail.json' },
  ldif: { event: 'ldif/get-ldif-admin-mail.json' },
  'verify-password': { event: 'verify-password/post-verify_password-user-mail.json', body: 'password=Bench%21User1' },
  apikey: { event: 'apikey/get-apikeys.json' },
  log: { event: 'log/get-log.json' },
  meta: { event: 'meta/get-health.json' },
};

/**
 * Runs in the fresh process: times require + one handler call. Scheduled functions get an
 * EventBridge-shaped event. Prints one JSON line.
 */
const CHILD = `
const started = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const loaded = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
Promise.resolve(handler(event)).then(async (result) => {
  const answered = performance.now();
  let outcome = 'ok';
  if (result && typeof result.body === 'string') { const body = JSON.parse(result.body); outcome = body._success ? 'ok' : String(body._msg); }
  // The same request again on the now warm container: what the first one paid only once.
  const again = performance.now();
  await handler(JSON.parse(process.env.BENCH_EVENT));
  const secondMs = performance.now() - again;
  process.stdout.write(JSON.stringify({ requireMs: loaded - started, answerMs: answered - started, sinceStartMs: answered, secondMs, outcome }) + '\\n');
  process.exit(0);
}, (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

/** What Lambda tells every function about itself; the configuration's Lambda defaults (one connection per database) follow from it. */
const LAMBDA_ENV = (name: string) => ({ AWS_LAMBDA_FUNCTION_NAME: `iredadmin-api-bench-${name}` });

async function eventFor(name: string, token: string): Promise<unknown> {
  const spec = REQUESTS[name];
  if (!spec) return { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  const event = JSON.parse(await readFile(join(root, 'events', spec.event), 'utf8'));
  const auth = `Bearer ${token}`;
  if (name !== 'login') {
    event.headers.Authorization = auth;
    event.multiValueHeaders.Authorization = [auth];
  }
  if (spec.body !== undefined) {
    event.body = spec.body;
    event.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    event.multiValueHeaders['Content-Type'] = ['application/x-www-form-urlencoded'];
  }
  return event;
}

/** One fresh process's figures (null where it crashed). */
interface Sample {
  requireMs: number | null;
  answerMs: number | null;
  sinceStartMs: number | null;
  secondMs: number | null;
  outcome: string;
}

async function measureVariant(variant: 'all' | 'mysql' | 'pgsql'): Promise<string[]> {
  const engine = variant === 'pgsql' ? 'pgsql' : 'mysql';
  const outDir = await mkdtemp(join(tmpdir(), `bench-bundles-${variant}-`));
  const server = await startBenchApi(engine);
  const client = apiClient(server.base);
  const rows: string[] = [];
  try {
    await run('npx', ['tsx', 'scripts/build-functions.ts'], { cwd: root, env: { ...process.env, BUNDLE_BACKEND: variant, BUNDLE_OUT_DIR: outDir } });
    client.setToken((await client.ok('POST', '/login', BENCH_ADMIN))._data.token);
    await client.ok('POST', '/domain/example.com', { name: 'Example' });
    await client.ok('POST', '/user/user@example.com', { password: 'Bench!User1', name: 'User' });
    const token = (await client.ok('POST', '/login', BENCH_ADMIN))._data.token as string;
    const names = [...FAMILIES, ...EXTRA_FUNCTIONS.map((extra) => extra.name)].filter((family) => !BENCH_FUNCTIONS || BENCH_FUNCTIONS.includes(family));
    const events = new Map(await Promise.all(names.map(async (name) => [name, JSON.stringify(await eventFor(name, token))] as const)));
    const samples = new Map(names.map((name) => [name, [] as Sample[]]));
    // Round by round over every function, so a burst of other work on the machine touches one
    // sample of many functions rather than every sample of one.
    for (let i = 0; i < RUNS; i++) {
      for (const name of names) {
        // Logins count against the per-user and per-address attempt limits.
        await server.store.admin.clearLoginFailures([`user:${BENCH_ADMIN.username}`, 'ip:198.51.100.7']);
        const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=${variant}-${name}-${i}.cpuprofile`, '--cpu-prof-interval=100'] : [];
        const bundle = join(outDir, name, 'index.js');
        const child = run(process.execPath, [...profile, '-e', CHILD], { cwd: outDir, env: { ...server.env, ...LAMBDA_ENV(name), PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', BENCH_BUNDLE: bundle, BENCH_EVENT: events.get(name)! } });
        const { stdout } = await child.catch((error: { stderr?: string }) => ({ stdout: JSON.stringify({ requireMs: null, answerMs: null, sinceStartMs: null, secondMs: null, outcome: `crashed: ${String(error.stderr).split('\n')[0]}` }) }));
        samples.get(name)!.push(JSON.parse(stdout.trim().split('\n').pop()!));
      }
    }
    for (const name of names) {
      // Every driver file counts, loaded or not: it is in the zip.
      const size = (await shippedBytes(join(outDir, name))).total;
      const runs = samples.get(name)!;
      const crashed = runs.some((s) => s.answerMs === null);
      const median = (pick: (s: Sample) => number | null) => (crashed ? 'n/a' : stats(runs.map((s) => pick(s)!)).median.toFixed(1));
      const answer = median((s) => s.answerMs);
      const verdict = !crashed && size < MAX_BYTES && Number(answer) < MAX_MS ? 'PASS' : 'FAIL';
      const outcomes = [...new Set(runs.map((s) => s.outcome))].join(', ');
      rows.push(`| ${variant} | ${name} | ${size} | ${median((s) => s.requireMs)} | ${answer} | ${median((s) => s.sinceStartMs)} | ${median((s) => s.secondMs)} | ${outcomes} | ${verdict} |`);
    }
  } finally {
    client.close();
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const variant of VARIANTS) rows.push(...(await measureVariant(variant)));
  process.stdout.write(`Cold start, median of ${RUNS} fresh node processes per bundle (${machineLine()})\n\n`);
  process.stdout.write(`| variant | function | bytes | require ms | import + answer ms | process start → answer ms | same request again ms | reply | < 1 MB and < ${MAX_MS} ms |\n|---|---|---|---|---|---|---|---|---|\n`);
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
