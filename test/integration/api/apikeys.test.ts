import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { snapshot, startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';
import { cookieName } from '#lib/config';
import { hashApiKey } from '#lib/auth/api-key';

/**
 * API keys (issue 9): creation and its limits, the secret shown once and stored only as a
 * hash, both headers, read-only and domain-limited keys, expiry, revocation, allowed IPs,
 * the creator re-check, logging with the key id, and malformed input refused with a code.
 */
let h: Harness;
let p: Probe;
let global: ApiClient;
let owner: ApiClient;
let other: ApiClient;

const OWNER = { username: 'owner@admins.test', password: 'Owner1!Pw' };
const OTHER = { username: 'other@admins.test', password: 'Other1!Pw' };
const KEY_SHAPE = /^ira_[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DENIED = { _success: false, _msg: 'PERMISSION_DENIED' };
const LOGIN_REQUIRED = { _success: false, _msg: 'LOGIN_REQUIRED' };

before(async () => {
  h = await startHarness();
  p = probe(h);
  global = await h.loggedIn();
  for (const d of ['a.test', 'b.test', 'c.test']) assert.equal((await global.post(`/api/domain/${d}`, { name: d })).body._success, true);
  await h.seedAdmin(OWNER.username, OWNER.password, { domains: ['a.test', 'b.test'] });
  await h.seedAdmin(OTHER.username, OTHER.password, { domains: ['c.test'] });
  owner = await h.loggedIn(OWNER.username, OWNER.password);
  other = await h.loggedIn(OTHER.username, OTHER.password);
});
after(async () => { await h?.close(); });

async function createKey(client: ApiClient, params: Record<string, string>): Promise<{ id: string; key: string } & Record<string, any>> {
  const res = await client.post('/api/apikey', params);
  assert.equal(res.status, 200);
  assert.equal(res.body._success, true, JSON.stringify(res.body));
  return res.body._data;
}

/** A client that sends the key as `Authorization: Bearer` and carries no cookie. */
const withKey = (key: string, sourceIp?: string) => ({ token: key, cookie: '', ...(sourceIp ? { sourceIp } : {}) });
const keyRow = (id: string) => h.iredadmin.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe(`API keys (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('a global admin creates a key: the secret once in the reply, only its hash stored, never listed', async () => {
    const created = await createKey(global, { name: 'billing sync', access: 'rw' });
    assert.match(created.id, UUID);
    assert.match(created.key, KEY_SHAPE);
    assert.ok(!created.key.includes(created.id), 'the key does not embed its id');
    assert.equal(created.name, 'billing sync');
    assert.equal(created.created_by, 'admin@admins.test');
    assert.equal(created.access, 'rw');
    assert.deepEqual(created.domains, []);
    assert.deepEqual(created.allowed_ips, []);
    assert.equal(created.expires_at, null);
    assert.equal(created.revoked, false);

    const row = await keyRow(created.id);
    assert.notEqual(row.secret_hash, created.key);
    assert.match(row.secret_hash, /^[0-9a-f]{64}$/);
    // Keyed: HMAC-SHA-256 with a server-side key, not a bare digest anyone with the table could test guesses against.
    assert.equal(row.secret_hash, hashApiKey(h.config, created.key));
    assert.notEqual(row.secret_hash, createHash('sha256').update(created.key).digest('hex'));
    const secretPart = created.key.slice(4);
    assert.ok(!JSON.stringify(row).includes(secretPart), 'no column holds the secret');

    const listed = await global.get('/api/apikeys');
    assert.equal(listed.body._success, true);
    const text = JSON.stringify(listed.body);
    assert.ok(!text.includes(secretPart) && !text.includes(row.secret_hash), 'neither the secret nor its hash is listed');
    const entry = listed.body._data.find((k: any) => k.id === created.id);
    assert.deepEqual(Object.keys(entry).sort(), ['access', 'allowed_ips', 'created_at', 'created_by', 'domains', 'expired', 'expires_at', 'id', 'last_used_at', 'name', 'revoked']);
  });

  test('a key works as Authorization: Bearer and as X-API-Key, not as a cookie', async () => {
    const { key } = await createKey(global, { name: 'headers' });
    const bearer = await h.client().get('/api/domains', { name_only: '' }, withKey(key));
    assert.deepEqual(bearer.body._data, ['a.test', 'b.test', 'c.test']);
    const header = await h.client().get('/api/domains', { name_only: '' }, { headers: { 'X-API-Key': key } });
    assert.deepEqual(header.body._data, ['a.test', 'b.test', 'c.test']);
    const cookie = await h.client().get('/api/domains', {}, { cookie: `${cookieName(h.config.backend)}=${key}` });
    assert.deepEqual(cookie.body, LOGIN_REQUIRED);
    // Unknown and malformed keys are plain unauthenticated requests.
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey('ira_' + 'A'.repeat(43)))).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey('ira_short'))).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().get('/api/domains', {}, { headers: { 'X-API-Key': key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') } })).body, LOGIN_REQUIRED);
  });

  test('read-only (the default) reads, and is refused on every POST, PUT and DELETE; nothing changes', async () => {
    const { key, access } = await createKey(global, { name: 'reader' });
    assert.equal(access, 'ro');
    assert.equal((await h.client().get('/api/domain/a.test', {}, withKey(key))).body._success, true);
    const before = await p.snapshot();
    assert.deepEqual((await h.client().put('/api/domain/a.test', { name: 'changed' }, withKey(key))).body, DENIED);
    assert.deepEqual((await h.client().post('/api/domain/new-ro.test', {}, withKey(key))).body, DENIED);
    assert.deepEqual((await h.client().delete('/api/domain/c.test', {}, withKey(key))).body, DENIED);
    assert.deepEqual((await h.client().put('/api/domain/admins/a.test', { addAdmin: OWNER.username }, withKey(key))).body, DENIED);
    assert.deepEqual(await p.snapshot(), before);
  });

  test('a read-write unrestricted key acts as a global admin; its actions are logged as apikey:<id>', async () => {
    const { id, key } = await createKey(global, { name: 'provisioner', access: 'rw' });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    (process.stdout as any).write = (chunk: any, ...rest: any[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('{"time"')) { lines.push(chunk); return true; }
      return write(chunk, ...rest);
    };
    try {
      assert.equal((await h.client().post('/api/domain/by-key.test', { name: 'by key' }, withKey(key))).body._success, true);
    } finally {
      (process.stdout as any).write = write;
      process.env.LOG_LEVEL = level;
    }
    const request = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request');
    assert.equal(request?.caller, `apikey:${id}`);
    assert.ok(!lines.join('').includes(key.slice(4)), 'the key never reaches the log');
    const logged = await h.iredadmin.selectFrom('log').selectAll().where('admin', '=', `apikey:${id}`).execute();
    assert.ok(logged.some((row) => row.event === 'create' && String(row.msg).includes('by-key.test')), JSON.stringify(logged));
    const creation = await h.iredadmin.selectFrom('log').selectAll().where('msg', 'like', `%Create API key ${id}%`).executeTakeFirstOrThrow();
    assert.equal(creation.admin, 'admin@admins.test');
    assert.ok(!JSON.stringify(creation).includes(key.slice(4)));
    assert.equal((await h.client().delete('/api/domain/by-key.test', {}, withKey(key))).body._success, true);
  });

  test('a domain-limited key (even from a global admin) sees and manages only its domains', async () => {
    const { key, domains } = await createKey(global, { name: 'a only', domains: 'A.test', access: 'rw' });
    assert.deepEqual(domains, ['a.test']);
    const client = h.client();
    assert.deepEqual((await client.get('/api/domains', { name_only: '' }, withKey(key))).body._data, ['a.test']);
    assert.deepEqual(Object.keys((await client.get('/api/domains', {}, withKey(key))).body._data), ['a.test']);
    assert.equal((await client.get('/api/domain/a.test', {}, withKey(key))).body._success, true);
    assert.equal((await client.put('/api/domain/a.test', { name: 'A by key' }, withKey(key))).body._success, true);
    assert.deepEqual((await client.get('/api/domain/b.test', {}, withKey(key))).body, DENIED);
    assert.deepEqual((await client.put('/api/domain/b.test', { name: 'nope' }, withKey(key))).body, DENIED);
    assert.deepEqual((await client.delete('/api/domain/c.test', {}, withKey(key))).body, DENIED);
    // Global-admin routes are out of reach: the key is not global.
    assert.deepEqual((await client.post('/api/domain/new-limited.test', {}, withKey(key))).body, DENIED);
    assert.equal((await p.domain('b.test'))?.description, 'b.test');
  });

  test('a domain admin creates keys only for domains it manages, never unrestricted', async () => {
    const before = await snapshot(h.iredadmin, ['api_keys']);
    assert.deepEqual((await owner.post('/api/apikey', { name: 'wide' })).body, DENIED);
    assert.deepEqual((await owner.post('/api/apikey', { name: 'foreign', domains: 'c.test' })).body, DENIED);
    assert.deepEqual((await owner.post('/api/apikey', { name: 'mixed', domains: 'a.test,c.test' })).body, DENIED);
    assert.deepEqual((await owner.post('/api/apikey', { name: 'missing', domains: 'nowhere.test' })).body, DENIED);
    assert.deepEqual(await snapshot(h.iredadmin, ['api_keys']), before);

    const created = await createKey(owner, { name: 'owner key', domains: 'b.test, a.test', access: 'rw' });
    assert.deepEqual(created.domains, ['a.test', 'b.test']);
    assert.equal(created.created_by, OWNER.username);
    assert.deepEqual((await h.client().get('/api/domains', { name_only: '' }, withKey(created.key))).body._data, ['a.test', 'b.test']);
    assert.equal((await h.client().put('/api/domain/b.test', { name: 'B' }, withKey(created.key))).body._success, true);
    assert.deepEqual((await h.client().get('/api/domain/c.test', {}, withKey(created.key))).body, DENIED);
  });

  test('a key cannot create, list or revoke keys, whatever its access', async () => {
    const rw = await createKey(global, { name: 'rw', access: 'rw' });
    const ro = await createKey(global, { name: 'ro' });
    // Refused requests still count as use (last_used_at); nothing else may change.
    const state = async () => (await h.iredadmin.selectFrom('api_keys').select(['id', 'name', 'secret_hash', 'created_by', 'domains', 'access', 'allowed_ips', 'expires_at', 'revoked', 'created_at']).orderBy('id').execute()).map((row) => JSON.stringify(row));
    const before = await state();
    for (const key of [rw.key, ro.key]) {
      assert.deepEqual((await h.client().post('/api/apikey', { name: 'child', access: 'rw' }, withKey(key))).body, DENIED);
      assert.deepEqual((await h.client().post('/api/apikey', { name: 'child' }, { headers: { 'X-API-Key': key } })).body, DENIED);
      assert.deepEqual((await h.client().delete(`/api/apikey/${rw.id}`, {}, withKey(key))).body, DENIED);
    }
    assert.deepEqual((await h.client().get('/api/apikeys', {}, withKey(rw.key))).body, DENIED);
    assert.deepEqual(await state(), before);
    assert.deepEqual((await h.client().post('/api/apikey', { name: 'anon' })).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().get('/api/apikeys')).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().delete(`/api/apikey/${rw.id}`)).body, LOGIN_REQUIRED);
  });

  test('global admins list every key; other admins only the keys they created', async () => {
    const mine = await createKey(owner, { name: 'listed', domains: 'a.test' });
    const all = (await global.get('/api/apikeys')).body._data as any[];
    assert.ok(all.some((k) => k.id === mine.id));
    assert.ok(all.some((k) => k.created_by === 'admin@admins.test'));
    const own = (await owner.get('/api/apikeys')).body._data as any[];
    assert.ok(own.length > 0 && own.every((k) => k.created_by === OWNER.username));
    assert.deepEqual((await other.get('/api/apikeys')).body, { _success: true, _data: [] });
  });

  test('revocation takes effect on the next request; admins revoke only their own keys', async () => {
    const globalKey = await createKey(global, { name: 'global to revoke' });
    const ownerKey = await createKey(owner, { name: 'owner to revoke', domains: 'a.test' });
    assert.equal((await h.client().get('/api/domains', {}, withKey(ownerKey.key))).body._success, true);

    assert.deepEqual((await owner.delete(`/api/apikey/${globalKey.id}`)).body, DENIED);
    assert.deepEqual((await other.delete(`/api/apikey/${ownerKey.id}`)).body, DENIED);
    assert.equal(Number((await keyRow(ownerKey.id)).revoked), 0);

    assert.deepEqual((await owner.delete(`/api/apikey/${ownerKey.id}`)).body, { _success: true });
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey(ownerKey.key))).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().get('/api/domains', {}, { headers: { 'X-API-Key': ownerKey.key } })).body, LOGIN_REQUIRED);
    assert.equal((await owner.get('/api/apikeys')).body._data.find((k: any) => k.id === ownerKey.id).revoked, true);
    assert.deepEqual((await owner.delete(`/api/apikey/${ownerKey.id}`)).body, { _success: true }, 'revoking twice succeeds');

    assert.deepEqual((await global.delete(`/api/apikey/${globalKey.id}`)).body, { _success: true });
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey(globalKey.key))).body, LOGIN_REQUIRED);
    const logged = await h.iredadmin.selectFrom('log').selectAll().where('event', '=', 'revoke').where('msg', 'like', `%${ownerKey.id}%`).execute();
    assert.equal(logged.length, 1);
  });

  test('unknown or malformed key ids are answered with NO_SUCH_API_KEY and change nothing', async () => {
    const before = await snapshot(h.iredadmin, ['api_keys']);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-key', '1']) {
      const res = await global.delete(`/api/apikey/${id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { _success: false, _msg: 'NO_SUCH_API_KEY' });
    }
    assert.deepEqual(await snapshot(h.iredadmin, ['api_keys']), before);
  });

  test('expiry: expires_in_days and ISO expires are stored; an expired key is refused with LOGIN_REQUIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const inDays = await createKey(global, { name: 'days', expires_in_days: '30' });
    const stored = Number((await keyRow(inDays.id)).expires_at);
    assert.ok(Math.abs(stored - (now + 30 * 86_400)) < 10);
    assert.equal(inDays.expires_at, new Date(stored * 1000).toISOString());

    assert.deepEqual((await global.post('/api/apikey', { name: 'far', expires: '2099-01-31T12:00:00+02:00' })).body, { _success: false, _msg: 'INVALID_EXPIRY' }, 'more than ten years ahead');
    const next = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const iso = await createKey(global, { name: 'iso', expires: `${next}T12:00:00+02:00` });
    assert.equal(Number((await keyRow(iso.id)).expires_at), Date.parse(`${next}T10:00:00Z`) / 1000);
    assert.equal((await h.client().get('/api/domains', {}, withKey(iso.key))).body._success, true);

    await h.iredadmin.updateTable('api_keys').set({ expires_at: now - 1 }).where('id', '=', iso.id).execute();
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey(iso.key))).body, LOGIN_REQUIRED);
    const listed = (await global.get('/api/apikeys')).body._data.find((k: any) => k.id === iso.id);
    assert.equal(listed.expired, true);
  });

  test('allowed_ips: the key works from listed addresses and networks only, NOT_AUTHORIZED elsewhere', async () => {
    const { key, allowed_ips } = await createKey(global, { name: 'pinned', allowed_ips: '10.1.2.0/24, 2001:DB8::1' });
    assert.deepEqual(allowed_ips, ['10.1.2.0/24', '2001:db8::1']);
    assert.equal((await h.client().get('/api/domains', {}, withKey(key, '10.1.2.77'))).body._success, true);
    assert.equal((await h.client().get('/api/domains', {}, withKey(key, '2001:db8::1'))).body._success, true);
    assert.equal((await h.client().get('/api/domains', {}, withKey(key, '::ffff:10.1.2.8'))).body._success, true);
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey(key, '10.1.3.1'))).body, { _success: false, _msg: 'NOT_AUTHORIZED' });
    assert.deepEqual((await h.client().get('/api/domains', {}, withKey(key, '127.0.0.1'))).body, { _success: false, _msg: 'NOT_AUTHORIZED' });
    assert.deepEqual((await h.client().get('/api/domains', {}, { headers: { 'X-API-Key': key }, sourceIp: '2001:db8::2' })).body, { _success: false, _msg: 'NOT_AUTHORIZED' });
  });

  test('a key stops when its creator is disabled, deleted or loses the rights it relies on', async () => {
    await h.seedAdmin('creator@admins.test', 'Creator1!Pw', { global: true });
    const creator = await h.loggedIn('creator@admins.test', 'Creator1!Pw');
    const unrestricted = await createKey(creator, { name: 'creator wide' });
    const limited = await createKey(creator, { name: 'creator limited', domains: 'a.test,b.test' });
    const use = (key: string, path = '/api/domains') => h.client().get(path, { name_only: '' }, withKey(key));
    assert.equal((await use(unrestricted.key)).body._success, true);

    await p.setAdminActive('creator@admins.test', false);
    assert.deepEqual((await use(unrestricted.key)).body, LOGIN_REQUIRED);
    assert.deepEqual((await use(limited.key)).body, LOGIN_REQUIRED);
    await p.setAdminActive('creator@admins.test', true);
    assert.equal((await use(unrestricted.key)).body._success, true);

    // Demoted to an admin of b.test only: the unrestricted key stops, the limited one keeps b.test.
    await p.setAdminGrants('creator@admins.test', ['b.test']);
    assert.deepEqual((await use(unrestricted.key)).body, LOGIN_REQUIRED);
    assert.deepEqual((await use(limited.key)).body._data, ['b.test']);
    assert.deepEqual((await use(limited.key, '/api/domain/a.test')).body, DENIED);

    await p.setAdminGrants('creator@admins.test', []);
    assert.deepEqual((await use(limited.key)).body, LOGIN_REQUIRED);

    await p.setAdminGrants('creator@admins.test', ['ALL']);
    assert.equal((await use(unrestricted.key)).body._success, true);
    await p.setAdminGrants('creator@admins.test', []);
    await p.deleteAdmin('creator@admins.test');
    assert.deepEqual((await use(unrestricted.key)).body, LOGIN_REQUIRED);
  });

  test('last_used_at is written on use, at most once a minute', async () => {
    const { id, key } = await createKey(global, { name: 'touched' });
    assert.equal((await keyRow(id)).last_used_at, null);
    await h.client().get('/api/domains', {}, withKey(key));
    const first = Number((await keyRow(id)).last_used_at);
    assert.ok(Math.abs(first - Date.now() / 1000) < 10);

    const recent = first - 30;
    await h.iredadmin.updateTable('api_keys').set({ last_used_at: recent }).where('id', '=', id).execute();
    await h.client().get('/api/domains', {}, withKey(key));
    assert.equal(Number((await keyRow(id)).last_used_at), recent, 'no write within a minute');

    await h.iredadmin.updateTable('api_keys').set({ last_used_at: first - 120 }).where('id', '=', id).execute();
    await h.client().get('/api/domains', {}, withKey(key));
    assert.ok(Number((await keyRow(id)).last_used_at) >= first);
    const listed = (await global.get('/api/apikeys')).body._data.find((k: any) => k.id === id);
    assert.match(listed.last_used_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
  });

  test('malformed input is refused with its code, HTTP 200, and nothing is stored', async () => {
    const later = new Date(Date.now() + 86_400_000 * 3).toISOString().slice(0, 10);
    const cases: [Record<string, string>, string][] = [
      [{}, 'INVALID_PARAMETER'],
      [{ name: '   ' }, 'INVALID_PARAMETER'],
      [{ name: 'x'.repeat(256) }, 'INVALID_PARAMETER'],
      [{ name: 'k', access: 'admin' }, 'INVALID_ACCESS_MODE'],
      [{ name: 'k', access: 'read' }, 'INVALID_ACCESS_MODE'],
      [{ name: 'k', expires: 'tomorrow' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires: '2020-01-01T00:00:00Z' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires: `${later.slice(0, 4)}-02-30` }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires: `${later}T25:00:00Z` }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires: '2999-01-01' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires_in_days: '0' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires_in_days: '-3' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires_in_days: 'ten' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires_in_days: '3651' }, 'INVALID_EXPIRY'],
      [{ name: 'k', expires: later, expires_in_days: '3' }, 'CONFLICTING_PARAMETERS'],
      [{ name: 'k', allowed_ips: '300.1.1.1' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', allowed_ips: '10.0.0.0/33' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', allowed_ips: '10.0.0.1,example.com' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', allowed_ips: '0x7f.1' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', allowed_ips: '2001:db8::/129' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', allowed_ips: '10.0.0.0/8/8' }, 'INVALID_IP_ADDRESS'],
      [{ name: 'k', domains: 'not a domain' }, 'INVALID_DOMAIN_NAME'],
      [{ name: 'k', domains: 'a.test,missing.test' }, 'INVALID_DOMAIN_NAME'],
    ];
    const before = await snapshot(h.iredadmin, ['api_keys']);
    const logRows = (await h.iredadmin.selectFrom('log').select('id').execute()).length;
    for (const [params, code] of cases) {
      for (const as of ['form', 'json'] as const) {
        const res = await global.call('POST', '/api/apikey', params, { as });
        assert.equal(res.status, 200, JSON.stringify(params));
        assert.deepEqual(res.body, { _success: false, _msg: code }, `${as} ${JSON.stringify(params)}`);
      }
    }
    assert.deepEqual(await snapshot(h.iredadmin, ['api_keys']), before);
    assert.equal((await h.iredadmin.selectFrom('log').select('id').execute()).length, logRows);
    // The same parameters in JSON are accepted when well formed.
    const ok = await global.call('POST', '/api/apikey', { name: 'json', access: 'RW', expires: later, allowed_ips: '192.0.2.1' }, { as: 'json' });
    assert.equal(ok.body._success, true, JSON.stringify(ok.body));
    assert.equal(ok.body._data.access, 'rw');
  });
});
