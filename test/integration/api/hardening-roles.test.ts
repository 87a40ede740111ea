import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { capturesOf, label, pathOf, ROUTES, send, storageSnapshot, changedParts, inChunks, assertEnvelope, type RawRequest } from '../../support/hardening';
import { issueToken, passwordFingerprint } from '#lib/auth/token';
import type { Access, Route } from '#lib/http/routes';

/**
 * Issue 8.2 and the API keys of issue 9: every route × every kind of caller, over HTTP, with
 * the expected decision taken from the route's declared access rule through the table below,
 * which is written from the API's documented rules, not from the dispatcher. Then the
 * escalation paths a domain admin might try.
 *
 * "Allowed" means "not refused for permission": the reply may still be a validation error or
 * NO_SUCH_ACCOUNT (the requests carry no parameters), but never one of PERMISSION_CODES.
 */
type Role =
  | 'anonymous' | 'mailUser' | 'otherAdmin' | 'domainAdmin' | 'globalAdmin'
  | 'keyRw' | 'keyRo' | 'keyDomain' | 'keyRevoked' | 'keyExpired' | 'keyWrongIp';
type Outcome = 'allowed' | 'LOGIN_REQUIRED' | 'PERMISSION_DENIED' | 'NOT_AUTHORIZED';
const ROLES: Role[] = ['anonymous', 'mailUser', 'otherAdmin', 'domainAdmin', 'globalAdmin', 'keyRw', 'keyRo', 'keyDomain', 'keyRevoked', 'keyExpired', 'keyWrongIp'];
const PERMISSION_CODES = new Set(['LOGIN_REQUIRED', 'PERMISSION_DENIED', 'NOT_AUTHORIZED']);

const ok = 'allowed';
const LR = 'LOGIN_REQUIRED';
const PD = 'PERMISSION_DENIED';
const NA = 'NOT_AUTHORIZED';
/** Callers that are not authenticated at all: no token, a mail user without admin rights, a revoked or expired key; a key outside its allowed_ips. */
const UNAUTHENTICATED = { anonymous: LR, mailUser: LR, keyRevoked: LR, keyExpired: LR, keyWrongIp: NA } as const;

/**
 * Access rule kind × role. For `domainAdmin` routes the target is in the domain the domain
 * admin (and the domain-limited key) manage; `FOREIGN` below covers a target in another domain.
 */
const EXPECTED: Record<Access['kind'], Record<Role, Outcome>> = {
  public: Object.fromEntries(ROLES.map((role) => [role, ok])) as Record<Role, Outcome>,
  anyAdmin: { ...UNAUTHENTICATED, otherAdmin: ok, domainAdmin: ok, globalAdmin: ok, keyRw: ok, keyRo: ok, keyDomain: ok },
  globalAdmin: { ...UNAUTHENTICATED, otherAdmin: PD, domainAdmin: PD, globalAdmin: ok, keyRw: ok, keyRo: ok, keyDomain: PD },
  domainAdmin: { ...UNAUTHENTICATED, otherAdmin: PD, domainAdmin: ok, globalAdmin: ok, keyRw: ok, keyRo: ok, keyDomain: ok },
};
/** A domainAdmin route aimed at a domain the domain admin and the domain-limited key do not manage. */
const FOREIGN: Partial<Record<Role, Outcome>> = { domainAdmin: PD, keyDomain: PD };

/**
 * Rules finer than the route's (lib/auth/access.ts, documented in the API reference):
 * keys never manage keys; a normal admin creates keys only for domains it manages (the
 * request below asks for mine.test, which otherAdmin does not manage).
 */
const KEY_MANAGEMENT: Partial<Record<Role, Outcome>> = { keyRw: PD, keyRo: PD, keyDomain: PD };
const REFINEMENTS: Record<string, Partial<Record<Role, Outcome>>> = {
  'POST /apikey': { ...KEY_MANAGEMENT, otherAdmin: PD },
  'GET /apikeys': KEY_MANAGEMENT,
  'DELETE /apikey/:id': KEY_MANAGEMENT,
};
const PARAMS: Record<string, Record<string, string>> = {
  'POST /apikey': { name: 'matrix', domains: 'mine.test' },
};

function expected(route: Route, role: Role, target: 'own' | 'foreign' | 'global'): Outcome {
  const kind = target === 'global' ? 'globalAdmin' : route.access.kind;
  let outcome = EXPECTED[kind][role];
  if (target === 'foreign' && FOREIGN[role]) outcome = FOREIGN[role]!;
  // A read-only key reads: whatever the route, only GET (public routes never look at the caller).
  if (role === 'keyRo' && route.method !== 'GET' && route.access.kind !== 'public' && outcome === ok) outcome = PD;
  const refined = REFINEMENTS[`${route.method} ${route.pattern}`]?.[role];
  if (refined && outcome === ok) outcome = refined;
  return outcome;
}

let h: Harness;
let p: Probe;
let admin: ApiClient;
let owner: ApiClient;
const headers = {} as Record<Role, Record<string, string>>;
const sourceIps: Partial<Record<Role, string>> = {};
/** DELETE routes that take a domain get a throw-away domain per role, so an allowed delete removes nothing the matrix needs. */
const victims = new Map<string, string>();
const victimOf = (route: Route, role: Role) => victims.get(`${route.method} ${route.pattern} ${role}`);
const deletesDomains = (route: Route) => route.method === 'DELETE' && capturesOf(route).includes('domain');

before(async () => {
  h = await startHarness();
  p = probe(h);
  admin = await h.loggedIn();
  let n = 0;
  for (const route of ROUTES.filter(deletesDomains)) for (const role of ROLES.filter((r) => expected(route, r, 'own') === ok)) victims.set(`${route.method} ${route.pattern} ${role}`, `victim${++n}.test`);
  const ownerDomains = ['mine.test', ...victims.values()];
  for (const d of ['theirs.test', ...ownerDomains]) assert.equal((await admin.post(`/api/domain/${d}`, { name: d })).body._success, true, d);
  await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ownerDomains });
  await h.seedAdmin('other@admins.test', 'Other1!Pw', { domains: ['theirs.test'] });
  for (const u of ['user@mine.test', 'user@theirs.test']) await seedMailbox(h, u);
  await seedMailbox(h, 'plain@mine.test', { password: 'Plain1!Pw' });
  owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');

  const tokenOf = async (username: string, password: string) => (await h.client().login(username, password)).body._data.token as string;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  headers.anonymous = {};
  headers.globalAdmin = bearer(await tokenOf('admin@admins.test', 'Adm1n!Secret#'));
  headers.domainAdmin = bearer(await tokenOf('owner@admins.test', 'Owner1!Pw'));
  headers.otherAdmin = bearer(await tokenOf('other@admins.test', 'Other1!Pw'));
  // A mail user without admin rights cannot log in; a token signed with the server's own key for it is refused too.
  assert.equal((await h.client().login('plain@mine.test', 'Plain1!Pw')).body._msg, 'INVALID_CREDENTIALS');
  const hash = (await p.mailUserPasswordHash('plain@mine.test'))!;
  headers.mailUser = bearer((await issueToken(h.config, { username: 'plain@mine.test', kind: 'mailuser', pwf: passwordFingerprint(h.config, hash) })).token);

  const key = async (params: Record<string, string>) => {
    const res = await admin.post('/api/apikey', params);
    assert.equal(res.body._success, true, JSON.stringify(res.body));
    return res.body._data as { id: string; key: string };
  };
  headers.keyRw = bearer((await key({ name: 'rw', access: 'rw' })).key);
  headers.keyRo = bearer((await key({ name: 'ro', access: 'ro' })).key);
  headers.keyDomain = { 'x-api-key': (await key({ name: 'domain', access: 'rw', domains: ownerDomains.join(',') })).key };
  const revoked = await key({ name: 'revoked', access: 'rw' });
  assert.equal((await admin.delete(`/api/apikey/${revoked.id}`)).body._success, true);
  headers.keyRevoked = bearer(revoked.key);
  const expired = await key({ name: 'expired', access: 'rw', expires_in_days: '1' });
  await h.iredadmin.updateTable('api_keys').set({ expires_at: Math.floor(Date.now() / 1000) - 60 }).where('id', '=', expired.id).execute();
  headers.keyExpired = bearer(expired.key);
  headers.keyWrongIp = bearer((await key({ name: 'pinned', access: 'rw', allowed_ips: '10.9.9.0/24' })).key);
  sourceIps.keyWrongIp = '192.0.2.7';
});
after(async () => { await h?.close(); });

/** Capture values aiming at a domain: `own` (mine.test), `foreign` (theirs.test) or the server-wide `global`. */
function capturesFor(route: Route, role: Role, target: 'own' | 'foreign' | 'global'): Record<string, string> {
  const domain = target === 'foreign' ? 'theirs.test' : victimOf(route, role) ?? 'mine.test';
  const values: Record<string, string> = { domain, mail: `nobody@${domain}`, new_mail: `nobody2@${domain}`, account: domain, direction: 'inbound', days: '30', id: '00000000-0000-4000-8000-000000000000' };
  if (target === 'global') values.account = 'global';
  return values;
}

interface MatrixCase { route: Route; role: Role; target: 'own' | 'foreign' | 'global'; want: Outcome; req: RawRequest }

function matrixCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const route of ROUTES) {
    const targets: ('own' | 'foreign' | 'global')[] = ['own'];
    if (route.access.kind === 'domainAdmin') targets.push('foreign');
    if (route.access.kind === 'domainAdmin' && route.access.target === 'account') targets.push('global');
    for (const target of targets) {
      for (const role of ROLES) {
        if (target === 'foreign' && !(role in FOREIGN)) continue;
        const params = PARAMS[`${route.method} ${route.pattern}`] ?? {};
        const path = pathOf(route, capturesFor(route, role, target));
        const req: RawRequest = route.method === 'GET' || route.method === 'DELETE'
          ? { method: route.method, path, headers: headers[role], query: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [v]])) }
          : { method: route.method, path, headers: { ...headers[role], 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() };
        if (sourceIps[role]) req.sourceIp = sourceIps[role];
        req.label = `[${role}, ${target} target]`;
        cases.push({ route, role, target, want: expected(route, role, target), req });
      }
    }
  }
  return cases;
}

describe(`hardening: role matrix over every route (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('every route declares an access kind the expectation table knows', () => {
    for (const route of ROUTES) assert.ok(route.access.kind in EXPECTED, `${route.method} ${route.pattern}: access kind ${route.access.kind} is not in the role matrix's table`);
    for (const route of ROUTES) for (const role of ROLES) assert.ok(EXPECTED[route.access.kind]?.[role], `${route.access.kind} × ${role}`);
  });

  test('refusals: every route × role that must be refused is refused with the expected code, and changes nothing', async () => {
    const refusals = matrixCases().filter((c) => c.want !== ok);
    assert.ok(refusals.length > ROUTES.length, 'the matrix has refusals to check');
    const before = await storageSnapshot(h, p);
    const replies = await inChunks(refusals, 8, (c) => send(c.req));
    const wrong: string[] = [];
    refusals.forEach((c, i) => {
      const res = replies[i]!;
      assertEnvelope(c.req, res, c.route);
      if (res.body?._msg !== c.want || res.body?._success !== false) wrong.push(`${label(c.req)}: expected ${c.want}, got ${res.text.slice(0, 120)}`);
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${refusals.length} refusals wrong`);
    const changed = changedParts(before, await storageSnapshot(h, p));
    if (changed.length > 0) {
      for (const c of refusals) {
        const one = await storageSnapshot(h, p);
        await send(c.req);
        const diff = changedParts(one, await storageSnapshot(h, p));
        if (diff.length > 0) assert.fail(`refused request changed storage (${diff.join(', ')}): ${label(c.req)}`);
      }
      assert.fail(`refused requests changed storage (${changed.join(', ')})`);
    }
  });

  test('allowed: every route × role that must be allowed is not refused for permission', async () => {
    const allowed = matrixCases().filter((c) => c.want === ok);
    const replies = await inChunks(allowed, 6, (c) => send(c.req));
    const wrong: string[] = [];
    allowed.forEach((c, i) => {
      const res = replies[i]!;
      assertEnvelope(c.req, res, c.route);
      if (PERMISSION_CODES.has(String(res.body?._msg))) wrong.push(`${label(c.req)}: refused with ${String(res.body?._msg)}`);
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${allowed.length} allowed requests refused`);
  });
});

describe(`hardening: no escalation for a domain admin or a domain-limited key (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  const asOwner = (method: string, path: string, params: Record<string, string> = {}) => owner.call(method, path, params);
  const asKey = (method: string, path: string, params: Record<string, string> = {}) => h.client().call(method, path, params, { headers: headers.keyDomain, cookie: '' });

  test('cannot make itself or anyone a global admin, nor grant domains to admins it does not own', async () => {
    const before = await storageSnapshot(h, p);
    const attempts: [string, string, Record<string, string>][] = [
      ['PUT', '/api/user/user@mine.test', { isGlobalAdmin: 'yes' }],
      ['POST', '/api/user/boss@mine.test', { password: 'Boss1!Password', isGlobalAdmin: 'yes' }],
      ['PUT', '/api/admin/owner@admins.test', { isGlobalAdmin: 'yes' }],
      ['POST', '/api/admin/evil@admins.test', { password: 'Evil1!Password', isGlobalAdmin: 'yes' }],
      ['PUT', '/api/domain/admins/mine.test', { addAdmin: 'other@admins.test' }],
      ['PUT', '/api/domain/admins/mine.test', { addAdmin: 'user@theirs.test' }],
      ['PUT', '/api/domain/admins/theirs.test', { addAdmin: 'owner@admins.test' }],
      ['POST', '/api/apikey', { name: 'wide', access: 'rw' }],
      ['POST', '/api/apikey', { name: 'theirs', domains: 'theirs.test' }],
    ];
    for (const [who, call] of [['owner', asOwner], ['domain key', asKey]] as const) {
      for (const [method, path, params] of attempts) {
        const res = await call(method, path, params);
        assert.deepEqual(res.body, { _success: false, _msg: 'PERMISSION_DENIED' }, `${who} ${method} ${path} ${JSON.stringify(params)}`);
      }
    }
    assert.deepEqual(changedParts(before, await storageSnapshot(h, p)), []);
    assert.deepEqual((await p.adminGrants('owner@admins.test')).includes('ALL'), false);
    assert.equal(await p.isMailUserAdmin('user@mine.test'), false);
  });

  test('cannot move an account into another domain, or another domain\'s account into its own, through change_email', async () => {
    assert.equal((await owner.post('/api/alias/team@mine.test', { name: 'team' })).body._success, true);
    const before = await storageSnapshot(h, p);
    for (const call of [asOwner, asKey]) {
      for (const path of [
        '/api/user/user@mine.test/change_email/user9@theirs.test',
        '/api/user/user@theirs.test/change_email/user9@mine.test',
        '/api/alias/team@mine.test/change_email/team@theirs.test',
      ]) assert.deepEqual((await call('POST', path)).body, { _success: false, _msg: 'PERMISSION_DENIED' }, path);
    }
    assert.deepEqual(changedParts(before, await storageSnapshot(h, p)), []);
  });

  test('cannot claim addresses of another domain: alias domain, per-user alias address', async () => {
    const before = await storageSnapshot(h, p);
    for (const call of [asOwner, asKey]) {
      assert.equal((await call('PUT', '/api/domain/mine.test', { addAliasDomain: 'theirs.test' })).body._success, false);
      assert.equal((await call('PUT', '/api/domain/mine.test', { aliasDomains: 'theirs.test' })).body._success, false);
      assert.deepEqual((await call('PUT', '/api/user/user@mine.test', { addAlias: 'user@theirs.test' })).body, { _success: false, _msg: 'ADDRESS_OUTSIDE_DOMAIN' });
      assert.deepEqual((await call('PUT', '/api/user/user@mine.test', { addAlias: 'grab@theirs.test' })).body, { _success: false, _msg: 'ADDRESS_OUTSIDE_DOMAIN' });
    }
    assert.deepEqual(changedParts(before, await storageSnapshot(h, p)), []);
    assert.deepEqual(await p.aliasDomains('mine.test'), []);
  });

  test('mail sent towards another domain (alias members, catch-all, BCC, forwarding) leaves that domain untouched', async () => {
    const theirs = async () => JSON.stringify([
      await p.domain('theirs.test'), await p.catchall('theirs.test'), await p.aliasesIn('theirs.test'), await p.domainAdmins('theirs.test'),
      await p.bcc('sender', 'theirs.test'), await p.bcc('recipient', 'theirs.test'), await p.aliasDomains('theirs.test'),
    ]);
    const before = await theirs();
    const writes: [string, string, Record<string, string>][] = [
      ['PUT', '/api/alias/team@mine.test', { addMember: 'user@theirs.test' }],
      ['PUT', '/api/domain/mine.test', { catchall: 'user@theirs.test' }],
      ['PUT', '/api/domain/mine.test', { senderBcc: 'user@theirs.test', recipientBcc: 'user@theirs.test' }],
      ['PUT', '/api/user/user@mine.test', { addForwarding: 'user@theirs.test' }],
    ];
    for (const [method, path, params] of writes) {
      const res = await owner.call(method, path, params);
      assert.ok(!PERMISSION_CODES.has(String(res.body._msg)), `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    assert.equal(await theirs(), before);
    // …and gives no read access to it.
    for (const path of ['/api/domain/theirs.test', '/api/users/theirs.test', '/api/aliases/theirs.test', '/api/user/user@theirs.test', '/api/domain/admins/theirs.test']) {
      assert.deepEqual((await owner.get(path)).body, { _success: false, _msg: 'PERMISSION_DENIED' }, path);
    }
  });

  test('list endpoints show only its own domains: domains, log, API keys', async () => {
    for (const call of [asOwner, asKey]) {
      const domains = (await call('GET', '/api/domains', { name_only: '' })).body._data as string[];
      assert.ok(domains.includes('mine.test') && !domains.includes('theirs.test'), JSON.stringify(domains));
      const full = (await call('GET', '/api/domains')).body._data as Record<string, unknown>;
      assert.ok(!('theirs.test' in full));
      assert.deepEqual((await call('GET', '/api/log', { domain: 'theirs.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
      const log = await call('GET', '/api/log');
      assert.equal(log.body._success, true, JSON.stringify(log.body));
      assert.ok(!JSON.stringify(log.body._data).includes('theirs.test'), 'no log row of theirs.test');
    }
    const keys = (await owner.get('/api/apikeys')).body._data as { created_by: string }[];
    assert.ok(keys.every((k) => k.created_by === 'owner@admins.test'), JSON.stringify(keys));
    assert.deepEqual((await asKey('GET', '/api/apikeys')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
  });
});
