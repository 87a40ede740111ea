import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ADMIN, startHarness, type ApiClient, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { verifyPassword } from '#lib/auth/passwords';

/**
 * Standalone admins: /api/admin/<mail> (pro-api-behaviour §1.6.3, §1.7, §1.11; fixes #20
 * and #21 of §1.12). Only global admins may call these routes; nobody can lock itself out.
 * Storage is read through test/support/probe.ts (SQL `admin` + domain_admins rows; LDAP
 * mailAdmin entries + domainAdmin values).
 */
let h: Harness;
let p: Probe;
let admin: ApiClient;
before(async () => {
  h = await startHarness();
  p = probe(h);
  admin = await h.loggedIn();
  await admin.post('/api/domain/hosted.test', { name: 'Hosted' });
  await admin.put('/api/domain/hosted.test', { aliasDomains: 'hosted-alias.test' });
});
after(async () => { await h?.close(); });

const PASSWORD = 'Str0ng!Passw0rd';
const adminRow = (username: string) => p.standaloneAdmin(username);
const grants = (username: string) => p.adminGrants(username);
/** All account storage, to compare around refused requests. */
const state = () => p.snapshot();

describe(`admin API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('POST stores every parameter: the admin row, a hashed password, the limits in admin.settings', async () => {
    const res = await admin.post('/api/admin/Boss@Partner.test', {
      name: 'The Boss', password: PASSWORD, accountStatus: 'active', language: 'de_DE', isGlobalAdmin: 'no',
      maxDomains: '5', maxQuota: '2', quotaUnit: 'TB', maxUsers: '100', maxAliases: '200', maxLists: '300',
      disableViewingMailLog: 'yes', disableManagingQuarantinedMails: 'yes',
    });
    assert.deepEqual(res.body, { _success: true });
    const row = await adminRow('boss@partner.test');
    assert.ok(row, 'stored lower-case');
    assert.equal(row.name, 'The Boss');
    assert.equal(row.language, 'de_DE');
    assert.equal(row.active, 1);
    assert.match(row.passwordHash, /^\{SSHA512\}/);
    assert.ok(await verifyPassword(PASSWORD, row.passwordHash));
    assert.deepEqual(row.settings, {
      create_new_domains: 'yes', create_max_domains: 5, create_max_quota: 2, create_quota_unit: 'TB',
      create_max_users: 100, create_max_aliases: 200, create_max_lists: 300,
      disable_viewing_mail_log: 'yes', disable_managing_quarantined_mails: 'yes',
    });
    if (h.ldap) {
      // storage.md §2.2, §6.3: limits in accountSetting, the two restrictions as disabledService.
      const entry = await p.ldapEntry('admin', 'boss@partner.test');
      assert.deepEqual(entry?.objectclass, ['mailAdmin']);
      assert.deepEqual(entry?.domainglobaladmin, ['no']);
      assert.deepEqual([...(entry?.accountsetting ?? [])].sort(), [
        'create_max_aliases:200', 'create_max_domains:5', 'create_max_lists:300', 'create_max_quota:2', 'create_max_users:100', 'create_new_domains:yes', 'create_quota_unit:TB',
      ]);
      assert.deepEqual([...(entry?.disabledservice ?? [])].sort(), ['manage_quarantined_mails', 'view_mail_log']);
      assert.match(entry?.shadowlastchange?.[0] ?? '', /^\d+$/);
    } else {
      const stored = await h.vmail.selectFrom('admin').select('settings').where('username', '=', 'boss@partner.test').executeTakeFirstOrThrow();
      assert.match(String(stored.settings), /^[a-z_]+:[^;]+;(?:[a-z_]+:[^;]+;)*$/, 'k:v; encoding');
    }
    assert.deepEqual(await grants('boss@partner.test'), [], 'a normal admin has no domain_admins rows yet');
    await h.loggedIn('boss@partner.test', PASSWORD);
  });

  test('POST isGlobalAdmin=yes adds the ALL row and discards the limits; a new admin is active by default', async () => {
    assert.deepEqual((await admin.post('/api/admin/chief@partner.test', { password: PASSWORD, isGlobalAdmin: 'yes', maxDomains: '3', cn: 'Chief', preferredLanguage: 'fr_FR' })).body, { _success: true });
    const row = await adminRow('chief@partner.test');
    assert.equal(row?.name, 'Chief', 'legacy cn accepted');
    assert.equal(row?.language, 'fr_FR', 'legacy preferredLanguage accepted');
    assert.equal(row?.active, 1);
    assert.deepEqual(row?.settings, {});
    assert.deepEqual(await grants('chief@partner.test'), ['ALL']);
    const chief = await h.loggedIn('chief@partner.test', PASSWORD);
    assert.equal((await chief.get('/api/admin/boss@partner.test')).body._success, true, 'the new global admin may manage admins');
  });

  test('POST without password is PW_EMPTY (fix #21); a weak one gets every PW_* code, comma-joined', async () => {
    const before = await state();
    assert.deepEqual((await admin.post('/api/admin/nopw@partner.test', { name: 'x' })).body, { _success: false, _msg: 'PW_EMPTY' });
    assert.deepEqual((await admin.post('/api/admin/nopw@partner.test', { password: '   ' })).body, { _success: false, _msg: 'PW_EMPTY' });
    assert.deepEqual((await admin.post('/api/admin/nopw@partner.test', { password: 'weak' })).body, {
      _success: false, _msg: 'PW_SHORTER_THAN_MIN_LENGTH,PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR',
    });
    assert.deepEqual((await admin.post('/api/admin/nopw@partner.test', { password: 'None' })).body._success, false, 'the literal "None" is not a password');
    assert.deepEqual(await state(), before);
  });

  test('POST in a locally hosted domain (or alias domain): CAN_NOT_BE_LOCAL_DOMAIN; existing admin or user: ALREADY_EXISTS', async () => {
    assert.deepEqual((await admin.post('/api/admin/x@hosted.test', { password: PASSWORD })).body, { _success: false, _msg: 'CAN_NOT_BE_LOCAL_DOMAIN' });
    assert.deepEqual((await admin.post('/api/admin/x@hosted-alias.test', { password: PASSWORD })).body, { _success: false, _msg: 'CAN_NOT_BE_LOCAL_DOMAIN' });
    assert.deepEqual((await admin.post('/api/admin/boss@partner.test', { password: PASSWORD })).body, { _success: false, _msg: 'ALREADY_EXISTS' });
    // A mailbox left behind in a domain that is no longer hosted still owns its address. (SQL
    // only: on LDAP a user's entry lives below its domain's entry, so none outlives its domain.)
    if (h.ldap) return;
    await seedMailbox(h, 'leftover@gone.test');
    assert.deepEqual((await admin.post('/api/admin/leftover@gone.test', { password: PASSWORD })).body, { _success: false, _msg: 'ALREADY_EXISTS' });
    assert.equal(await adminRow('leftover@gone.test'), undefined);
  });

  test('concurrent creates of one admin leave one row and one success', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => admin.post('/api/admin/race@partner.test', { password: PASSWORD, isGlobalAdmin: 'yes' })));
    assert.equal(results.filter((r) => r.body._success === true).length, 1);
    assert.ok(results.every((r) => r.body._success === true || r.body._msg === 'ALREADY_EXISTS'), JSON.stringify(results.map((r) => r.body)));
    assert.ok(await adminRow('race@partner.test'), 'one admin (one row, or one entry: its DN is unique)');
    assert.deepEqual(await grants('race@partner.test'), ['ALL']);
  });

  test('GET: the row without password, isglobaladmin, managed_domains (explicit rows only), settings as an object', async () => {
    await admin.put('/api/domain/admins/hosted.test', { addAdmin: 'boss@partner.test' });
    const res = await admin.get('/api/admin/boss@partner.test');
    assert.equal(res.body._success, true);
    const data = res.body._data;
    assert.deepEqual(Object.keys(data).sort(), ['active', 'created', 'expired', 'isglobaladmin', 'language', 'managed_domains', 'modified', 'name', 'passwordlastchange', 'settings', 'username']);
    assert.equal(data.username, 'boss@partner.test');
    assert.equal(data.isglobaladmin, 0);
    assert.deepEqual(data.managed_domains, ['hosted.test']);
    assert.equal(data.settings.create_max_domains, 5, 'create_max_* are integers');
    assert.equal(data.settings.create_quota_unit, 'TB');
    assert.equal(data.active, 1);
    assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.match(data.passwordlastchange, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.ok(!JSON.stringify(res.body).includes('SSHA'), 'no hash in the reply');
    const chief = (await admin.get('/api/admin/chief@partner.test')).body._data;
    assert.equal(chief.isglobaladmin, 1);
    assert.deepEqual(chief.managed_domains, [], 'the ALL row is not a managed domain');
  });

  test('GET of a missing admin, or of a mail user with admin rights: NO_SUCH_ACCOUNT', async () => {
    await seedMailbox(h, 'useradmin@hosted.test', { isadmin: true });
    await admin.put('/api/domain/admins/hosted.test', { addAdmin: 'useradmin@hosted.test' });
    assert.deepEqual((await admin.get('/api/admin/useradmin@hosted.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.get('/api/admin/nobody@partner.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
  });

  test('PUT applies max* whenever present (fix #20), 0 removes a limit, quotaUnit alone changes the unit', async () => {
    assert.deepEqual((await admin.put('/api/admin/boss@partner.test', { maxDomains: '2' }, { as: 'query' })).body, { _success: true });
    let settings = (await adminRow('boss@partner.test'))!.settings;
    assert.equal(settings.create_max_domains, 2, 'maxDomains alone applies, in the query string too (WHMCS)');
    await admin.put('/api/admin/boss@partner.test', { maxUsers: '0', maxAliases: '7' });
    settings = (await adminRow('boss@partner.test'))!.settings;
    assert.equal(settings.create_max_users, undefined, '0 removes the limit');
    assert.equal(settings.create_max_aliases, 7);
    assert.equal(settings.create_max_lists, 300, 'untouched keys stay');
    await admin.put('/api/admin/boss@partner.test', { quotaUnit: 'gb' });
    settings = (await adminRow('boss@partner.test'))!.settings;
    assert.deepEqual([settings.create_max_quota, settings.create_quota_unit], [2, 'GB']);
    await admin.put('/api/admin/boss@partner.test', { maxQuota: '0' });
    settings = (await adminRow('boss@partner.test'))!.settings;
    assert.equal(settings.create_max_quota, undefined);
    assert.equal(settings.create_quota_unit, undefined);
    await admin.put('/api/admin/boss@partner.test', { maxQuota: '500' });
    settings = (await adminRow('boss@partner.test'))!.settings;
    assert.deepEqual([settings.create_max_quota, settings.create_quota_unit], [500, 'MB'], 'MB when no unit is given');
    await admin.put('/api/admin/boss@partner.test', { disableViewingMailLog: 'no' });
    settings = (await adminRow('boss@partner.test'))!.settings;
    assert.equal(settings.disable_viewing_mail_log, undefined);
    assert.equal(settings.disable_managing_quarantined_mails, 'yes');
  });

  test('PUT name, language, accountStatus (enabled disables, as the original), isGlobalAdmin yes/no', async () => {
    await admin.put('/api/admin/boss@partner.test', { name: 'Renamed', language: 'en_US' });
    let row = await adminRow('boss@partner.test');
    assert.deepEqual([row?.name, row?.language], ['Renamed', 'en_US']);
    await admin.put('/api/admin/boss@partner.test', { accountStatus: 'enabled' });
    assert.equal((await adminRow('boss@partner.test'))?.active, 0);
    await admin.put('/api/admin/boss@partner.test', { accountStatus: 'active' });
    assert.equal((await adminRow('boss@partner.test'))?.active, 1);
    await admin.put('/api/admin/boss@partner.test', { isGlobalAdmin: 'yes', maxDomains: '99' });
    assert.deepEqual(await grants('boss@partner.test'), ['ALL', 'hosted.test']);
    assert.equal((await adminRow('boss@partner.test'))?.settings.create_max_domains, 2, 'limits discarded with isGlobalAdmin=yes');
    await admin.put('/api/admin/boss@partner.test', { isGlobalAdmin: 'no' });
    assert.deepEqual(await grants('boss@partner.test'), ['hosted.test']);
    row = await adminRow('boss@partner.test');
    assert.ok(await verifyPassword(PASSWORD, String(row?.passwordHash)), 'a PUT without password keeps it');
  });

  test('PUT of a missing admin or of a mail user: NO_SUCH_ACCOUNT and nothing written', async () => {
    const before = await state();
    assert.deepEqual((await admin.put('/api/admin/ghost@partner.test', { isGlobalAdmin: 'yes', name: 'x' })).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.put('/api/admin/useradmin@hosted.test', { name: 'x' })).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual(await state(), before);
  });

  test('changing the password ends every login made with the old one (cookie and bearer)', async () => {
    await admin.post('/api/admin/rotate@partner.test', { password: PASSWORD, isGlobalAdmin: 'yes' });
    const cookieClient = await h.loggedIn('rotate@partner.test', PASSWORD);
    const bearerClient = h.client();
    const login = await bearerClient.login('rotate@partner.test', PASSWORD);
    const token = login.body._data?.token as string;
    assert.ok(token);
    bearerClient.clearCookies();
    assert.equal((await cookieClient.get('/api/domains')).body._success, true);
    assert.equal((await bearerClient.get('/api/domains', {}, { token })).body._success, true);
    const before = String((await adminRow('rotate@partner.test'))?.passwordChanged);
    assert.deepEqual((await admin.put('/api/admin/rotate@partner.test', { password: 'N3w!Password#' })).body, { _success: true });
    const row = await adminRow('rotate@partner.test');
    assert.ok(await verifyPassword('N3w!Password#', String(row?.passwordHash)));
    assert.ok(String(row?.passwordChanged) >= before);
    assert.deepEqual((await cookieClient.get('/api/domains')).body, { _success: false, _msg: 'LOGIN_REQUIRED' });
    assert.deepEqual((await bearerClient.get('/api/domains', {}, { token })).body, { _success: false, _msg: 'LOGIN_REQUIRED' });
    assert.equal((await h.client().login('rotate@partner.test', PASSWORD)).body._msg, 'INVALID_CREDENTIALS');
    await h.loggedIn('rotate@partner.test', 'N3w!Password#');
  });

  test('nobody locks itself out: no deleting itself, dropping its own global flag or disabling itself', async () => {
    const me = GLOBAL_ADMIN.username;
    const before = await state();
    assert.deepEqual((await admin.delete(`/api/admin/${me}`)).body, { _success: false, _msg: 'CANNOT_CHANGE_OWN_ACCOUNT' });
    assert.deepEqual((await admin.put(`/api/admin/${me}`, { isGlobalAdmin: 'no' })).body, { _success: false, _msg: 'CANNOT_CHANGE_OWN_ACCOUNT' });
    assert.deepEqual((await admin.put(`/api/admin/${me}`, { accountStatus: 'disabled' })).body, { _success: false, _msg: 'CANNOT_CHANGE_OWN_ACCOUNT' });
    assert.deepEqual(await state(), before);
    assert.equal((await admin.get('/api/domains')).body._success, true, 'still logged in');
    assert.deepEqual((await admin.put(`/api/admin/${me}`, { name: 'Me', isGlobalAdmin: 'yes' })).body, { _success: true }, 'other changes to itself are fine');
    assert.deepEqual(await grants(me), ['ALL']);
    // Another global admin may take the rights of the first; the caller always remains.
    const chief = await h.loggedIn('chief@partner.test', PASSWORD);
    assert.deepEqual((await chief.put('/api/admin/race@partner.test', { isGlobalAdmin: 'no' })).body, { _success: true });
    assert.deepEqual(await grants('race@partner.test'), []);
  });

  test('DELETE removes the admin row and every domain_admins row; its logins end; missing or mail user: success, nothing touched', async () => {
    await admin.post('/api/admin/leaving@partner.test', { password: PASSWORD, isGlobalAdmin: 'yes' });
    await admin.put('/api/domain/admins/hosted.test', { addAdmin: 'leaving@partner.test' });
    const leaving = await h.loggedIn('leaving@partner.test', PASSWORD);
    assert.deepEqual(await grants('leaving@partner.test'), ['ALL', 'hosted.test']);
    assert.deepEqual((await admin.delete('/api/admin/leaving@partner.test')).body, { _success: true });
    assert.equal(await adminRow('leaving@partner.test'), undefined);
    assert.deepEqual(await grants('leaving@partner.test'), []);
    assert.deepEqual((await leaving.get('/api/domains')).body, { _success: false, _msg: 'LOGIN_REQUIRED' });
    const before = await state();
    assert.deepEqual((await admin.delete('/api/admin/leaving@partner.test')).body, { _success: true });
    assert.deepEqual((await admin.delete('/api/admin/useradmin@hosted.test')).body, { _success: true });
    assert.deepEqual(await state(), before, "a mail user's admin rights are not this route's business");
  });

  test('bad input on every admin route: a code, HTTP 200, and storage unchanged', async () => {
    const before = await state();
    const ok = { password: PASSWORD };
    const cases: [string, string, Record<string, string>, string][] = [
      ['POST', '/api/admin/not-an-address', ok, 'INVALID_MAIL'],
      ['POST', '/api/admin/no@tld', ok, 'INVALID_MAIL'],
      ['POST', '/api/admin/a+b@partner.test', ok, 'INVALID_MAIL'],
      ['POST', "/api/admin/x'--@partner.test", ok, 'INVALID_MAIL'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, maxDomains: '-1' }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, maxUsers: 'lots' }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, maxAliases: '99999999999' }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, maxQuota: '1.5', quotaUnit: 'GB' }, 'INVALID_QUOTA_SIZE'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, maxQuota: '1', quotaUnit: 'PB' }, 'INVALID_QUOTA_SIZE'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, language: 'english;x:y' }, 'INVALID_LANGUAGE'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, language: 'haw_US' }, 'INVALID_LANGUAGE'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, name: 'x'.repeat(300) }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, isGlobalAdmin: 'perhaps' }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { ...ok, disableViewingMailLog: 'sometimes' }, 'INVALID_PARAMETER'],
      ['POST', '/api/admin/new1@partner.test', { password: 'Aa1!' + 'x'.repeat(2000) }, 'PW_GREATER_THAN_MAX_LENGTH'],
      ['POST', '/api/admin/new1@partner.test', { password: 'nouppercase1!' }, 'PW_NO_UPPERCASE'],
      ['PUT', '/api/admin/boss@partner.test', { password: '' }, 'PW_EMPTY'],
      ['PUT', '/api/admin/boss@partner.test', { password: 'short' }, 'PW_SHORTER_THAN_MIN_LENGTH,PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR'],
      ['PUT', '/api/admin/boss@partner.test', { maxLists: 'x' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/admin/boss@partner.test', { isGlobalAdmin: 'maybe' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/admin/boss@partner.test', { name: 'ok', maxDomains: '1', quotaUnit: 'XB' }, 'INVALID_QUOTA_SIZE'],
      ['PUT', '/api/admin/ghost@partner.test', { name: 'x' }, 'NO_SUCH_ACCOUNT'],
      ['PUT', '/api/admin/bad address', { name: 'x' }, 'INVALID_MAIL'],
      ['GET', '/api/admin/ghost@partner.test', {}, 'NO_SUCH_ACCOUNT'],
      ['GET', '/api/admin/@partner.test', {}, 'INVALID_MAIL'],
      ['DELETE', '/api/admin/bad%00@partner.test', {}, 'INVALID_MAIL'],
      ['DELETE', `/api/admin/${GLOBAL_ADMIN.username}`, {}, 'CANNOT_CHANGE_OWN_ACCOUNT'],
    ];
    for (const [method, path, params, code] of cases) {
      const res = await admin.call(method, path, params);
      assert.equal(res.status, 200, `${method} ${path}`);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${method} ${path} ${JSON.stringify(params).slice(0, 80)}`);
    }
    assert.deepEqual(await state(), before);
  });

  test('the admin log records each action with [API], never a password', async () => {
    const entries = await h.iredadmin.selectFrom('log').selectAll().where('msg', 'like', '%admin%').execute();
    const messages = entries.map((e) => String(e.msg));
    assert.ok(messages.includes('[API] Create admin: boss@partner.test.'), messages.join('\n'));
    assert.ok(messages.includes('[API] Delete admin(s): leaving@partner.test.'));
    assert.ok(messages.includes('[API] Admin boss@partner.test is marked as global admin.'));
    assert.ok(messages.includes('[API] Admin race@partner.test is not a global admin anymore.'));
    const all = JSON.stringify(await h.iredadmin.selectFrom('log').selectAll().execute());
    assert.ok(!all.includes(PASSWORD) && !all.includes('N3w!Password#') && !all.includes('SSHA'));
  });
});

/** Anonymous, an admin of another domain, the domain's own admin (standalone and mail user), and a global admin. */
describe('admin routes × roles', () => {
  type Role = 'anonymous' | 'other' | 'owner' | 'userAdmin' | 'global';
  const clients: Partial<Record<Role, ApiClient>> = {};
  before(async () => {
    await admin.post('/api/domain/mine.test', { name: 'mine' });
    await admin.post('/api/domain/theirs.test', { name: 'theirs' });
    await h.seedAdmin('owner@roles.test', 'Owner1!Pw', { domains: ['mine.test'] });
    await h.seedAdmin('other@roles.test', 'Other1!Pw', { domains: ['theirs.test'] });
    await seedMailbox(h, 'boss@mine.test', { isadmin: true, password: 'Boss1!Pw' });
    await admin.put('/api/domain/admins/mine.test', { addAdmin: 'boss@mine.test' });
    await h.seedAdmin('target@roles.test', 'Target1!Pw', { domains: ['mine.test'] });
    clients.anonymous = h.client();
    clients.other = await h.loggedIn('other@roles.test', 'Other1!Pw');
    clients.owner = await h.loggedIn('owner@roles.test', 'Owner1!Pw');
    clients.userAdmin = await h.loggedIn('boss@mine.test', 'Boss1!Pw');
    clients.global = admin;
  });

  const denied = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', userAdmin: 'PERMISSION_DENIED', global: 'ok' } as const;
  const matrix: [string, string, Record<string, string>][] = [
    ['GET', '/api/admin/target@roles.test', {}],
    ['PUT', '/api/admin/target@roles.test', { name: 'changed', maxDomains: '3' }],
    ['POST', '/api/admin/fresh@roles.test', { password: PASSWORD, isGlobalAdmin: 'yes' }],
    ['DELETE', '/api/admin/fresh@roles.test', {}],
  ];
  for (const [method, path, params] of matrix) {
    for (const role of ['anonymous', 'other', 'owner', 'userAdmin', 'global'] as Role[]) {
      test(`${role} ${method} ${path}`, async () => {
        const before = role === 'global' ? undefined : await state();
        const res = await clients[role]!.call(method, path, params);
        assert.equal(res.status, 200);
        if (denied[role] === 'ok') assert.equal(res.body._success, true, JSON.stringify(res.body));
        else {
          assert.deepEqual(res.body, { _success: false, _msg: denied[role] });
          assert.deepEqual(await state(), before);
        }
      });
    }
  }

  test('a domain admin cannot make itself global through this route either', async () => {
    assert.deepEqual((await clients.owner!.put('/api/admin/owner@roles.test', { isGlobalAdmin: 'yes' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual(await grants('owner@roles.test'), ['mine.test']);
  });
});
