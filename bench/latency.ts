/**
 * Warm latency of login, create/get/update user and get domain through the local HTTP server
 * (the dispatcher the Lambdas run) on MariaDB, beside hand-written raw SQL (mysql2, same
 * process, one pooled connection) of the same operations. Not part of the test run.
 *   npx tsx bench/latency.ts            (BENCH_N=300 requests per operation)
 *
 * The raw side is what a careful hand-written client must do for the same result, including
 * re-reading the caller's admin row and grants (the API does that on every request so a
 * disabled admin or a changed password ends old tokens): each statement is printed below the
 * table. API and raw alternate request by request, so both see the same cache and load.
 * Targets (issue #8): create user within 3x raw, get user within 2x raw.
 */
import { createPool, type PoolConnection } from 'mysql2/promise';
import { hashPassword, verifyPassword } from '#lib/auth/passwords';
import { maildirPath } from '#lib/services/maildir';
import { apiClient, BENCH_ADMIN, machineLine, startBenchApi, stats, time } from './support';
import { now } from './seed';

const N = Number(process.env.BENCH_N ?? 300);
const PASSWORD = 'Bench!User1';
const TARGETS: Record<string, number> = { 'create user': 3, 'get user': 2 };

/** The caller re-read every request: the admin row, then its active grants. */
const CALLER_SQL = ['SELECT username, password, active FROM admin WHERE username = ?', 'SELECT domain FROM domain_admins WHERE username = ? AND active = 1'];

async function readCaller(vmail: PoolConnection): Promise<void> {
  const [admins] = await vmail.query<any[]>(CALLER_SQL[0]!, [BENCH_ADMIN.username]);
  if (admins.length !== 1) throw new Error('no bench admin');
  await vmail.query(CALLER_SQL[1]!, [BENCH_ADMIN.username]);
}

async function logAction(admin: PoolConnection, event: string, username: string): Promise<void> {
  await admin.query('INSERT INTO log (timestamp, admin, ip, domain, username, event, loglevel, msg) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [now(), BENCH_ADMIN.username, '127.0.0.1', 'raw.test', username, event, 'info', event]);
}

interface RawOperation {
  /** Each statement, for the reader to judge the comparison. */
  statements: string[];
  run(i: number): Promise<unknown>;
}

function rawOperations(vmail: PoolConnection, admin: PoolConnection): Record<string, RawOperation> {
  const user = (i: number) => `u${i}@raw.test`;
  return {
    login: {
      statements: [
        'BEGIN; per key (user, ip): INSERT login_failures … ON DUPLICATE KEY UPDATE; SELECT failures; COMMIT (rate limit)',
        ...CALLER_SQL,
        'verify the SSHA512 hash in JS',
        'DELETE FROM login_failures WHERE key IN (user); UPDATE login_failures SET failures = failures - 1 WHERE key = ip',
        'INSERT INTO log (…)',
      ],
      async run() {
        const stamp = Math.floor(Date.now() / 1000);
        await admin.beginTransaction();
        for (const key of [`user:${BENCH_ADMIN.username}`, 'ip:127.0.0.1']) {
          await admin.query('INSERT INTO login_failures (`key`, failures, first_failure, locked_until) VALUES (?, 1, ?, 0) ON DUPLICATE KEY UPDATE failures = IF(first_failure < ?, 1, failures + 1), first_failure = IF(first_failure < ?, ?, first_failure)', [key, stamp, stamp - 900, stamp - 900, stamp]);
          await admin.query('SELECT failures FROM login_failures WHERE `key` = ?', [key]);
        }
        await admin.commit();
        const [rows] = await vmail.query<any[]>(CALLER_SQL[0]!, [BENCH_ADMIN.username]);
        await vmail.query(CALLER_SQL[1]!, [BENCH_ADMIN.username]);
        if (!(await verifyPassword(BENCH_ADMIN.password, rows[0].password))) throw new Error('raw login: bad password');
        await admin.query('DELETE FROM login_failures WHERE `key` IN (?)', [`user:${BENCH_ADMIN.username}`]);
        await admin.query('UPDATE login_failures SET failures = failures - 1 WHERE `key` = ? AND failures > 0', ['ip:127.0.0.1']);
        await logAction(admin, 'login', BENCH_ADMIN.username);
      },
    },
    'create user': {
      statements: [
        ...CALLER_SQL,
        'hash the password (SSHA512) in JS',
        'BEGIN; SELECT * FROM domain WHERE domain = ? FOR UPDATE (limits, quota)',
        'SELECT 1 FROM mailbox/alias/maillists/forwardings WHERE address = ? (UNION ALL, one statement)',
        'INSERT INTO mailbox (…18 columns); INSERT INTO forwardings (self row); COMMIT',
        'INSERT INTO log (…)',
      ],
      async run(i) {
        await readCaller(vmail);
        const hash = await hashPassword(PASSWORD, 'SSHA512');
        const stamp = now();
        await vmail.beginTransaction();
        await vmail.query('SELECT * FROM domain WHERE domain = ? FOR UPDATE', ['raw.test']);
        const [taken] = await vmail.query<any[]>('SELECT 1 AS hit FROM mailbox WHERE username = ? UNION ALL SELECT 1 FROM alias WHERE address = ? UNION ALL SELECT 1 FROM maillists WHERE address = ? UNION ALL SELECT 1 FROM forwardings WHERE address = ? LIMIT 1', [user(i), user(i), user(i), user(i)]);
        if (taken.length > 0) throw new Error('raw create: exists');
        await vmail.query('INSERT INTO mailbox (username, password, name, language, mailboxformat, mailboxfolder, storagebasedirectory, storagenode, maildir, quota, domain, transport, disclaimer, settings, passwordlastchange, created, modified, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [user(i), hash, `User ${i}`, '', 'maildir', 'Maildir', '/var/vmail', 'vmail1', maildirPath(user(i)), 0, 'raw.test', '', '', '', stamp, stamp, stamp, 1]);
        await vmail.query('INSERT INTO forwardings (address, forwarding, domain, dest_domain, is_forwarding, active) VALUES (?, ?, ?, ?, 1, 1)', [user(i), user(i), 'raw.test', 'raw.test']);
        await vmail.commit();
        await logAction(admin, 'create_user', user(i));
      },
    },
    'get user': {
      statements: [
        ...CALLER_SQL,
        'SELECT * FROM mailbox WHERE username = ?',
        'SELECT sender/recipient bcc, used_quota, last_login (7 scalar subqueries, one statement)',
        'SELECT … FROM forwardings WHERE (address = ? AND is_forwarding = 1) OR (forwarding = ? AND (is_alias = 1 OR is_list = 1))',
        'SELECT domain FROM domain_admins WHERE username = ? AND domain <> \'ALL\' AND active = 1',
        'JSON.stringify of the same fields',
      ],
      async run(i) {
        await readCaller(vmail);
        const [rows] = await vmail.query<any[]>('SELECT * FROM mailbox WHERE username = ?', [user(i)]);
        const [extras] = await vmail.query<any[]>('SELECT (SELECT bcc_address FROM sender_bcc_user WHERE username = ?) AS sbcc, (SELECT active FROM sender_bcc_user WHERE username = ?) AS sbcc_active, (SELECT bcc_address FROM recipient_bcc_user WHERE username = ?) AS rbcc, (SELECT active FROM recipient_bcc_user WHERE username = ?) AS rbcc_active, (SELECT bytes FROM used_quota WHERE username = ?) AS bytes, (SELECT messages FROM used_quota WHERE username = ?) AS messages, (SELECT MAX(GREATEST(COALESCE(imap, 0), COALESCE(pop3, 0), COALESCE(lda, 0))) FROM last_login WHERE username = ?) AS last_login', Array(7).fill(user(i)));
        const [forwardings] = await vmail.query<any[]>('SELECT address, forwarding, is_forwarding, is_alias, is_list FROM forwardings WHERE (address = ? AND is_forwarding = 1) OR (forwarding = ? AND (is_alias = 1 OR is_list = 1))', [user(i), user(i)]);
        const [domains] = await vmail.query<any[]>("SELECT domain FROM domain_admins WHERE username = ? AND domain <> 'ALL' AND active = 1", [user(i)]);
        return JSON.stringify({ ...rows[0], ...extras[0], forwardings, domains });
      },
    },
    'update user': {
      statements: [
        ...CALLER_SQL,
        'BEGIN; SELECT * FROM domain WHERE domain = ? FOR UPDATE; SELECT … FROM mailbox WHERE username = ? FOR UPDATE',
        'UPDATE mailbox SET name = ?, employeeid = ?, modified = ? WHERE username = ?; COMMIT',
        'INSERT INTO log (…)',
      ],
      async run(i) {
        await readCaller(vmail);
        await vmail.beginTransaction();
        await vmail.query('SELECT * FROM domain WHERE domain = ? FOR UPDATE', ['raw.test']);
        await vmail.query('SELECT username, domain, quota, active, isadmin, isglobaladmin FROM mailbox WHERE username = ? FOR UPDATE', [user(i)]);
        await vmail.query('UPDATE mailbox SET name = ?, employeeid = ?, modified = ? WHERE username = ?', [`Renamed ${i}`, `E${i}`, now(), user(i)]);
        await vmail.commit();
        await logAction(admin, 'update_user', user(i));
      },
    },
    'get domain': {
      statements: [
        ...CALLER_SQL,
        'SELECT * FROM domain WHERE domain = ?',
        'SELECT user count, allocated quota, bcc, relay (scalar subqueries, one statement)',
        'SELECT forwarding FROM forwardings WHERE address = ? AND is_forwarding = 1 …',
        'SELECT alias_domain FROM alias_domain WHERE target_domain = ?',
        'JSON.stringify of the same fields',
      ],
      async run() {
        await readCaller(vmail);
        const [rows] = await vmail.query<any[]>('SELECT * FROM domain WHERE domain = ?', ['raw.test']);
        const [counts] = await vmail.query<any[]>('SELECT (SELECT COUNT(*) FROM mailbox WHERE domain = ?) AS users, (SELECT COALESCE(SUM(quota), 0) FROM mailbox WHERE domain = ?) AS allocated, (SELECT bcc_address FROM sender_bcc_domain WHERE domain = ?) AS sbcc, (SELECT bcc_address FROM recipient_bcc_domain WHERE domain = ?) AS rbcc, (SELECT relayhost FROM sender_relayhost WHERE account = ?) AS relay', ['raw.test', 'raw.test', 'raw.test', 'raw.test', '@raw.test']);
        const [forwardings] = await vmail.query<any[]>('SELECT forwarding FROM forwardings WHERE address = ? AND is_forwarding = 1 AND is_alias = 0 AND is_list = 0 AND is_maillist = 0 ORDER BY forwarding', ['raw.test']);
        const [aliases] = await vmail.query<any[]>('SELECT alias_domain FROM alias_domain WHERE target_domain = ? ORDER BY alias_domain', ['raw.test']);
        return JSON.stringify({ ...rows[0], ...counts[0], forwardings, aliases });
      },
    },
  };
}

async function main(): Promise<void> {
  const server = await startBenchApi('mysql');
  const urls = server.dbs.urls!;
  const vmailPool = createPool({ uri: urls.vmail, connectionLimit: 1 });
  const adminPool = createPool({ uri: urls.iredadmin, connectionLimit: 1 });
  const vmail = await vmailPool.getConnection();
  const admin = await adminPool.getConnection();
  const client = apiClient(server.base);
  try {
    client.setToken((await client.ok('POST', '/login', BENCH_ADMIN))._data.token);
    await client.ok('POST', '/domain/bench.test', { name: 'Bench' });
    await client.ok('POST', '/domain/raw.test', { name: 'Raw' });
    const raw = rawOperations(vmail, admin);
    const viaApi: Record<string, (i: number) => Promise<unknown>> = {
      login: async () => {
        await client.ok('POST', '/login', BENCH_ADMIN);
      },
      'create user': (i) => client.ok('POST', `/user/u${i}@bench.test`, { password: PASSWORD, name: `User ${i}`, quota: '0' }),
      'get user': (i) => client.ok('GET', `/user/u${i}@bench.test`),
      'update user': (i) => client.ok('PUT', `/user/u${i}@bench.test`, { name: `Renamed ${i}`, employeeid: `E${i}` }),
      'get domain': () => client.ok('GET', '/domain/bench.test'),
    };
    // Warm both sides (JIT, pools, the families' modules) on throw-away rows.
    for (let i = 0; i < 30; i++) {
      await viaApi['get domain']!(i);
      await raw['get domain']!.run(i);
    }
    const rows: string[] = [];
    for (const [name, runApi] of Object.entries(viaApi)) {
      const apiTimes: number[] = [];
      const rawTimes: number[] = [];
      const count = name === 'login' ? Math.min(N, 100) : N;
      for (let i = 0; i < count; i++) {
        // Logins count against the per-user attempt limit: reset it outside the timed part.
        if (name === 'login') await server.store.admin.clearLoginFailures([`user:${BENCH_ADMIN.username}`, 'ip:127.0.0.1']);
        apiTimes.push(await time(() => runApi(i)));
        rawTimes.push(await time(() => raw[name]!.run(i)));
      }
      const a = stats(apiTimes);
      const r = stats(rawTimes);
      const ratio = a.median / r.median;
      const target = TARGETS[name];
      const verdict = target === undefined ? '' : `${ratio <= target ? 'PASS' : 'FAIL'} (≤ ${target}×)`;
      rows.push(`| ${name} | ${count} | ${a.median.toFixed(2)} | ${a.p99.toFixed(2)} | ${r.median.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio.toFixed(2)}× | ${verdict} |`);
    }
    process.stdout.write(`Warm latency, local HTTP server vs raw SQL, MariaDB (${machineLine()})\n\n`);
    process.stdout.write('| operation | n | API median ms | API p99 ms | raw median ms | raw p99 ms | API/raw (median) | target |\n|---|---|---|---|---|---|---|---|\n');
    process.stdout.write(`${rows.join('\n')}\n\nWhat the raw side runs (mysql2, one pooled connection each for vmail and iredadmin, statements in sequence):\n`);
    for (const [name, operation] of Object.entries(raw)) process.stdout.write(`- ${name}: ${operation.statements.join('; ')}\n`);
  } finally {
    client.close();
    vmail.release();
    admin.release();
    await vmailPool.end();
    await adminPool.end();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
