import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';

/**
 * GET /api/log reads iRedAdmin's admin log (iredadmin.log): global admins every row, other
 * admins the rows of their domains; filters, paging and refusals.
 */
let h: Harness;
let global: ApiClient;
let owner: ApiClient;

const SEEDED = [
  ['2020-01-01 10:00:00', 'update', 'mine.test', 'Seeded one.'],
  ['2020-01-02 23:59:59', 'update', 'theirs.test', 'Seeded two.'],
  ['2020-01-03 00:00:00', 'delete', 'mine.test', 'Seeded three.'],
] as const;

before(async () => {
  h = await startHarness();
  global = await h.loggedIn();
  for (const d of ['mine.test', 'theirs.test']) assert.equal((await global.post(`/api/domain/${d}`, { name: d })).body._success, true);
  await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ['mine.test'] });
  owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');
  for (const [timestamp, event, domain, msg] of SEEDED) {
    await h.iredadmin.insertInto('log').values({ timestamp, admin: 'seed@admins.test', ip: '192.0.2.1', domain, username: '', event, loglevel: 'info', msg }).execute();
  }
});
after(async () => { await h?.close(); });

describe('GET /api/log', () => {
  test('anonymous callers must log in', async () => {
    assert.deepEqual((await h.client().get('/api/log')).body, { _success: false, _msg: 'LOGIN_REQUIRED' });
  });

  test('a global admin reads every row, newest first, with _total', async () => {
    const res = await global.get('/api/log', { limit: '1000' });
    assert.equal(res.body._success, true, JSON.stringify(res.body));
    const rows = res.body._data as any[];
    assert.equal(res.body._total, rows.length);
    const domains = new Set(rows.map((row) => row.domain));
    assert.ok(domains.has('mine.test') && domains.has('theirs.test') && domains.has(''), 'rows of every domain, and login rows without one');
    const created = rows.find((row) => row.event === 'create' && row.domain === 'theirs.test');
    assert.equal(created.admin, 'admin@admins.test');
    assert.match(created.msg, /^\[API\] /);
    assert.match(created.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.deepEqual(Object.keys(created).sort(), ['admin', 'domain', 'event', 'id', 'ip', 'loglevel', 'msg', 'timestamp', 'username']);
    const times = rows.map((row) => row.timestamp);
    assert.deepEqual(times, [...times].sort().reverse());
  });

  test('a domain admin reads only the rows of its domains', async () => {
    const res = await owner.get('/api/log', { limit: '1000' });
    assert.equal(res.body._success, true);
    assert.ok(res.body._data.length > 0);
    assert.deepEqual([...new Set(res.body._data.map((row: any) => row.domain))], ['mine.test']);
    assert.equal(res.body._total, res.body._data.length);
    assert.deepEqual((await owner.get('/api/log', { domain: 'theirs.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.equal((await owner.get('/api/log', { domain: 'MINE.test' })).body._success, true);
  });

  test('filters: event, domain, admin, since and until (dates include the whole day)', async () => {
    const seeded = async (params: Record<string, string>) => {
      const res = await global.get('/api/log', { admin: 'seed@admins.test', ...params });
      assert.equal(res.body._success, true, JSON.stringify(res.body));
      return (res.body._data as any[]).map((row) => row.msg);
    };
    assert.deepEqual(await seeded({}), ['Seeded three.', 'Seeded two.', 'Seeded one.']);
    assert.deepEqual(await seeded({ event: 'delete' }), ['Seeded three.']);
    assert.deepEqual(await seeded({ domain: 'mine.test' }), ['Seeded three.', 'Seeded one.']);
    assert.deepEqual(await seeded({ since: '2020-01-01', until: '2020-01-02' }), ['Seeded two.', 'Seeded one.']);
    assert.deepEqual(await seeded({ since: '2020-01-02T23:59:59Z' }), ['Seeded three.', 'Seeded two.']);
    assert.deepEqual(await seeded({ until: '2020-01-03T00:00:00' }), ['Seeded three.', 'Seeded two.', 'Seeded one.']);
    // 01:00 at +02:00 is 23:00 UTC the day before.
    assert.deepEqual(await seeded({ since: '2020-01-03T01:00:00+02:00', until: '2020-01-03T01:00:00+02:00' }), []);
    assert.deepEqual(await seeded({ since: '2020-01-02T01:00:00+02:00', until: '2020-01-02T02:00:00+02:00' }), []);
    assert.deepEqual(await seeded({ since: '2020-01-03T01:00:00+02:00' }), ['Seeded three.', 'Seeded two.']);
    assert.deepEqual(await seeded({ since: '2020-01-03T02:00:00+02:00' }), ['Seeded three.']);
    const none = await global.get('/api/log', { admin: 'nobody@admins.test' });
    assert.deepEqual(none.body, { _success: true, _data: [], _total: 0 });
  });

  test('paging with page and limit; _total counts every match', async () => {
    const first = await global.get('/api/log', { admin: 'seed@admins.test', limit: '2' });
    assert.deepEqual(first.body._data.map((row: any) => row.msg), ['Seeded three.', 'Seeded two.']);
    assert.equal(first.body._total, 3);
    const second = await global.get('/api/log', { admin: 'seed@admins.test', limit: '2', page: '2' });
    assert.deepEqual(second.body._data.map((row: any) => row.msg), ['Seeded one.']);
    assert.equal(second.body._total, 3);
  });

  test('malformed filters are refused with their code', async () => {
    for (const [params, code] of [
      [{ since: 'yesterday' }, 'INVALID_PARAMETER'],
      [{ until: '2020-02-31' }, 'INVALID_PARAMETER'],
      [{ limit: '0' }, 'INVALID_PARAMETER'],
      [{ limit: '5000' }, 'INVALID_PARAMETER'],
      [{ page: 'two' }, 'INVALID_PARAMETER'],
      [{ domain: 'not a domain' }, 'INVALID_DOMAIN_NAME'],
      [{ event: 'x'.repeat(21) }, 'INVALID_PARAMETER'],
    ] as [Record<string, string>, string][]) {
      assert.deepEqual((await global.get('/api/log', params)).body, { _success: false, _msg: code }, JSON.stringify(params));
    }
  });

  test('an API key limited to a domain reads that domain\'s rows only', async () => {
    const created = await global.post('/api/apikey', { name: 'log reader', domains: 'mine.test' });
    assert.equal(created.body._success, true, JSON.stringify(created.body));
    const res = await h.client().get('/api/log', { limit: '1000' }, { headers: { 'x-api-key': created.body._data.key } });
    assert.equal(res.body._success, true, JSON.stringify(res.body));
    assert.deepEqual([...new Set(res.body._data.map((row: any) => row.domain))], ['mine.test']);
  });
});
