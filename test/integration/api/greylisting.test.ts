import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshot, type ApiClient, type Harness } from '../../support/api';
import { startRoleFixture } from '../../support/roles';

/**
 * Greylisting on the iredapd tables (reference/policy.md §3): settings rows with priorities
 * 100/60/0, inherit by deletion, whitelists that accept exactly the documented sender forms
 * and whose removals touch only the named account, the SPF domain list, refusals that
 * change nothing, and who may call what.
 */
let h: Harness;
let admin: ApiClient;
let clients: Record<string, ApiClient>;
before(async () => {
  ({ h, admin, clients } = await startRoleFixture());
});
after(async () => { await h?.close(); });

const TABLES = ['greylisting', 'greylisting_whitelists', 'greylisting_whitelist_domains', 'greylisting_whitelist_domain_spf'];
const settings = (account: string) => h.iredapd.selectFrom('greylisting').selectAll().where('account', '=', account).orderBy('sender').execute();
const shape = (row: Record<string, unknown>) => ({ account: row.account, sender: row.sender, priority: Number(row.priority), sender_priority: Number(row.sender_priority), active: Number(row.active) });
const whitelistRows = (account: string) => h.iredapd.selectFrom('greylisting_whitelists').select('sender').where('account', '=', account).orderBy('sender').execute().then((r) => r.map((x) => x.sender));

describe(`greylisting API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('global: DELETE leaves no row (reported disabled); enable and disable write (@., 0, @., 0, active)', async () => {
    assert.deepEqual((await admin.delete('/api/greylisting/global')).body, { _success: true });
    assert.equal((await settings('@.')).length, 0);
    assert.deepEqual((await admin.get('/api/greylisting/global')).body, { _success: true, _data: { status: 'disabled' } });
    assert.deepEqual((await admin.post('/api/greylisting/global', { status: 'enable' })).body, { _success: true });
    assert.deepEqual((await settings('@.')).map(shape), [{ account: '@.', sender: '@.', priority: 0, sender_priority: 0, active: 1 }]);
    assert.deepEqual((await admin.get('/api/greylisting/global')).body._data, { status: 'enabled' });
    await admin.post('/api/greylisting/global', { status: 'Disable' });
    assert.deepEqual((await settings('@.')).map(shape), [{ account: '@.', sender: '@.', priority: 0, sender_priority: 0, active: 0 }]);
    await admin.post('/api/greylisting/global', { status: 'enable' });
  });

  test('domain (priority 60) and user (priority 100) settings; no row means inherit', async () => {
    await admin.post('/api/greylisting/Mine.Test', { status: 'disable' });
    await admin.post('/api/greylisting/Alice@Mine.Test', { status: 'enable' });
    assert.deepEqual((await settings('@mine.test')).map(shape), [{ account: '@mine.test', sender: '@.', priority: 60, sender_priority: 0, active: 0 }]);
    assert.deepEqual((await settings('alice@mine.test')).map(shape), [{ account: 'alice@mine.test', sender: '@.', priority: 100, sender_priority: 0, active: 1 }]);
    assert.deepEqual((await admin.get('/api/greylisting/mine.test')).body._data, { status: 'disabled' });
    assert.deepEqual((await admin.get('/api/greylisting/alice@mine.test')).body._data, { status: 'enabled' });
    assert.deepEqual((await admin.get('/api/greylisting/bob@mine.test')).body._data, { status: 'inherit' });
    // Switching back and forth updates the one row.
    await admin.post('/api/greylisting/mine.test', { status: 'enable' });
    assert.deepEqual((await settings('@mine.test')).map(shape), [{ account: '@mine.test', sender: '@.', priority: 60, sender_priority: 0, active: 1 }]);
  });

  test('any other status on a domain or user, and DELETE, remove every row of that account (inherit)', async () => {
    await h.iredapd.insertInto('greylisting').values({ account: '@mine.test', priority: 60, sender: '192.0.2.1', sender_priority: 80, active: 0 }).execute();
    assert.deepEqual((await admin.post('/api/greylisting/mine.test', { status: 'inherit' })).body, { _success: true });
    assert.equal((await settings('@mine.test')).length, 0);
    assert.deepEqual((await admin.get('/api/greylisting/mine.test')).body._data, { status: 'inherit' });
    assert.deepEqual((await admin.delete('/api/greylisting/alice@mine.test')).body, { _success: true });
    assert.equal((await settings('alice@mine.test')).length, 0);
    assert.ok((await settings('@.')).length === 1, 'other accounts untouched');
  });

  test('GET /all maps each account to its rows', async () => {
    await admin.post('/api/greylisting/theirs.test', { status: 'disable' });
    const data = (await admin.get('/api/greylisting/all')).body._data;
    assert.deepEqual(data['@theirs.test'], [{ sender: '@.', account: '@theirs.test', status: 'disabled' }]);
    assert.deepEqual(data['@.'], [{ sender: '@.', account: '@.', status: 'enabled' }]);
    assert.equal(data['@mine.test'], undefined);
  });

  test('whitelists: reset with every documented form, stored lower case and canonical; GET sorted', async () => {
    const res = await admin.post('/api/greylisting/mine.test/whitelists', {
      senders: '192.168.1.0/24, 172.16.10.1,User@Example.com,@example.org,@.Example.NET,2001:DB8:0:0::1,2001:db8:1::/48,10.0.0.9/32,172.16.10.1',
    });
    assert.deepEqual(res.body, { _success: true });
    const expected = ['10.0.0.9', '172.16.10.1', '192.168.1.0/24', '2001:db8:1::/48', '2001:db8::1', '@.example.net', '@example.org', 'user@example.com'].sort();
    assert.deepEqual(await whitelistRows('@mine.test'), expected);
    assert.deepEqual((await admin.get('/api/greylisting/mine.test/whitelists')).body, { _success: true, _data: { whitelists: expected } });
    const rows = await h.iredapd.selectFrom('greylisting_whitelists').selectAll().where('account', '=', '@mine.test').execute();
    assert.ok(rows.every((row) => row.comment === ''));
  });

  test('addSenders adds (duplicates ignored); removeSenders removes from this account only (fix #18)', async () => {
    await admin.post('/api/greylisting/theirs.test/whitelists', { senders: '172.16.10.1,@example.org' });
    await admin.post('/api/greylisting/mine.test/whitelists', { addSenders: '172.16.10.1,198.51.100.7', removeSenders: '@example.org,203.0.113.99' });
    const mine = await whitelistRows('@mine.test');
    assert.ok(mine.includes('198.51.100.7'));
    assert.ok(!mine.includes('@example.org'));
    assert.equal(mine.filter((s) => s === '172.16.10.1').length, 1);
    assert.deepEqual(await whitelistRows('@theirs.test'), ['172.16.10.1', '@example.org'], 'the other domain keeps its entries');
    // Legacy forms (written by older tools) can be removed, though not added.
    await h.iredapd.insertInto('greylisting_whitelists').values({ account: '@mine.test', sender: '@.', comment: '' }).execute();
    await admin.post('/api/greylisting/mine.test/whitelists', { removeSenders: '@.' });
    assert.ok(!(await whitelistRows('@mine.test')).includes('@.'));
    await admin.post('/api/greylisting/alice@mine.test/whitelists', { addSenders: '192.0.2.5' });
    assert.deepEqual(await whitelistRows('alice@mine.test'), ['192.0.2.5']);
    await admin.post('/api/greylisting/alice@mine.test/whitelists', { senders: '' });
    assert.deepEqual(await whitelistRows('alice@mine.test'), [], 'an empty reset clears the list');
  });

  test('global whitelists also list the SPF domains; the SPF job rows are not listed', async () => {
    await admin.post('/api/greylisting/global/whitelists', { senders: '203.0.113.0/24' });
    await admin.post('/api/greylisting/whitelist_spf_domains', { domains: 'Example.COM,iredmail.org' });
    await h.iredapd.insertInto('greylisting_whitelist_domain_spf').values({ account: '@.', sender: '198.51.100.1', comment: 'AUTO-UPDATE: example.com' }).execute();
    const data = (await admin.get('/api/greylisting/global/whitelists')).body._data;
    assert.deepEqual(data, { whitelists: ['203.0.113.0/24'], whitelist_domains: ['example.com', 'iredmail.org'] });
  });

  test('SPF domains: reset, add, remove; a removed domain loses its SPF-derived rows at once', async () => {
    assert.deepEqual((await admin.get('/api/greylisting/whitelist_spf_domains')).body._data, { domains: ['example.com', 'iredmail.org'] });
    await admin.post('/api/greylisting/whitelist_spf_domains', { addDomains: 'gmail.com,example.com', removeDomains: 'example.com' });
    assert.deepEqual((await admin.get('/api/greylisting/whitelist_spf_domains')).body._data.domains, ['example.com', 'gmail.com', 'iredmail.org'], 'removal first, then addition');
    await admin.post('/api/greylisting/whitelist_spf_domains', { removeDomains: 'example.com' });
    assert.deepEqual((await admin.get('/api/greylisting/whitelist_spf_domains')).body._data.domains, ['gmail.com', 'iredmail.org']);
    assert.equal((await h.iredapd.selectFrom('greylisting_whitelist_domain_spf').selectAll().where('comment', '=', 'AUTO-UPDATE: example.com').execute()).length, 0);
    await admin.post('/api/greylisting/whitelist_spf_domains', { domains: 'iredmail.org' });
    assert.deepEqual((await admin.get('/api/greylisting/whitelist_spf_domains')).body._data.domains, ['iredmail.org']);
  });

  test('bad input: a code, HTTP status < 500, nothing changed', async () => {
    const before = await snapshot(h.iredapd, TABLES);
    const cases: [string, string, Record<string, string>, string][] = [
      ['POST', '/api/greylisting/global', { status: 'on' }, 'INVALID_PARAMETER'],
      ['POST', '/api/greylisting/global', {}, 'INVALID_PARAMETER'],
      ['POST', '/api/greylisting/not_a_domain', { status: 'enable' }, 'INVALID_ACCOUNT'],
      ['GET', "/api/greylisting/x.test'--", {}, 'INVALID_ACCOUNT'],
      ['POST', '/api/greylisting/all', { status: 'enable' }, 'INVALID_ACCOUNT'],
      ['POST', `/api/greylisting/${'a'.repeat(95)}@mine.test`, { status: 'enable' }, 'INVALID_ACCOUNT'],
      ['POST', '/api/greylisting/mine.test/whitelists', { senders: '192.168.1.1/24' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '10.0.0.1,300.1.1.1' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '@.' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: 'user@*' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: 'example.com' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '@.com' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '10.0.0.0/0' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '10.1' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: '::ffff:192.0.2.1' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: 'fe80::1%eth0' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: `${'a'.repeat(95)}@example.com` }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { addSenders: "1.2.3.4'; DROP TABLE greylisting; --" }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { removeSenders: 'not a sender' }, 'INVALID_SENDER'],
      ['POST', '/api/greylisting/mine.test/whitelists', { senders: '10.0.0.1', addSenders: '10.0.0.2' }, 'CONFLICTING_PARAMETERS'],
      ['POST', '/api/greylisting/mine.test/whitelists', { senders: '10.0.0.1', removeSenders: '10.0.0.2' }, 'CONFLICTING_PARAMETERS'],
      ['POST', '/api/greylisting/whitelist_spf_domains', { addDomains: 'gmail.com,not_a_domain' }, 'INVALID_DOMAIN_NAME'],
      ['POST', '/api/greylisting/whitelist_spf_domains', { domains: '@gmail.com' }, 'INVALID_DOMAIN_NAME'],
      ['POST', '/api/greylisting/whitelist_spf_domains', { domains: 'gmail.com', removeDomains: 'x.test' }, 'CONFLICTING_PARAMETERS'],
      ['DELETE', '/api/greylisting/whitelist_spf_domains', {}, 'INVALID_ACCOUNT'],
      ['PUT', '/api/greylisting/mine.test', { status: 'enable' }, 'INVALID_HTTP_METHOD'],
    ];
    for (const [method, path, params, code] of cases) {
      const res = await admin.call(method, path, params);
      assert.ok(res.status < 500, `${method} ${path}`);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${method} ${path} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await snapshot(h.iredapd, TABLES), before);
  });

  test('writes are in the admin log', async () => {
    const logged = await h.iredadmin.selectFrom('log').selectAll().where('msg', 'like', '[API] %reylisting%').execute();
    assert.ok(logged.some((row) => row.msg === '[API] Disable greylisting for @mine.test.' && row.domain === 'mine.test'));
    assert.ok(logged.some((row) => row.msg.startsWith('[API] Greylisting whitelists of @mine.test: reset to ')));
    assert.ok(logged.some((row) => row.msg.startsWith('[API] Greylisting SPF whitelist domains: ')));
  });
});

type Role = 'anonymous' | 'other' | 'owner' | 'global';
const DOMAIN_ADMINS: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
const GLOBAL_ONLY: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', global: 'ok' };

describe('greylisting routes × roles', () => {
  const matrix: [string, string, Record<string, string>, Record<Role, string>][] = [
    ['GET', '/api/greylisting/all', {}, GLOBAL_ONLY],
    ['GET', '/api/greylisting/whitelist_spf_domains', {}, GLOBAL_ONLY],
    ['POST', '/api/greylisting/whitelist_spf_domains', { addDomains: 'roles.test' }, GLOBAL_ONLY],
  ];
  for (const [target, access] of [['global', GLOBAL_ONLY], ['mine.test', DOMAIN_ADMINS], ['someone@mine.test', DOMAIN_ADMINS]] as const) {
    matrix.push(['GET', `/api/greylisting/${target}`, {}, access]);
    matrix.push(['POST', `/api/greylisting/${target}`, { status: 'enable' }, access]);
    matrix.push(['DELETE', `/api/greylisting/${target}`, {}, access]);
    matrix.push(['GET', `/api/greylisting/${target}/whitelists`, {}, access]);
    matrix.push(['POST', `/api/greylisting/${target}/whitelists`, { addSenders: '192.0.2.77' }, access]);
  }
  for (const [method, path, params, expected] of matrix) {
    for (const role of ['anonymous', 'other', 'owner', 'global'] as Role[]) {
      test(`${role} ${method} ${path}`, async () => {
        const before = await snapshot(h.iredapd, TABLES);
        const res = await clients[role]!.call(method, path, params);
        assert.equal(res.status, 200);
        if (expected[role] === 'ok') {
          assert.equal(res.body._success, true, JSON.stringify(res.body));
        } else {
          assert.deepEqual(res.body, { _success: false, _msg: expected[role] });
          assert.deepEqual(await snapshot(h.iredapd, TABLES), before, 'a refused call changes nothing');
        }
      });
    }
  }
});
