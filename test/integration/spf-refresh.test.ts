// The greylisting SPF whitelist refresh against a real DNS server on loopback (dns2) and
// real databases (PGlite, MariaDB, PostgreSQL; the project's iRedAPD tables). Names use the
// reserved .test TLD and addresses the documentation ranges.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { configFromEnv, setConfig } from '#lib/config';
import { closeStore, getStore } from '#lib/storage/open-store';
import type { Store } from '#lib/storage/store';
import { openDatabase } from '#lib/storage/sql/connect';
import { createDnsClient } from '#lib/spf/dns-client';
import { refreshSpfWhitelists, type Logger } from '#lib/services/spf-refresh';
import { handler } from '../../functions/spf-refresh';
import { createTestDatabases, type TestDatabases, type TestEngine } from '../support/databases';
import { startDnsServer, type TestDnsServer, type Zone } from '../support/dns-server.ts';

const TIMEOUT_MS = 300;

function zone(): Zone {
  return {
    'alpha.test': { txt: ['v=spf1 ip4:192.0.2.1 ip4:198.51.100.0/24 ip6:2001:DB8:0::1 -all'] },
    // Shares 192.0.2.1 with alpha.test through an include.
    'beta.test': { txt: ['v=spf1 include:_spf.beta.test -all'] },
    '_spf.beta.test': { txt: ['v=spf1 ip4:203.0.113.5 ip4:192.0.2.1 -all'] },
    // One include never answers: the result is incomplete.
    'broken.test': { txt: ['v=spf1 ip4:192.0.2.50 include:dead.test -all'] },
    'dead.test': { fail: 'timeout' },
    'servfail.test': { fail: 'servfail' },
    // No SPF record: its MX hosts.
    'mxonly.test': { mx: [{ exchange: 'mx1.mxonly.test', priority: 10 }] },
    'mx1.mxonly.test': { a: ['203.0.113.25'] },
    // Five includes with a budget of three lookups: incomplete.
    'limit.test': { txt: [`v=spf1 ${[1, 2, 3, 4, 5].map((i) => `include:i${i}.limit.test`).join(' ')} -all`] },
    ...Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`i${i}.limit.test`, { txt: [`v=spf1 ip4:198.51.100.${200 + i} -all`] }])),
    // For the move test: both publish 192.0.2.200 at first.
    'early.test': { txt: ['v=spf1 ip4:192.0.2.201 -all'] },
    'late.test': { txt: ['v=spf1 ip4:192.0.2.200 ip4:192.0.2.202 -all'] },
  };
}

const SPF = 'greylisting_whitelist_domain_spf';
const LEGACY = 'greylisting_whitelists';

interface Lines { level: string; msg: string; fields: Record<string, any> }

for (const engine of ['embedded', 'mysql', 'pgsql'] as TestEngine[]) {
  describe(`SPF whitelist refresh (${engine})`, () => {
    let dns: TestDnsServer;
    let records: Zone;
    let dbs: TestDatabases;
    let store: Store;
    let iredapd: Kysely<any>;
    let closeHandle = async () => {};

    before(async () => {
      process.env.LOG_LEVEL ??= 'silent';
      records = zone();
      dns = await startDnsServer(records);
      dbs = await createTestDatabases(engine, 'project');
      const env: Record<string, string | undefined> = { BACKEND: engine === 'embedded' ? 'embedded' : engine, DATA_DIR: dbs.dataDir ?? '/tmp/unused' };
      if (dbs.urls) Object.assign(env, { VMAIL_DB_URL: dbs.urls.vmail, AMAVISD_DB_URL: dbs.urls.amavisd, IREDAPD_DB_URL: dbs.urls.iredapd, IREDADMIN_DB_URL: dbs.urls.iredadmin });
      const config = configFromEnv(env);
      setConfig(config);
      store = await getStore(config);
      if (dbs.urls) {
        const opened = openDatabase(dbs.urls.iredapd);
        iredapd = opened.db;
        closeHandle = () => opened.close();
      } else {
        iredapd = (store.greylisting as unknown as { db: Kysely<any> }).db; // one PGlite: share it
      }
    });
    after(async () => {
      await closeHandle();
      await closeStore();
      await dbs?.dropAll();
      await dns?.close();
    });

    const rows = async (table: string, comment: string) =>
      (await iredapd.selectFrom(table).select(['account', 'sender']).where('comment', '=', comment).execute()).map((row) => `${row.account} ${row.sender}`).sort();
    const run = async (options: { maxLookups?: number; domains?: string[] } = {}) => {
      const lines: Lines[] = [];
      const logger: Logger = (level, msg, fields) => { lines.push({ level, msg, fields }); };
      const client = createDnsClient({ servers: [dns.address], timeoutMs: TIMEOUT_MS });
      try {
        const summary = await refreshSpfWhitelists(store.greylisting, { dns: client, maxLookups: options.maxLookups ?? 3, domains: options.domains, logger });
        return { summary, lines };
      } finally {
        client.close();
      }
    };

    test('replaces rows per domain, keeps an incomplete domain\'s rows, removes rows of unlisted domains', async () => {
      await iredapd.insertInto('greylisting_whitelist_domains').values(['alpha.test', 'beta.test', 'broken.test', 'servfail.test', 'mxonly.test', 'limit.test', 'nothing.test'].map((domain) => ({ domain }))).execute();
      await iredapd.insertInto(SPF).values([
        { account: '@.', sender: '192.0.2.99', comment: 'AUTO-UPDATE: alpha.test' },
        { account: '@.', sender: '192.0.2.77', comment: 'AUTO-UPDATE: broken.test' },
        { account: '@.', sender: '192.0.2.78', comment: 'AUTO-UPDATE: servfail.test' },
        { account: '@.', sender: '192.0.2.79', comment: 'AUTO-UPDATE: limit.test' },
        { account: '@.', sender: '192.0.2.80', comment: 'AUTO-UPDATE: nothing.test' },
        { account: '@.', sender: '192.0.2.66', comment: 'AUTO-UPDATE: gone.test' },
        { account: '@.', sender: '192.0.2.10', comment: 'added by hand' },
      ]).execute();
      await iredapd.insertInto(LEGACY).values([
        { account: '@.', sender: '192.0.2.98', comment: 'AUTO-UPDATE: alpha.test' },
        { account: '@.', sender: '192.0.2.65', comment: 'AUTO-UPDATE: gone.test' },
        { account: '@example.test', sender: '192.0.2.11', comment: '' },
      ]).execute();

      const { summary, lines } = await run();

      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: alpha.test'), ['@. 192.0.2.1', '@. 198.51.100.0/24', '@. 2001:db8::1']);
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: beta.test'), ['@. 203.0.113.5'], 'an address alpha already holds is not stored twice');
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: mxonly.test'), ['@. 203.0.113.25']);
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: broken.test'), ['@. 192.0.2.77'], 'timeout: previous rows kept');
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: servfail.test'), ['@. 192.0.2.78'], 'SERVFAIL: previous rows kept');
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: limit.test'), ['@. 192.0.2.79'], 'lookup limit: previous rows kept');
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: nothing.test'), [], 'NXDOMAIN is an answer: nothing is whitelisted any more');
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: gone.test'), [], 'rows of a domain no longer listed are removed');
      assert.deepEqual(await rows(SPF, 'added by hand'), ['@. 192.0.2.10'], 'rows not written by the job are left alone');
      assert.deepEqual(await rows(LEGACY, 'AUTO-UPDATE: alpha.test'), [], 'legacy rows of a refreshed domain go');
      assert.deepEqual(await rows(LEGACY, 'AUTO-UPDATE: gone.test'), [], 'legacy rows of an unlisted domain go');
      assert.deepEqual(await rows(LEGACY, ''), ['@example.test 192.0.2.11'], "admins' whitelist untouched");
      assert.equal(summary.staleRowsRemoved, 2);

      const perDomain = lines.filter((line) => line.msg === 'spf whitelist refresh');
      assert.equal(perDomain.length, 7, 'one log line per domain');
      const byDomain = Object.fromEntries(perDomain.map((line) => [line.fields.domain, line]));
      assert.deepEqual(
        { level: byDomain['alpha.test']!.level, outcome: byDomain['alpha.test']!.fields.outcome, addresses: byDomain['alpha.test']!.fields.addresses, lookups: byDomain['alpha.test']!.fields.lookups, added: byDomain['alpha.test']!.fields.added, removed: byDomain['alpha.test']!.fields.removed },
        { level: 'info', outcome: 'replaced', addresses: 3, lookups: 1, added: 3, removed: 1 },
      );
      assert.equal(byDomain['beta.test']!.fields.shared, 1);
      assert.equal(byDomain['beta.test']!.fields.lookups, 2);
      const broken = byDomain['broken.test']!;
      assert.equal(broken.level, 'warn');
      assert.equal(broken.fields.outcome, 'kept');
      assert.equal(broken.fields.keptRows, 1);
      assert.ok(broken.fields.errors.some((error: string) => /dead\.test/.test(error) && /ETIMEOUT/.test(error)), JSON.stringify(broken.fields.errors));
      assert.equal(byDomain['limit.test']!.fields.outcome, 'kept');
      assert.equal(byDomain['limit.test']!.fields.lookups, 3);
      assert.ok(byDomain['limit.test']!.fields.errors.some((error: string) => /limit \(3\)/.test(error)));
      assert.equal(byDomain['servfail.test']!.fields.outcome, 'kept');
      assert.deepEqual(Object.keys(byDomain['mxonly.test']!.fields).sort(), ['added', 'addresses', 'domain', 'errors', 'lookups', 'outcome', 'removed', 'shared']);
      const done = lines.find((line) => line.msg === 'spf whitelist refresh done');
      assert.deepEqual(done?.fields.kept, ['broken.test', 'limit.test', 'servfail.test']);
      assert.deepEqual(done?.fields.failed, []);
    });

    test('a second run with the same answers changes nothing', async () => {
      const before = await iredapd.selectFrom(SPF).select(['account', 'sender', 'comment']).orderBy('sender').execute();
      await run();
      assert.deepEqual(await iredapd.selectFrom(SPF).select(['account', 'sender', 'comment']).orderBy('sender').execute(), before);
    });

    test('a domain that recovers replaces its kept rows', async () => {
      // The server holds the zone's entry objects: changing one changes its answers.
      records['broken.test']!.txt = ['v=spf1 ip4:192.0.2.50 ip4:192.0.2.52 -all'];
      await run({ domains: ['broken.test'] });
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: broken.test'), ['@. 192.0.2.50', '@. 192.0.2.52']);
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: servfail.test'), ['@. 192.0.2.78'], 'named domains only: the others are not touched');
    });

    test('an address another listed domain still publishes moves to it when its holder drops it', async () => {
      await iredapd.insertInto('greylisting_whitelist_domains').values([{ domain: 'early.test' }, { domain: 'late.test' }]).execute();
      await run();
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: late.test'), ['@. 192.0.2.200', '@. 192.0.2.202']);
      // early.test starts publishing 192.0.2.200 too: late.test holds it, early.test shares it.
      records['early.test']!.txt = ['v=spf1 ip4:192.0.2.200 ip4:192.0.2.201 -all'];
      await run();
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: early.test'), ['@. 192.0.2.201']);
      // late.test drops it: in the same run it moves to early.test instead of vanishing for an hour.
      records['late.test']!.txt = ['v=spf1 ip4:192.0.2.202 -all'];
      await run();
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: late.test'), ['@. 192.0.2.202']);
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: early.test'), ['@. 192.0.2.200', '@. 192.0.2.201']);
    });

    test('the scheduled handler reads its settings from the environment and logs one JSON line per domain', async () => {
      await store.greylisting.changeWhitelistDomains({ reset: ['alpha.test', 'servfail.test'], add: [], remove: [] });
      const settings: Record<string, string> = { SPF_DNS_SERVERS: dns.address, SPF_DNS_TIMEOUT_MS: String(TIMEOUT_MS), SPF_MAX_LOOKUPS: '5', LOG_LEVEL: 'info' };
      const saved = Object.fromEntries(Object.keys(settings).map((key) => [key, process.env[key]]));
      Object.assign(process.env, settings);
      const written: string[] = [];
      const out = process.stdout.write.bind(process.stdout);
      const err = process.stderr.write.bind(process.stderr);
      // Only lib/log.ts lines are taken; anything else (the test runner's own stream) passes through.
      const capture = (original: typeof out) => ((chunk: unknown, ...rest: unknown[]) => {
        if (typeof chunk === 'string' && chunk.startsWith('{"time"')) {
          written.push(chunk);
          return true;
        }
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
      process.stdout.write = capture(out);
      process.stderr.write = capture(err);
      let result;
      try {
        result = await handler();
      } finally {
        process.stdout.write = out;
        process.stderr.write = err;
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
      // The reset already dropped the rows of the domains it took off the list: nothing stale is left.
      assert.deepEqual(result, { domains: 2, replaced: 1, kept: 1, staleRowsRemoved: 0 });
      const parsed = written.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((line) => JSON.parse(line));
      const alpha = parsed.find((line) => line.msg === 'spf whitelist refresh' && line.domain === 'alpha.test');
      assert.ok(alpha, written.join(''));
      assert.equal(alpha.level, 'info');
      assert.equal(alpha.outcome, 'replaced');
      assert.equal(alpha.addresses, 3);
      assert.equal(alpha.lookups, 1);
      assert.deepEqual(alpha.errors, []);
      assert.match(alpha.time, /^\d{4}-\d\d-\d\dT/);
      const servfail = parsed.find((line) => line.msg === 'spf whitelist refresh' && line.domain === 'servfail.test');
      assert.equal(servfail.level, 'warn');
      assert.equal(servfail.outcome, 'kept');
      assert.ok(servfail.errors.some((error: string) => /ESERVFAIL/.test(error)));
      assert.deepEqual(await rows(SPF, 'AUTO-UPDATE: beta.test'), [], 'unlisted by the reset: its rows went with it');
    });
  });
}
