/**
 * Mail-user figures against MariaDB on this machine (BENCH_ENGINE=pgsql|embedded for the
 * others). Not part of the test run.
 *   npx tsx bench/users.ts                 (BENCH_USERS=100000 by default)
 *
 * 1. Median/p99 latency of create, get and update user through the local HTTP server (the
 *    same dispatcher the Lambdas run), and of the same writes/reads as raw SQL on the same
 *    database: the rows the API writes (mailbox + forwardings self row in one transaction),
 *    the row GET reads, the UPDATE PUT runs.
 * 2. PUT /api/users/<domain> and GET /api/users/<domain>?page=1 on a domain of BENCH_USERS
 *    users, seeded with multi-row INSERTs.
 */
import { cpus } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { hashPassword } from '#lib/auth/passwords';
import { openDatabase } from '#lib/storage/sql/connect';
import { BENCH_ADMIN, startBenchApi, stats, time } from './support';
import { mailboxRow, now, seedUsers as seed, selfRow } from './seed';

const engine = (process.env.BENCH_ENGINE ?? 'mysql') as 'mysql' | 'pgsql' | 'embedded';
const BIG = Number(process.env.BENCH_USERS ?? 100_000);
const N = Number(process.env.BENCH_N ?? 300);
const PASSWORD = 'Bench!User1';


async function expectOk(response: Promise<Response>): Promise<void> {
  const body = (await (await response).json()) as { _success: boolean; _msg?: string };
  if (body._success !== true) throw new Error(`API refused: ${body._msg}`);
}

async function main(): Promise<void> {
  const api = await startBenchApi(engine);
  const { dbs, store, base } = api;
  // Raw SQL runs on its own pool (the embedded database can only be shared).
  const raw = dbs.urls ? openDatabase(dbs.urls.vmail) : { db: (store.accounts as unknown as { db: Kysely<any> }).db, close: async () => {} };
  try {
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: BENCH_ADMIN.username, password: BENCH_ADMIN.password }) });
    const token = ((await login.json()) as any)._data.token as string;
    const auth = { authorization: `Bearer ${token}` };
    const api = (method: string, path: string, params?: Record<string, string>) =>
      fetch(`${base}${path}`, { method, headers: auth, body: params ? new URLSearchParams(params) : undefined });

    await expectOk(api('POST', '/domain/bench.test', { name: 'Bench' }));
    await expectOk(api('POST', '/domain/raw.test', { name: 'Raw' }));
    for (let i = 0; i < 20; i++) await fetch(`${base}/domains`, { headers: auth }); // warm up
    const results: Record<string, ReturnType<typeof stats>> = {};

    // API and raw SQL alternate, request by request, so both see the same disk and cache state.
    // The raw create hashes too (the API does it inside its request; SSHA512, microseconds).
    const db = raw.db;
    const samples: Record<string, number[]> = {};
    const record = async (label: string, fn: () => Promise<unknown>) => (samples[label] ??= []).push(await time(fn));
    for (let i = 0; i < N; i++) {
      await record('API create user (POST /api/user)', () => expectOk(api('POST', `/user/u${i}@bench.test`, { password: PASSWORD, name: `User ${i}`, quota: '0' })));
      await record('raw SQL create (mailbox + self row, 1 tx)', async () => {
        const hash = await hashPassword(PASSWORD, 'SSHA512');
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('mailbox').values(mailboxRow(`u${i}@raw.test`, 'raw.test', hash)).execute();
          await trx.insertInto('forwardings').values(selfRow(`u${i}@raw.test`, 'raw.test')).execute();
        });
      });
    }
    for (let i = 0; i < N; i++) {
      await record('API get user (GET /api/user)', () => expectOk(api('GET', `/user/u${i}@bench.test`)));
      await record('raw SQL get (SELECT mailbox row)', () => db.selectFrom('mailbox').selectAll().where('username', '=', `u${i}@raw.test`).executeTakeFirstOrThrow());
    }
    for (let i = 0; i < N; i++) {
      await record('API update user (PUT /api/user)', () => expectOk(api('PUT', `/user/u${i}@bench.test`, { name: `Renamed ${i}`, employeeid: `E${i}` })));
      await record('raw SQL update (UPDATE mailbox)', () => db.updateTable('mailbox').set({ name: `Renamed ${i}`, employeeid: `E${i}`, modified: now() }).where('username', '=', `u${i}@raw.test`).execute());
    }
    const order = ['API create user (POST /api/user)', 'raw SQL create (mailbox + self row, 1 tx)', 'API get user (GET /api/user)', 'raw SQL get (SELECT mailbox row)', 'API update user (PUT /api/user)', 'raw SQL update (UPDATE mailbox)'];
    for (const label of order) results[label] = stats(samples[label]!);

    // A domain of BIG users.
    await expectOk(api('POST', '/domain/big.test', { name: 'Big' }));
    const seedMs = await seed(db, 'big.test', BIG, await hashPassword(PASSWORD, 'SSHA512'));
    // Fresh statistics, as a server that has lived with its data would have.
    if (engine === 'mysql') await sql`analyze table mailbox, forwardings, used_quota`.execute(db);
    else await sql`analyze`.execute(db);
    const big: [string, number][] = [];
    const once = async (label: string, fn: () => Promise<unknown>) => big.push([label, await time(fn)]);
    const median = async (label: string, runs: number, fn: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) samples.push(await time(fn));
      big.push([`${label} (median of ${runs})`, stats(samples).median]);
    };
    await median('GET /api/users/big.test?page=1 (100 full rows + _total)', 20, () => expectOk(api('GET', '/users/big.test?page=1')));
    await median('GET /api/users/big.test?page=1&email_only', 20, () => expectOk(api('GET', '/users/big.test?page=1&email_only=')));
    await median('GET /api/users/big.test?page=900&limit=100', 10, () => expectOk(api('GET', '/users/big.test?page=900&limit=100')));
    await median('GET /api/users/big.test?page=1&q=user0999', 10, () => expectOk(api('GET', '/users/big.test?page=1&q=user0999')));
    // The bulk statement through the API and as raw SQL, alternating (the first bulk write after
    // the seed is the slowest, whoever does it).
    const bulkApi: number[] = [];
    const bulkRaw: number[] = [];
    for (const [i, language] of ['de_DE', 'fr_FR', 'sv_SE', 'it_IT'].entries()) {
      const viaApi = () => time(() => expectOk(api('PUT', '/users/big.test', { language })));
      const viaSql = () => time(() => db.updateTable('mailbox').set({ language, modified: now() }).where('domain', '=', 'big.test').execute());
      if (i % 2 === 0) { bulkApi.push(await viaApi()); bulkRaw.push(await viaSql()); } else { bulkRaw.push(await viaSql()); bulkApi.push(await viaApi()); }
    }
    big.push(['PUT /api/users/big.test language=… (median of 4)', stats(bulkApi).median]);
    big.push(['raw SQL: the same UPDATE mailbox … WHERE domain (median of 4, alternating)', stats(bulkRaw).median]);
    await once('PUT /api/users/big.test password (hashed once)', () => expectOk(api('PUT', '/users/big.test', { password: 'Every!One1' })));
    await once('PUT /api/users/big.test accountStatus=disabled (+ forwardings)', () => expectOk(api('PUT', '/users/big.test', { accountStatus: 'disabled' })));
    await once('PUT /api/users/big.test accountStatus=active (+ forwardings)', () => expectOk(api('PUT', '/users/big.test', { accountStatus: 'active' })));
    await once(`GET /api/users/big.test (all ${BIG} rows, no paging)`, () => expectOk(api('GET', '/users/big.test')));

    process.stdout.write(`engine=${engine} node=${process.version} cpus=${cpus().length}x ${cpus()[0]?.model}\n\n`);
    process.stdout.write(`| operation | n | median ms | p99 ms |\n|---|---|---|---|\n`);
    for (const [name, s] of Object.entries(results)) process.stdout.write(`| ${name} | ${s.n} | ${s.median.toFixed(2)} | ${s.p99.toFixed(2)} |\n`);
    process.stdout.write(`\nDomain of ${BIG} users (seeded in ${(seedMs / 1000).toFixed(1)} s with multi-row INSERTs):\n\n| operation | ms |\n|---|---|\n`);
    for (const [name, ms] of big) process.stdout.write(`| ${name} | ${ms.toFixed(1)} |\n`);
  } finally {
    if (dbs.urls) await raw.close();
    await api.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
