import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';
import { verifyPassword } from '#lib/auth/passwords';

/**
 * Each role against every user route: anonymous, an admin of another domain, the domain's
 * own admin, and a global admin (pro-api-behaviour §1.4, with its fixes: normal admins
 * cannot grant global rights nor touch a global admin's mailbox; quirk #9, #17).
 */
let h: Harness;
let p: Probe;
const clients: Record<string, ApiClient> = {};
const PW = 'Us3r!Secret';
const ROLES = ['anonymous', 'other', 'owner', 'global'] as const;
type Role = (typeof ROLES)[number];

before(async () => {
  h = await startHarness();
  p = probe(h);
  const global = await h.loggedIn();
  for (const d of ['mine.test', 'theirs.test']) await global.post(`/api/domain/${d}`, { name: d });
  await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ['mine.test'] });
  await h.seedAdmin('other@admins.test', 'Other1!Pw', { domains: ['theirs.test'] });
  const users = ['user@mine.test', 'boss@mine.test', 'helper@mine.test', ...ROLES.flatMap((role) => [`del-${role}@mine.test`, `keep-${role}@mine.test`, `ren-${role}@mine.test`])];
  for (const user of users) assert.equal((await global.post(`/api/user/${user}`, { password: PW })).body._success, true);
  await global.put('/api/user/boss@mine.test', { isGlobalAdmin: 'yes' });
  await global.put('/api/domain/admins/mine.test', { addAdmin: 'helper@mine.test' });
  clients.anonymous = h.client();
  clients.other = await h.loggedIn('other@admins.test', 'Other1!Pw');
  clients.owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');
  clients.global = global;
});
after(async () => { await h?.close(); });

const ALL: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
const GLOBAL_ONLY: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', global: 'ok' };

const matrix: [string, (role: Role) => string, Record<string, string>, Record<Role, string>][] = [
  ['GET', () => '/api/user/user@mine.test', {}, ALL],
  ['POST', (role) => `/api/user/new-${role}@mine.test`, { password: PW }, ALL],
  ['PUT', () => '/api/user/user@mine.test', { name: 'renamed' }, ALL],
  ['DELETE', (role) => `/api/user/del-${role}@mine.test`, {}, ALL],
  ['DELETE', (role) => `/api/user/keep-${role}@mine.test/keep_mailbox_days/10`, {}, ALL],
  ['POST', (role) => `/api/user/ren-${role}@mine.test/change_email/renamed-${role}@mine.test`, {}, ALL],
  ['GET', () => '/api/users/mine.test', {}, ALL],
  ['PUT', () => '/api/users/mine.test', { language: 'en_US' }, ALL],
  ['POST', () => '/api/verify_password/user/user@mine.test', { password: PW }, GLOBAL_ONLY],
  ['POST', () => '/api/verify_password/admin/owner@admins.test', { password: 'Owner1!Pw' }, GLOBAL_ONLY],
];

describe('user routes × roles', () => {
  for (const [method, path, params, expected] of matrix) {
    for (const role of ROLES) {
      test(`${role} ${method} ${path(role)}`, async () => {
        const before = expected[role] === 'ok' ? undefined : await p.snapshot();
        const res = await clients[role]!.call(method, path(role), params);
        assert.equal(res.status, 200);
        if (expected[role] === 'ok') assert.equal(res.body._success, true, JSON.stringify(res.body));
        else {
          assert.deepEqual(res.body, { _success: false, _msg: expected[role] });
          assert.deepEqual(await p.snapshot(), before, 'a refusal changes nothing');
        }
      });
    }
  }

  test('a domain admin cannot grant or revoke global rights, on PUT or POST', async () => {
    const before = await p.snapshot();
    for (const value of ['yes', 'no']) {
      assert.deepEqual((await clients.owner!.put('/api/user/user@mine.test', { isGlobalAdmin: value, name: 'x' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
      assert.deepEqual((await clients.owner!.post('/api/user/sneaky@mine.test', { password: PW, isGlobalAdmin: value })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    }
    const helper = await h.loggedIn('helper@mine.test', PW);
    assert.deepEqual((await helper.put('/api/user/helper@mine.test', { isGlobalAdmin: 'yes' })).body, { _success: false, _msg: 'PERMISSION_DENIED' }, 'nor itself');
    assert.deepEqual(await p.snapshot(), before);
  });

  test("a domain admin may read a global admin's mailbox but not change, delete or rename it", async () => {
    const before = await p.snapshot();
    assert.equal((await clients.owner!.get('/api/user/boss@mine.test')).body._data.isglobaladmin, 1);
    for (const [method, path, params] of [
      ['PUT', '/api/user/boss@mine.test', { name: 'x' }],
      ['PUT', '/api/user/boss@mine.test', { password: 'N3w!Password' }],
      ['DELETE', '/api/user/boss@mine.test', {}],
      ['DELETE', '/api/user/boss@mine.test/keep_mailbox_days/1', {}],
      ['POST', '/api/user/boss@mine.test/change_email/boss2@mine.test', {}],
    ] as [string, string, Record<string, string>][]) {
      assert.deepEqual((await clients.owner!.call(method, path, params)).body, { _success: false, _msg: 'PERMISSION_DENIED' }, `${method} ${path}`);
    }
    assert.deepEqual(await p.snapshot(), before);
  });

  test("a domain admin's PUT /api/users leaves global admins' mailboxes alone", async () => {
    assert.deepEqual((await clients.owner!.put('/api/users/mine.test', { password: 'Bulk!Pass1' })).body, { _success: true });
    const boss = (await p.mailUser('boss@mine.test'))!;
    const user = (await p.mailUser('user@mine.test'))!;
    assert.equal(await verifyPassword(PW, boss.passwordHash), true, 'the global admin keeps its password');
    assert.equal(await verifyPassword('Bulk!Pass1', user.passwordHash), true);
  });

  test('change_email never crosses domains, whoever asks', async () => {
    await clients.global!.post('/api/user/mover@mine.test', { password: PW });
    assert.deepEqual((await clients.owner!.post('/api/user/mover@mine.test/change_email/mover@theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await clients.global!.post('/api/user/mover@mine.test/change_email/mover@theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.ok(await p.mailUser('mover@mine.test'));
    assert.equal(await p.mailUser('mover@theirs.test'), undefined);
  });

  test('keep_mailbox_days: normal admins are clamped to 365 (fix #17), global admins are not', async () => {
    const dateOf = async (user: string) => {
      const [row] = await p.deletedMailboxes({ username: user });
      assert.ok(row, `${user} recorded in deleted_mailboxes`);
      return row.delete_date;
    };
    const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    for (const user of ['c1', 'c2', 'c3', 'c4']) await clients.global!.post(`/api/user/${user}@mine.test`, { password: PW });
    await clients.owner!.delete('/api/user/c1@mine.test/keep_mailbox_days/5000');
    await clients.owner!.delete('/api/user/c2@mine.test');
    await clients.global!.delete('/api/user/c3@mine.test/keep_mailbox_days/5000');
    await clients.global!.delete('/api/user/c4@mine.test');
    assert.equal(await dateOf('c1@mine.test'), inDays(365));
    assert.equal(await dateOf('c2@mine.test'), inDays(365), '"forever" is 365 days for a normal admin');
    assert.equal(await dateOf('c3@mine.test'), inDays(5000));
    assert.equal(await dateOf('c4@mine.test'), null);
    assert.equal(await dateOf('keep-owner@mine.test'), inDays(10));
  });

  test('no admin can lock itself out through its own mailbox', async () => {
    const boss = await h.loggedIn('boss@mine.test', PW);
    const refused = { _success: false, _msg: 'CANNOT_CHANGE_OWN_ACCOUNT' };
    assert.deepEqual((await boss.put('/api/user/boss@mine.test', { isGlobalAdmin: 'no' })).body, refused);
    assert.deepEqual((await boss.put('/api/user/boss@mine.test', { accountStatus: 'disabled' })).body, refused);
    assert.deepEqual((await boss.delete('/api/user/boss@mine.test')).body, refused);
    assert.deepEqual((await boss.put('/api/user/boss@mine.test', { name: 'Boss' })).body, { _success: true }, 'other changes are fine');
    const helper = await h.loggedIn('helper@mine.test', 'Bulk!Pass1'); // set by the bulk change above
    assert.deepEqual((await helper.put('/api/users/mine.test', { accountStatus: 'disabled' })).body, refused);
    assert.deepEqual((await helper.delete('/api/user/helper@mine.test')).body, refused);
    const rows = [(await p.mailUser('boss@mine.test'))!, (await p.mailUser('helper@mine.test'))!];
    assert.deepEqual(rows.map((r) => [r.username, r.active, r.isglobaladmin]), [['boss@mine.test', 1, 1], ['helper@mine.test', 1, 0]]);
  });

  test('the global admin may do what a domain admin may not', async () => {
    assert.deepEqual((await clients.global!.put('/api/user/user@mine.test', { isGlobalAdmin: 'yes' })).body, { _success: true });
    assert.deepEqual((await clients.global!.put('/api/user/user@mine.test', { isGlobalAdmin: 'no' })).body, { _success: true });
    assert.deepEqual((await clients.global!.put('/api/user/boss@mine.test', { name: 'Big Boss' })).body, { _success: true });
  });
});
