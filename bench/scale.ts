/**
 * Large data through the local HTTP server on MariaDB: GET /api/domains over 10,000 domains,
 * and GET /api/users/<d>?page=1, PUT /api/users/<d> and DELETE /api/domain/<d> on a domain of
 * 100,000 users, each against API Gateway's 29-second limit with the target of 5 s.
 * Seeded with multi-row INSERTs. Not part of the test run.
 *   npx tsx bench/scale.ts
 *   BENCH_DOMAINS=1000 BENCH_USERS=10000 npx tsx bench/scale.ts     (a quick dry run)
 */
import { sql } from 'kysely';
import { hashPassword } from '#lib/auth/passwords';
import { openDatabase } from '#lib/storage/sql/connect';
import { apiClient, BENCH_ADMIN, machineLine, startBenchApi, stats, time } from './support';
import { seedDomains, seedUsers } from './seed';

const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 10_000);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const LIMIT_MS = 5000;

async function main(): Promise<void> {
  const server = await startBenchApi('mysql');
  const raw = openDatabase(server.dbs.urls!.vmail);
  const client = apiClient(server.base);
  const rows: string[] = [];
  const record = (label: string, samples: number[], target = true) => {
    const s = stats(samples);
    const worst = Math.max(...samples);
    const verdict = target ? (worst < LIMIT_MS ? 'PASS' : 'FAIL') : 'no target (the floor)';
    rows.push(`| ${label} | ${samples.length} | ${s.median.toFixed(0)} | ${worst.toFixed(0)} | ${verdict} |`);
  };
  const repeat = async (runs: number, fn: (i: number) => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await time(() => fn(i)));
    return samples;
  };
  try {
    client.setToken((await client.ok('POST', '/login', BENCH_ADMIN))._data.token);
    const domainSeedMs = await seedDomains(raw.db, 'scale.test', DOMAINS);
    await client.ok('POST', '/domain/big.test', { name: 'Big' });
    const userSeedMs = await seedUsers(raw.db, 'big.test', USERS, await hashPassword('Bench!User1', 'SSHA512'));
    // Fresh statistics, as a server that has lived with its data would have.
    await sql`analyze table domain, mailbox, forwardings, used_quota`.execute(raw.db);

    const listed = await client.ok('GET', '/domains');
    const count = Object.keys(listed._data ?? {}).length;
    if (count !== DOMAINS + 1) throw new Error(`GET /api/domains listed ${count} domains`);
    record(`GET /api/domains (all ${DOMAINS + 1} domains)`, await repeat(5, () => client.ok('GET', '/domains')));
    record('GET /api/domains?page=1', await repeat(5, () => client.ok('GET', '/domains?page=1')));
    record(`GET /api/users/big.test?page=1 (of ${USERS})`, await repeat(5, () => client.ok('GET', '/users/big.test?page=1')));
    const languages = ['de_DE', 'fr_FR', 'sv_SE'];
    record(`PUT /api/users/big.test language=… (${USERS} rows)`, await repeat(3, (i) => client.ok('PUT', '/users/big.test', { language: languages[i]! })));
    record(`PUT /api/users/big.test accountStatus=disabled (${USERS} rows + forwardings)`, await repeat(1, () => client.ok('PUT', '/users/big.test', { accountStatus: 'disabled' })));
    record(`DELETE /api/domain/big.test (${USERS} users)`, await repeat(1, () => client.ok('DELETE', '/domain/big.test')));
    const left = await raw.db.selectFrom('mailbox').select((eb) => eb.fn.countAll().as('n')).where('domain', '=', 'big.test').executeTakeFirst();
    if (Number(left?.n) !== 0) throw new Error(`DELETE left ${left?.n} mailboxes`);
    // The floor for that DELETE: the same set-based statements as raw SQL in one transaction
    // (the maildirs recorded in deleted_mailboxes, then every row of the domain removed).
    await seedUsers(raw.db, 'raw.test', USERS, await hashPassword('Bench!User1', 'SSHA512'));
    await sql`analyze table mailbox, forwardings, used_quota`.execute(raw.db);
    // Each statement timed too: where the floor's time goes.
    const steps: string[] = [];
    const step = async (label: string, run: () => Promise<unknown>) => {
      const ms = await time(run);
      if (ms >= 1) steps.push(`${label} ${ms.toFixed(0)} ms`);
    };
    record(`raw SQL of that DELETE (1 transaction: INSERT deleted_mailboxes … SELECT, DELETE … WHERE domain from 14 tables)`, await repeat(1, () =>
      raw.db.transaction().execute(async (trx) => {
        await step('INSERT deleted_mailboxes … SELECT', () => sql`insert into deleted_mailboxes (username, maildir, domain, admin, delete_date, bytes, messages)
          select m.username, concat(m.storagebasedirectory, '/', m.storagenode, '/', m.maildir), m.domain, 'raw', null, coalesce(q.bytes, 0), coalesce(q.messages, 0)
          from mailbox m left join used_quota q on q.username = m.username where m.domain = 'raw.test'`.execute(trx));
        for (const table of ['domain', 'alias', 'mailbox', 'domain_admins', 'sender_bcc_domain', 'recipient_bcc_domain', 'sender_bcc_user', 'recipient_bcc_user', 'forwardings', 'moderators', 'used_quota', 'maillists', 'maillist_owners', 'last_login']) {
          await step(`DELETE ${table}`, () => sql`delete from ${sql.table(table)} where domain = 'raw.test'`.execute(trx));
        }
      })), false);
    const pool = await sql<{ mb: number }>`select @@innodb_buffer_pool_size / 1048576 as mb`.execute(raw.db);

    process.stdout.write(`Scale, local HTTP server on MariaDB (${machineLine()})\n`);
    process.stdout.write(`Seeded ${DOMAINS} domains in ${(domainSeedMs / 1000).toFixed(1)} s and ${USERS} users in ${(userSeedMs / 1000).toFixed(1)} s with multi-row INSERTs.\n\n`);
    process.stdout.write(`| request | runs | median ms | worst ms | worst < ${LIMIT_MS / 1000} s |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
    process.stdout.write(`\nThe raw DELETE's statements (InnoDB buffer pool ${Number(pool.rows[0]?.mb)} MB): ${steps.join('; ')}.\n`);
  } finally {
    client.close();
    await raw.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
