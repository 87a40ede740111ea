import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND, snapshot, startHarness, VMAIL_TABLES, type ApiClient, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { parseSettings, serializeSettings } from '#lib/model/settings-codec';

/**
 * Mail aliases: /api/alias/<mail>, /api/alias/<mail>/change_email/<new_mail>,
 * /api/aliases/<domain> (pro-api-behaviour §1.6.3, §1.7, §1.11; storage.md §1.3, §6.4).
 * Storage is read through test/support/probe.ts. On LDAP, alias accessPolicy, moderators and
 * the default_groups domain setting do not exist (SQL-only, pro-api-behaviour §1.14): those
 * checks are skipped there, and a policy other than public is refused instead.
 */
let h: Harness;
let p: Probe;
let admin: ApiClient;
before(async () => {
  h = await startHarness();
  p = probe(h);
  admin = await h.loggedIn();
  await admin.post('/api/domain/alias.test', { name: 'Aliases' });
  await admin.post('/api/domain/limit.test', { numberOfAliases: '10' });
  await admin.post('/api/domain/none.test', { numberOfAliases: '-1' });
  await admin.post('/api/domain/other.test', {});
  for (const user of ['alice@alias.test', 'bob@alias.test', 'carol@other.test']) await seedMailbox(h, user);
});
after(async () => { await h?.close(); });

const TABLES = [...VMAIL_TABLES, 'moderators', 'maillists'];
/** All account storage (on SQL with the alias-only tables too), to compare around refused requests. */
const state = () => (h.ldap ? p.snapshot() : snapshot(h.vmail, TABLES));
const aliasRow = (address: string) => p.alias(address);
const memberRows = async (address: string) => (await p.alias(address))?.members ?? [];
/** The policy a test sets where the backend has one (LDAP: public, the only one it enforces). */
const policy = (name: string) => (h.ldap ? 'public' : name);

describe(`alias API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('POST stores the alias row and one forwardings row per member (is_list=1, domain, dest_domain)', async () => {
    const res = await admin.post('/api/alias/Sales@Alias.test', { name: 'Sales', accessPolicy: policy('membersonly'), members: 'bob@alias.test, Alice+Tag@alias.test,ext@elsewhere.test' });
    assert.deepEqual(res.body, { _success: true });
    const row = await aliasRow('sales@alias.test');
    assert.ok(row, 'stored lower-case');
    assert.deepEqual([row.name, row.accesspolicy, row.domain, row.active], ['Sales', policy('membersonly'), 'alias.test', 1]);
    assert.deepEqual(row.members, [
      { address: 'alice+tag@alias.test', active: 1 }, { address: 'bob@alias.test', active: 1 }, { address: 'ext@elsewhere.test', active: 1 },
    ]);
    if (h.ldap) {
      // The entry Postfix's virtual_alias_maps finds: mailAlias, active, mail+deliver, members in mailForwardingAddress.
      const entry = await p.ldapEntry('alias', 'sales@alias.test');
      assert.deepEqual(entry?.objectclass, ['mailAlias']);
      assert.deepEqual(entry?.mail, ['sales@alias.test']);
      assert.deepEqual(entry?.accountstatus, ['active']);
      assert.deepEqual([...(entry?.enabledservice ?? [])].sort(), ['deliver', 'mail']);
      assert.deepEqual([...(entry?.mailforwardingaddress ?? [])].sort(), ['alice+tag@alias.test', 'bob@alias.test', 'ext@elsewhere.test']);
      assert.equal(entry?.domainstatus, undefined);
      return;
    }
    const members = await h.vmail.selectFrom('forwardings').selectAll().where('address', '=', 'sales@alias.test').orderBy('forwarding').execute();
    assert.deepEqual(
      members.map((r) => [r.forwarding, r.domain, r.dest_domain, Number(r.is_list), Number(r.is_forwarding), Number(r.is_alias), Number(r.is_maillist), Number(r.active)]),
      [
        ['alice+tag@alias.test', 'alias.test', 'alias.test', 1, 0, 0, 0, 1],
        ['bob@alias.test', 'alias.test', 'alias.test', 1, 0, 0, 0, 1],
        ['ext@elsewhere.test', 'alias.test', 'elsewhere.test', 1, 0, 0, 0, 1],
      ],
    );
  });

  test('LDAP: accessPolicy other than public is NOT_SUPPORTED_BY_BACKEND and changes nothing; public and empty are accepted', { skip: BACKEND !== 'ldap' && 'LDAP only' }, async () => {
    const before = await state();
    assert.deepEqual((await admin.post('/api/alias/policy@alias.test', { accessPolicy: 'membersonly' })).body, { _success: false, _msg: 'NOT_SUPPORTED_BY_BACKEND' });
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { name: 'changed', accessPolicy: 'domain', addMember: 'carol@other.test' })).body, { _success: false, _msg: 'NOT_SUPPORTED_BY_BACKEND' });
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { accessPolicy: 'nonsense' })).body, { _success: false, _msg: 'INVALID_ACCESS_POLICY' });
    assert.deepEqual(await state(), before);
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { accessPolicy: 'public' })).body, { _success: true });
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { accessPolicy: '' })).body, { _success: true });
    assert.equal((await admin.get('/api/alias/sales@alias.test')).body._data.accesspolicy, 'public');
  });

  test('LDAP: a new alias gets a shadowAddress per alias domain, and domainStatus while its domain is disabled', { skip: BACKEND !== 'ldap' && 'LDAP only' }, async () => {
    await admin.post('/api/domain/shadow.test', {});
    await admin.put('/api/domain/shadow.test', { aliasDomains: 'shadow-alias.test' });
    assert.deepEqual((await admin.post('/api/alias/team@shadow.test', { members: 'ext@elsewhere.test' })).body, { _success: true });
    assert.deepEqual((await p.ldapEntry('alias', 'team@shadow.test'))?.shadowaddress, ['team@shadow-alias.test']);
    await admin.put('/api/domain/shadow.test', { accountStatus: 'disabled' });
    assert.deepEqual((await admin.post('/api/alias/late@shadow.test', {})).body, { _success: true });
    assert.deepEqual((await p.ldapEntry('alias', 'late@shadow.test'))?.domainstatus, ['disabled']);
    assert.deepEqual((await p.ldapEntry('alias', 'team@shadow.test'))?.domainstatus, ['disabled'], 'the domain store marks existing aliases');
    assert.deepEqual((await admin.delete('/api/domain/shadow.test')).body, { _success: true });
  });

  test('POST defaults: public policy, no members, empty name; legacy `cn`; policy names are case-insensitive', async () => {
    await admin.post('/api/alias/empty@alias.test', {});
    let row = await aliasRow('empty@alias.test');
    assert.deepEqual([row?.name, row?.accesspolicy], ['', 'public']);
    assert.equal((await memberRows('empty@alias.test')).length, 0, 'an alias without members has no member rows or values');
    await admin.post('/api/alias/legacy@alias.test', { cn: 'Legacy', accessPolicy: h.ldap ? 'Public' : 'MembersAndModeratorsOnly', accountStatus: 'disabled' });
    row = await aliasRow('legacy@alias.test');
    assert.deepEqual([row?.name, row?.accesspolicy, row?.active], ['Legacy', policy('membersandmoderatorsonly'), 1], 'a new alias is always active (as the original)');
  });

  test('POST refusals: taken address, missing domain, NOT_ALLOWED, missing local member, unknown policy — nothing stored', async () => {
    await p.addUserAliasAddress('alice@alias.test', 'useralias@alias.test');
    await p.seedMlmmjList('list@alias.test');
    const before = await state();
    const cases: [string, Record<string, string>, string][] = [
      ['alice@alias.test', {}, 'ALREADY_EXISTS'],
      ['sales@alias.test', {}, 'ALREADY_EXISTS'],
      ['useralias@alias.test', {}, 'ALREADY_EXISTS'],
      ['list@alias.test', {}, 'ALREADY_EXISTS'],
      ['x@nowhere.test', {}, 'INVALID_DOMAIN_NAME'],
      ['x@none.test', {}, 'NOT_ALLOWED'],
      ['x@alias.test', { members: 'ghost@alias.test' }, 'NO_SUCH_ACCOUNT'],
      ['x@alias.test', { members: 'bob@alias.test,not an address' }, 'INVALID_MAIL'],
      ['x@alias.test', { accessPolicy: 'everyone' }, 'INVALID_ACCESS_POLICY'],
      ['x+y@alias.test', {}, 'INVALID_MAIL'],
    ];
    for (const [address, params, code] of cases) {
      assert.deepEqual((await admin.post(`/api/alias/${address}`, params)).body, { _success: false, _msg: code }, `${address} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await state(), before);
  });

  test('50 parallel creates against numberOfAliases=10 leave exactly 10', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => admin.post(`/api/alias/a${i}@limit.test`, { members: 'ext@elsewhere.test' })));
    assert.equal(results.filter((r) => r.body._success === true).length, 10);
    assert.ok(results.every((r) => r.body._success === true || r.body._msg === 'EXCEEDED_DOMAIN_ACCOUNT_LIMIT'), JSON.stringify(results.map((r) => r.body._msg)));
    const stored = await p.aliasesIn('limit.test');
    assert.equal(stored.length, 10);
    assert.equal((await p.deliveringTo(['ext@elsewhere.test'])).filter(([account]) => account.endsWith('@limit.test')).length, 10, 'no members of refused aliases');
    assert.deepEqual((await admin.post('/api/alias/late@limit.test', {})).body, { _success: false, _msg: 'EXCEEDED_DOMAIN_ACCOUNT_LIMIT' });
  });

  test('50 parallel creates of one address leave one alias and one set of members', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => admin.post('/api/alias/race@alias.test', { members: 'bob@alias.test,ext@elsewhere.test' })));
    assert.equal(results.filter((r) => r.body._success === true).length, 1);
    assert.ok(results.every((r) => r.body._success === true || r.body._msg === 'ALREADY_EXISTS'), JSON.stringify(results.map((r) => r.body._msg)));
    assert.equal((await p.aliasesIn('alias.test')).filter((address) => address === 'race@alias.test').length, 1);
    assert.equal((await memberRows('race@alias.test')).length, 2);
  });

  test('GET: the alias row plus sorted members and moderators; missing: NO_SUCH_ACCOUNT', async () => {
    if (!h.ldap) {
      await h.vmail.insertInto('moderators').values([
        { address: 'sales@alias.test', moderator: 'mod2@alias.test', domain: 'alias.test', dest_domain: 'alias.test' },
        { address: 'sales@alias.test', moderator: 'mod1@elsewhere.test', domain: 'alias.test', dest_domain: 'elsewhere.test' },
      ]).execute();
    }
    const data = (await admin.get('/api/alias/sales@alias.test')).body._data;
    assert.deepEqual(Object.keys(data).sort(), ['accesspolicy', 'active', 'address', 'created', 'domain', 'expired', 'members', 'moderators', 'modified', 'name']);
    assert.deepEqual(data.members, ['alice+tag@alias.test', 'bob@alias.test', 'ext@elsewhere.test']);
    assert.deepEqual(data.moderators, h.ldap ? [] : ['mod1@elsewhere.test', 'mod2@alias.test']);
    assert.equal(data.accesspolicy, policy('membersonly'));
    assert.equal(data.active, 1);
    assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.deepEqual((await admin.get('/api/alias/ghost@alias.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.get('/api/alias/alice@alias.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' }, 'a user is not an alias');
  });

  test('PUT: name, policy, members reset, addMember/removeMember; only what it names changes', async () => {
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { name: 'Sales Team', accessPolicy: policy('domain') })).body, { _success: true });
    let row = await aliasRow('sales@alias.test');
    assert.deepEqual([row?.name, row?.accesspolicy], ['Sales Team', policy('domain')]);
    assert.equal((await memberRows('sales@alias.test')).length, 3, 'members untouched');
    await admin.put('/api/alias/sales@alias.test', { members: 'alice@alias.test,ext@elsewhere.test' });
    assert.deepEqual((await memberRows('sales@alias.test')).map((r) => r.address), ['alice@alias.test', 'ext@elsewhere.test']);
    await admin.put('/api/alias/sales@alias.test', { addMember: 'bob@alias.test,carol@other.test', removeMember: 'ext@elsewhere.test,never@member.test' });
    assert.deepEqual((await memberRows('sales@alias.test')).map((r) => r.address), ['alice@alias.test', 'bob@alias.test', 'carol@other.test']);
    if (!h.ldap) {
      const members = await h.vmail.selectFrom('forwardings').selectAll().where('address', '=', 'sales@alias.test').orderBy('forwarding').execute();
      assert.deepEqual(members.map((r) => [r.forwarding, r.dest_domain, Number(r.is_list)]), [
        ['alice@alias.test', 'alias.test', 1], ['bob@alias.test', 'alias.test', 1], ['carol@other.test', 'other.test', 1],
      ]);
    }
    await admin.put('/api/alias/sales@alias.test', { addMember: 'bob@alias.test' });
    assert.equal((await memberRows('sales@alias.test')).length, 3, 'adding a member twice keeps one row (value)');
    row = await aliasRow('sales@alias.test');
    assert.equal(row?.name, 'Sales Team');
    assert.deepEqual((await admin.put('/api/alias/sales@alias.test', { accessPolicy: '' })).body, { _success: true });
    assert.equal((await aliasRow('sales@alias.test'))?.accesspolicy, 'public', 'empty means public');
  });

  test('PUT accountStatus disables the alias row and its forwardings; members added meanwhile stay disabled; `enabled` disables', async () => {
    await admin.put('/api/alias/sales@alias.test', { accountStatus: 'disabled' });
    assert.equal((await aliasRow('sales@alias.test'))?.active, 0);
    assert.ok((await memberRows('sales@alias.test')).every((r) => r.active === 0));
    await admin.put('/api/alias/sales@alias.test', { addMember: 'new@elsewhere.test' });
    assert.equal((await memberRows('sales@alias.test')).find((r) => r.address === 'new@elsewhere.test')?.active, 0);
    await admin.put('/api/alias/sales@alias.test', { accountStatus: 'active' });
    assert.equal((await aliasRow('sales@alias.test'))?.active, 1);
    assert.ok((await memberRows('sales@alias.test')).every((r) => r.active === 1));
    await admin.put('/api/alias/sales@alias.test', { accountStatus: 'enabled', removeMember: 'new@elsewhere.test' });
    assert.equal((await aliasRow('sales@alias.test'))?.active, 0, '"enabled" is not "active" (as the original)');
    await admin.put('/api/alias/sales@alias.test', { accountStatus: 'active' });
  });

  test('GET /api/aliases/<d>: rows without members, email_only, disabled_only, paging with a total', async () => {
    const all = (await admin.get('/api/aliases/alias.test')).body;
    assert.equal(all._success, true);
    const addresses = all._data.map((a: any) => a.address);
    assert.deepEqual(addresses, ['empty@alias.test', 'legacy@alias.test', 'race@alias.test', 'sales@alias.test']);
    assert.equal(all._total, 4);
    assert.deepEqual(Object.keys(all._data[0]).sort(), ['accesspolicy', 'active', 'address', 'created', 'domain', 'expired', 'modified', 'name']);
    assert.deepEqual((await admin.get('/api/aliases/alias.test', { email_only: '' })).body._data, addresses);
    await admin.put('/api/alias/legacy@alias.test', { accountStatus: 'disabled' });
    assert.deepEqual((await admin.get('/api/aliases/alias.test', { email_only: 'no', disabled_only: 'no' })).body._data, ['legacy@alias.test'], 'flags count when present');
    const page2 = (await admin.get('/api/aliases/alias.test', { email_only: '1', page: '2', limit: '3' })).body;
    assert.deepEqual(page2._data, ['sales@alias.test']);
    assert.equal(page2._total, 4);
    assert.deepEqual((await admin.get('/api/aliases/other.test')).body, { _success: true, _data: [], _total: 0 });
    assert.deepEqual((await admin.get('/api/aliases/nowhere.test')).body, { _success: false, _msg: 'INVALID_DOMAIN_NAME' });
  });

  test('change_email moves the alias row, members, memberships, moderators, default_groups and policy rows', async () => {
    await admin.post('/api/alias/team@alias.test', { members: 'sales@alias.test,alice@alias.test' });
    await p.addForwarding('bob@alias.test', 'sales@alias.test');
    if (!h.ldap) {
      await h.vmail.insertInto('moderators').values({ address: 'team@alias.test', moderator: 'sales@alias.test', domain: 'alias.test', dest_domain: 'alias.test' }).execute();
      const domain = await h.vmail.selectFrom('domain').select('settings').where('domain', '=', 'alias.test').executeTakeFirstOrThrow();
      await h.vmail.updateTable('domain').set({ settings: serializeSettings({ ...parseSettings(domain.settings), default_groups: ['sales@alias.test', 'empty@alias.test'] }) }).where('domain', '=', 'alias.test').execute();
    }
    await h.iredapd.insertInto('throttle').values({ account: 'sales@alias.test', kind: 'inbound', priority: 100, period: 60, msg_size: -1, max_msgs: 5, max_quota: -1, max_rcpts: -1 }).execute();
    await h.amavisd.insertInto('policy').values({ policy_name: 'sales@alias.test' }).execute();
    await h.amavisd.insertInto('users').values({ email: Buffer.from('sales@alias.test'), priority: 10, policy_id: 0 }).execute();

    assert.deepEqual((await admin.post('/api/alias/sales@alias.test/change_email/Deals@alias.test')).body, { _success: true });
    assert.equal(await aliasRow('sales@alias.test'), undefined);
    const moved = await aliasRow('deals@alias.test');
    assert.deepEqual([moved?.name, moved?.domain], ['Sales Team', 'alias.test']);
    assert.deepEqual((await memberRows('deals@alias.test')).map((r) => r.address), ['alice@alias.test', 'bob@alias.test', 'carol@other.test']);
    assert.equal((await memberRows('sales@alias.test')).length, 0);
    assert.deepEqual(await p.deliveringTo(['sales@alias.test', 'deals@alias.test']), [['bob@alias.test', 'deals@alias.test'], ['team@alias.test', 'deals@alias.test']]);
    if (h.ldap) {
      assert.deepEqual((await p.ldapEntry('alias', 'deals@alias.test'))?.mail, ['deals@alias.test'], 'the entry moved to its new DN');
    } else {
      // SQL-only parts: moderators and default_groups.
      const moderators = await h.vmail.selectFrom('moderators').select(['address', 'moderator']).where((eb) => eb.or([eb('address', 'in', ['sales@alias.test', 'deals@alias.test']), eb('moderator', 'in', ['sales@alias.test', 'deals@alias.test'])])).orderBy('moderator').execute();
      assert.deepEqual(moderators.map((r) => [r.address, r.moderator]), [
        ['team@alias.test', 'deals@alias.test'], ['deals@alias.test', 'mod1@elsewhere.test'], ['deals@alias.test', 'mod2@alias.test'],
      ]);
      const settings = parseSettings((await h.vmail.selectFrom('domain').select('settings').where('domain', '=', 'alias.test').executeTakeFirstOrThrow()).settings);
      assert.deepEqual(settings.default_groups, ['deals@alias.test', 'empty@alias.test']);
    }
    assert.equal((await h.iredapd.selectFrom('throttle').selectAll().where('account', '=', 'deals@alias.test').execute()).length, 1);
    assert.equal((await h.iredapd.selectFrom('throttle').selectAll().where('account', '=', 'sales@alias.test').execute()).length, 0);
    assert.equal((await h.amavisd.selectFrom('policy').selectAll().where('policy_name', '=', 'deals@alias.test').execute()).length, 1);
    assert.equal((await h.amavisd.selectFrom('users').selectAll().where('email', '=', Buffer.from('deals@alias.test')).execute()).length, 1);
  });

  test('change_email refusals: other domain, missing old, taken new, invalid new — nothing changed', async () => {
    const before = await state();
    const cases: [string, string][] = [
      ['/api/alias/deals@alias.test/change_email/deals@other.test', 'PERMISSION_DENIED'],
      ['/api/alias/ghost@alias.test/change_email/new@alias.test', 'OLD_EMAIL_NOT_EXIST'],
      ['/api/alias/alice@alias.test/change_email/new@alias.test', 'OLD_EMAIL_NOT_EXIST'],
      ['/api/alias/deals@alias.test/change_email/bob@alias.test', 'NEW_EMAIL_ALREADY_EXISTS'],
      ['/api/alias/deals@alias.test/change_email/team@alias.test', 'NEW_EMAIL_ALREADY_EXISTS'],
      ['/api/alias/deals@alias.test/change_email/useralias@alias.test', 'NEW_EMAIL_ALREADY_EXISTS'],
      ['/api/alias/deals@alias.test/change_email/deals@alias.test', 'NEW_EMAIL_ALREADY_EXISTS'],
      ['/api/alias/deals@alias.test/change_email/a+b@alias.test', 'INVALID_NEW_EMAIL'],
      ['/api/alias/deals@alias.test/change_email/not-an-address', 'INVALID_NEW_EMAIL'],
      ['/api/alias/not-an-address/change_email/x@alias.test', 'INVALID_MAIL'],
    ];
    for (const [path, code] of cases) assert.deepEqual((await admin.post(path)).body, { _success: false, _msg: code }, path);
    assert.deepEqual(await state(), before);
  });

  test('DELETE removes the alias, forwardings to and from it, its moderators, its default_groups entry and policy rows', async () => {
    await h.iredapd.insertInto('greylisting').values({ account: 'deals@alias.test', priority: 100, sender: '@.', sender_priority: 0, active: 0 }).execute();
    assert.deepEqual((await admin.delete('/api/alias/deals@alias.test')).body, { _success: true });
    assert.equal(await aliasRow('deals@alias.test'), undefined);
    assert.deepEqual(await p.deliveringTo(['deals@alias.test']), [], 'nothing delivers to it any more');
    if (!h.ldap) {
      assert.equal((await h.vmail.selectFrom('forwardings').selectAll().where('address', '=', 'deals@alias.test').execute()).length, 0);
      assert.equal((await h.vmail.selectFrom('moderators').selectAll().where((eb) => eb.or([eb('address', '=', 'deals@alias.test'), eb('moderator', '=', 'deals@alias.test')])).execute()).length, 0, 'no orphaned moderators');
      const settings = parseSettings((await h.vmail.selectFrom('domain').select('settings').where('domain', '=', 'alias.test').executeTakeFirstOrThrow()).settings);
      assert.deepEqual(settings.default_groups, ['empty@alias.test']);
    }
    assert.equal((await h.iredapd.selectFrom('throttle').selectAll().where('account', '=', 'deals@alias.test').execute()).length, 0);
    assert.equal((await h.iredapd.selectFrom('greylisting').selectAll().where('account', '=', 'deals@alias.test').execute()).length, 0);
    assert.equal((await h.amavisd.selectFrom('users').selectAll().where('email', '=', Buffer.from('deals@alias.test')).execute()).length, 0);
    assert.deepEqual((await admin.get('/api/alias/deals@alias.test')).body._msg, 'NO_SUCH_ACCOUNT');
    assert.deepEqual((await memberRows('team@alias.test')).map((r) => r.address), ['alice@alias.test'], 'other aliases keep their other members');
  });

  test('DELETE of a missing alias, or of a user address, succeeds and touches nothing', async () => {
    const before = await state();
    assert.deepEqual((await admin.delete('/api/alias/deals@alias.test')).body, { _success: true });
    assert.deepEqual((await admin.delete('/api/alias/alice@alias.test')).body, { _success: true });
    assert.deepEqual(await state(), before);
  });

  test('bad input on every alias route: a code, HTTP 200, and storage unchanged', async () => {
    const before = await state();
    const cases: [string, string, Record<string, string>, string][] = [
      ['POST', '/api/alias/bad address@alias.test', {}, 'INVALID_MAIL'],
      ['POST', '/api/alias/new@alias.test', { name: 'x'.repeat(300) }, 'INVALID_PARAMETER'],
      ['POST', '/api/alias/new@alias.test', { accessPolicy: "public' OR 1=1" }, 'INVALID_ACCESS_POLICY'],
      ['POST', '/api/alias/new@alias.test', { members: "a@b.test,' OR 1=1 --" }, 'INVALID_MAIL'],
      ['POST', '/api/alias/new@alias.test', { members: 'nobody@alias.test' }, 'NO_SUCH_ACCOUNT'],
      ['PUT', '/api/alias/ghost@alias.test', { name: 'x' }, 'NO_SUCH_ACCOUNT'],
      ['PUT', '/api/alias/team@alias.test', { accessPolicy: 'garbage' }, 'INVALID_ACCESS_POLICY'],
      ['PUT', '/api/alias/team@alias.test', { members: 'a@b.test', addMember: 'c@d.test' }, 'CONFLICTING_PARAMETERS'],
      ['PUT', '/api/alias/team@alias.test', { members: 'a@b.test', removeMember: 'c@d.test' }, 'CONFLICTING_PARAMETERS'],
      ['PUT', '/api/alias/team@alias.test', { name: 'changed', addMember: 'ghost@alias.test' }, 'NO_SUCH_ACCOUNT'],
      ['PUT', '/api/alias/team@alias.test', { name: 'changed', members: 'ext@x.test,ghost@alias.test' }, 'NO_SUCH_ACCOUNT'],
      ['PUT', '/api/alias/team@alias.test', { removeMember: 'not an address' }, 'INVALID_MAIL'],
      ['PUT', '/api/alias/team@alias.test', { accountStatus: 'x'.repeat(50) }, 'INVALID_PARAMETER'],
      ['GET', '/api/alias/x@no_tld', {}, 'INVALID_MAIL'],
      ['DELETE', '/api/alias/%ZZ@alias.test', {}, 'INVALID_PARAMETER'],
      ['GET', '/api/aliases/bad!domain.test', {}, 'INVALID_DOMAIN_NAME'],
      ['GET', '/api/aliases/alias.test', { page: '0' }, 'INVALID_PARAMETER'],
      ['GET', '/api/aliases/alias.test', { limit: 'all' }, 'INVALID_PARAMETER'],
      ['GET', '/api/aliases/alias.test', { limit: '100000' }, 'INVALID_PARAMETER'],
      ['POST', '/api/alias/team@alias.test/change_email/x y@alias.test', {}, 'INVALID_NEW_EMAIL'],
    ];
    for (const [method, path, params, code] of cases) {
      const res = await admin.call(method, path, params);
      assert.equal(res.status, 200, `${method} ${path}`);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${method} ${path} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await state(), before);
  });

  test('the admin log records alias actions with [API]', async () => {
    const messages = (await h.iredadmin.selectFrom('log').select('msg').where('msg', 'like', '%mail alias%').execute()).map((r) => String(r.msg));
    for (const expected of ['[API] Create mail alias: sales@alias.test.', '[API] Update mail alias profile: sales@alias.test.', '[API] Disable mail alias: sales@alias.test.', '[API] Delete mail alias: deals@alias.test.', '[API] Change email address of mail alias: sales@alias.test to deals@alias.test.']) {
      assert.ok(messages.includes(expected), `${expected}\n${messages.join('\n')}`);
    }
  });
});

/** Each role against every alias route: anonymous, an admin of another domain, the domain's admin, a global admin. */
describe('alias routes × roles', () => {
  type Role = 'anonymous' | 'other' | 'owner' | 'global';
  const clients: Partial<Record<Role, ApiClient>> = {};
  before(async () => {
    await admin.post('/api/domain/mine.test', { name: 'mine' });
    await admin.post('/api/domain/theirs.test', { name: 'theirs' });
    await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ['mine.test'] });
    await h.seedAdmin('other@admins.test', 'Other1!Pw', { domains: ['theirs.test'] });
    await seedMailbox(h, 'user@mine.test');
    await seedMailbox(h, 'user@theirs.test');
    clients.anonymous = h.client();
    clients.other = await h.loggedIn('other@admins.test', 'Other1!Pw');
    clients.owner = await h.loggedIn('owner@admins.test', 'Owner1!Pw');
    clients.global = admin;
  });

  const expected = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' } as const;
  // Each successful call is undone before the next role tries, so every role meets the same state.
  const matrix: [string, string, Record<string, string>, (() => Promise<unknown>) | undefined][] = [
    ['POST', '/api/alias/team@mine.test', { members: 'user@mine.test,user@theirs.test,ext@elsewhere.test' }, () => admin.delete('/api/alias/team@mine.test')],
    ['GET', '/api/alias/fixed@mine.test', {}, undefined],
    ['PUT', '/api/alias/fixed@mine.test', { addMember: 'user@mine.test', name: 'changed' }, () => admin.put('/api/alias/fixed@mine.test', { removeMember: 'user@mine.test' })],
    ['GET', '/api/aliases/mine.test', {}, undefined],
    ['POST', '/api/alias/fixed@mine.test/change_email/moved@mine.test', {}, () => admin.post('/api/alias/moved@mine.test/change_email/fixed@mine.test')],
    ['DELETE', '/api/alias/fixed@mine.test', {}, () => admin.post('/api/alias/fixed@mine.test', { name: 'fixed' })],
  ];
  for (const [method, path, params, undo] of matrix) {
    for (const role of ['anonymous', 'other', 'owner', 'global'] as Role[]) {
      test(`${role} ${method} ${path}`, async () => {
        if (!(await aliasRow('fixed@mine.test'))) await admin.post('/api/alias/fixed@mine.test', { name: 'fixed' });
        const before = await state();
        const res = await clients[role]!.call(method, path, params);
        assert.equal(res.status, 200);
        if (expected[role] === 'ok') {
          assert.equal(res.body._success, true, JSON.stringify(res.body));
          if (undo) await undo();
        } else {
          assert.deepEqual(res.body, { _success: false, _msg: expected[role] });
          assert.deepEqual(await state(), before);
        }
      });
    }
  }

  test("a domain admin cannot create, change or move aliases in domains it does not manage; external and other-domain members are fine", async () => {
    await admin.post('/api/alias/theirs@theirs.test', {});
    const before = await state();
    const owner = clients.owner!;
    assert.deepEqual((await owner.post('/api/alias/x@theirs.test', {})).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await owner.put('/api/alias/theirs@theirs.test', { addMember: 'user@mine.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await owner.delete('/api/alias/theirs@theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await owner.post('/api/alias/fixed@mine.test/change_email/fixed@theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await owner.post('/api/alias/theirs@theirs.test/change_email/theirs@mine.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual((await owner.get('/api/aliases/theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
    assert.deepEqual(await state(), before);
    // Members outside the domain are forwarding targets: allowed, even in a domain it does not manage.
    assert.deepEqual((await owner.put('/api/alias/fixed@mine.test', { addMember: 'user@theirs.test,someone@elsewhere.test' })).body, { _success: true });
    assert.deepEqual((await owner.get('/api/alias/fixed@mine.test')).body._data.members, ['someone@elsewhere.test', 'user@theirs.test']);
  });
});
