/**
 * Connection faults in the middle of multi-row writes (issue #8 part 4; #4 item 4 on LDAP).
 *
 * Every database and directory the API uses is reached through test/support/fault-proxy.ts:
 * on mysql/pgsql one proxy in front of vmail, amavisd, iredapd and iredadmin (one server, so
 * a cut drops every connection at once); on LDAP one in front of the directory and one in
 * front of the SQL databases (amavisd, iredapd, iredadmin), swept in turn. For each write, an
 * uncut run first tells how many requests (SQL statements / LDAP operations) it sends through
 * the proxy and what storage looks like after it; then the sweep cuts every connection at each
 * of those requests in turn, once before the server gets it and once after the server ran it
 * but before the answer came back. After every cut the reply is a clean envelope with a
 * documented code; the next write request on the same process succeeds (it first finishes
 * policy follow-ups a cut left behind, lib/services/policy-followups.ts, with no grace period
 * here); then the whole storage the write touches — accounts, their amavisd and iredapd rows,
 * iredadmin.policy_followups — is exactly the before-state or exactly the after-state. On
 * LDAP a passing drop of the directory must be absorbed (reconnect, rebind, look before
 * repeating a write), and an outage (the directory stays away after the cut) must leave no
 * remnant once this process's next request has run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND, snapshot, startHarness, type ApiClient, type ApiResponse, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';
import { FaultProxy, type CutMode, type WireProtocol } from '../../support/fault-proxy';
import { ORIGINAL_CODES, PROJECT_CODES } from '#lib/model/codes';
import { hashPassword } from '#lib/auth/passwords';

const PROTOCOL: WireProtocol | undefined = ({ mysql: 'mysql', pgsql: 'postgres', ldap: 'ldap' } as Record<string, WireProtocol>)[BACKEND];
const SKIP = BACKEND === 'embedded'
  ? 'embedded PGlite runs inside the process: there is no connection to cut'
  : BACKEND.endsWith('-genuine')
    ? 'same drivers and transactions as the project schema; swept on mysql and pgsql'
    : false;
const MODES: CutMode[] = ['drop-request', 'drop-reply'];
const CODES = new Set<string>([...ORIGINAL_CODES, ...PROJECT_CODES]);
const DOMAIN = 'faults.test';

/** Values that legitimately differ between two runs of the same write: times, row ids. */
function normalise(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?/g, 'TIME')
    .replace(/\d{4}\.\d{2}\.\d{2}\.\d{2}\.\d{2}\.\d{2}/g, 'TIME')
    .replace(/\b\d{14}(\.\d+)?Z\b/g, 'TIME')
    .replace(/"(id|policy_id|rid|sid|tid)":\d+/g, '"$1":0');
}

function normaliseState(state: unknown): string {
  const sortDeep = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? normalise(item) : sortDeep(item))).sort();
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortDeep(v)]));
    return typeof value === 'string' ? normalise(value) : value;
  };
  return JSON.stringify(sortDeep(state), null, 1);
}

/** A refusal a client can act on: documented code, no internals. */
function assertCleanRefusal(res: ApiResponse, where: string): void {
  assert.equal(res.body._success, false, where);
  const code = String(res.body._msg);
  assert.ok(CODES.has(code), `${where}: undocumented _msg ${code}`);
  // Storage failures are documented as 503 STORAGE_UNAVAILABLE; anything else stays < 500.
  if (res.status >= 500) assert.deepEqual([res.status, code], [503, 'STORAGE_UNAVAILABLE'], where);
  assert.deepEqual(Object.keys(res.body).sort(), ['_msg', '_success'], where);
  assert.doesNotMatch(JSON.stringify(res.body), /\bat \S+ \(|select |insert |update |delete from|ER_|ECONN|Error:/i, where);
}

interface Operation {
  name: string;
  /** Brings storage to the before-state (from either end state). */
  reset(): Promise<void>;
  run(): Promise<ApiResponse>;
  /** A request that must succeed after a cut left the after-state. */
  check(): Promise<ApiResponse>;
}

interface SweepReport {
  requests: number;
  cuts: number;
  before: number;
  after: number;
  appliedButRefused: number;
  codes: Record<string, number>;
}

/** A proxy the sweep cuts, and what sits behind it. */
interface CutTarget {
  name: string;
  proxy: FaultProxy;
}

describe(`connection faults during multi-row writes (${BACKEND})`, { skip: SKIP }, () => {
  let h: Harness;
  /** The directory on LDAP, every database on mysql/pgsql. */
  let proxy: FaultProxy;
  /** LDAP only: amavisd, iredapd and iredadmin. */
  let sqlProxy: FaultProxy | undefined;
  let targets: CutTarget[];
  let api: ApiClient;
  let look: Probe;
  let passwordHash: string;
  const started = Date.now();
  const reports: Record<string, object> = {};

  before(async () => {
    proxy = await FaultProxy.start(PROTOCOL!);
    sqlProxy = BACKEND === 'ldap' ? await FaultProxy.start('mysql') : undefined;
    const targetOf = new Map<string, string>();
    h = await startHarness({
      connectVia: (target, url) => {
        // One proxy forwards to one server: the databases behind it must share it.
        const server = `${target === 'ldap' ? 'ldap' : 'sql'} ${new URL(url).host}`;
        const via = target === 'ldap' ? proxy : sqlProxy ?? proxy;
        assert.equal(targetOf.get(target === 'ldap' ? 'ldap' : 'sql') ?? server, server, 'databases on one server');
        targetOf.set(target === 'ldap' ? 'ldap' : 'sql', server);
        return via.via(url);
      },
      env: { POLICY_FOLLOWUP_GRACE_SECONDS: '0' },
    });
    targets = sqlProxy
      ? [{ name: 'directory', proxy }, { name: 'SQL databases', proxy: sqlProxy }]
      : [{ name: 'all databases', proxy }];
    api = await h.loggedIn();
    look = probe(h);
    passwordHash = await hashPassword('Faults!Passw0rd', 'SSHA512');
    const res = await api.post(`/api/domain/${DOMAIN}`, { name: 'Faults' });
    assert.deepEqual(res.body, { _success: true });
  });

  after(async () => {
    await h?.close();
    await proxy?.close();
    await sqlProxy?.close();
    if (process.env.FAULTS_REPORT) console.log(JSON.stringify({ backend: BACKEND, seconds: (Date.now() - started) / 1000, reports }, null, 1));
  });

  /** Account storage, the policy rows that follow accounts, and the follow-ups still owed. */
  async function state(): Promise<string> {
    const [accounts, amavisd, iredapd, followUps] = await Promise.all([
      look.snapshot(),
      snapshot(h.amavisd, ['users', 'policy', 'wblist', 'outbound_wblist']),
      snapshot(h.iredapd, ['throttle', 'throttle_tracking', 'greylisting', 'greylisting_whitelists']),
      h.iredadmin.selectFrom('policy_followups').select(['kind', 'payload']).execute(),
    ]);
    return normaliseState({ accounts, amavisd, iredapd, followUps: followUps.map((row) => `${row.kind} ${row.payload}`) });
  }

  /**
   * The next write on the same process: one that resumes policy follow-ups and changes nothing
   * itself (deleting a user that is not there succeeds).
   */
  const nextWrite = () => api.delete(`/api/user/nobody@${DOMAIN}`);

  /** deleted_mailboxes rows are history, not state the write must undo: the fixtures drop them. */
  async function forgetDeletedMailboxes(): Promise<void> {
    await (h.ldap ? h.iredadmin : h.vmail).deleteFrom('deleted_mailboxes').execute();
  }

  async function ok(res: Promise<ApiResponse>, what: string): Promise<void> {
    assert.deepEqual((await res).body, { _success: true }, what);
  }

  /** Sweeps every cut target in turn. */
  async function sweep(op: Operation): Promise<void> {
    for (const target of targets) await sweepTarget(op, target);
  }

  async function sweepTarget(op: Operation, target: CutTarget): Promise<SweepReport> {
    const cut = target.proxy;
    const name = `${op.name} (${target.name} cut)`;
    await op.reset();
    const beforeState = await state();
    cut.count();
    await ok(op.run(), `${name}: uncut run`);
    const requests = cut.disarm();
    const afterState = await state();
    assert.notEqual(afterState, beforeState, `${name}: the write changes storage`);
    await op.reset();
    assert.equal(await state(), beforeState, `${name}: reset restores the before-state`);

    const report: SweepReport = { requests, cuts: 0, before: 0, after: 0, appliedButRefused: 0, codes: {} };
    for (let at = 1; at <= requests; at++) {
      for (const mode of MODES) {
        const where = `${name}: cut ${mode} at request ${at}/${requests}`;
        cut.arm(at, mode);
        const res = await op.run();
        cut.disarm();
        await cut.settled();
        assert.ok(cut.fired, `${where}: the write sent fewer requests than the uncut run`);
        report.cuts++;
        if (res.body._success !== true) {
          assertCleanRefusal(res, where);
          report.codes[res.body._msg] = (report.codes[res.body._msg] ?? 0) + 1;
        }
        // The same process, no restart: the next write goes through and finishes what the cut left.
        await ok(nextWrite(), `${where}: the next write request`);
        const now = await state();
        if (now === beforeState) report.before++;
        else if (now === afterState) report.after++;
        else assert.equal(now, afterState, `${where}: storage is neither the before- nor the after-state (reply ${JSON.stringify(res.body)})`);
        if (res.body._success === true) assert.equal(now, afterState, `${where}: success reported, so the change is there`);
        else if (now === afterState) report.appliedButRefused++;
        // The write itself goes through when it did not happen, a read when it did.
        if (now === beforeState) {
          await ok(op.run(), `${where}: the write again`);
          assert.equal(await state(), afterState, `${where}: the write again reaches the after-state`);
        } else {
          const next = await op.check();
          assert.equal(next.body._success, true, `${where}: the next request ${JSON.stringify(next.body)}`);
        }
        await op.reset();
      }
    }
    reports[name] = report;
    if (h.ldap && cut === proxy) {
      // ldapts reconnects and binds again; a write whose answer was lost is looked up before it is repeated.
      assert.equal(report.after, report.cuts, `${name}: on LDAP every passing drop is absorbed by the reconnect (${JSON.stringify(report)})`);
    } else if (!(h.ldap && cut === sqlProxy)) {
      // (Behind LDAP's SQL proxy a write may have nothing but its admin log row: after at every cut.)
      assert.ok(report.before > 0 && report.after > 0, `${name}: ${JSON.stringify(report)}`);
    }
    if (h.ldap && cut === proxy) await sweepOutage(op, beforeState, afterState, requests);
    return report;
  }

  /**
   * LDAP only: the directory stays unreachable after the cut, so the undo log cannot run at
   * once. The reply must still be clean; the directory may hold the half-done write until this
   * process's next LDAP operation, which first finishes the postponed undo.
   */
  async function sweepOutage(op: Operation, beforeState: string, afterState: string, requests: number): Promise<void> {
    const report = { requests, cuts: 0, before: 0, after: 0, halfUntilNextRequest: 0, codes: {} as Record<string, number> };
    for (let at = 1; at <= requests; at++) {
      for (const mode of MODES) {
        const where = `${op.name}: outage from ${mode} at request ${at}/${requests}`;
        proxy.arm(at, mode, { stayDown: true });
        const res = await op.run();
        proxy.disarm();
        await proxy.settled();
        proxy.heal();
        assert.ok(proxy.fired, `${where}: fewer requests than the uncut run`);
        report.cuts++;
        if (res.body._success === true) {
          // The cut came after the write's last step: nothing left to undo.
          assert.equal(await state(), afterState, `${where}: success reported`);
        } else {
          assertCleanRefusal(res, where);
          report.codes[res.body._msg] = (report.codes[res.body._msg] ?? 0) + 1;
        }
        const now = await state();
        if (now === beforeState) report.before++;
        else if (now === afterState) report.after++;
        else report.halfUntilNextRequest++;
        await ok(op.run(), `${where}: the next request (the directory is back)`);
        assert.equal(await state(), afterState, `${where}: after the next write, no remnant of the cut one`);
        await op.reset();
      }
    }
    reports[`${op.name} (LDAP outage)`] = report;
  }

  test('idle pooled connections dropped while no request runs: the next requests work, the process lives', async () => {
    const reads = () => Promise.all([1, 2, 3, 4].map(() => api.get(`/api/domain/${DOMAIN}`)));
    for (const res of await reads()) assert.equal(res.body._success, true);
    assert.ok(proxy.connections >= 1, 'the pool holds connections through the proxy');
    // An unheard driver 'error' event would end a real process; count them.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      proxy.cutNow();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the drops reach the driver first
      for (const res of await reads()) assert.equal(res.body._success, true, JSON.stringify(res.body));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught.map(String), []);
  });

  const USER = `alice@${DOMAIN}`;
  const RENAMED = `alicia@${DOMAIN}`;

  /** Policy rows of the user: spam policy (amavisd), throttle and greylisting (iredapd). */
  async function policyFixture(mail: string): Promise<void> {
    await ok(api.put(`/api/spampolicy/user/${mail}`, { spam_score: '8' }), 'fixture spam policy');
    await ok(api.post(`/api/throttle/${mail}/outbound`, { period: '3600', max_msgs: '20' }), 'fixture throttle');
    await ok(api.post(`/api/greylisting/${mail}`, { status: 'disable' }), 'fixture greylisting');
  }

  async function deleteUserIfThere(mail: string): Promise<void> {
    const res = await api.delete(`/api/user/${mail}`);
    assert.deepEqual(res.body, { _success: true }, `delete ${mail}`);
  }

  const createUser = () => api.post(`/api/user/${USER}`, {
    name: 'Alice', password_hash: passwordHash, forwarding: `alice@${DOMAIN},ext@elsewhere.test`,
    aliases: `ali@${DOMAIN},a.l@${DOMAIN}`, senderBcc: `audit@elsewhere.test`, recipientBcc: `archive@elsewhere.test`,
  });

  test('POST /api/user (user + forwardings + aliases + BCC rows): whole or nothing at every cut', { timeout: 300_000 }, async () => {
    await sweep({
      name: 'user create',
      reset: async () => {
        await deleteUserIfThere(USER);
        await forgetDeletedMailboxes();
      },
      run: createUser,
      check: () => api.get(`/api/user/${USER}`),
    });
  });

  test('POST /api/user/<mail>/change_email: the user, its rows and its policy rows move together', { timeout: 600_000 }, async () => {
    await deleteUserIfThere(RENAMED);
    await deleteUserIfThere(USER);
    await ok(createUser(), 'fixture user');
    await policyFixture(USER);
    // The rename back moves the policy rows back too.
    await sweep({
      name: 'change_email',
      reset: async () => {
        if (await look.mailUserPasswordHash(RENAMED)) await ok(api.post(`/api/user/${RENAMED}/change_email/${USER}`), 'rename back');
      },
      run: () => api.post(`/api/user/${USER}/change_email/${RENAMED}`),
      check: () => api.get(`/api/spampolicy/user/${RENAMED}`),
    });
    await ok(api.delete(`/api/user/${USER}`), 'cleanup');
    await forgetDeletedMailboxes();
  });

  test('POST /api/domain (LDAP: the domain entry and its OUs): whole or nothing at every cut', { timeout: 300_000 }, async () => {
    const fresh = 'fresh.test';
    await sweep({
      name: 'domain create',
      reset: async () => {
        if (await look.domain(fresh)) await ok(api.delete(`/api/domain/${fresh}`), 'delete the domain');
        await forgetDeletedMailboxes();
      },
      run: () => api.post(`/api/domain/${fresh}`, { name: 'Fresh', quota: '2048', aliases: '10' }),
      check: () => api.get(`/api/domain/${fresh}`),
    });
  });

  const DOOMED = 'doomed.test';

  async function buildDoomedDomain(): Promise<void> {
    await ok(api.post(`/api/domain/${DOOMED}`, { name: 'Doomed' }), 'fixture domain');
    await ok(api.post(`/api/user/u1@${DOOMED}`, { password_hash: passwordHash, aliases: `u1.alias@${DOOMED}`, forwarding: `u1@${DOOMED},ext@elsewhere.test` }), 'fixture user');
    await ok(api.post(`/api/alias/team@${DOOMED}`, { members: `u1@${DOOMED},ext@elsewhere.test` }), 'fixture alias');
    await ok(api.put(`/api/domain/admins/${DOOMED}`, { addAdmin: `u1@${DOOMED}` }), 'fixture domain admin');
    await ok(api.put(`/api/spampolicy/user/u1@${DOOMED}`, { spam_score: '7' }), 'fixture spam policy');
    await ok(api.post(`/api/throttle/${DOOMED}/inbound`, { period: '86400', max_msgs: '100' }), 'fixture throttle');
  }

  test('DELETE /api/domain of a domain with users, aliases and admins: whole or nothing at every cut', { timeout: 600_000 }, async () => {
    await sweep({
      name: 'domain delete',
      reset: async () => {
        if (await look.domain(DOOMED)) await ok(api.delete(`/api/domain/${DOOMED}`), 'delete the domain');
        await forgetDeletedMailboxes();
        await buildDoomedDomain();
      },
      run: () => api.delete(`/api/domain/${DOOMED}`),
      check: () => api.get(`/api/domain/${DOMAIN}`),
    });
  });
});
