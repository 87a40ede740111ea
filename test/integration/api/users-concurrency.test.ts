import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';

/**
 * Limits and quotas under concurrent requests: each create, quota change and rename holds
 * the domain row lock while it checks, so parallel requests can pass neither the account
 * limit nor the domain quota, nor create an address twice.
 */
let h: Harness;
let admin: ApiClient;
let p: Probe;
const PW = 'Par4llel!pw';
before(async () => {
  h = await startHarness();
  admin = await h.loggedIn();
  p = probe(h);
});
after(async () => { await h?.close(); });

const tally = (results: { body: Record<string, any> }[]) => {
  const counts: Record<string, number> = {};
  for (const res of results) {
    const key = res.body._success === true ? 'ok' : String(res.body._msg);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};
const parallel = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
const users = async (domain: string) => (await p.mailUsers(domain)).map((u) => u.username);
const quotas = async (domain: string) => (await p.mailUsers(domain)).map((u) => u.quota).sort((a, b) => a - b);
const quotaSum = async (domain: string) => (await quotas(domain)).reduce((sum, q) => sum + q, 0);
/** Every user of the domain delivers to its own mailbox and nowhere else (no orphan or missing forwarding). */
const deliverToThemselves = async (domain: string) => {
  const all = await users(domain);
  for (const user of all) assert.deepEqual(await p.forwardingTargets(user), [user], user);
  // SQL keeps the self rows apart from the mailboxes: none may outlive a refused create. (On LDAP
  // the forwarding lives on the user's own entry and cannot be orphaned.)
  if (!h.ldap) {
    const rows = await h.vmail.selectFrom('forwardings').select((eb) => eb.fn.countAll().as('n')).where('domain', '=', domain).executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), all.length, 'one self row per mailbox, no orphans');
  }
};

describe(`user concurrency (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('50 parallel creates against a limit of 10 leave exactly 10 users', async () => {
    await admin.post('/api/domain/limit10.test', { numberOfUsers: '10' });
    const results = await parallel(50, (i) => admin.post(`/api/user/u${i}@limit10.test`, { password: PW }));
    assert.deepEqual(tally(results), { ok: 10, EXCEEDED_DOMAIN_ACCOUNT_LIMIT: 40 });
    assert.equal((await users('limit10.test')).length, 10);
    await deliverToThemselves('limit10.test');
  });

  test('50 parallel creates of one address leave one user', async () => {
    await admin.post('/api/domain/same.test', {});
    const results = await parallel(50, () => admin.post('/api/user/only@same.test', { password: PW, aliases: 'only-alias@same.test' }));
    assert.deepEqual(tally(results), { ok: 1, ALREADY_EXISTS: 49 });
    assert.deepEqual(await users('same.test'), ['only@same.test']);
    assert.deepEqual(await p.forwardingTargets('only@same.test'), ['only@same.test']);
    assert.deepEqual(await p.userAliasAddresses('only@same.test'), ['only-alias@same.test']);
  });

  test('the domain quota is never over-allocated by parallel creates', async () => {
    await admin.post('/api/domain/quota1000.test', { quota: '1000' });
    const results = await parallel(50, (i) => admin.post(`/api/user/q${i}@quota1000.test`, { password: PW, quota: '300' }));
    assert.deepEqual(tally(results), { ok: 4, EXCEEDED_DOMAIN_QUOTA_SIZE: 46 });
    assert.deepEqual(await quotas('quota1000.test'), [100, 300, 300, 300], 'the last one is clamped to what was left');
    assert.equal(await quotaSum('quota1000.test'), 1000);
  });

  test('parallel quota raises on existing users stay within the domain quota', async () => {
    await admin.post('/api/domain/raise.test', { quota: '1000' });
    for (let i = 0; i < 10; i++) await admin.post(`/api/user/r${i}@raise.test`, { password: PW, quota: '50' });
    const results = await parallel(10, (i) => admin.put(`/api/user/r${i}@raise.test`, { quota: '500' }));
    assert.ok(results.every((res) => res.body._success === true || res.body._msg === 'EXCEEDED_DOMAIN_QUOTA_SIZE'), JSON.stringify(tally(results)));
    assert.ok((await quotaSum('raise.test')) <= 1000, `allocated ${await quotaSum('raise.test')}`);
  });

  test('a create and a rename racing for one address: exactly one wins', async () => {
    await admin.post('/api/domain/race.test', {});
    for (let i = 0; i < 10; i++) await admin.post(`/api/user/src${i}@race.test`, { password: PW });
    const renames = parallel(10, (i) => admin.post(`/api/user/src${i}@race.test/change_email/target@race.test`));
    const creates = parallel(10, () => admin.post('/api/user/target@race.test', { password: PW }));
    const all = [...(await renames), ...(await creates)];
    assert.equal(all.filter((res) => res.body._success === true).length, 1, JSON.stringify(tally(all)));
    assert.ok(all.every((res) => res.body._success === true || ['ALREADY_EXISTS', 'NEW_EMAIL_ALREADY_EXISTS'].includes(res.body._msg)));
    assert.equal((await users('race.test')).filter((u) => u === 'target@race.test').length, 1);
    const created = (await creates).filter((res) => res.body._success === true).length;
    assert.equal((await users('race.test')).length, 10 + created, 'a rename moves, a create adds');
    await deliverToThemselves('race.test');
  });

  test('parallel claims of one per-user alias: one owner', async () => {
    await admin.post('/api/domain/alias-race.test', {});
    for (let i = 0; i < 8; i++) await admin.post(`/api/user/a${i}@alias-race.test`, { password: PW });
    const results = await parallel(8, (i) => admin.put(`/api/user/a${i}@alias-race.test`, { addAlias: 'sales@alias-race.test' }));
    assert.deepEqual(tally(results), { ok: 1, ALREADY_EXISTS: 7 });
    let owners = 0;
    for (const user of await users('alias-race.test')) if ((await p.userAliasAddresses(user)).includes('sales@alias-race.test')) owners++;
    assert.equal(owners, 1);
  });
});
