import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND, GLOBAL_ADMIN, snapshot, startHarness, VMAIL_TABLES, type ApiClient, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { verifyPassword } from '#lib/auth/passwords';

/**
 * The mail-user API on every backend: each route and parameter, checked against what Postfix,
 * Dovecot, Amavisd and iRedAPD read (pro-api-behaviour §1.5-1.11, storage.md §1-6), through
 * the backend-neutral probe; the SQL rows' own columns and the LDAP entry's own attributes
 * are checked in backend-specific assertions.
 */
let h: Harness;
let admin: ApiClient;
let p: Probe;
const D = 'users.test';
const PW = 'Secr3t!pass';
const onLdap = BACKEND === 'ldap';
const SQL_ROWS = onLdap ? 'SQL rows only: LDAP has no forwardings/BCC/moderators/sender_relayhost tables (the entry attributes are checked in the other tests)' : false;

before(async () => {
  h = await startHarness();
  admin = await h.loggedIn();
  p = probe(h);
  await admin.post(`/api/domain/${D}`, { name: 'Users' });
  await admin.post('/api/domain/other.test', { name: 'Other' });
});
after(async () => { await h?.close(); });

const rows = (table: string, column: string, value: string) => h.vmail.selectFrom(table).selectAll().where(column, '=', value).execute();
/** SQL only: the forwardings rows themselves. */
const forwardingRows = async (where: { address?: string; forwarding?: string }) => {
  let query = h.vmail.selectFrom('forwardings').selectAll();
  if (where.address) query = query.where('address', '=', where.address);
  if (where.forwarding) query = query.where('forwarding', '=', where.forwarding);
  const found = await query.orderBy('address').orderBy('forwarding').execute();
  return found.map((r) => ({ address: r.address, forwarding: r.forwarding, domain: r.domain, dest_domain: r.dest_domain, is_forwarding: Number(r.is_forwarding), is_alias: Number(r.is_alias), is_list: Number(r.is_list), is_maillist: Number(r.is_maillist), active: Number(r.active) }));
};
const mailbox = (username: string) => p.mailUser(username);
const state = () => p.snapshot();
const ok = { _success: true };
const refused = (code: string) => ({ _success: false, _msg: code });
const today = () => new Date().toISOString().slice(0, 10);
/** LDAP only: the user's entry, attribute names lower case. */
const entryOf = async (username: string) => (await p.ldapUserEntry(username))!;

async function createUser(address: string, params: Record<string, string> = {}) {
  const res = await admin.post(`/api/user/${address}`, { password: PW, ...params });
  assert.deepEqual(res.body, ok, `create ${address}: ${JSON.stringify(res.body)}`);
}

describe(`user API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('POST writes the mailbox row, the self row, default alias memberships and disabled services', async () => {
    await p.seedAlias(`all@${D}`, 'All');
    await p.setDomainSettings(D, { default_groups: ['all@users.test', 'ghost@users.test'], disabled_mail_services: ['imap', 'pop3secured'], default_language: 'de_DE' });
    const res = await admin.post(`/api/user/John.Smith@Users.Test`, { name: 'John Smith', password: PW, quota: '100', accountStatus: 'disabled', employeeid: 'E-7' });
    assert.deepEqual(res.body, ok);
    assert.equal(res.status, 200);
    const user = await mailbox('john.smith@users.test');
    assert.ok(user, 'stored lower-case');
    assert.equal(user.name, 'John Smith');
    assert.equal(user.quota, 100);
    assert.equal(user.active, 1, 'accountStatus on POST is ignored: always active');
    assert.equal(user.language, 'de_DE', 'the domain default language');
    assert.equal(user.employeeid, 'E-7');
    assert.equal(user.mailboxformat, 'maildir');
    assert.equal(user.mailboxfolder, 'Maildir');
    assert.match(user.home, /^\/var\/vmail\/vmail1\/users\.test\/j\/o\/h\/john\.smith-\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\/$/);
    const data = (await admin.get('/api/user/john.smith@users.test')).body._data;
    assert.deepEqual([data.domain, data.storagebasedirectory, data.storagenode], [D, '/var/vmail', 'vmail1']);
    assert.match(data.maildir, /^users\.test\/j\/o\/h\/john\.smith-\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\/$/);
    assert.equal(String(data.passwordlastchange).slice(0, 10), today(), 'passwordlastchange is now');
    assert.equal(user.isadmin, 0);
    assert.equal(user.isglobaladmin, 0);
    assert.match(user.passwordHash, /^\{SSHA512\}/);
    assert.equal(await verifyPassword(PW, user.passwordHash), true, 'the stored hash verifies the password');
    assert.equal(await verifyPassword('wrong', user.passwordHash), false);
    assert.equal(user.services.enableimap, 0, 'disabled_mail_services: imap');
    assert.equal(user.services.enablepop3secured, 0);
    assert.equal(user.services.enablepop3tls, 0);
    assert.equal(user.services.enablesmtp, 1);
    assert.equal(user.services.enablepop3, 1);
    assert.deepEqual(await p.forwardingTargets('john.smith@users.test'), ['john.smith@users.test'], 'delivered to its own mailbox');
    assert.deepEqual(await p.aliasMemberships('john.smith@users.test'), [`all@${D}`], 'member of the default alias; the missing one is skipped');
    if (onLdap) {
      // The entry iRedAdmin writes (storage.md §6.3).
      const entry = await entryOf('john.smith@users.test');
      assert.deepEqual([...entry.objectclass!].sort(), ['amavisAccount', 'inetOrgPerson', 'mailUser', 'shadowAccount']);
      assert.deepEqual([entry.uid, entry.sn, entry.amavislocal, entry.mailquota], [['john.smith'], ['john.smith'], ['TRUE'], [String(100 * 1048576)]]);
      assert.deepEqual(entry.shadowlastchange, [String(Math.floor(Date.now() / 86_400_000))]);
      for (const service of ['mail', 'smtp', 'smtptls', 'pop3', 'deliver', 'lda', 'lmtp', 'forward', 'shadowaddress', 'senderbcc', 'recipientbcc', 'internal', 'doveadm', 'lib-storage', 'quota-status', 'indexer-worker', 'dsync', 'sogo', 'sogowebmail', 'displayedInGlobalAddressBook']) {
        assert.ok(entry.enabledservice!.includes(service), `enabledService ${service}`);
      }
      for (const service of ['imap', 'pop3secured', 'pop3tls', 'domainadmin']) assert.ok(!entry.enabledservice!.includes(service), `no enabledService ${service}`);
      assert.equal(entry.domainstatus, undefined, 'the domain is active');
      assert.equal(entry.mailforwardingaddress, undefined, 'plain delivery');
    }
    await p.setDomainSettings(D, {});
  });

  test('maildir hashing pads short local parts and replaces dots; legacy cn/mailQuota/preferredLanguage work', async () => {
    await createUser(`a@${D}`, { cn: 'Legacy', mailQuota: '7', preferredLanguage: 'fr_FR' });
    const a = await mailbox(`a@${D}`);
    assert.match(a!.home, /^\/var\/vmail\/vmail1\/users\.test\/a\/_\/_\/a-\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\/$/);
    assert.equal(a!.name, 'Legacy');
    assert.equal(a!.quota, 7);
    assert.equal(a!.language, 'fr_FR');
    await createUser(`j.o@${D}`);
    assert.match((await mailbox(`j.o@${D}`))!.home, /^\/var\/vmail\/vmail1\/users\.test\/j\/_\/o\/j\.o-/);
  });

  test('POST with password_hash stores it as given; unknown schemes and bad passwords are refused', async () => {
    const hash = '{SSHA}SGVsbG9Xb3JsZDEyMzQ1Njc4OTAxMjM0NTY3ODkw';
    assert.deepEqual((await admin.post(`/api/user/hashed@${D}`, { password_hash: hash })).body, ok);
    assert.equal((await mailbox(`hashed@${D}`))!.passwordHash, hash);
    assert.deepEqual((await admin.post(`/api/user/bcrypt@${D}`, { password_hash: '{BCRYPT}$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234' })).body, ok);
    if (onLdap) assert.match((await mailbox(`bcrypt@${D}`))!.passwordHash, /^\{CRYPT\}\$2b\$/, 'slapd verifies bcrypt as {CRYPT} (auth_bind = yes), as iRedAdmin writes it');
    else assert.match((await mailbox(`bcrypt@${D}`))!.passwordHash, /^\{BLF-CRYPT\}\$2b\$/, 'Dovecot has no {BCRYPT}: stored as {BLF-CRYPT}');
    const before = await state();
    assert.deepEqual((await admin.post(`/api/user/h2@${D}`, { password_hash: '{ROT13}abc' })).body, refused('INVALID_PASSWORD_SCHEME'));
    assert.deepEqual((await admin.post(`/api/user/h3@${D}`, { password_hash: 'nohashprefix' })).body, refused('INVALID_PASSWORD_SCHEME'));
    assert.deepEqual((await admin.post(`/api/user/h4@${D}`, {})).body, refused('PW_EMPTY'));
    assert.deepEqual((await admin.post(`/api/user/h5@${D}`, { password: '' })).body, refused('PW_EMPTY'));
    assert.deepEqual((await admin.post(`/api/user/h6@${D}`, { password: 'short' })).body, refused('PW_SHORTER_THAN_MIN_LENGTH,PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR'));
    assert.deepEqual((await admin.post(`/api/user/h7@${D}`, { password: PW, password_hash: hash })).body, refused('CONFLICTING_PARAMETERS'));
    assert.deepEqual(await state(), before);
    await p.setDomainSettings(D, { min_passwd_length: 20, max_passwd_length: 30 });
    // Taken after the settings change: on LDAP that write moves the domain entry's modifyTimestamp.
    const withPolicy = await state();
    assert.deepEqual((await admin.post(`/api/user/h8@${D}`, { password: PW })).body, refused('PW_SHORTER_THAN_MIN_LENGTH'), 'the domain minimum replaces the global one');
    assert.deepEqual((await admin.post(`/api/user/h9@${D}`, { password: 'Aa1!' + 'x'.repeat(30) })).body, refused('PW_GREATER_THAN_MAX_LENGTH'));
    assert.deepEqual(await state(), withPolicy);
    await p.setDomainSettings(D, {});
  });

  test('POST refusals: INVALID_MAIL, INVALID_DOMAIN_NAME, ALREADY_EXISTS (mailbox, alias, per-user alias, +ext)', async () => {
    await createUser(`taken@${D}`, { aliases: `nick@${D}` });
    await p.seedAlias(`group@${D}`, 'G');
    const before = await state();
    const cases: [string, string][] = [
      [`a+b@${D}`, 'INVALID_MAIL'],
      [`a=b@${D}`, 'INVALID_MAIL'],
      ['someone@missing.test', 'INVALID_DOMAIN_NAME'],
      [`taken@${D}`, 'ALREADY_EXISTS'],
      [`TAKEN@${D.toUpperCase()}`, 'ALREADY_EXISTS'],
      [`group@${D}`, 'ALREADY_EXISTS'],
      [`nick@${D}`, 'ALREADY_EXISTS'],
    ];
    for (const [address, code] of cases) assert.deepEqual((await admin.post(`/api/user/${address}`, { password: PW })).body, refused(code), address);
    assert.deepEqual(await state(), before);
  });

  test('account limit: -1 NOT_ALLOWED, reached EXCEEDED_DOMAIN_ACCOUNT_LIMIT, 0 unlimited', async () => {
    await admin.post('/api/domain/limit.test', {});
    assert.deepEqual((await admin.put('/api/domain/limit.test', { numberOfUsers: '-1' })).body, ok);
    assert.deepEqual((await admin.post('/api/user/u1@limit.test', { password: PW })).body, refused('NOT_ALLOWED'));
    await admin.put('/api/domain/limit.test', { numberOfUsers: '2' });
    await createUser('u1@limit.test');
    await createUser('u2@limit.test');
    assert.deepEqual((await admin.post('/api/user/u3@limit.test', { password: PW })).body, refused('EXCEEDED_DOMAIN_ACCOUNT_LIMIT'));
    assert.deepEqual((await admin.post('/api/user/u3@limit.test', { password: 'weak' })).body, refused('EXCEEDED_DOMAIN_ACCOUNT_LIMIT'), 'the limit is judged before the password, as the original');
    await admin.put('/api/domain/limit.test', { numberOfUsers: '0' });
    await createUser('u3@limit.test');
    assert.equal((await p.mailUsers('limit.test')).length, 3);
    // A user created in a disabled domain is marked for Postfix and Dovecot like the domain's other accounts.
    await admin.put('/api/domain/limit.test', { accountStatus: 'disabled' });
    await createUser('u4@limit.test');
    if (onLdap) assert.deepEqual((await entryOf('u4@limit.test')).domainstatus, ['disabled'], 'domainStatus=disabled');
    await admin.put('/api/domain/limit.test', { accountStatus: 'active' });
    if (onLdap) assert.equal((await entryOf('u4@limit.test')).domainstatus, undefined);
  });

  test('quota (§1.10): default, spare clamping, EXCEEDED_DOMAIN_QUOTA_SIZE, 0 replaced, max_user_quota, PUT counts the old quota as spare', async () => {
    await admin.post('/api/domain/quota.test', { quota: '1000', defaultQuota: '300', maxUserQuota: '500' });
    const quota = async (user: string) => (await mailbox(user))!.quota;
    await createUser('q1@quota.test');
    assert.equal(await quota('q1@quota.test'), 300, 'missing quota: the domain default');
    await createUser('q2@quota.test', { quota: '800' });
    assert.equal(await quota('q2@quota.test'), 500, 'clamped to max_user_quota');
    await createUser('q3@quota.test', { quota: '0' });
    assert.equal(await quota('q3@quota.test'), 200, 'unlimited becomes the default (300), clamped to the spare 200');
    assert.deepEqual((await admin.post('/api/user/q4@quota.test', { password: PW, quota: '10' })).body, refused('EXCEEDED_DOMAIN_QUOTA_SIZE'));
    assert.equal(await mailbox('q4@quota.test'), undefined);
    assert.deepEqual((await admin.put('/api/user/q1@quota.test', { quota: '450' })).body, ok);
    assert.equal(await quota('q1@quota.test'), 300, 'spare is 0 + its own 300: clamped to 300');
    await admin.put('/api/user/q2@quota.test', { quota: '100' });
    assert.equal(await quota('q2@quota.test'), 100);
    await admin.put('/api/user/q1@quota.test', { quota: '450' });
    assert.equal(await quota('q1@quota.test'), 450);
    const total = (await p.mailUsers('quota.test')).reduce((sum, user) => sum + user.quota, 0);
    assert.ok(total <= 1000, 'never over-allocated');
    if (onLdap) assert.deepEqual((await entryOf('q1@quota.test')).mailquota, [String(450 * 1048576)], 'mailQuota in bytes');
    // Unlimited domain: 0 stays unlimited unless a per-user cap exists.
    await admin.post('/api/domain/free.test', {});
    await createUser('f1@free.test', { quota: '0' });
    assert.equal(await quota('f1@free.test'), 0);
    if (onLdap) assert.equal((await entryOf('f1@free.test')).mailquota, undefined, 'unlimited: no mailQuota');
    await admin.put('/api/domain/free.test', { maxUserQuota: '50' });
    await admin.put('/api/user/f1@free.test', { quota: '0' });
    assert.equal(await quota('f1@free.test'), 50, 'unlimited is more than the cap');
  });

  test('GET returns the SQL profile with the API extras, never the password', async () => {
    await createUser(`prof@${D}`, { name: 'Prof' });
    await p.setUsage(`prof@${D}`, { bytes: 123456, messages: 42 });
    let res = await admin.get(`/api/user/prof@${D}`);
    assert.equal(res.body._success, true);
    const data = res.body._data;
    assert.equal(data.username, `prof@${D}`);
    assert.equal(data.password, undefined);
    assert.ok(!JSON.stringify(res.body).includes('{SSHA512}'), 'no hash anywhere in the reply');
    assert.equal(data.quota, 0);
    assert.equal(data.active, 1);
    assert.equal(data.enablesogowebmail, 'y');
    assert.equal(data.allow_nets, null);
    assert.deepEqual(data.settings, {});
    assert.equal(data.disclaimer, '');
    assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.match(data.passwordlastchange, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(data.sender_bcc_address, null);
    assert.equal(data.sbcc_active, null);
    assert.equal(data.recipient_bcc_address, null);
    assert.equal(data.rbcc_active, null);
    assert.deepEqual(data.aliases, []);
    assert.deepEqual(data.mailing_aliases, []);
    assert.deepEqual(data.mailing_lists, []);
    assert.deepEqual(data.forwardings, [], 'only the self row: []');
    assert.equal(data.stored_bytes, 123456);
    assert.equal(data.stored_messages, 42);
    assert.equal(data.last_login, '');
    assert.equal(data.managed_domains, undefined, 'not an admin');
    await p.setUsage(`prof@${D}`, { imap: 1700000000, pop3: 1700000100, lda: null });
    await admin.put('/api/domain/admins/users.test', { addAdmin: `prof@${D}` });
    res = await admin.get(`/api/user/prof@${D}`);
    assert.equal(res.body._data.last_login, 'Tue, 14 Nov 2023 22:15:00 GMT');
    assert.deepEqual(res.body._data.managed_domains, [D]);
    assert.deepEqual((await admin.get(`/api/user/nobody@${D}`)).body, refused('NO_SUCH_ACCOUNT'));
  });

  test('PUT: name, language, employeeid, transport, accountStatus (forwardings follow), password, password_hash', async () => {
    await createUser(`put@${D}`);
    await createUser(`member@${D}`);
    const before = await mailbox(`put@${D}`);
    if (!onLdap) await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual((await admin.put(`/api/user/put@${D}`, { name: 'Put', language: 'en_US', employeeid: 'E1', transport: 'lmtp:unix:private/dovecot-lmtp', password: 'N3w!Password' })).body, ok);
    let user = await mailbox(`put@${D}`);
    assert.equal(user!.name, 'Put');
    assert.equal(user!.language, 'en_US');
    assert.equal(user!.employeeid, 'E1');
    assert.equal(user!.transport, 'lmtp:unix:private/dovecot-lmtp');
    assert.equal(await verifyPassword('N3w!Password', user!.passwordHash), true);
    // shadowLastChange counts days: on LDAP it can only be checked to be today.
    if (onLdap) assert.deepEqual((await entryOf(`put@${D}`)).shadowlastchange, [String(Math.floor(Date.now() / 86_400_000))], 'shadowLastChange is today');
    else assert.ok(Date.parse(user!.passwordChanged) > Date.parse(before!.passwordChanged), 'passwordlastchange moves');
    assert.deepEqual((await admin.put(`/api/user/put@${D}`, { password: 'weak' })).body, refused('PW_SHORTER_THAN_MIN_LENGTH,PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR'));
    if (onLdap) {
      // slapd verifies mail logins (auth_bind = yes) and knows no {PLAIN}: refused, nothing changed.
      const unchanged = await state();
      assert.deepEqual((await admin.put(`/api/user/put@${D}`, { password_hash: '{PLAIN}Plain1!pw' })).body, refused('INVALID_PASSWORD_SCHEME'));
      assert.deepEqual(await state(), unchanged);
    } else {
      await admin.put(`/api/user/put@${D}`, { password_hash: '{PLAIN}Plain1!pw' });
      assert.equal((await mailbox(`put@${D}`))!.passwordHash, '{PLAIN}Plain1!pw');
    }
    assert.deepEqual((await admin.put(`/api/user/put@${D}`, { password_hash: '{XYZ}abc' })).body, refused('INVALID_PASSWORD_SCHEME'), 'checked on PUT too');
    await admin.put(`/api/user/member@${D}`, { forwarding: `put@${D}` });
    await admin.put(`/api/user/put@${D}`, { accountStatus: 'disabled' });
    assert.equal((await mailbox(`put@${D}`))!.active, 0);
    if (onLdap) assert.deepEqual((await entryOf(`put@${D}`)).accountstatus, ['disabled']);
    await admin.put(`/api/user/put@${D}`, { accountStatus: 'enabled' });
    assert.equal((await mailbox(`put@${D}`))!.active, 0, '"enabled" is not "active" (original behaviour)');
    await admin.put(`/api/user/put@${D}`, { accountStatus: 'active' });
    user = await mailbox(`put@${D}`);
    assert.equal(user!.active, 1);
  });

  test('PUT of a missing user succeeds and writes nothing (as the original)', async () => {
    const before = await state();
    assert.deepEqual((await admin.put(`/api/user/ghost@${D}`, { name: 'x', forwarding: 'a@b.test', aliases: `x@${D}` })).body, ok);
    assert.deepEqual(await state(), before);
  });

  test('PUT isGlobalAdmin promotes (isglobaladmin=1 + ALL row) and demotes; grant/revoke are logged', async () => {
    await createUser(`boss@${D}`);
    assert.deepEqual((await admin.put(`/api/user/boss@${D}`, { isGlobalAdmin: 'yes' })).body, ok);
    assert.equal((await mailbox(`boss@${D}`))!.isglobaladmin, 1);
    assert.deepEqual(await p.adminGrants(`boss@${D}`), ['ALL']);
    if (onLdap) assert.ok((await entryOf(`boss@${D}`)).enabledservice!.includes('domainadmin'), 'enabledService=domainadmin with domainGlobalAdmin=yes');
    const boss = await h.loggedIn(`boss@${D}`, PW);
    assert.equal((await boss.get('/api/domain/other.test')).body._success, true, 'the promoted user is a global admin now');
    await admin.put(`/api/user/boss@${D}`, { isGlobalAdmin: 'no' });
    assert.equal((await mailbox(`boss@${D}`))!.isglobaladmin, 0);
    assert.deepEqual(await p.adminGrants(`boss@${D}`), []);
    assert.equal((await mailbox(`boss@${D}`))!.isadmin, 0, 'revoking removes the admin mark too');
    const log = await h.iredadmin.selectFrom('log').select(['event', 'msg', 'admin']).where('username', '=', `boss@${D}`).orderBy('id').execute();
    assert.deepEqual(log.map((r) => r.event), ['create', 'update', 'grant', 'update', 'revoke']);
    assert.ok(log.every((r) => r.admin === GLOBAL_ADMIN.username && r.msg!.startsWith('[API] ')));
    assert.ok(!log.some((r) => r.msg!.includes(PW)), 'no password in the log');
  });

  test('forwarding: reset, keep a copy with the own address, add/remove, empty = mailbox only', async () => {
    await createUser(`fw@${D}`);
    const targets = () => p.forwardingTargets(`fw@${D}`);
    await admin.put(`/api/user/fw@${D}`, { forwarding: 'Ext@Elsewhere.test,b@other.test' });
    assert.deepEqual(await targets(), ['b@other.test', 'ext@elsewhere.test'], 'no copy: the self row is gone');
    if (onLdap) assert.ok((await entryOf(`fw@${D}`)).enabledservice!.includes('forward'), 'enabledService=forward');
    assert.deepEqual((await admin.get(`/api/user/fw@${D}`)).body._data.forwardings, ['b@other.test', 'ext@elsewhere.test']);
    await admin.put(`/api/user/fw@${D}`, { addForwarding: `fw@${D}` });
    assert.deepEqual(await targets(), ['b@other.test', 'ext@elsewhere.test', `fw@${D}`], 'copy kept');
    assert.deepEqual((await admin.get(`/api/user/fw@${D}`)).body._data.forwardings, ['b@other.test', 'ext@elsewhere.test', `fw@${D}`]);
    await admin.put(`/api/user/fw@${D}`, { removeForwarding: 'b@other.test' });
    assert.deepEqual(await targets(), ['ext@elsewhere.test', `fw@${D}`]);
    await admin.put(`/api/user/fw@${D}`, { removeForwarding: `ext@elsewhere.test,fw@${D}` });
    assert.deepEqual(await targets(), [`fw@${D}`], 'nothing left: back to the self row');
    await admin.put(`/api/user/fw@${D}`, { forwarding: 'x@other.test' });
    await admin.put(`/api/user/fw@${D}`, { forwarding: '' });
    assert.deepEqual(await targets(), [`fw@${D}`], 'empty forwarding: mailbox only');
    assert.deepEqual((await admin.put(`/api/user/fw@${D}`, { forwarding: 'a@b.test', addForwarding: 'c@d.test' })).body, refused('CONFLICTING_PARAMETERS'));
  });

  test('per-user aliases: same domain or an alias domain, never an existing account; add/remove/reset', async () => {
    await admin.put(`/api/domain/${D}`, { aliasDomains: 'alias-of-users.test' });
    await createUser(`al@${D}`);
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { aliases: `sales@${D},Info@Alias-of-Users.test` })).body, ok);
    assert.deepEqual(await p.userAliasAddresses(`al@${D}`), ['info@alias-of-users.test', `sales@${D}`]);
    if (onLdap) {
      // Postfix's LDAP maps need the alias-domain address as a shadowAddress of its own (storage.md §6.4).
      assert.deepEqual(await p.addressesOf(`al@${D}`), ['al@alias-of-users.test', 'info@alias-of-users.test', `sales@${D}`]);
      assert.ok((await entryOf(`al@${D}`)).enabledservice!.includes('shadowaddress'));
    }
    assert.deepEqual((await admin.get(`/api/user/al@${D}`)).body._data.aliases, ['info@alias-of-users.test', `sales@${D}`]);
    await admin.put(`/api/user/al@${D}`, { addAlias: `support@${D}`, removeAlias: `sales@${D}` });
    assert.deepEqual((await admin.get(`/api/user/al@${D}`)).body._data.aliases, ['info@alias-of-users.test', `support@${D}`]);
    const before = await state();
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { addAlias: 'x@other.test' })).body, refused('ADDRESS_OUTSIDE_DOMAIN'));
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { addAlias: `taken@${D}` })).body, refused('ALREADY_EXISTS'), 'an existing user');
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { addAlias: `nick@${D}` })).body, refused('ALREADY_EXISTS'), "another user's alias");
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { addAlias: `al@${D}` })).body, refused('ALREADY_EXISTS'), 'its own address');
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { addAlias: `a+b@${D}` })).body, refused('INVALID_MAIL'));
    assert.deepEqual((await admin.put(`/api/user/al@${D}`, { aliases: `x@${D}`, addAlias: `y@${D}` })).body, refused('CONFLICTING_PARAMETERS'));
    assert.deepEqual(await state(), before);
    // Alias-domain changes leave the addresses set through the API alone.
    const explicit = ['info@alias-of-users.test', `support@${D}`];
    await admin.put(`/api/domain/${D}`, { addAliasDomain: 'second-alias.test' });
    assert.deepEqual(await p.userAliasAddresses(`al@${D}`), explicit);
    if (onLdap) {
      assert.deepEqual(await p.addressesOf(`al@${D}`), ['al@alias-of-users.test', 'al@second-alias.test', ...explicit], 'every account gains its address in the new alias domain');
      assert.ok((await p.ldapEntry('alias', `all@${D}`))!.shadowaddress!.includes('all@second-alias.test'), 'mail aliases too');
    }
    await admin.put(`/api/domain/${D}`, { removeAliasDomain: 'second-alias.test' });
    assert.deepEqual(await p.userAliasAddresses(`al@${D}`), explicit);
    if (onLdap) {
      assert.deepEqual(await p.addressesOf(`al@${D}`), ['al@alias-of-users.test', ...explicit], 'and loses it with the alias domain');
      assert.ok(!(await p.ldapEntry('alias', `all@${D}`))!.shadowaddress?.includes('all@second-alias.test'));
    }
    assert.deepEqual((await admin.get(`/api/user/al@${D}`)).body._data.aliases, explicit);
    await admin.put(`/api/user/al@${D}`, { aliases: '' });
    assert.deepEqual((await admin.get(`/api/user/al@${D}`)).body._data.aliases, []);
    assert.deepEqual(await p.userAliasAddresses(`al@${D}`), []);
    if (onLdap) assert.deepEqual(await p.addressesOf(`al@${D}`), ['al@alias-of-users.test'], 'the alias-domain address stays');
    // POST may set aliases too (fixed in iRedAdmin-Pro-SQL 2.7.0).
    await createUser(`al2@${D}`, { aliases: `al2-alias@${D}` });
    assert.deepEqual((await admin.get(`/api/user/al2@${D}`)).body._data.aliases, [`al2-alias@${D}`]);
  });

  test('services: reset, add, remove map to the enable<service> columns; unknown names are ignored', async () => {
    await createUser(`svc@${D}`);
    const cols = async () => {
      const u = (await mailbox(`svc@${D}`))!;
      return Object.fromEntries(['enablesmtp', 'enablesmtpsecured', 'enablepop3', 'enablepop3secured', 'enableimap', 'enableimapsecured', 'enableimaptls', 'enabledeliver', 'enablelmtp', 'enablemanagesieve', 'enablesieve', 'enablesogo', 'enabledoveadm', 'enablequota-status', 'enablesogowebmail'].map((c) => [c, u.services[c]]));
    };
    assert.deepEqual((await admin.put(`/api/user/svc@${D}`, { services: 'smtp,imap,imapsecured,deliver,vpn' })).body, ok);
    assert.deepEqual(await cols(), { enablesmtp: 1, enablesmtpsecured: 0, enablepop3: 0, enablepop3secured: 0, enableimap: 1, enableimapsecured: 1, enableimaptls: 1, enabledeliver: 1, enablelmtp: 1, enablemanagesieve: 0, enablesieve: 0, enablesogo: 0, enabledoveadm: 1, 'enablequota-status': 1, enablesogowebmail: 'y' });
    await admin.put(`/api/user/svc@${D}`, { addService: 'pop3,managesieve,owncloud' });
    await admin.put(`/api/user/svc@${D}`, { removeService: 'imapsecured,sogowebmail' });
    assert.deepEqual(await cols(), { enablesmtp: 1, enablesmtpsecured: 0, enablepop3: 1, enablepop3secured: 0, enableimap: 1, enableimapsecured: 0, enableimaptls: 0, enabledeliver: 1, enablelmtp: 1, enablemanagesieve: 1, enablesieve: 1, enablesogo: 0, enabledoveadm: 1, 'enablequota-status': 1, enablesogowebmail: 'n' });
    assert.deepEqual((await admin.put(`/api/user/svc@${D}`, { services: 'smtp', removeService: 'imap' })).body, refused('CONFLICTING_PARAMETERS'));
  });

  test('BCC: senderBcc / recipientBcc set rows, empty removes them', async () => {
    await createUser(`bcc@${D}`);
    await admin.put(`/api/user/bcc@${D}`, { senderBcc: 'Out@Archive.test', recipientBcc: 'in@archive.test' });
    assert.equal(await p.userBcc('sender', `bcc@${D}`), 'out@archive.test');
    assert.equal(await p.userBcc('recipient', `bcc@${D}`), 'in@archive.test');
    const data = (await admin.get(`/api/user/bcc@${D}`)).body._data;
    assert.deepEqual([data.sender_bcc_address, data.sbcc_active, data.recipient_bcc_address, data.rbcc_active], ['out@archive.test', 1, 'in@archive.test', 1]);
    await admin.put(`/api/user/bcc@${D}`, { recipientBcc: '' });
    assert.equal(await p.userBcc('recipient', `bcc@${D}`), undefined, 'recipientBcc alone works (the original failed with a 500)');
    assert.equal(await p.userBcc('sender', `bcc@${D}`), 'out@archive.test');
    await admin.put(`/api/user/bcc@${D}`, { senderBcc: '' });
    assert.equal(await p.userBcc('sender', `bcc@${D}`), undefined);
    if (onLdap) assert.equal((await entryOf(`bcc@${D}`)).usersenderbccaddress, undefined);
  });

  test('mailboxFormat, mailboxFolder and maildir (absolute path split into three columns)', async () => {
    await createUser(`md@${D}`, { mailboxFormat: 'mdbox', mailboxFolder: 'Mail', maildir: '/var/vmail/vmail1/Custom/Path/md' });
    const columns = async () => (await admin.get(`/api/user/md@${D}`)).body._data;
    let user = await mailbox(`md@${D}`);
    let data = await columns();
    assert.deepEqual([user!.mailboxformat, user!.mailboxfolder, user!.home], ['mdbox', 'Mail', '/var/vmail/vmail1/custom/path/md/']);
    assert.deepEqual([data.mailboxformat, data.mailboxfolder, data.storagebasedirectory, data.storagenode, data.maildir], ['mdbox', 'Mail', '/var/vmail', 'vmail1', 'custom/path/md/']);
    await admin.put(`/api/user/md@${D}`, { maildir: '/srv/mail/node2/users.test/m/d/_/md/', mailboxFormat: 'sdbox' });
    user = await mailbox(`md@${D}`);
    data = await columns();
    assert.deepEqual([user!.mailboxformat, user!.home], ['sdbox', '/srv/mail/node2/users.test/m/d/_/md/']);
    assert.deepEqual([data.mailboxformat, data.storagebasedirectory, data.storagenode, data.maildir], ['sdbox', '/srv/mail', 'node2', 'users.test/m/d/_/md/']);
    for (const [params, code] of [
      [{ mailboxFormat: 'mbox' }, 'INVALID_PARAMETER'],
      [{ mailboxFolder: 'Mail/../..' }, 'INVALID_PARAMETER'],
      [{ mailboxFolder: '' }, 'INVALID_PARAMETER'],
      [{ maildir: 'relative/path' }, 'INVALID_PARAMETER'],
      [{ maildir: '/var/vmail/vmail1/../../etc' }, 'INVALID_PARAMETER'],
      [{ maildir: '/var/vmail' }, 'INVALID_PARAMETER'],
    ] as [Record<string, string>, string][]) {
      assert.deepEqual((await admin.put(`/api/user/md@${D}`, params)).body, refused(code), JSON.stringify(params));
    }
  });

  test('DELETE with keep_mailbox_days: deleted_mailboxes row and the whole cascade, policy rows included', async () => {
    await createUser(`gone@${D}`, { aliases: `gone-alias@${D}`, senderBcc: 'x@archive.test', forwarding: `gone@${D},ext@other.test` });
    await createUser(`keeper@${D}`, { senderBcc: `gone@${D}` });
    await admin.put(`/api/domain/${D}`, { catchall: `gone@${D}` });
    await admin.put(`/api/domain/admins/${D}`, { addAdmin: `gone@${D}` });
    await p.addAliasMember(`all@${D}`, `gone@${D}`);
    await p.setUsage(`gone@${D}`, { bytes: 5000, messages: 5, imap: 1, pop3: 1, lda: 1 });
    if (!onLdap) {
      await h.vmail.insertInto('moderators').values({ address: `all@${D}`, moderator: `gone@${D}`, domain: D, dest_domain: D }).execute();
      await h.vmail.insertInto('sender_relayhost').values({ account: `gone@${D}`, relayhost: '[relay.test]:25' }).execute();
    }
    await h.iredapd.insertInto('throttle').values({ account: `gone@${D}`, kind: 'outbound', priority: 100, period: 60, msg_size: -1, max_msgs: 5, max_quota: -1, max_rcpts: -1 }).execute();
    await h.iredapd.insertInto('greylisting').values({ account: `gone@${D}`, priority: 100, sender: '@.', sender_priority: 0, comment: '', active: 1 }).execute();
    await h.amavisd.insertInto('users').values({ email: Buffer.from(`gone@${D}`), priority: 10, policy_id: 0 }).execute();
    await h.amavisd.insertInto('policy').values({ policy_name: `gone@${D}` }).execute();
    const delivering = (await p.deliveringTo([`gone@${D}`])).map(([account]) => account);
    assert.ok(delivering.includes(`all@${D}`), `an alias member before: ${delivering}`);
    assert.ok(delivering.includes(`@${D}`) || delivering.includes(D), `the catch-all target before: ${delivering}`);

    assert.deepEqual((await admin.delete(`/api/user/gone@${D}/keep_mailbox_days/30`)).body, ok);
    assert.equal(await mailbox(`gone@${D}`), undefined);
    const deleted = await p.deletedMailboxes({ username: `gone@${D}` });
    assert.equal(deleted.length, 1);
    assert.match(deleted[0]!.maildir, /^\/var\/vmail\/vmail1\/users\.test\/g\/o\/n\/gone-\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\/$/, 'absolute maildir');
    assert.deepEqual([deleted[0]!.admin, deleted[0]!.domain], [GLOBAL_ADMIN.username, D]);
    assert.equal(deleted[0]!.delete_date, new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
    if (!onLdap) {
      // vmail.deleted_mailboxes also keeps the size; iredadmin's (LDAP) has no such columns.
      const [row] = await rows('deleted_mailboxes', 'username', `gone@${D}`);
      assert.deepEqual([Number(row!.bytes), Number(row!.messages)], [5000, 5]);
    }
    assert.deepEqual(await p.deliveringTo([`gone@${D}`]), [], 'aliases, alias memberships and catch-all targets');
    assert.deepEqual(await p.aliasMemberships(`gone@${D}`), []);
    assert.deepEqual(await p.catchall(D), []);
    assert.equal(await mailbox(`gone-alias@${D}`), undefined);
    assert.deepEqual(await p.adminDomains(`gone@${D}`), [], 'no longer an admin of the domain');
    assert.equal(await p.userBcc('sender', `keeper@${D}`), undefined, 'a BCC to the deleted address goes');
    assert.equal(await p.usageRows(`gone@${D}`), 0, 'used_quota and last_login rows');
    if (!onLdap) {
      for (const [table, column] of [['domain_admins', 'username'], ['sender_bcc_user', 'username'], ['sender_bcc_user', 'bcc_address'], ['moderators', 'moderator'], ['sender_relayhost', 'account']]) {
        assert.deepEqual(await rows(table!, column!, `gone@${D}`), [], `${table}.${column}`);
      }
    }
    assert.deepEqual(await h.iredapd.selectFrom('throttle').selectAll().where('account', '=', `gone@${D}`).execute(), []);
    assert.deepEqual(await h.iredapd.selectFrom('greylisting').selectAll().where('account', '=', `gone@${D}`).execute(), []);
    assert.deepEqual(await h.amavisd.selectFrom('users').selectAll().where('email', '=', Buffer.from(`gone@${D}`)).execute(), []);
    assert.deepEqual(await h.amavisd.selectFrom('policy').selectAll().where('policy_name', '=', `gone@${D}`).execute(), []);
    assert.deepEqual((await admin.delete(`/api/user/gone@${D}`)).body, ok, 'deleting what is gone succeeds');
    await createUser(`forever@${D}`);
    await admin.delete(`/api/user/forever@${D}`);
    assert.equal((await p.deletedMailboxes({ username: `forever@${D}` }))[0]!.delete_date, null, 'no days: kept forever');
  });

  test('change_email moves every reference (fix #16); the maildir stays', async () => {
    const old = `old@${D}`;
    const now = `new@${D}`;
    await createUser(old, { aliases: `old-alias@${D}`, senderBcc: 's@archive.test', recipientBcc: 'r@archive.test', forwarding: `${old},fw@other.test` });
    await createUser(`watcher@${D}`, { forwarding: old, senderBcc: old });
    await admin.put(`/api/domain/admins/${D}`, { addAdmin: old });
    if (!onLdap) {
      await h.vmail.insertInto('moderators').values({ address: `all@${D}`, moderator: old, domain: D, dest_domain: D }).execute();
      await h.vmail.insertInto('maillist_owners').values({ address: `list@${D}`, owner: old, domain: D, dest_domain: D }).execute();
      await h.vmail.insertInto('sender_relayhost').values({ account: old, relayhost: '[r.test]:587' }).execute();
    }
    await p.setUsage(old, { bytes: 77, messages: 7, imap: 1700000000, pop3: null, lda: null });
    await p.addAliasMember(`all@${D}`, old);
    await h.iredapd.insertInto('throttle').values({ account: old, kind: 'inbound', priority: 100, period: 60, msg_size: -1, max_msgs: 9, max_quota: -1, max_rcpts: -1 }).execute();
    await h.iredapd.insertInto('greylisting').values({ account: old, priority: 100, sender: '@.', sender_priority: 0, comment: '', active: 0 }).execute();
    await h.iredapd.insertInto('greylisting_whitelists').values({ account: old, sender: '@friend.test', comment: '' }).execute();
    await h.amavisd.insertInto('policy').values({ policy_name: old }).execute();
    await h.amavisd.insertInto('users').values({ email: Buffer.from(old), priority: 10, policy_id: 0 }).execute();
    const home = (await mailbox(old))!.home;

    assert.deepEqual((await admin.post(`/api/user/${old}/change_email/${now}`)).body, ok);
    assert.equal(await mailbox(old), undefined);
    const moved = await mailbox(now);
    assert.equal(moved!.home, home, 'the maildir path is not changed');
    assert.deepEqual(await p.forwardingTargets(now), ['fw@other.test', now]);
    const reaching = new Set([...(await p.deliveringTo([now])).map(([account]) => account), ...(await p.userAliasAddresses(now))]);
    assert.deepEqual([...reaching].sort(), [`all@${D}`, now, `old-alias@${D}`, `watcher@${D}`]);
    assert.deepEqual(await p.deliveringTo([old]), []);
    assert.deepEqual(await p.userAliasAddresses(now), [`old-alias@${D}`]);
    assert.deepEqual(await p.adminDomains(now), [D]);
    assert.deepEqual(await p.adminDomains(old), []);
    assert.equal(await p.userBcc('sender', now), 's@archive.test');
    assert.equal(await p.userBcc('recipient', now), 'r@archive.test');
    assert.equal(await p.userBcc('sender', `watcher@${D}`), now, "another user's BCC address follows");
    assert.equal(await p.usageRows(now), 2, 'used_quota and last_login follow');
    assert.equal(await p.usageRows(old), 0);
    if (!onLdap) {
      const pairs: [string, string][] = [['domain_admins', 'username'], ['sender_bcc_user', 'username'], ['recipient_bcc_user', 'username'], ['used_quota', 'username'], ['last_login', 'username'], ['sender_relayhost', 'account'], ['moderators', 'moderator'], ['maillist_owners', 'owner'], ['sender_bcc_user', 'bcc_address']];
      for (const [table, column] of pairs) {
        assert.deepEqual(await rows(table, column, old), [], `${table}.${column} no longer has the old address`);
        assert.equal((await rows(table, column, now)).length, 1, `${table}.${column} has the new address`);
      }
    } else {
      const entry = await entryOf(now);
      assert.deepEqual([entry.mail, entry.uid, entry.sn], [[now], ['new'], ['new']], 'the entry under its new DN, uid and sn following');
      assert.deepEqual(await p.addressesOf(now), [`new@alias-of-users.test`, `old-alias@${D}`], 'the alias-domain address follows the new local part');
    }
    assert.equal((await admin.get(`/api/user/${now}`)).body._data.stored_bytes, 77);
    assert.equal((await h.iredapd.selectFrom('throttle').select('account').where('account', '=', now).execute()).length, 1);
    assert.equal((await h.iredapd.selectFrom('greylisting').select('account').where('account', '=', now).execute()).length, 1);
    assert.equal((await h.iredapd.selectFrom('greylisting_whitelists').select('account').where('account', '=', now).execute()).length, 1);
    assert.equal((await h.amavisd.selectFrom('policy').select('id').where('policy_name', '=', now).execute()).length, 1);
    assert.equal((await h.amavisd.selectFrom('users').select('id').where('email', '=', Buffer.from(now)).execute()).length, 1);
    assert.deepEqual(await h.iredapd.selectFrom('throttle').select('account').where('account', '=', old).execute(), []);
    const renamed = await h.loggedIn(now, PW);
    assert.equal((await renamed.get(`/api/domain/${D}`)).body._success, true, 'still an admin of the domain under its new address');

    const before = await state();
    assert.deepEqual((await admin.post(`/api/user/${now}/change_email/x@other.test`)).body, refused('PERMISSION_DENIED'), 'another domain');
    assert.deepEqual((await admin.post(`/api/user/missing@${D}/change_email/x@${D}`)).body, refused('OLD_EMAIL_NOT_EXIST'));
    assert.deepEqual((await admin.post(`/api/user/${now}/change_email/watcher@${D}`)).body, refused('NEW_EMAIL_ALREADY_EXISTS'));
    assert.deepEqual((await admin.post(`/api/user/${now}/change_email/old-alias@${D}`)).body, refused('NEW_EMAIL_ALREADY_EXISTS'), 'a per-user alias is taken too');
    assert.deepEqual((await admin.post(`/api/user/${now}/change_email/a+b@${D}`)).body, refused('INVALID_NEW_EMAIL'));
    assert.deepEqual((await admin.post(`/api/user/${now}/change_email/not-an-address`)).body, refused('INVALID_NEW_EMAIL'));
    assert.deepEqual((await admin.post(`/api/user/x+y@${D}/change_email/z@${D}`)).body, refused('INVALID_OLD_EMAIL'));
    assert.deepEqual(await state(), before);
  });
  test('GET /api/users/<domain>: rows without hashes, last_login and used_quota, email_only, disabled_only, paging, q', async () => {
    await admin.post('/api/domain/list.test', {});
    for (const name of ['carol', 'alice', 'bob', 'dave', 'pct', 'under_score']) await createUser(`${name}@list.test`, { name: name === 'pct' ? '100% SURE' : name.toUpperCase() });
    await p.setUsage('bob@list.test', { bytes: 10, messages: 1, imap: 100, pop3: null, lda: 300 });
    await admin.put('/api/user/dave@list.test', { accountStatus: 'disabled' });
    const res = await admin.get('/api/users/list.test');
    assert.equal(res.body._success, true);
    const list = res.body._data as Record<string, any>[];
    assert.deepEqual(list.map((u) => u.username), ['alice@list.test', 'bob@list.test', 'carol@list.test', 'dave@list.test', 'pct@list.test', 'under_score@list.test']);
    assert.ok(list.every((u) => !('password' in u)), 'no password column (fix #6)');
    assert.ok(!JSON.stringify(res.body).includes('{SSHA512}'));
    const bob = list[1]!;
    assert.deepEqual(bob.last_login, { imap: 100, pop3: 0, lda: 300 });
    assert.deepEqual(bob.used_quota, { bytes: 10, messages: 1 });
    assert.deepEqual(list[0]!.used_quota, { bytes: 0, messages: 0 });
    assert.equal(bob.name, 'BOB');
    assert.match(bob.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(res.body._total, 6);
    assert.deepEqual((await admin.get('/api/users/list.test', { email_only: 'no' })).body._data, list.map((u) => u.username), 'flags count when present');
    assert.deepEqual((await admin.get('/api/users/list.test', { email_only: '', disabled_only: '' })).body._data, ['dave@list.test']);
    const page2 = (await admin.get('/api/users/list.test', { email_only: '', page: '2', limit: '2' })).body;
    assert.deepEqual(page2._data, ['carol@list.test', 'dave@list.test']);
    assert.equal(page2._total, 6);
    const found = (await admin.get('/api/users/list.test', { q: 'AR', page: '1' })).body;
    assert.deepEqual(found._data.map((u: any) => u.username), ['carol@list.test']);
    assert.equal(found._total, 1);
    assert.deepEqual((await admin.get('/api/users/list.test', { q: '%', email_only: '' })).body._data, ['pct@list.test'], '% is matched literally (in the name)');
    assert.deepEqual((await admin.get('/api/users/list.test', { q: '_', email_only: '' })).body._data, ['under_score@list.test'], '_ is matched literally');
    assert.deepEqual((await admin.get('/api/users/missing.test')).body, refused('INVALID_DOMAIN_NAME'));
  });

  test('PUT /api/users/<domain>: every user at once, one shared hash, policy and EMPTY_PASSWORD', async () => {
    await admin.post('/api/domain/bulk.test', {});
    for (const name of ['b1', 'b2', 'b3']) await createUser(`${name}@bulk.test`);
    await createUser('outside@other.test');
    const before = await state();
    assert.deepEqual((await admin.put('/api/users/bulk.test', { password: '' })).body, refused('EMPTY_PASSWORD'));
    assert.deepEqual((await admin.put('/api/users/bulk.test', { password: '   ' })).body, refused('EMPTY_PASSWORD'));
    assert.deepEqual((await admin.put('/api/users/bulk.test', { password: 'weakpass' })).body, refused('PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR'));
    assert.deepEqual((await admin.put('/api/users/bulk.test', { language: 'x;y' })).body, refused('INVALID_LANGUAGE'));
    assert.deepEqual(await state(), before);
    assert.deepEqual((await admin.put('/api/users/bulk.test', { password: 'Bulk!Pass1', language: 'sv_SE', transport: 'dovecot', name: 'Same', accountStatus: 'disabled' })).body, ok);
    const users = await p.mailUsers('bulk.test');
    assert.equal(users.length, 3);
    assert.equal(new Set(users.map((u) => u.passwordHash)).size, 1, 'hashed once: every user shares one hash string');
    assert.equal(await verifyPassword('Bulk!Pass1', users[0]!.passwordHash), true);
    assert.ok(users.every((u) => u.language === 'sv_SE' && u.transport === 'dovecot' && u.name === 'Same' && u.active === 0));
    if (!onLdap) assert.deepEqual((await forwardingRows({ address: 'b1@bulk.test' })).map((r) => r.active), [0], 'forwardings follow the status');
    const outside = await mailbox('outside@other.test');
    assert.equal(await verifyPassword(PW, outside!.passwordHash), true, 'other domains untouched');
    assert.equal(outside!.active, 1);
    await admin.put('/api/users/bulk.test', { accountStatus: 'active' });
    assert.ok((await p.mailUsers('bulk.test')).every((u) => u.active === 1));
    if (!onLdap) assert.deepEqual((await forwardingRows({ address: 'b1@bulk.test' })).map((r) => r.active), [1]);
    assert.deepEqual((await admin.put('/api/users/nowhere.test', { name: 'x' })).body, ok, 'a missing domain: success, nothing written');
    // An empty name alone is a change too: SQL stores it empty, LDAP (inetOrgPerson needs a cn) the local part.
    assert.deepEqual((await admin.put('/api/users/bulk.test', { name: '' })).body, ok);
    const names = (await p.mailUsers('bulk.test')).map((u) => [u.username, u.name]);
    assert.deepEqual(names, ['b1', 'b2', 'b3'].map((local) => [`${local}@bulk.test`, onLdap ? local : '']));
  });

  test('verify_password: exact replies for user and admin', async () => {
    await createUser(`vp@${D}`);
    const user = (body: Record<string, string>) => admin.post(`/api/verify_password/user/vp@${D}`, body);
    assert.deepEqual((await user({ password: PW })).body, { _success: true });
    assert.deepEqual((await user({ password: 'wrong' })).body, { _success: false }, 'no _msg on a wrong password');
    const hash = (await mailbox(`vp@${D}`))!.passwordHash;
    assert.deepEqual((await user({ password: hash })).body, { _success: false }, 'the stored hash is not a password (fix #5)');
    assert.deepEqual((await user({ password: '' })).body, refused('EMPTY_PASSSWORD'));
    assert.deepEqual((await user({})).body, refused('EMPTY_PASSSWORD'));
    assert.deepEqual((await admin.post(`/api/verify_password/user/nobody@${D}`, { password: PW })).body, refused('NO_SUCH_ACCOUNT'));
    const adminCheck = (mail: string, password: string) => admin.post(`/api/verify_password/admin/${mail}`, { password });
    assert.deepEqual((await adminCheck(GLOBAL_ADMIN.username, GLOBAL_ADMIN.password)).body, { _success: true });
    assert.deepEqual((await adminCheck(GLOBAL_ADMIN.username, 'nope')).body, { _success: false });
    assert.deepEqual((await adminCheck(`vp@${D}`, PW)).body, refused('NO_SUCH_ACCOUNT'), 'a mail user is not a standalone admin');
    assert.deepEqual((await admin.get(`/api/verify_password/user/vp@${D}`)).body, refused('INVALID_HTTP_METHOD'));
  });

  test('LDAP: hashes stored in the forms slapd verifies (auth_bind = yes); PLAIN and CRAM-MD5 refused, nothing changed', { skip: onLdap ? false : 'LDAP only: SQL stores every scheme as Dovecot names it' }, async () => {
    await createUser(`form@${D}`);
    // The deployment's DEFAULT_PASSWORD_SCHEME, changed per request (the harness shares its config).
    const withScheme = async <T>(scheme: string, work: () => Promise<T>): Promise<T> => {
      const previous = h.config.defaultPasswordScheme;
      h.config.defaultPasswordScheme = scheme;
      try {
        return await work();
      } finally {
        h.config.defaultPasswordScheme = previous;
      }
    };
    const forms: [string, RegExp][] = [['BCRYPT', /^\{CRYPT\}\$2b\$/], ['SHA512-CRYPT', /^\{CRYPT\}\$6\$/], ['PLAIN-MD5', /^\{MD5\}[A-Za-z0-9+/]{22}==$/], ['MD5', /^\{CRYPT\}\$1\$/], ['SSHA512', /^\{SSHA512\}/]];
    for (const [scheme, form] of forms) {
      assert.deepEqual((await withScheme(scheme, () => admin.put(`/api/user/form@${D}`, { password: PW }))).body, ok, scheme);
      assert.match((await mailbox(`form@${D}`))!.passwordHash, form, scheme);
      assert.deepEqual((await admin.post(`/api/verify_password/user/form@${D}`, { password: PW })).body, ok, `verify_password after ${scheme}`);
      assert.deepEqual((await admin.post(`/api/verify_password/user/form@${D}`, { password: PW + 'x' })).body, { _success: false }, `wrong password after ${scheme}`);
    }
    assert.deepEqual((await admin.post(`/api/user/sha-crypt@${D}`, { password_hash: '{SHA512-CRYPT}$6$saltsalt$' + 'a'.repeat(86) })).body, ok);
    assert.equal((await mailbox(`sha-crypt@${D}`))!.passwordHash, '{CRYPT}$6$saltsalt$' + 'a'.repeat(86));

    const before = await state();
    for (const hash of ['{PLAIN}Plain1!pw', `{CRAM-MD5}${'0'.repeat(64)}`, `{NTLM}${'0'.repeat(32)}`]) {
      assert.deepEqual((await admin.post(`/api/user/refused@${D}`, { password_hash: hash })).body, refused('INVALID_PASSWORD_SCHEME'), `POST ${hash}`);
      assert.deepEqual((await admin.put(`/api/user/form@${D}`, { password_hash: hash, name: 'Changed' })).body, refused('INVALID_PASSWORD_SCHEME'), `PUT ${hash}`);
    }
    for (const scheme of ['PLAIN', 'CRAM-MD5']) {
      await withScheme(scheme, async () => {
        assert.deepEqual((await admin.post(`/api/user/refused@${D}`, { password: PW })).body, refused('INVALID_PASSWORD_SCHEME'), `POST user, ${scheme}`);
        assert.deepEqual((await admin.put(`/api/user/form@${D}`, { password: PW, name: 'Changed' })).body, refused('INVALID_PASSWORD_SCHEME'), `PUT user, ${scheme}`);
        assert.deepEqual((await admin.put(`/api/users/${D}`, { password: PW })).body, refused('INVALID_PASSWORD_SCHEME'), `PUT users, ${scheme}`);
        assert.deepEqual((await admin.post('/api/admin/refused@admins.test', { password: PW })).body, refused('INVALID_PASSWORD_SCHEME'), `POST admin, ${scheme}`);
        assert.deepEqual((await admin.put(`/api/admin/${GLOBAL_ADMIN.username}`, { password: PW, name: 'Changed' })).body, refused('INVALID_PASSWORD_SCHEME'), `PUT admin, ${scheme}`);
      });
    }
    assert.deepEqual(await state(), before);
  });

  test('bad input on every user route: a code, HTTP < 500, storage unchanged', async () => {
    await createUser(`bad@${D}`);
    const tables = [...VMAIL_TABLES, 'moderators', 'used_quota', 'last_login'];
    const everything = () => (onLdap ? state() : snapshot(h.vmail, tables));
    const before = await everything();
    const cases: [string, string, Record<string, string>, string][] = [
      ['GET', '/api/user/not-an-address', {}, 'INVALID_MAIL'],
      ['GET', "/api/user/x'--@users.test", {}, 'INVALID_MAIL'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, quota: 'lots' }, 'INVALID_QUOTA_SIZE'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, quota: '-1' }, 'INVALID_QUOTA_SIZE'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, language: "en'; drop table mailbox" }, 'INVALID_LANGUAGE'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, name: 'x'.repeat(300) }, 'INVALID_PARAMETER'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, transport: 'smtp:[x] ; rm -rf' }, 'INVALID_TRANSPORT'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, forwarding: "a@b.test,' OR 1=1" }, 'INVALID_MAIL'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, aliases: `bad alias@${D}` }, 'INVALID_MAIL'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, senderBcc: 'nope' }, 'INVALID_MAIL'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, mailboxFormat: 'mbox' }, 'INVALID_PARAMETER'],
      ['POST', `/api/user/fresh@${D}`, { password: 'x'.repeat(2000) }, 'INVALID_PARAMETER'],
      ['POST', `/api/user/fresh@${D}`, { password: PW, aliases: 'x@other.test' }, 'ADDRESS_OUTSIDE_DOMAIN'],
      ['PUT', `/api/user/bad@${D}`, { quota: '1.5' }, 'INVALID_QUOTA_SIZE'],
      ['PUT', `/api/user/bad@${D}`, { employeeid: 'e'.repeat(256) }, 'INVALID_PARAMETER'],
      ['PUT', `/api/user/bad@${D}`, { recipientBcc: 'a@b@c' }, 'INVALID_MAIL'],
      ['PUT', `/api/user/bad@${D}`, { forwarding: 'x@y.test', removeForwarding: 'x@y.test' }, 'CONFLICTING_PARAMETERS'],
      ['PUT', `/api/user/bad@${D}`, { password: 'Aa1!', name: 'changed' }, 'PW_SHORTER_THAN_MIN_LENGTH'],
      ['PUT', `/api/user/bad@${D}`, { addAlias: `taken@${D}`, name: 'changed' }, 'ALREADY_EXISTS'],
      ['DELETE', `/api/user/bad@${D}/keep_mailbox_days/abc`, {}, 'INVALID_PARAMETER'],
      ['DELETE', `/api/user/bad@${D}/keep_mailbox_days/-3`, {}, 'INVALID_PARAMETER'],
      ['POST', `/api/user/bad@${D}/change_email/bad@${D}`, {}, 'NEW_EMAIL_ALREADY_EXISTS'],
      ['POST', `/api/user/bad@${D}/change_email/x@@${D}`, {}, 'INVALID_NEW_EMAIL'],
      ['GET', '/api/users/no_tld', {}, 'INVALID_DOMAIN_NAME'],
      ['GET', `/api/users/${D}`, { page: '0' }, 'INVALID_PARAMETER'],
      ['GET', `/api/users/${D}`, { limit: 'all' }, 'INVALID_PARAMETER'],
      ['GET', `/api/users/${D}`, { limit: '100000' }, 'INVALID_PARAMETER'],
      ['PUT', `/api/users/${D}`, { transport: 'bad transport' }, 'INVALID_TRANSPORT'],
      ['PUT', '/api/users/bad!domain.test', {}, 'INVALID_DOMAIN_NAME'],
      ['POST', '/api/verify_password/user/not-an-address', { password: 'x' }, 'INVALID_MAIL'],
      ['POST', `/api/verify_password/admin/x@${D}`, { password: 'p'.repeat(2000) }, 'INVALID_PARAMETER'],
    ];
    for (const [method, path, params, code] of cases) {
      const res = await admin.call(method, path, params);
      assert.ok(res.status < 500, `${method} ${path}: ${res.status}`);
      assert.deepEqual(res.body, refused(code), `${method} ${path} ${JSON.stringify(params).slice(0, 80)}`);
    }
    assert.deepEqual(await everything(), before);
  });

  test('SQL rows: forwardings carry domain, dest_domain and flags; BCC rows; statuses follow the user', { skip: SQL_ROWS }, async () => {
    await p.seedAlias(`rows-group@${D}`, 'Rows');
    await p.setDomainSettings(D, { default_groups: [`rows-group@${D}`] });
    await createUser(`rows@${D}`, { aliases: `rows-nick@${D},rows@alias-of-users.test`, senderBcc: 'Out@Archive.test' });
    await p.setDomainSettings(D, {});
    const row = { address: `rows@${D}`, forwarding: `rows@${D}`, domain: D, dest_domain: D, is_forwarding: 0, is_alias: 0, is_list: 0, is_maillist: 0, active: 1 };
    assert.deepEqual(await forwardingRows({ address: `rows@${D}` }), [{ ...row, is_forwarding: 1 }], 'the self row');
    assert.deepEqual(await forwardingRows({ forwarding: `rows@${D}` }), [
      { ...row, address: `rows-group@${D}`, is_list: 1 },
      { ...row, address: `rows-nick@${D}`, is_alias: 1 },
      { ...row, address: 'rows@alias-of-users.test', is_alias: 1 },
      { ...row, is_forwarding: 1 },
    ], 'per-user aliases keep the primary domain; the default group membership');
    await admin.put(`/api/user/rows@${D}`, { forwarding: 'Ext@Elsewhere.test' });
    assert.deepEqual((await forwardingRows({ address: `rows@${D}` })).map((r) => [r.forwarding, r.dest_domain, r.is_forwarding]), [['ext@elsewhere.test', 'elsewhere.test', 1]]);
    assert.deepEqual((await rows('sender_bcc_user', 'username', `rows@${D}`)).map((x) => [x.bcc_address, x.domain, Number(x.active)]), [['out@archive.test', D, 1]]);
    await admin.put(`/api/user/rows@${D}`, { accountStatus: 'disabled' });
    assert.ok((await forwardingRows({ forwarding: `rows@${D}` })).every((r) => r.active === 0), 'rows pointing at the user follow its status');
    assert.ok((await forwardingRows({ address: `rows@${D}` })).every((r) => r.active === 0));
    await admin.put(`/api/user/rows@${D}`, { accountStatus: 'active' });
    assert.ok((await forwardingRows({ forwarding: `rows@${D}` })).every((r) => r.active === 1));
  });
  test('JSON and query-string parameters work as form fields do', async () => {
    assert.deepEqual((await admin.post(`/api/user/json@${D}`, { password: PW, name: 'Json', quota: '5' }, { as: 'json' })).body, ok);
    assert.equal((await mailbox(`json@${D}`))!.name, 'Json');
    assert.deepEqual((await admin.put(`/api/user/json@${D}`, { employeeid: 'Q1' }, { as: 'query' })).body, ok);
    assert.equal((await mailbox(`json@${D}`))!.employeeid, 'Q1');
    await seedMailbox(h, `seeded@${D}`);
    assert.equal((await admin.get(`/api/user/seeded@${D}`)).body._data.username, `seeded@${D}`, 'rows written by other tools read fine');
    assert.deepEqual((await p.domain(D))!.settings, {}, 'the domain settings are untouched by user writes');
  });
});
