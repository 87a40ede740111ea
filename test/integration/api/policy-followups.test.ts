import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND, startHarness, type ApiClient, type Harness } from '../../support/api';
import { handler as scheduledResume } from '../../../functions/policy-followups';
import type { PolicyFollowUp } from '#lib/storage/store';

/**
 * Policy follow-ups (lib/services/policy-followups.ts) on every backend: the amavisd/iredapd
 * work of an account change whose request died after the account commit is recorded in
 * iredadmin.policy_followups; the next write that records such work (or the scheduled job)
 * finishes it once the record is older than the grace period, or drops the record when account
 * storage shows the change never happened. The crashed request is played here through the
 * store itself: the record, then the account change, and nothing after.
 */
let h: Harness;
let admin: ApiClient;
const D = 'followups.test';
const ok = { _success: true };
const now = () => Math.floor(Date.now() / 1000);
/** Older than the default grace period (lib/config.ts): abandoned. */
const longAgo = () => now() - 3600;

before(async () => {
  h = await startHarness();
  admin = await h.loggedIn();
  assert.deepEqual((await admin.post(`/api/domain/${D}`, { name: 'Follow-ups' })).body, ok);
});
after(async () => { await h?.close(); });

/** A write that records follow-ups and changes nothing itself: it only resumes abandoned ones. */
const nextWrite = async () => assert.deepEqual((await admin.delete(`/api/user/nobody@${D}`)).body, ok);

async function createUserWithPolicy(mail: string): Promise<void> {
  assert.deepEqual((await admin.post(`/api/user/${mail}`, { password: 'Secr3t!pass' })).body, ok);
  assert.deepEqual((await admin.put(`/api/spampolicy/user/${mail}`, { spam_score: '8' })).body, ok);
  assert.deepEqual((await admin.post(`/api/throttle/${mail}/outbound`, { period: '3600', max_msgs: '20' })).body, ok);
  assert.deepEqual((await admin.post(`/api/greylisting/${mail}`, { status: 'disable' })).body, ok);
}

/** How many policy rows are filed under the address, per table. */
async function policyRows(mail: string): Promise<Record<string, number>> {
  const count = async (rows: Promise<unknown[]>) => (await rows).length;
  return {
    policy: await count(h.amavisd.selectFrom('policy').select('id').where('policy_name', '=', mail).execute()),
    users: await count(h.amavisd.selectFrom('users').select('id').where('email', '=', Buffer.from(mail)).execute()),
    throttle: await count(h.iredapd.selectFrom('throttle').select('id').where('account', '=', mail).execute()),
    greylisting: await count(h.iredapd.selectFrom('greylisting').select('id').where('account', '=', mail).execute()),
  };
}
const ALL = { policy: 1, users: 1, throttle: 1, greylisting: 1 };
const NONE = { policy: 0, users: 0, throttle: 0, greylisting: 0 };

const followUpRows = async () => (await h.iredadmin.selectFrom('policy_followups').select(['kind', 'payload']).execute()).map((row) => `${row.kind} ${row.payload}`);

/** The first half of a request that died right after its account change: the record, the change. */
async function crashedAfterAccountChange(followUp: PolicyFollowUp, change: () => Promise<unknown>, recordedAt = longAgo()): Promise<void> {
  await h.store.followUps.add(followUp, recordedAt);
  await change();
}

describe(`policy follow-ups (${BACKEND})`, () => {
  test('change_email cut off after the account commit: the next write moves the policy rows', async () => {
    const [from, to] = [`carol@${D}`, `caroline@${D}`];
    await createUserWithPolicy(from);
    await crashedAfterAccountChange({ kind: 'rename', from, to }, () => h.store.accounts.transaction((tx) => tx.users.rename(from, to)));
    assert.deepEqual(await policyRows(from), ALL, 'left behind by the crash');
    await nextWrite();
    assert.deepEqual(await policyRows(to), ALL);
    assert.deepEqual(await policyRows(from), NONE);
    assert.deepEqual(await followUpRows(), []);
    // Run again (a second resume racing the first): the moved rows stay.
    await h.store.policy.renameAccount(from, to);
    assert.deepEqual(await policyRows(to), ALL);
  });

  test('a rename whose iredapd part ran before the cut: the amavisd part follows, the moved rows stay', async () => {
    const [from, to] = [`dave@${D}`, `david@${D}`];
    await createUserWithPolicy(from);
    await crashedAfterAccountChange({ kind: 'rename', from, to }, () => h.store.accounts.transaction((tx) => tx.users.rename(from, to)));
    for (const table of ['throttle', 'greylisting']) await h.iredapd.updateTable(table).set({ account: to }).where('account', '=', from).execute();
    await nextWrite();
    assert.deepEqual(await policyRows(to), ALL);
    assert.deepEqual(await policyRows(from), NONE);
    assert.deepEqual(await followUpRows(), []);
  });

  test('a user delete cut off after the account commit: the next write drops the policy rows', async () => {
    const mail = `erin@${D}`;
    await createUserWithPolicy(mail);
    await crashedAfterAccountChange({ kind: 'forget', accounts: { users: [mail] } }, () => h.store.accounts.transaction((tx) => tx.users.delete(mail, { deleteDate: null, admin: 'test' })));
    assert.deepEqual(await policyRows(mail), ALL, 'left behind by the crash');
    await nextWrite();
    assert.deepEqual(await policyRows(mail), NONE);
    assert.deepEqual(await followUpRows(), []);
  });

  test('a record whose account change never happened is dropped; the policy rows stay', async () => {
    const mail = `frank@${D}`;
    await createUserWithPolicy(mail);
    await h.store.followUps.add({ kind: 'forget', accounts: { users: [mail] } }, longAgo());
    await h.store.followUps.add({ kind: 'rename', from: mail, to: `francis@${D}` }, longAgo());
    await h.store.followUps.add({ kind: 'forget', accounts: { domain: D } }, longAgo());
    await nextWrite();
    assert.deepEqual(await followUpRows(), []);
    assert.deepEqual(await policyRows(mail), ALL);
  });

  test('a record younger than the grace period belongs to a request still running: left alone', async () => {
    const mail = `gina@${D}`;
    await createUserWithPolicy(mail);
    const id = await h.store.followUps.add({ kind: 'forget', accounts: { users: [mail] } }, now());
    await h.store.accounts.transaction((tx) => tx.users.delete(mail, { deleteDate: null, admin: 'test' }));
    await nextWrite();
    assert.equal((await followUpRows()).length, 1);
    assert.deepEqual(await policyRows(mail), ALL);
    await h.store.followUps.remove(id);
  });

  test('the scheduled job finishes abandoned records too', async () => {
    const mail = `hank@${D}`;
    await createUserWithPolicy(mail);
    await crashedAfterAccountChange({ kind: 'forget', accounts: { users: [mail] } }, () => h.store.accounts.transaction((tx) => tx.users.delete(mail, { deleteDate: null, admin: 'test' })));
    assert.deepEqual(await scheduledResume(), { finished: 1, dropped: 0, failed: 0 });
    assert.deepEqual(await policyRows(mail), NONE);
    assert.deepEqual(await followUpRows(), []);
  });
});
