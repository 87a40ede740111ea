import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ADMIN, startHarness, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';
import { cookieName } from '#lib/config';

let h: Harness;
let p: Probe;
before(async () => {
  h = await startHarness();
  p = probe(h);
});
after(async () => { await h?.close(); });

describe(`login (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('a global admin logs in: token in _data, same token as the session cookie', async () => {
    const client = h.client();
    const res = await client.login(GLOBAL_ADMIN.username, GLOBAL_ADMIN.password);
    assert.equal(res.status, 200);
    assert.equal(res.body._success, true);
    assert.equal(typeof res.body._data.token, 'string');
    assert.ok(Date.parse(res.body._data.expires_at) > Date.now());
    const cookie = res.cookies.find((line) => line.startsWith(cookieName(h.config.backend) + '='));
    assert.ok(cookie, `cookie ${cookieName(h.config.backend)} set: ${res.cookies.join(' | ')}`);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.ok(cookie.includes(res.body._data.token));
    // The cookie jar alone is enough, as for existing iRedAdmin-Pro clients.
    const domains = await client.get('/api/domains');
    assert.deepEqual(domains.body._success, true);
    // And a bearer token alone is enough, for new clients.
    const bearer = await h.client().get('/api/domains', {}, { token: res.body._data.token });
    assert.equal(bearer.body._success, true);
  });

  test('the username is lower-cased and trimmed; parameters may come in the query string', async () => {
    const res = await h.client().call('POST', '/api/login', { username: `  ${GLOBAL_ADMIN.username.toUpperCase()} `, password: GLOBAL_ADMIN.password }, { as: 'query' });
    assert.equal(res.body._success, true);
  });

  test('refusals carry the original codes and nothing else', async () => {
    const c = h.client();
    assert.deepEqual((await c.login('not-an-email', 'x')).body, { _success: false, _msg: 'INVALID_USERNAME' });
    assert.deepEqual((await c.login(GLOBAL_ADMIN.username, '')).body, { _success: false, _msg: 'EMPTY_PASSWORD' });
    assert.deepEqual((await c.login('nobody@admins.test', 'Whatever1!')).body, { _success: false, _msg: 'INVALID_CREDENTIALS' });
    assert.deepEqual((await c.get('/api/login')).body, { _success: false, _msg: 'INVALID_HTTP_METHOD' });
  });

  test('the stored hash is not accepted as the password', async () => {
    await h.seedAdmin('hash@admins.test', 'Hash1!Secret', { global: true });
    const stored = (await p.adminPasswordHash('hash@admins.test'))!;
    assert.match(stored, /^\{SSHA512\}/);
    assert.equal((await h.client().login('hash@admins.test', stored)).body._msg, 'INVALID_CREDENTIALS');
    assert.equal((await h.client().login('hash@admins.test', 'Hash1!Secret')).body._success, true);
  });

  test('a disabled admin cannot log in, and its existing token stops working', async () => {
    await h.seedAdmin('soon-off@admins.test', 'Soon1!Off', { global: true });
    const client = await h.loggedIn('soon-off@admins.test', 'Soon1!Off');
    assert.equal((await client.get('/api/domains')).body._success, true);
    await p.setAdminActive('soon-off@admins.test', false);
    assert.equal((await client.get('/api/domains')).body._msg, 'LOGIN_REQUIRED');
    assert.equal((await h.client().login('soon-off@admins.test', 'Soon1!Off')).body._msg, 'INVALID_CREDENTIALS');
  });

  test('a password changed after login ends the token; a deleted admin too', async () => {
    await h.seedAdmin('rotate@admins.test', 'Rotate1!Pw', { global: true });
    const client = await h.loggedIn('rotate@admins.test', 'Rotate1!Pw');
    await p.setAdminPasswordHash('rotate@admins.test', '{PLAIN}Other1!Pw');
    assert.equal((await client.get('/api/domains')).body._msg, 'LOGIN_REQUIRED');
    const fresh = await h.loggedIn('rotate@admins.test', 'Other1!Pw');
    await p.deleteAdmin('rotate@admins.test');
    assert.equal((await fresh.get('/api/domains')).body._msg, 'LOGIN_REQUIRED');
  });

  // Forged, tampered and mis-signed tokens: hardening-tokens.test.ts.

  test('repeated failures lock the username for a while, even with the right password, and still answer INVALID_CREDENTIALS', async () => {
    await h.seedAdmin('target@admins.test', 'Target1!Pw', { global: true });
    const attempts = await Promise.all(Array.from({ length: 12 }, () => h.client().login('target@admins.test', 'Wrong1!Pw')));
    assert.ok(attempts.every((res) => res.body._msg === 'INVALID_CREDENTIALS'));
    const rows = await h.iredadmin.selectFrom('login_failures').select(['key', 'failures']).where('key', '=', 'user:target@admins.test').execute();
    assert.equal(Number(rows[0]?.failures), 12, 'every concurrent attempt counted once');
    const locked = await h.client().login('target@admins.test', 'Target1!Pw');
    assert.deepEqual(locked.body, { _success: false, _msg: 'INVALID_CREDENTIALS' });
    // Other accounts from another address are not affected.
    assert.equal((await h.client().call('POST', '/api/login', { username: GLOBAL_ADMIN.username, password: GLOBAL_ADMIN.password }, { sourceIp: '10.9.9.9' })).body._success, true);
  });

  test('login successes and failures reach the admin log, without passwords', async () => {
    const rows = await h.iredadmin.selectFrom('log').selectAll().where('event', '=', 'login').execute();
    assert.ok(rows.some((row) => row.msg === '[API] Admin login success.' && row.admin === GLOBAL_ADMIN.username));
    assert.ok(rows.some((row) => row.loglevel === 'error'));
    assert.ok(rows.every((row) => !String(row.msg).includes('Secret') && !String(row.msg).includes('Wrong1')));
  });
});
