import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ADMIN, startHarness, type Harness } from '../../support/api';
import { probe } from '../../support/probe';

/**
 * Operations: no password, hash, token or API key reaches the structured log (stdout and
 * stderr at LOG_LEVEL=debug) or the admin log table, whatever the request does with them:
 * logins that fail and succeed, accounts created and changed with passwords, ready-made
 * hashes, refusals with a password in the body, and calls authenticated every way.
 */
process.env.LOG_LEVEL = 'debug';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

/** Collects everything written to stdout/stderr while `work` runs; other writers' output passes through. */
async function captureOutput(work: () => Promise<void>): Promise<string> {
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  let captured = '';
  const tap = (original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      captured += text;
      // Our log lines are swallowed; anything else (the test runner's own protocol) goes on.
      if (text.startsWith('{"time"')) return true;
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(originals.out);
  process.stderr.write = tap(originals.err);
  try {
    await work();
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
  }
  return captured;
}

test('passwords, hashes, tokens and API keys never reach the logs', async () => {
  const secrets: Record<string, string> = {
    'global admin password': GLOBAL_ADMIN.password,
    'wrong password': 'Wr0ng!Guess-7731',
    'user password': 'Us3r!Secret-5512',
    'changed user password': 'N3w!Secret-8820',
    'admin password': 'Adm!nSecret-4471',
    'changed admin password': 'Adm!nChanged-9090',
    'refused password': 'Ref!used-Secret-3318',
    // {SSHA}: a scheme every backend stores (slapd verifies no {PLAIN} on LDAP).
    'ready-made hash': '{SSHA}UmVhZHlNYWRlSGFzaFNlY3JldDEyMzQ1Njc4OTA=',
  };
  const output = await captureOutput(async () => {
    const client = h.client();
    assert.equal((await client.login(GLOBAL_ADMIN.username, secrets['wrong password']!)).body._msg, 'INVALID_CREDENTIALS');
    const login = await client.login(GLOBAL_ADMIN.username, GLOBAL_ADMIN.password);
    assert.equal(login.body._success, true);
    secrets['login token'] = login.body._data.token;
    assert.equal((await client.post('/api/domain/secrets.test', { name: 'Secrets' })).body._success, true);
    assert.equal((await client.post('/api/user/alice@secrets.test', { password: secrets['user password']! })).body._success, true);
    assert.equal((await client.put('/api/user/alice@secrets.test', { password: secrets['changed user password']! })).body._success, true);
    assert.equal((await client.post('/api/user/bob@secrets.test', { password_hash: secrets['ready-made hash']! })).body._success, true);
    assert.equal((await client.post('/api/user/carol@secrets.test', { password: secrets['refused password']!, quota: 'lots' })).body._success, false);
    assert.equal((await client.post('/api/user/dave@secrets.test', { password: secrets['refused password']!, password_hash: '{PLAIN}x' })).body._success, false);
    assert.equal((await client.post('/api/admin/ops@admins.test', { password: secrets['admin password']! })).body._success, true);
    assert.equal((await client.put('/api/admin/ops@admins.test', { password: secrets['changed admin password']! })).body._success, true);
    assert.equal((await client.post('/api/verify_password/user/alice@secrets.test', { password: secrets['changed user password']! })).body._success, true);
    await client.post('/api/verify_password/admin/ops@admins.test', { password: secrets['wrong password']! });
    const key = await client.post('/api/apikey', { name: 'secret test', access: 'rw' });
    assert.equal(key.body._success, true, JSON.stringify(key.body));
    secrets['API key'] = key.body._data.key;
    // Every way of presenting a credential, accepted and refused.
    const anonymous = h.client();
    assert.equal((await anonymous.get('/api/domains', {}, { token: secrets['login token'] })).body._success, true);
    assert.equal((await anonymous.get('/api/domains', {}, { headers: { 'x-api-key': secrets['API key']! } })).body._success, true);
    assert.equal((await anonymous.get('/api/domains', {}, { token: secrets['API key'] })).body._success, true);
    assert.equal((await anonymous.get('/api/domains', {}, { cookie: `iRedAdmin-Pro-PGSQL=${secrets['login token']}; iRedAdmin-Pro-MYSQL=${secrets['login token']}; iRedAdmin-Pro-LDAP=${secrets['login token']}` })).body._success, true);
    assert.equal((await anonymous.get('/api/domains', {}, { token: secrets['login token'] + 'x' })).body._msg, 'LOGIN_REQUIRED');
    assert.equal((await anonymous.get('/api/domains', {}, { headers: { 'x-api-key': secrets['API key'] + 'x' } })).body._msg, 'LOGIN_REQUIRED');
    // A password in the query string of a route that does not exist, and of a wrong method.
    await anonymous.get(`/api/nothing?password=${encodeURIComponent(secrets['wrong password']!)}`);
    await anonymous.get('/api/login', { password: secrets['wrong password']! });
  });

  // The hashes as stored (SQL rows or LDAP userPassword values).
  const p = probe(h);
  for (const username of ['alice@secrets.test', 'bob@secrets.test']) secrets[`stored hash of ${username}`] = String(await p.mailUserPasswordHash(username));
  secrets['stored admin hash'] = String(await p.adminPasswordHash('ops@admins.test'));
  const keyRow = await h.iredadmin.selectFrom('api_keys').selectAll().executeTakeFirst().catch(() => undefined);
  for (const [column, value] of Object.entries(keyRow ?? {})) if (/hash|secret/i.test(column) && typeof value === 'string') secrets[`stored key ${column}`] = value;

  const requestLines = output.split('\n').filter((line) => line.includes('"msg":"request"'));
  assert.ok(requestLines.length >= 20, `the log was captured (${requestLines.length} request lines)`);
  for (const line of requestLines) {
    const entry = JSON.parse(line);
    assert.ok(entry.requestId && entry.route !== undefined && entry.outcome && entry.status, line);
  }
  assert.ok(requestLines.some((line) => line.includes('"caller":"admin@admins.test"')), 'callers are named');
  assert.ok(requestLines.some((line) => /"caller":"apikey:[^"]+"/.test(line)), 'API-key callers are named by key id');

  const rows = await h.iredadmin.selectFrom('log').selectAll().execute();
  const adminLog = JSON.stringify(rows);
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(secret && secret.length >= 8, `${what} is a real secret`);
    assert.ok(!output.includes(secret), `the ${what} appears in the structured log`);
    assert.ok(!adminLog.includes(secret), `the ${what} appears in the admin log`);
    // Nor encoded as a client would send it.
    assert.ok(!output.includes(encodeURIComponent(secret)), `the ${what} (URL-encoded) appears in the structured log`);
  }
});
