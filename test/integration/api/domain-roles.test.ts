import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';

/**
 * Each role against every domain route: anonymous, an admin of another domain, the
 * domain's own admin, and a global admin. Expected outcomes follow pro-api-behaviour §1.4,
 * with its fixes (normal admins list their domains; they cannot create domains).
 */
let h: Harness;
let p: Probe;
const clients: Record<string, ApiClient> = {};
before(async () => {
  h = await startHarness();
  p = probe(h);
  const global = await h.loggedIn();
  for (const d of ['mine.test', 'theirs.test']) await global.post(`/api/domain/${d}`, { name: d, quota: '1000', numberOfUsers: '10' });
  await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ['mine.test'] });
  await h.seedAdmin('other@admins.test', 'Other1!Pw', { domains: ['theirs.test'] });
  await seedMailbox(h, 'user@mine.test');
  await seedMailbox(h, 'user@theirs.test');
  clients.anonymous = h.client();
  clients.other = await h.loggedIn('other@admins.test', 'Other1!Pw');
  clients.owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');
  clients.global = global;
});
after(async () => { await h?.close(); });

type Role = 'anonymous' | 'other' | 'owner' | 'global';
const ALLOWED_ALL: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
const GLOBAL_ONLY: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', global: 'ok' };

const matrix: [string, string, Record<string, string>, Record<Role, string>][] = [
  ['GET', '/api/domain/mine.test', {}, ALLOWED_ALL],
  ['PUT', '/api/domain/mine.test', { name: 'renamed' }, ALLOWED_ALL],
  ['GET', '/api/domain/admins/mine.test', {}, ALLOWED_ALL],
  ['PUT', '/api/domain/admins/mine.test', { addAdmin: 'user@mine.test' }, ALLOWED_ALL],
  ['POST', '/api/domain/brand-new.test', {}, GLOBAL_ONLY],
  ['GET', '/api/domains', {}, { anonymous: 'LOGIN_REQUIRED', other: 'ok', owner: 'ok', global: 'ok' }],
];

describe('domain routes × roles', () => {
  for (const [method, path, params, expected] of matrix) {
    for (const role of ['anonymous', 'other', 'owner', 'global'] as Role[]) {
      test(`${role} ${method} ${path}`, async () => {
        const res = await clients[role]!.call(method, path, params);
        if (expected[role] === 'ok') assert.equal(res.body._success, true, JSON.stringify(res.body));
        else assert.deepEqual(res.body, { _success: false, _msg: expected[role] });
        assert.equal(res.status, 200);
        if (method === 'POST' && expected[role] === 'ok') await clients.global!.delete(path);
      });
    }
  }

  test('a normal admin lists only the domains it manages', async () => {
    assert.deepEqual((await clients.owner!.get('/api/domains', { name_only: '' })).body._data, ['mine.test']);
    assert.deepEqual(Object.keys((await clients.other!.get('/api/domains')).body._data), ['theirs.test']);
  });

  test("a normal admin's limit and quota changes are ignored, other changes apply", async () => {
    await clients.owner!.put('/api/domain/mine.test', { quota: '999999', numberOfUsers: '0', services: 'x', name: 'Mine' });
    const domain = (await p.domain('mine.test'))!;
    assert.equal(domain.maxquota, 1000);
    assert.equal(domain.mailboxes, 10);
    assert.equal(domain.description, 'Mine');
    assert.ok(!('enabled_services' in domain.settings));
  });

  test('a normal admin cannot lower the password floor below the global minimum', async () => {
    await clients.owner!.put('/api/domain/mine.test', { minPasswordLength: '3' });
    assert.equal((await p.domain('mine.test'))!.settings.min_passwd_length, 8);
  });

  test('a normal admin cannot promote users of domains it does not manage, nor standalone admins', async () => {
    assert.deepEqual((await clients.owner!.put('/api/domain/admins/mine.test', { addAdmin: 'user@theirs.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await clients.owner!.put('/api/domain/admins/mine.test', { addAdmin: 'other@admins.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    const admins = await p.domainAdmins('mine.test');
    assert.ok(!admins.includes('user@theirs.test') && !admins.includes('other@admins.test'));
  });

  test('delete: other admins are refused; the owner may delete its own domain, clamped to 365 days', async () => {
    await clients.global!.post('/api/domain/owned2.test', {});
    await p.grantDomain('owner@admins.test', 'owned2.test');
    await seedMailbox(h, 'kept@owned2.test');
    assert.deepEqual((await clients.other!.delete('/api/domain/owned2.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await clients.anonymous!.delete('/api/domain/owned2.test')).body, { _success: false, _msg: 'LOGIN_REQUIRED' });
    const owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');
    assert.deepEqual((await owner.delete('/api/domain/owned2.test/keep_mailbox_days/5000')).body, { _success: true });
    const [deleted] = await p.deletedMailboxes({ username: 'kept@owned2.test' });
    const expected = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    assert.equal(deleted?.delete_date, expected);
  });
});
