import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, type Entry } from 'ldapts';
import { startRoleFixture, type Role } from '../../support/roles';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { entryValues, readEntryOrNone, withRootClient } from '../../support/slapd';
import type { ApiClient, Harness } from '../../support/api';

/**
 * Legacy mailing lists, /api/maillist/<mail> (pro-api-behaviour §1.14; storage.md §6.4).
 * LDAP only: on SQL backends every call answers NOT_SUPPORTED_BY_BACKEND and changes
 * nothing. On LDAP the entries are checked as Postfix reads them: the genuine
 * virtual_group_maps.cf filter must expand the list to exactly its members.
 */
let h: Harness;
let p: Probe;
let admin: ApiClient;
let clients: Record<Role, ApiClient>;
const ROLES: Role[] = ['anonymous', 'other', 'owner', 'global'];

before(async () => {
  ({ h, admin, clients } = await startRoleFixture());
  p = probe(h);
  await admin.post('/api/domain/limit.test', { numberOfLists: '3' });
  await admin.post('/api/domain/none.test', { numberOfLists: '-1' });
  for (const user of ['alice@mine.test', 'bob@mine.test', 'carol@theirs.test']) await seedMailbox(h, user);
});
after(async () => { await h?.close(); });

describe(`mailing lists are LDAP only (${process.env.TEST_BACKEND ?? 'embedded'})`, { skip: process.env.TEST_BACKEND === 'ldap' }, () => {
  const calls: [string, Record<string, string>][] = [
    ['GET', {}],
    ['POST', { name: 'Staff', accessPolicy: 'membersonly', members: 'alice@mine.test' }],
    ['PUT', { name: 'Staff', addMember: 'bob@mine.test' }],
    ['DELETE', { archive: 'no' }],
  ];
  for (const [method, params] of calls) {
    test(`${method} /api/maillist: NOT_SUPPORTED_BY_BACKEND for the domain's admins, role refusals first, nothing stored`, async () => {
      const before = await p.snapshot();
      for (const role of ROLES) {
        const res = await clients[role].call(method, '/api/maillist/staff@mine.test', params);
        const expected = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'NOT_SUPPORTED_BY_BACKEND', global: 'NOT_SUPPORTED_BY_BACKEND' }[role];
        assert.deepEqual(res.body, { _success: false, _msg: expected }, role);
        assert.equal(res.status, 200);
      }
      // Even a malformed request gets the backend's answer, not a validation code.
      assert.deepEqual((await admin.call(method, '/api/maillist/staff@mine.test', { accessPolicy: 'bogus', members: 'not an address' })).body, { _success: false, _msg: 'NOT_SUPPORTED_BY_BACKEND' });
      assert.deepEqual(await p.snapshot(), before);
    });
  }
});

describe('mailing lists on LDAP', { skip: process.env.TEST_BACKEND !== 'ldap' }, () => {
  const suffix = () => h.ldap!.suffix;
  const domainDn = (d: string) => `domainName=${d},o=domains,${suffix()}`;
  const listDn = (mail: string) => `mail=${mail},ou=Groups,${domainDn(mail.split('@')[1]!)}`;
  const userDn = (mail: string) => `mail=${mail},ou=Users,${domainDn(mail.split('@')[1]!)}`;
  const externalsDn = (mail: string) => `memberOfGroup=${mail},ou=Externals,${domainDn(mail.split('@')[1]!)}`;

  const withClient = <T>(work: (client: Client) => Promise<T>) => withRootClient(h.ldap!, work);
  const read = (dn: string) => readEntryOrNone(h.ldap!, dn);

  /** Sorted: LDAP keeps no order among an attribute's values. */
  const values = (entry: Entry | undefined, name: string) => entryValues(entry, name).sort();

  /** What Postfix expands the list to: iRedMail's own virtual_group_maps.cf filter, run as Postfix runs it. */
  async function postfixExpands(list: string): Promise<string[]> {
    const file = readFileSync(fileURLToPath(new URL('../../../../shared/iredmail/postfix/ldap/virtual_group_maps.cf', import.meta.url)), 'utf8');
    const filter = /^query_filter\s*=\s*(.+)$/m.exec(file)![1]!.trim().replaceAll('%s', list);
    return withClient(async (client) => {
      const { searchEntries } = await client.search(`o=domains,${suffix()}`, { scope: 'sub', filter, attributes: ['mail'] });
      return searchEntries.flatMap((e) => values(e, 'mail')).sort();
    });
  }

  test('POST writes the mailList entry, memberOfGroup on the domain\'s users and one externals entry; Postfix expands it to the members', async () => {
    const res = await admin.post('/api/maillist/Staff@Mine.test', { name: 'Staff', accessPolicy: 'MembersOnly', members: 'alice@mine.test, Bob@mine.test,ext@elsewhere.test,carol@theirs.test' });
    assert.deepEqual(res.body, { _success: true });
    const list = await read(listDn('staff@mine.test'));
    assert.ok(list, 'stored lower-case in ou=Groups');
    assert.deepEqual(values(list, 'objectClass'), ['mailList']);
    assert.deepEqual(values(list, 'mail'), ['staff@mine.test']);
    assert.deepEqual(values(list, 'cn'), ['Staff']);
    assert.deepEqual(values(list, 'accessPolicy'), ['membersonly']);
    assert.deepEqual(values(list, 'accountStatus'), ['active']);
    assert.deepEqual(values(list, 'enabledService'), ['deliver', 'displayedInGlobalAddressBook', 'mail']);
    assert.deepEqual(values(await read(userDn('alice@mine.test')), 'memberOfGroup'), ['staff@mine.test']);
    assert.deepEqual(values(await read(userDn('bob@mine.test')), 'memberOfGroup'), ['staff@mine.test']);
    assert.deepEqual(values(await read(userDn('carol@theirs.test')), 'memberOfGroup'), [], 'users of other domains are external members');
    const externals = await read(externalsDn('staff@mine.test'));
    assert.deepEqual(values(externals, 'objectClass'), ['mailExternalUser']);
    assert.deepEqual(values(externals, 'mail'), ['carol@theirs.test', 'ext@elsewhere.test']);
    assert.deepEqual(values(externals, 'enabledService'), ['deliver', 'mail']);
    assert.deepEqual(values(externals, 'accountStatus'), ['active']);
    assert.deepEqual(await postfixExpands('staff@mine.test'), ['alice@mine.test', 'bob@mine.test', 'carol@theirs.test', 'ext@elsewhere.test']);
  });

  test('GET: the list with its members sorted; a missing list or a user address is NO_SUCH_ACCOUNT', async () => {
    const data = (await admin.get('/api/maillist/staff@mine.test')).body._data;
    assert.deepEqual(Object.keys(data).sort(), ['accessPolicy', 'active', 'created', 'domain', 'expired', 'mail', 'members', 'modified', 'name']);
    assert.deepEqual([data.mail, data.name, data.accessPolicy, data.domain, data.active], ['staff@mine.test', 'Staff', 'membersonly', 'mine.test', 1]);
    assert.deepEqual(data.members, ['alice@mine.test', 'bob@mine.test', 'carol@theirs.test', 'ext@elsewhere.test']);
    assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(data.expired, '9999-12-31T00:00:00');
    assert.deepEqual((await admin.get('/api/maillist/ghost@mine.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.get('/api/maillist/alice@mine.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
  });

  test('POST defaults: public, no members (no externals entry), no cn for an empty name', async () => {
    assert.deepEqual((await admin.post('/api/maillist/empty@mine.test', {})).body, { _success: true });
    const list = await read(listDn('empty@mine.test'));
    assert.deepEqual([values(list, 'accessPolicy'), values(list, 'cn')], [['public'], []]);
    assert.equal(await read(externalsDn('empty@mine.test')), undefined);
    assert.deepEqual((await admin.get('/api/maillist/empty@mine.test')).body._data.members, []);
  });

  test('POST refusals (taken address, domain, limits, members, policy, injection) store nothing', async () => {
    const before = await p.snapshot();
    const cases: [string, Record<string, string>, string][] = [
      ['staff@mine.test', {}, 'ALREADY_EXISTS'],
      ['alice@mine.test', {}, 'ALREADY_EXISTS'],
      ['x@nowhere.test', {}, 'INVALID_DOMAIN_NAME'],
      ['x@none.test', {}, 'NOT_ALLOWED'],
      ['x@mine.test', { members: 'ghost@mine.test' }, 'NO_SUCH_ACCOUNT'],
      ['x@mine.test', { members: 'alice@mine.test,x@mine.test' }, 'INVALID_MAIL'],
      ['x@mine.test', { members: 'alice@mine.test,not an address' }, 'INVALID_MAIL'],
      ['x@mine.test', { members: '*)(uid=*@mine.test' }, 'INVALID_MAIL'],
      ['x@mine.test', { members: 'alice@mine.test)(memberOfGroup=*' }, 'INVALID_MAIL'],
      ['x@mine.test', { accessPolicy: 'everyone' }, 'INVALID_ACCESS_POLICY'],
      ['x+y@mine.test', {}, 'INVALID_MAIL'],
      ['*)(uid=*@mine.test', {}, 'INVALID_MAIL'],
      ['x@mine.test,ou=Users,domainName=theirs.test', {}, 'INVALID_MAIL'],
    ];
    for (const [address, params, code] of cases) {
      const res = await admin.post(`/api/maillist/${encodeURIComponent(address)}`, params);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${address} ${JSON.stringify(params)}`);
      assert.equal(res.status, 200);
    }
    assert.deepEqual(await p.snapshot(), before);
  });

  test('numberOfLists=3: 10 parallel creates leave exactly 3', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => admin.post(`/api/maillist/l${i}@limit.test`, { members: 'ext@elsewhere.test' })));
    assert.equal(results.filter((r) => r.body._success === true).length, 3);
    assert.ok(results.every((r) => r.body._success === true || r.body._msg === 'EXCEEDED_DOMAIN_ACCOUNT_LIMIT'), JSON.stringify(results.map((r) => r.body)));
    const lists = await withClient(async (client) => (await client.search(`ou=Groups,${domainDn('limit.test')}`, { scope: 'one', attributes: ['mail'] })).searchEntries);
    assert.equal(lists.length, 3);
    const externals = await withClient(async (client) => (await client.search(`ou=Externals,${domainDn('limit.test')}`, { scope: 'one', attributes: ['memberOfGroup'] })).searchEntries);
    assert.equal(externals.length, 3, 'no externals entry of a refused list');
  });

  test('PUT: name and policy; addMember/removeMember; members resets; the externals entry goes with its last address', async () => {
    assert.deepEqual((await admin.put('/api/maillist/staff@mine.test', { name: 'All Staff', accessPolicy: 'domain' })).body, { _success: true });
    let data = (await admin.get('/api/maillist/staff@mine.test')).body._data;
    assert.deepEqual([data.name, data.accessPolicy, data.members.length], ['All Staff', 'domain', 4]);

    await admin.put('/api/maillist/staff@mine.test', { removeMember: 'bob@mine.test,ext@elsewhere.test,never@member.test', addMember: 'new@elsewhere.test' });
    data = (await admin.get('/api/maillist/staff@mine.test')).body._data;
    assert.deepEqual(data.members, ['alice@mine.test', 'carol@theirs.test', 'new@elsewhere.test']);
    assert.deepEqual(values(await read(userDn('bob@mine.test')), 'memberOfGroup'), []);
    assert.deepEqual(values(await read(externalsDn('staff@mine.test')), 'mail'), ['carol@theirs.test', 'new@elsewhere.test']);

    await admin.put('/api/maillist/staff@mine.test', { members: 'bob@mine.test' });
    assert.deepEqual((await admin.get('/api/maillist/staff@mine.test')).body._data.members, ['bob@mine.test']);
    assert.deepEqual(values(await read(userDn('alice@mine.test')), 'memberOfGroup'), []);
    assert.deepEqual(values(await read(userDn('bob@mine.test')), 'memberOfGroup'), ['staff@mine.test']);
    assert.equal(await read(externalsDn('staff@mine.test')), undefined, 'no external members: no externals entry');
    assert.deepEqual(await postfixExpands('staff@mine.test'), ['bob@mine.test']);

    await admin.put('/api/maillist/staff@mine.test', { members: 'alice@mine.test,bob@mine.test,ext@elsewhere.test' });
    assert.deepEqual(await postfixExpands('staff@mine.test'), ['alice@mine.test', 'bob@mine.test', 'ext@elsewhere.test']);
  });

  test("a user of another domain on the list follows its change_email, and its delete takes it off (and the externals entry with its last address)", async () => {
    await seedMailbox(h, 'dave@theirs.test');
    assert.deepEqual((await admin.post('/api/maillist/outside@mine.test', { members: 'dave@theirs.test' })).body, { _success: true });
    assert.deepEqual((await admin.post('/api/user/dave@theirs.test/change_email/dan@theirs.test')).body, { _success: true });
    assert.deepEqual(values(await read(externalsDn('outside@mine.test')), 'mail'), ['dan@theirs.test']);
    assert.deepEqual(await postfixExpands('outside@mine.test'), ['dan@theirs.test']);
    assert.deepEqual((await admin.delete('/api/user/dan@theirs.test')).body, { _success: true });
    assert.equal(await read(externalsDn('outside@mine.test')), undefined);
    assert.deepEqual((await admin.get('/api/maillist/outside@mine.test')).body._data.members, []);
  });

  test('PUT refusals: missing list, conflicting parameters, bad member or policy — nothing changed', async () => {
    const before = await p.snapshot();
    const cases: [string, Record<string, string>, string][] = [
      ['ghost@mine.test', { name: 'x' }, 'NO_SUCH_ACCOUNT'],
      ['staff@mine.test', { members: 'alice@mine.test', addMember: 'bob@mine.test' }, 'CONFLICTING_PARAMETERS'],
      ['staff@mine.test', { addMember: 'ghost@mine.test' }, 'NO_SUCH_ACCOUNT'],
      ['staff@mine.test', { addMember: 'staff@mine.test' }, 'INVALID_MAIL'],
      ['staff@mine.test', { removeMember: '*)(mail=*' }, 'INVALID_MAIL'],
      ['staff@mine.test', { name: 'x', accessPolicy: 'nobody' }, 'INVALID_ACCESS_POLICY'],
    ];
    for (const [address, params, code] of cases) {
      assert.deepEqual((await admin.put(`/api/maillist/${address}`, params)).body, { _success: false, _msg: code }, `${address} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await p.snapshot(), before);
  });

  test('a list in a domain with alias domains carries one shadowAddress per alias domain', async () => {
    assert.equal((await admin.put('/api/domain/theirs.test', { aliasDomains: 'theirs-alias.test,second.test' })).body._success, true);
    assert.deepEqual((await admin.post('/api/maillist/team@theirs.test', { members: 'carol@theirs.test' })).body, { _success: true });
    assert.deepEqual(values(await read(listDn('team@theirs.test')), 'shadowAddress'), ['team@second.test', 'team@theirs-alias.test']);
    assert.deepEqual((await admin.post('/api/maillist/team@theirs-alias.test', {})).body, { _success: false, _msg: 'INVALID_DOMAIN_NAME' }, 'an alias domain holds no accounts');
    assert.deepEqual((await admin.post('/api/maillist/carol2@theirs.test', { members: 'carol@theirs.test' })).body, { _success: true });
    assert.deepEqual(values(await read(userDn('carol@theirs.test')), 'memberOfGroup'), ['carol2@theirs.test', 'team@theirs.test']);
  });

  test('DELETE removes the list, its externals entry and every memberOfGroup naming it; archive=no is accepted; deleting nothing succeeds', async () => {
    assert.deepEqual(await postfixExpands('staff@mine.test'), ['alice@mine.test', 'bob@mine.test', 'ext@elsewhere.test']);
    assert.deepEqual((await admin.delete('/api/maillist/staff@mine.test', { archive: 'no' })).body, { _success: true });
    assert.equal(await read(listDn('staff@mine.test')), undefined);
    assert.equal(await read(externalsDn('staff@mine.test')), undefined);
    assert.deepEqual(values(await read(userDn('alice@mine.test')), 'memberOfGroup'), []);
    assert.deepEqual(values(await read(userDn('bob@mine.test')), 'memberOfGroup'), []);
    assert.deepEqual(await postfixExpands('staff@mine.test'), []);
    assert.ok(await read(userDn('alice@mine.test')), 'members themselves stay');
    assert.deepEqual((await admin.delete('/api/maillist/staff@mine.test')).body, { _success: true });
    assert.deepEqual((await admin.get('/api/maillist/staff@mine.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    // carol is a member of two lists: deleting one leaves the other.
    await admin.delete('/api/maillist/team@theirs.test');
    assert.deepEqual(values(await read(userDn('carol@theirs.test')), 'memberOfGroup'), ['carol2@theirs.test']);
  });

  test('an mlmmj list in ou=Groups is not a legacy list: NO_SUCH_ACCOUNT, left untouched, its address taken', async () => {
    const dn = listDn('news@mine.test');
    await withClient((client) => client.add(dn, { objectClass: 'mailList', mail: 'news@mine.test', accountStatus: 'active', enabledService: ['mail', 'deliver', 'mlmmj'], mtaTransport: 'mlmmj:mine.test/news' }));
    const before = await read(dn);
    assert.deepEqual((await admin.get('/api/maillist/news@mine.test')).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.put('/api/maillist/news@mine.test', { name: 'x' })).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual((await admin.post('/api/maillist/news@mine.test', {})).body, { _success: false, _msg: 'ALREADY_EXISTS' });
    assert.deepEqual((await admin.delete('/api/maillist/news@mine.test')).body, { _success: true });
    assert.deepEqual(await read(dn), before);
  });

  describe('routes × roles', () => {
    const expected: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
    for (const role of ROLES) {
      test(`${role}: POST, GET, PUT, DELETE /api/maillist/<list of mine.test>`, async () => {
        const address = `roles-${role}@mine.test`;
        const before = expected[role] === 'ok' ? undefined : await p.snapshot();
        const steps: [string, Record<string, string>][] = [['POST', { members: 'alice@mine.test' }], ['GET', {}], ['PUT', { addMember: 'ext@elsewhere.test' }], ['DELETE', {}]];
        for (const [method, params] of steps) {
          const res = await clients[role].call(method, `/api/maillist/${address}`, params);
          if (expected[role] === 'ok') assert.equal(res.body._success, true, `${method} ${JSON.stringify(res.body)}`);
          else assert.deepEqual(res.body, { _success: false, _msg: expected[role] }, method);
          assert.equal(res.status, 200);
        }
        if (before) assert.deepEqual(await p.snapshot(), before);
        else assert.equal(await read(listDn(address)), undefined);
      });
    }

    test("another domain's admin cannot read, change or delete an existing list", async () => {
      await admin.post('/api/maillist/kept@mine.test', { members: 'alice@mine.test' });
      const before = await p.snapshot();
      for (const method of ['GET', 'PUT', 'DELETE']) {
        assert.deepEqual((await clients.other.call(method, '/api/maillist/kept@mine.test', { removeMember: 'alice@mine.test' })).body, { _success: false, _msg: 'PERMISSION_DENIED' });
      }
      assert.deepEqual(await p.snapshot(), before);
    });
  });

  test('deleting the domain takes its lists, externals entries and memberships with it', async () => {
    await admin.post('/api/domain/gone.test', {});
    await seedMailbox(h, 'dave@gone.test');
    await admin.post('/api/maillist/crew@gone.test', { members: 'dave@gone.test,ext@elsewhere.test' });
    assert.ok(await read(externalsDn('crew@gone.test')));
    assert.deepEqual((await admin.delete('/api/domain/gone.test')).body, { _success: true });
    assert.deepEqual(await p.remnants('gone.test'), []);
    assert.deepEqual(await postfixExpands('crew@gone.test'), []);
  });

  test('a list of a disabled domain is written with domainStatus=disabled, as every account of it', async () => {
    await admin.put('/api/domain/none.test', { numberOfLists: '0', accountStatus: 'disabled' });
    assert.deepEqual((await admin.post('/api/maillist/quiet@none.test', { members: 'ext@elsewhere.test' })).body, { _success: true });
    assert.deepEqual(values(await read(listDn('quiet@none.test')), 'domainStatus'), ['disabled']);
    assert.deepEqual(values(await read(externalsDn('quiet@none.test')), 'domainStatus'), ['disabled']);
    assert.deepEqual(await postfixExpands('quiet@none.test'), [], 'Postfix ignores members of a disabled domain');
  });
});
