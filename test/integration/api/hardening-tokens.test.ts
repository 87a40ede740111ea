import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportJWK, importPKCS8 } from 'jose';
import { GLOBAL_ADMIN, startHarness, type Harness } from '../../support/api';
import { probe, type Probe } from '../../support/probe';
import { cookieName } from '#lib/config';

/**
 * Issue 8.3, token attacks: forged, tampered, mis-signed and out-of-date tokens, tokens that
 * outlive their admin or its password, and brute-force login throttling under concurrency.
 * (The basic disabled/deleted/password-changed cases are in login.test.ts.)
 */
let h: Harness;
let p: Probe;
const LOGIN_REQUIRED = { _success: false, _msg: 'LOGIN_REQUIRED' };
const INVALID_CREDENTIALS = { _success: false, _msg: 'INVALID_CREDENTIALS' };

before(async () => {
  h = await startHarness();
  p = probe(h);
  const admin = await h.loggedIn();
  for (const d of ['mine.test', 'theirs.test']) assert.equal((await admin.post(`/api/domain/${d}`, { name: d })).body._success, true);
});
after(async () => { await h?.close(); });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const useToken = (token: string) => h.client().get('/api/domains', {}, { token });
async function tokenOf(username: string, password: string): Promise<string> {
  const res = await h.client().login(username, password);
  assert.equal(res.body._success, true, JSON.stringify(res.body));
  return res.body._data.token;
}

describe(`hardening: token attacks (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('forged tokens are refused: alg none, wrong key, other algorithms, algorithm confusion, tampered claims, out of date', async () => {
    await h.seedAdmin('limited@admins.test', 'Limited1!Pw', { domains: ['mine.test'] });
    const good = await tokenOf('limited@admins.test', 'Limited1!Pw');
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const key = new TextEncoder().encode(h.config.jwtSecret!);
    const now = Math.floor(Date.now() / 1000);
    const hs = (extra: Record<string, unknown>, alg = 'HS256', secret: Uint8Array = key) => new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg }).sign(secret);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPrivate = await importPKCS8(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
    const ecPrivate = await importPKCS8(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
    const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const jwk = await exportJWK(rsa.publicKey);

    const forged: Record<string, string> = {
      'alg none': new UnsecuredJWT(claims).encode(),
      'alg None, no signature': `${b64({ alg: 'None', typ: 'JWT' })}.${payload}.`,
      'alg NONE, original signature': `${b64({ alg: 'NONE', typ: 'JWT' })}.${payload}.${signature}`,
      'HS256 header, empty signature': `${header}.${payload}.`,
      'wrong HMAC key': await hs({}, 'HS256', new TextEncoder().encode('x'.repeat(40))),
      'HS384 with the right key': await hs({}, 'HS384'),
      'HS512 with the right key': await hs({}, 'HS512'),
      RS256: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(rsaPrivate),
      ES256: await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(ecPrivate),
      'RS256 with its key embedded (jwk header)': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', jwk }).sign(rsaPrivate),
      'HS256 signed with a public key as the secret': await hs({}, 'HS256', new TextEncoder().encode(rsaPublicPem)),
      'kid pointing at a file': await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: '../../../../dev/null' }).sign(new Uint8Array(32)),
      'sub changed to the global admin (original signature)': `${header}.${b64({ ...claims, sub: GLOBAL_ADMIN.username })}.${signature}`,
      'kind changed (original signature)': `${header}.${b64({ ...claims, kind: 'mailuser' })}.${signature}`,
      'exp extended (original signature)': `${header}.${b64({ ...claims, exp: claims.exp + 86_400 })}.${signature}`,
      'extra role claim (original signature)': `${header}.${b64({ ...claims, role: 'global', isGlobalAdmin: true })}.${signature}`,
      expired: await hs({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
      'not yet valid': await hs({ iat: now, nbf: now + 3600, exp: now + 7200 }),
      'no exp': await new SignJWT({ sub: claims.sub, kind: claims.kind, pwf: claims.pwf, iss: claims.iss, aud: claims.aud, iat: now }).setProtectedHeader({ alg: 'HS256' }).sign(key),
      'wrong issuer': await hs({ iss: 'someone-else' }),
      'wrong audience': await hs({ aud: 'another-api' }),
      'sub of an admin that does not exist': await hs({ sub: 'ghost@admins.test' }),
      'kind mismatching the account': await hs({ kind: 'mailuser' }),
      'password fingerprint of another value': await hs({ pwf: 'A'.repeat(22) }),
      garbage: 'a.b.c',
      'two segments': `${header}.${payload}`,
      'huge token': `${header}.${'A'.repeat(200_000)}.${signature}`,
    };
    for (const [name, token] of Object.entries(forged)) {
      const bearer = await useToken(token);
      assert.equal(bearer.status, 200, name);
      assert.deepEqual(bearer.body, LOGIN_REQUIRED, `bearer: ${name}`);
      const cookie = await h.client().get('/api/domains', {}, { cookie: `${cookieName(h.config.backend)}=${token}` });
      assert.deepEqual(cookie.body, LOGIN_REQUIRED, `cookie: ${name}`);
    }
    // The same claims, properly signed, work: the refusals above are about the forgery.
    assert.equal((await useToken(await hs({}))).body._success, true);
    assert.equal((await useToken(good)).body._success, true);
  });

  test('the token names an admin; its rights are read from storage on every request, never from the token', async () => {
    await h.seedAdmin('demoted@admins.test', 'Demoted1!Pw', { global: true });
    const token = await tokenOf('demoted@admins.test', 'Demoted1!Pw');
    assert.equal((await h.client().get('/api/domain/theirs.test', {}, { token })).body._success, true);
    await p.setAdminGrants('demoted@admins.test', ['mine.test']);
    assert.deepEqual((await h.client().get('/api/domain/theirs.test', {}, { token })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await h.client().post('/api/domain/new.test', {}, { token })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.equal((await h.client().get('/api/domain/mine.test', {}, { token })).body._success, true);
    await p.setAdminGrants('demoted@admins.test', []);
    assert.deepEqual((await h.client().get('/api/domain/mine.test', {}, { token })).body, { _success: false, _msg: 'PERMISSION_DENIED' }, 'no domains left');
  });

  test('a deleted admin re-created with the same name and password does not revive old tokens', async () => {
    await h.seedAdmin('phoenix@admins.test', 'Phoenix1!Pw', { global: true });
    const old = await tokenOf('phoenix@admins.test', 'Phoenix1!Pw');
    await p.deleteAdmin('phoenix@admins.test');
    assert.deepEqual((await useToken(old)).body, LOGIN_REQUIRED);
    await h.seedAdmin('phoenix@admins.test', 'Phoenix1!Pw', { global: true });
    assert.deepEqual((await useToken(old)).body, LOGIN_REQUIRED, 'a new hash (new salt) is a new password');
    assert.equal((await useToken(await tokenOf('phoenix@admins.test', 'Phoenix1!Pw'))).body._success, true);
  });

  test('a password changed through the API ends the tokens issued before, for the admin itself and for others', async () => {
    await h.seedAdmin('rotating@admins.test', 'Rotating1!Pw', { global: true });
    const first = await tokenOf('rotating@admins.test', 'Rotating1!Pw');
    const second = await tokenOf('rotating@admins.test', 'Rotating1!Pw');
    const changed = await h.client().put('/api/admin/rotating@admins.test', { password: 'Rotated2!Pw' }, { token: first });
    assert.equal(changed.body._success, true, JSON.stringify(changed.body));
    assert.deepEqual((await useToken(first)).body, LOGIN_REQUIRED);
    assert.deepEqual((await useToken(second)).body, LOGIN_REQUIRED);
    assert.deepEqual((await h.client().login('rotating@admins.test', 'Rotating1!Pw')).body, INVALID_CREDENTIALS);
    assert.equal((await useToken(await tokenOf('rotating@admins.test', 'Rotated2!Pw'))).body._success, true);
  });
});

describe(`hardening: brute-force login throttling under concurrency (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  const failures = async (key: string) => Number((await h.iredadmin.selectFrom('login_failures').select('failures').where('key', '=', key).executeTakeFirst())?.failures ?? 0);

  test('once an account is locked, a concurrent burst that contains the right password gets nothing', async () => {
    await h.seedAdmin('burst@admins.test', 'Burst1!Pw', { global: true });
    for (let i = 0; i < 5; i++) assert.deepEqual((await h.client().call('POST', '/api/login', { username: 'burst@admins.test', password: `Wrong${i}!Pw` }, { sourceIp: `10.1.0.${i}` })).body, INVALID_CREDENTIALS);
    const guesses = Array.from({ length: 20 }, (_v, i) => (i === 13 ? 'Burst1!Pw' : `Guess${i}!Pw`));
    const replies = await Promise.all(guesses.map((password, i) => h.client().call('POST', '/api/login', { username: 'burst@admins.test', password }, { sourceIp: `10.2.0.${i}` })));
    assert.deepEqual(replies.map((r) => r.body), guesses.map(() => INVALID_CREDENTIALS));
    assert.ok(replies.every((r) => r.cookies.length === 0), 'no session cookie');
    assert.equal(await failures('user:burst@admins.test'), 25, 'every attempt, from every address, counted once');
  });

  test('one address spraying many usernames at once is braked for every account, others are not', async () => {
    await h.seedAdmin('sprayed@admins.test', 'Sprayed1!Pw', { global: true });
    const replies = await Promise.all(Array.from({ length: 35 }, (_v, i) => h.client().call('POST', '/api/login', { username: `guess${i}@admins.test`, password: 'Spray1!Pw' }, { sourceIp: '10.66.0.1' })));
    assert.ok(replies.every((r) => r.body._msg === 'INVALID_CREDENTIALS'));
    assert.equal(await failures('ip:10.66.0.1'), 35, 'every concurrent attempt counted once');
    assert.deepEqual((await h.client().call('POST', '/api/login', { username: 'sprayed@admins.test', password: 'Sprayed1!Pw' }, { sourceIp: '10.66.0.1' })).body, INVALID_CREDENTIALS);
    assert.equal((await h.client().call('POST', '/api/login', { username: 'sprayed@admins.test', password: 'Sprayed1!Pw' }, { sourceIp: '10.67.0.1' })).body._success, true);
  });
});
