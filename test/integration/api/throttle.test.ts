import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshot, type ApiClient, type Harness } from '../../support/api';
import { startRoleFixture } from '../../support/roles';

/**
 * Throttle settings on iredapd.throttle (reference/policy.md §2): priorities 100/60/0, -1
 * for limits not given, period=0 deletes (tracking rows first), the `setting` + `_data`
 * GET reply, one row per (account, kind) even under concurrent POSTs, refusals that change
 * nothing, and who may call what.
 */
let h: Harness;
let admin: ApiClient;
let clients: Record<string, ApiClient>;
before(async () => {
  ({ h, admin, clients } = await startRoleFixture());
});
after(async () => { await h?.close(); });

const TABLES = ['throttle', 'throttle_tracking'];
const rows = (account: string, kind: string) => h.iredapd.selectFrom('throttle').selectAll().where('account', '=', account).where('kind', '=', kind).execute();
const numbers = (row: Record<string, unknown>) => Object.fromEntries(['priority', 'period', 'msg_size', 'max_msgs', 'max_quota', 'max_rcpts'].map((k) => [k, Number(row[k])]));

describe(`throttle API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('POST stores the row iRedAPD reads: lower-case account, priority 100 for a user, -1 for limits not given', async () => {
    const res = await admin.post('/api/throttle/Alice@Mine.Test/outbound', { period: '3600', msg_size: '10485760', max_msgs: '20' });
    assert.deepEqual(res.body, { _success: true });
    const found = await rows('alice@mine.test', 'outbound');
    assert.equal(found.length, 1);
    assert.deepEqual(numbers(found[0]!), { priority: 100, period: 3600, msg_size: 10485760, max_msgs: 20, max_quota: -1, max_rcpts: -1 });
    assert.equal((await rows('alice@mine.test', 'inbound')).length, 0, 'directions are separate settings');
  });

  test('domain settings get priority 60, global 0; 0 means unlimited and is stored as such', async () => {
    await admin.post('/api/throttle/Mine.Test/inbound', { period: '86400', max_quota: '1048576000', max_msgs: '0' });
    assert.deepEqual(numbers((await rows('@mine.test', 'inbound'))[0]!), { priority: 60, period: 86400, msg_size: -1, max_msgs: 0, max_quota: 1048576000, max_rcpts: -1 });
    await admin.post('/api/throttle/global/outbound', { period: '60', max_msgs: '100' });
    assert.deepEqual(numbers((await rows('@.', 'outbound'))[0]!), { priority: 0, period: 60, msg_size: -1, max_msgs: 100, max_quota: -1, max_rcpts: -1 });
  });

  test('a second POST updates the row in place: same id, limits replaced, max_rcpts kept, old Pro priority corrected', async () => {
    const [before] = await rows('alice@mine.test', 'outbound');
    await h.iredapd.updateTable('throttle').set({ max_rcpts: 7, priority: 10 }).where('id', '=', before!.id).execute();
    await admin.post('/api/throttle/alice@mine.test/outbound', { period: '7200', max_quota: '500' });
    const after = await rows('alice@mine.test', 'outbound');
    assert.equal(after.length, 1);
    assert.equal(Number(after[0]!.id), Number(before!.id));
    assert.deepEqual(numbers(after[0]!), { priority: 100, period: 7200, msg_size: -1, max_msgs: -1, max_quota: 500, max_rcpts: 7 });
  });

  test('GET replies the row under `setting` and `_data`, {} when there is none', async () => {
    const res = await admin.get('/api/throttle/alice@mine.test/outbound');
    const [row] = await rows('alice@mine.test', 'outbound');
    const expected = { id: Number(row!.id), account: 'alice@mine.test', kind: 'outbound', priority: 100, period: 7200, msg_size: -1, max_msgs: -1, max_quota: 500, max_rcpts: 7 };
    assert.deepEqual(res.body, { _success: true, setting: expected, _data: expected });
    assert.deepEqual((await admin.get('/api/throttle/alice@mine.test/inbound')).body, { _success: true, setting: {}, _data: {} });
    assert.equal((await admin.get('/api/throttle/global/outbound')).body.setting.account, '@.');
    assert.equal((await admin.get('/api/throttle/MINE.TEST/inbound')).body._data.account, '@mine.test');
  });

  test('period=0 deletes the setting, its tracking rows first; deleting nothing succeeds', async () => {
    const [row] = await rows('alice@mine.test', 'outbound');
    await h.iredapd.insertInto('throttle_tracking').values({ tid: row!.id, account: 'alice@mine.test', period: 7200, cur_msgs: 3, cur_quota: 100, init_time: 1, last_time: 2 }).execute();
    assert.deepEqual((await admin.post('/api/throttle/alice@mine.test/outbound', { period: '0' })).body, { _success: true });
    assert.equal((await rows('alice@mine.test', 'outbound')).length, 0);
    assert.equal((await h.iredapd.selectFrom('throttle_tracking').selectAll().where('tid', '=', row!.id).execute()).length, 0);
    assert.deepEqual((await admin.post('/api/throttle/alice@mine.test/outbound', { period: '0' })).body, { _success: true });
    assert.ok((await rows('@mine.test', 'inbound')).length === 1, 'other settings untouched');
  });

  test('concurrent POSTs of a new setting leave one row', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => admin.post('/api/throttle/race@mine.test/inbound', { period: '60', max_msgs: String(i + 1) })));
    assert.ok(results.every((res) => res.body._success === true), JSON.stringify(results.map((r) => r.body)));
    assert.equal((await rows('race@mine.test', 'inbound')).length, 1);
  });

  test('empty form fields count as not given', async () => {
    await admin.post('/api/throttle/bob@mine.test/inbound', { period: '60', msg_size: '', max_msgs: '5', max_quota: ' ' });
    assert.deepEqual(numbers((await rows('bob@mine.test', 'inbound'))[0]!), { priority: 100, period: 60, msg_size: -1, max_msgs: 5, max_quota: -1, max_rcpts: -1 });
  });

  test('bad input: a code, HTTP status < 500, nothing changed', async () => {
    const before = await snapshot(h.iredapd, TABLES);
    const cases: [string, string, Record<string, string>, string, number?][] = [
      ['POST', '/api/throttle/alice@mine.test/inbound', { max_msgs: '5' }, 'MISS_PERIOD'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '', max_msgs: '5' }, 'MISS_PERIOD'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60' }, 'MISS_THROTTLE_SETTING'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60', msg_size: '' }, 'MISS_THROTTLE_SETTING'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: 'hourly', max_msgs: '5' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '-60', max_msgs: '5' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '99999999999', max_msgs: '5' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60', max_msgs: '-2' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60', max_quota: '1.5' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60', msg_size: '10MB' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/alice@mine.test/inbound', { period: '60', max_msgs: '99999999999999999999' }, 'INVALID_PARAMETER'],
      ['POST', '/api/throttle/not_a_domain/inbound', { period: '60', max_msgs: '5' }, 'INVALID_ACCOUNT'],
      ['POST', '/api/throttle/@mine.test/inbound', { period: '60', max_msgs: '5' }, 'INVALID_ACCOUNT'],
      ['GET', "/api/throttle/x.test'--/inbound", {}, 'INVALID_ACCOUNT'],
      ['POST', '/api/throttle/mine.test/sideways', { period: '60', max_msgs: '5' }, 'NOT_FOUND', 404],
      ['POST', '/api/throttle/mine.test/external', { period: '60', max_msgs: '5' }, 'NOT_FOUND', 404],
      ['PUT', '/api/throttle/mine.test/inbound', { period: '60', max_msgs: '5' }, 'INVALID_HTTP_METHOD'],
    ];
    for (const [method, path, params, code, status] of cases) {
      const res = await admin.call(method, path, params);
      assert.equal(res.status, status ?? 200, `${method} ${path}`);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${method} ${path} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await snapshot(h.iredapd, TABLES), before);
  });

  test('writes are in the admin log', async () => {
    const logged = await h.iredadmin.selectFrom('log').selectAll().where('msg', 'like', '[API] %throttle%').execute();
    assert.ok(logged.some((row) => row.msg.includes('outbound throttle setting of alice@mine.test') && row.domain === 'mine.test'));
    assert.ok(logged.some((row) => row.msg.startsWith('[API] Delete outbound throttle setting of alice@mine.test')));
  });
});

type Role = 'anonymous' | 'other' | 'owner' | 'global';
const DOMAIN_ADMINS: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
const GLOBAL_ONLY: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', global: 'ok' };

describe('throttle routes × roles', () => {
  const matrix: [string, string, Record<string, string>, Record<Role, string>][] = [];
  for (const direction of ['inbound', 'outbound']) {
    for (const method of ['GET', 'POST']) {
      const params: Record<string, string> = method === 'POST' ? { period: '60', max_msgs: '9' } : {};
      matrix.push([method, `/api/throttle/global/${direction}`, params, GLOBAL_ONLY]);
      matrix.push([method, `/api/throttle/mine.test/${direction}`, params, DOMAIN_ADMINS]);
      matrix.push([method, `/api/throttle/someone@mine.test/${direction}`, params, DOMAIN_ADMINS]);
    }
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
