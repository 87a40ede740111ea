import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';

let h: Harness;
let admin: ApiClient;
before(async () => {
  h = await startHarness();
  admin = await h.loggedIn();
  await admin.post('/api/domain/http.test', { name: 'HTTP test' });
});
after(async () => { await h?.close(); });

describe('HTTP layer shared by Lambda and the local server', () => {
  test('/iredadmin/api, // and a trailing slash all reach the same resource', async () => {
    for (const path of ['/api/domain/http.test', '/iredadmin/api/domain/http.test', '/api//domain//http.test', '/api/domain/http.test/', '//iredadmin//api/domain/http.test/']) {
      const res = await admin.get(path);
      assert.equal(res.body._success, true, path);
      assert.equal(res.body._data.domain, 'http.test', path);
    }
  });

  test('an unknown route is a JSON 404; nothing leaks', async () => {
    for (const path of ['/api/nope', '/api/domain/http.test/extra/thing', '/other', '/']) {
      const res = await admin.get(path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { _success: false, _msg: 'NOT_FOUND' });
      assert.equal(res.headers['Content-Type'], 'application/json');
    }
  });

  test('query and body merge, the body wins', async () => {
    await admin.call('PUT', '/api/domain/http.test?name=FromQuery&language=de_DE', { name: 'FromBody' });
    const profile = (await admin.get('/api/domain/http.test')).body._data;
    assert.equal(profile.description, 'FromBody');
    assert.equal(profile.settings.default_language, 'de_DE');
  });

  test('bodies: form, multipart, JSON, and a PUT without Content-Type read as form', async () => {
    await admin.put('/api/domain/http.test', { name: 'Multipart' }, { as: 'multipart' });
    assert.equal((await admin.get('/api/domain/http.test')).body._data.description, 'Multipart');
    await admin.put('/api/domain/http.test', { name: 'Json' }, { as: 'json' });
    assert.equal((await admin.get('/api/domain/http.test')).body._data.description, 'Json');
    await admin.call('PUT', '/api/domain/http.test', {}, { rawBody: 'name=NoType', headers: { 'content-type': '' } });
    assert.equal((await admin.get('/api/domain/http.test')).body._data.description, 'NoType');
  });

  test('unreadable bodies and hostile values are refused with a code, HTTP 200', async () => {
    const cases: [string, Parameters<ApiClient['call']>[3], string][] = [
      ['{"name": ', { rawBody: '{"name": ', headers: { 'content-type': 'application/json' } }, 'INVALID_REQUEST_BODY'],
      ['[1,2]', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }, 'INVALID_REQUEST_BODY'],
      ['{"name": {"a": 1}}', { rawBody: '{"name": {"a": 1}}', headers: { 'content-type': 'application/json' } }, 'INVALID_PARAMETER'],
      ['name=a%00b', { rawBody: 'name=a%00b' }, 'INVALID_PARAMETER'],
      ['name=%ff%fe', { rawBody: 'name=%ff%fe' }, 'INVALID_REQUEST_BODY'],
      ['text/plain', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }, 'UNSUPPORTED_CONTENT_TYPE'],
      ['1 MB value', { rawBody: 'name=' + 'a'.repeat(1024 * 1024) }, 'REQUEST_TOO_LARGE'],
      ['80 KB value', { rawBody: 'name=' + 'a'.repeat(80 * 1024) }, 'REQUEST_TOO_LARGE'],
    ];
    const before = (await admin.get('/api/domain/http.test')).body._data.description;
    for (const [name, options, code] of cases) {
      const res = await admin.call('PUT', '/api/domain/http.test', {}, options);
      assert.equal(res.status, 200, name);
      assert.deepEqual(res.body, { _success: false, _msg: code }, name);
    }
    assert.equal((await admin.get('/api/domain/http.test')).body._data.description, before);
  });

  test('DELETE ignores its body: options go in the query string, as in the original', async () => {
    await admin.post('/api/domain/keep.test', {});
    const res = await admin.call('DELETE', '/api/domain/keep.test', {}, { rawBody: 'x=1' });
    assert.equal(res.body._success, true);
  });

  test('API_CLIENTS refuses other addresses with NOT_AUTHORIZED', async () => {
    const saved = h.config.apiClients;
    h.config.apiClients = ['192.0.2.0/24', '2001:db8::1'];
    try {
      assert.equal((await admin.call('GET', '/api/domains', {}, { sourceIp: '192.0.2.77' })).body._success, true);
      assert.equal((await admin.call('GET', '/api/domains', {}, { sourceIp: '2001:db8::1' })).body._success, true);
      assert.deepEqual((await admin.call('GET', '/api/domains', {}, { sourceIp: '198.51.100.1' })).body, { _success: false, _msg: 'NOT_AUTHORIZED' });
      assert.deepEqual((await h.client().call('POST', '/api/login', { username: 'a@b.cd', password: 'x' }, { sourceIp: '198.51.100.1' })).body, { _success: false, _msg: 'NOT_AUTHORIZED' });
    } finally {
      h.config.apiClients = saved;
    }
  });

  test('health reports the storage', async () => {
    const res = await h.client().get('/api/health');
    assert.equal(res.body._success, true);
    assert.deepEqual(res.body._data.checks, { accounts: 'ok', policy: 'ok', iredadmin: 'ok' });
  });
});
