/**
 * The LDAP backend against a private slapd with iRedMail's genuine schema (test/support/slapd.ts)
 * and MariaDB for amavisd/iredapd/iredadmin:
 *
 * - what the API writes, attribute by attribute, against what iRedAdmin writes (storage.md §6.3),
 *   and found by Postfix's own LDAP lookups (the genuine map files, bound as cn=vmail);
 * - values an API client controls can neither widen a search nor move a DN;
 * - a dropped or unavailable connection is replaced without restarting the process;
 * - a failed transaction leaves the directory as it was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Filter, type Entry } from 'ldapts';
import type { ApiClient, Harness } from '../support/api';
import { entryRecord, readEntryOrNone, searchOrNone } from '../support/slapd';
import type { Store } from '#lib/storage/store';
import { StorageUnavailableError } from '#lib/http/errors';
import { escapeRdnValue, Dit } from '#lib/storage/ldap/dn';
import { openLdapStore } from '#lib/storage/ldap/ldap-store';

let h: Harness;
let admin: ApiClient;
let seedMailbox: typeof import('../support/probe').seedMailbox;

before(async () => {
  // The harness reads TEST_BACKEND when it is first loaded.
  process.env.TEST_BACKEND = 'ldap';
  const api = await import('../support/api');
  ({ seedMailbox } = await import('../support/probe'));
  h = await api.startHarness();
  admin = await h.loggedIn();
});
after(async () => { await h?.close(); });

// ---------------------------------------------------------------------------------------
// Helpers: raw reads as the directory manager, and Postfix's lookups as cn=vmail.

async function withClient<T>(dn: string, password: string, work: (client: Client) => Promise<T>): Promise<T> {
  return withClientAt(h.ldap!.url, dn, password, work);
}

async function withClientAt<T>(url: string, dn: string, password: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url, timeout: 10_000 });
  try {
    await client.bind(dn, password);
    return await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** The entry at dn with every user attribute, values sorted; undefined when absent. */
async function entry(dn: string): Promise<Record<string, string[]> | undefined> {
  const found = await readEntryOrNone(h.ldap!, dn);
  return found ? normalise(found) : undefined;
}

function normalise(found: Entry): Record<string, string[]> {
  return Object.fromEntries(Object.entries(entryRecord(found)).map(([name, values]) => [name, values.sort()]));
}

async function dnsBelow(base: string): Promise<string[]> {
  return (await searchOrNone(h.ldap!, base, { scope: 'sub', attributes: ['1.1'] })).map((e) => e.dn.toLowerCase()).sort();
}

const POSTFIX_MAPS = fileURLToPath(new URL('../../../shared/iredmail/postfix/ldap/', import.meta.url));

/**
 * Runs one of iRedMail's genuine Postfix LDAP maps the way Postfix does: its search base,
 * scope and filter, %s/%d/%u filled with the (escaped) key, bound as the read-only cn=vmail.
 */
async function postfixLookup(map: string, key: string): Promise<string[]> {
  const text = readFileSync(`${POSTFIX_MAPS}${map}`, 'utf8');
  const setting = (name: string) => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const at = key.lastIndexOf('@');
  const parts: Record<string, string> = { s: key, d: at >= 0 ? key.slice(at + 1) : '', u: at >= 0 ? key.slice(0, at) : key };
  const filter = setting('query_filter').replace(/%([sdu])/g, (_m, p: string) => Filter.escape(parts[p]!));
  const base = setting('search_base').replace('PH_LDAP_BASEDN', `o=domains,${h.ldap!.suffix}`);
  const attribute = setting('result_attribute');
  return withClient(h.ldap!.readerDn, h.ldap!.readerPassword, async (client) => {
    const { searchEntries } = await client.search(base, { scope: setting('scope') as 'one' | 'sub', filter, attributes: [attribute] });
    return searchEntries.flatMap((e) => normalise(e)[attribute] ?? []).sort();
  });
}

const suffix = () => h.ldap!.suffix;
const domainDn = (d: string) => `domainName=${d},o=domains,${suffix()}`;

// ---------------------------------------------------------------------------------------

describe('LDAP entries as iRedAdmin writes them, found by Postfix', () => {
  test('a new domain: mailDomain entry, accountSetting values, the four OUs', async () => {
    const res = await admin.post('/api/domain/shape.test', {
      name: 'Shape Inc', quota: '2', quotaUnit: 'GB', defaultQuota: '512', maxUserQuota: '1024', numberOfUsers: '20', numberOfAliases: '-1',
      numberOfLists: '40', language: 'de_DE', timezone: 'Europe/Berlin', senderBcc: 'audit@elsewhere.test',
    });
    assert.deepEqual(res.body, { _success: true });
    assert.deepEqual(await entry(domainDn('shape.test')), {
      objectClass: ['mailDomain'],
      domainName: ['shape.test'],
      cn: ['Shape Inc'],
      mtaTransport: ['dovecot'],
      accountStatus: ['active'],
      enabledService: ['mail', 'senderbcc'],
      domainSenderBccAddress: ['audit@elsewhere.test'],
      accountSetting: [
        'defaultLanguage:de_DE', 'defaultQuota:512', 'domainQuota:2048:MB', 'maxUserQuota:1024',
        'numberOfAliases:-1', 'numberOfLists:40', 'numberOfUsers:20', 'timezone:Europe/Berlin',
      ],
    });
    for (const ou of ['Users', 'Groups', 'Aliases', 'Externals']) {
      assert.deepEqual(await entry(`ou=${ou},${domainDn('shape.test')}`), { objectClass: ['organizationalUnit'], ou: [ou] }, ou);
    }
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'shape.test'), ['shape.test']);
    assert.deepEqual(await postfixLookup('transport_maps_domain.cf', 'shape.test'), ['dovecot']);
    assert.deepEqual(await postfixLookup('sender_bcc_maps_domain.cf', 'someone@shape.test'), ['audit@elsewhere.test']);
    assert.deepEqual(await postfixLookup('relay_domains.cf', 'shape.test'), []);
    // GET answers in the SQL shape.
    const data = (await admin.get('/api/domain/shape.test')).body._data;
    assert.equal(data.maxquota, 2048);
    assert.equal(data.aliases, -1);
    assert.equal(data.quota, 0);
    assert.deepEqual(data.settings, { default_language: 'de_DE', default_user_quota: 512, max_user_quota: 1024, timezone: 'Europe/Berlin' });
    assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  test('PUT writes services, profiles, BCC, relay, alias domains, backup MX where Postfix reads them', async () => {
    const put = async (params: Record<string, string>) => assert.deepEqual((await admin.put('/api/domain/shape.test', params)).body, { _success: true }, JSON.stringify(params));
    await put({ services: 'self-service', disableDomainProfile: 'bcc,relay', disableUserPreference: 'forwarding', minPasswordLength: '10' });
    await put({ recipientBcc: 'in@elsewhere.test', senderBcc: '', outboundRelay: '[relay.test]:587', aliasDomains: 'alias1.test,alias2.test' });
    let domain = (await entry(domainDn('shape.test')))!;
    assert.deepEqual(domain.enabledService, ['domainalias', 'mail', 'recipientbcc', 'self-service'], 'mail stays whatever services= says');
    assert.deepEqual(domain.accountSetting?.filter((v) => v.startsWith('disabled') || v.startsWith('minPassword')), [
      'disabledDomainProfile:bcc', 'disabledDomainProfile:relay', 'disabledUserPreference:forwarding', 'minPasswordLength:10',
    ]);
    assert.equal(domain.domainSenderBccAddress, undefined);
    assert.deepEqual(domain.domainRecipientBccAddress, ['in@elsewhere.test']);
    assert.deepEqual(domain.senderRelayHost, ['[relay.test]:587']);
    assert.deepEqual(domain.domainAliasName, ['alias1.test', 'alias2.test']);
    assert.deepEqual(await postfixLookup('sender_bcc_maps_domain.cf', 'x@shape.test'), []);
    assert.deepEqual(await postfixLookup('recipient_bcc_maps_domain.cf', 'x@alias1.test'), ['in@elsewhere.test']);
    assert.deepEqual(await postfixLookup('sender_dependent_relayhost_maps_domain.cf', 'x@shape.test'), ['[relay.test]:587']);
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'alias2.test'), ['shape.test']);

    await put({ aliasDomains: '', recipientBcc: '' });
    domain = (await entry(domainDn('shape.test')))!;
    assert.deepEqual(domain.enabledService, ['mail', 'self-service']);
    assert.equal(domain.domainAliasName, undefined);
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'alias2.test'), []);

    await put({ is_backupmx: 'yes', primarymx: '192.0.2.25' });
    domain = (await entry(domainDn('shape.test')))!;
    assert.deepEqual(domain.domainBackupMX, ['yes']);
    assert.deepEqual(domain.mtaTransport, ['relay:[192.0.2.25]']);
    assert.deepEqual(await postfixLookup('relay_domains.cf', 'shape.test'), ['shape.test']);
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'shape.test'), []);
    await put({ is_backupmx: 'no' });
    assert.equal((await entry(domainDn('shape.test')))!.domainBackupMX, undefined);
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'shape.test'), ['shape.test']);
  });

  test('catch-all entry, and domainStatus=disabled on every account while the domain is disabled', async () => {
    await seedMailbox(h, 'ann@shape.test', { quota: 100 });
    await seedMailbox(h, 'ben@shape.test', { quota: 300 });
    assert.deepEqual((await admin.put('/api/domain/shape.test', { catchall: 'ann@shape.test,ext@other.test' })).body, { _success: true });
    const catchallDn = `mail=@shape.test,ou=Users,${domainDn('shape.test')}`;
    assert.deepEqual(await entry(catchallDn), {
      objectClass: ['inetOrgPerson', 'mailUser'],
      mail: ['@shape.test'],
      cn: ['catch-all'],
      sn: ['catch-all'],
      uid: ['catch-all'],
      accountStatus: ['active'],
      mailForwardingAddress: ['ann@shape.test', 'ext@other.test'],
    });
    assert.deepEqual(await postfixLookup('catchall_maps.cf', '@shape.test'), ['ann@shape.test', 'ext@other.test']);
    const profile = (await admin.get('/api/domain/shape.test')).body._data;
    assert.equal(profile.num_existing_users, 2, 'the catch-all entry is not a user');
    assert.equal(profile.allocated_quota, 400);

    await admin.put('/api/domain/shape.test', { accountStatus: 'disabled' });
    assert.deepEqual((await entry(domainDn('shape.test')))!.accountStatus, ['disabled']);
    for (const dn of [catchallDn, `mail=ann@shape.test,ou=Users,${domainDn('shape.test')}`, `mail=ben@shape.test,ou=Users,${domainDn('shape.test')}`]) {
      assert.deepEqual((await entry(dn))!.domainStatus, ['disabled'], dn);
    }
    assert.deepEqual(await postfixLookup('catchall_maps.cf', '@shape.test'), []);
    assert.deepEqual(await postfixLookup('virtual_mailbox_maps.cf', 'ann@shape.test'), []);
    assert.deepEqual(await postfixLookup('virtual_mailbox_domains.cf', 'shape.test'), []);

    await admin.put('/api/domain/shape.test', { accountStatus: 'active' });
    for (const dn of [catchallDn, `mail=ann@shape.test,ou=Users,${domainDn('shape.test')}`]) {
      assert.equal((await entry(dn))!.domainStatus, undefined, dn);
    }
    assert.deepEqual(await postfixLookup('catchall_maps.cf', '@shape.test'), ['ann@shape.test', 'ext@other.test']);
    assert.deepEqual(await postfixLookup('virtual_mailbox_maps.cf', 'ann@shape.test'), ['/var/vmail/vmail1/shape.test/a/x/y/ann-2026.01.01.00.00.00/']);

    await admin.put('/api/domain/shape.test', { catchall: '' });
    assert.equal(await entry(catchallDn), undefined);
  });

  test('standalone admin and domain admins: mailAdmin entry, domainAdmin values, enabledService=domainadmin', async () => {
    await h.seedAdmin('boss@admins.test', 'Boss1!Secret', { global: true });
    const stored = (await entry(`mail=boss@admins.test,o=domainAdmins,${suffix()}`))!;
    assert.deepEqual(stored.objectClass, ['mailAdmin']);
    assert.deepEqual(stored.mail, ['boss@admins.test']);
    assert.deepEqual(stored.accountStatus, ['active']);
    assert.deepEqual(stored.domainGlobalAdmin, ['yes']);
    assert.deepEqual(stored.preferredLanguage, ['en_US']);
    assert.deepEqual(stored.cn, ['boss@admins.test']);
    assert.match(stored.userPassword![0]!, /^\{SSHA512\}/);
    assert.ok(Math.abs(Number(stored.shadowLastChange![0]) - Math.floor(Date.now() / 86_400_000)) <= 1);
    assert.equal((await h.client().login('boss@admins.test', 'Boss1!Secret')).body._success, true);

    await seedMailbox(h, 'carl@shape.test', { password: 'Carl1!Secret' });
    assert.equal((await h.client().login('carl@shape.test', 'Carl1!Secret')).body._msg, 'INVALID_CREDENTIALS', 'a plain user is no admin');
    await admin.put('/api/domain/admins/shape.test', { addAdmin: 'carl@shape.test' });
    assert.deepEqual((await entry(domainDn('shape.test')))!.domainAdmin, ['carl@shape.test']);
    assert.ok((await entry(`mail=carl@shape.test,ou=Users,${domainDn('shape.test')}`))!.enabledService!.includes('domainadmin'));
    const carl = h.client();
    assert.equal((await carl.login('carl@shape.test', 'Carl1!Secret')).body._success, true);
    assert.deepEqual((await carl.get('/api/domains', { name_only: '' })).body._data, ['shape.test']);
    await admin.put('/api/domain/admins/shape.test', { removeAdmin: 'carl@shape.test' });
    assert.equal((await entry(domainDn('shape.test')))!.domainAdmin, undefined);
    assert.ok(!(await entry(`mail=carl@shape.test,ou=Users,${domainDn('shape.test')}`))!.enabledService!.includes('domainadmin'));
    assert.equal((await carl.get('/api/domains')).body._msg, 'LOGIN_REQUIRED', 'demoted: its token stops working');
  });

  test('delete: maildirs recorded in iredadmin.deleted_mailboxes, the subtree gone, domainAdmin references removed', async () => {
    await admin.post('/api/domain/gone.test', {});
    await seedMailbox(h, 'gus@gone.test', { quota: 10 });
    await admin.put('/api/domain/gone.test', { catchall: 'gus@gone.test' });
    await admin.put('/api/domain/admins/shape.test', { addAdmin: 'gus@gone.test' });
    assert.deepEqual((await admin.delete('/api/domain/gone.test/keep_mailbox_days/7')).body, { _success: true });
    assert.deepEqual(await dnsBelow(domainDn('gone.test')), []);
    assert.equal((await entry(domainDn('shape.test')))!.domainAdmin, undefined);
    const rows = await h.iredadmin.selectFrom('deleted_mailboxes').selectAll().where('domain', '=', 'gone.test').execute();
    assert.deepEqual(rows.map((r) => [r.username, r.maildir, r.admin]), [['gus@gone.test', '/var/vmail/vmail1/gone.test/g/x/y/gus-2026.01.01.00.00.00/', 'admin@admins.test']]);
  });
});

// ---------------------------------------------------------------------------------------

describe('values from clients cannot widen a search or move a DN', () => {
  const HOSTILE = ['*', '*)(uid=*', '*)(|(objectClass=*', '(', ')', '\\', '\\2a', 'a\u0000b', '*@*', 'admin@admins.test)(mail=*', '@*', '*@shape.test'];

  test('RFC 4514 escaping of RDN values', () => {
    assert.equal(escapeRdnValue('a,b+c=d'), 'a\\,b\\+c\\=d');
    assert.equal(escapeRdnValue('"<x>;\\'), '\\"\\<x\\>\\;\\\\');
    assert.equal(escapeRdnValue('#lead'), '\\#lead');
    assert.equal(escapeRdnValue(' both '), '\\ both\\ ');
    assert.equal(escapeRdnValue('nul\u0000ctl\u0001'), 'nul\\00ctl\\01');
    assert.equal(escapeRdnValue('mid#dle sp'), 'mid#dle sp');
    assert.equal(escapeRdnValue('ünï'), 'ünï');
    const dit = new Dit('dc=example,dc=com');
    assert.equal(dit.userDn('a,b@x.test'), 'mail=a\\,b@x.test,ou=Users,domainName=x.test,o=domains,dc=example,dc=com');
    assert.equal(dit.adminDn('x+y=z@q.test'), 'mail=x\\+y\\=z@q.test,o=domainAdmins,dc=example,dc=com');
  });

  test('lookups with filter metacharacters match nothing, although entries exist', async () => {
    const store = h.store as Store;
    assert.ok(await store.accounts.domains.isLocal('shape.test'), 'control: a real lookup matches');
    assert.ok(await store.accounts.identities.findAdmin('admin@admins.test'), 'control: the admin exists');
    for (const value of HOSTILE) {
      assert.equal(await store.accounts.identities.findAdmin(value), undefined, value);
      assert.equal(await store.accounts.identities.isMailUser(value), false, value);
      assert.equal(await store.accounts.identities.isStandaloneAdmin(value), false, value);
      assert.equal(await store.accounts.domains.isLocal(value), false, value);
      assert.equal(await store.accounts.domains.get(value), undefined, value);
      assert.deepEqual(await store.accounts.domains.admins(value), [], value);
      assert.deepEqual(await store.accounts.domains.list({ only: [value] }), { total: 0, items: [] }, value);
      assert.deepEqual(await store.accounts.domains.list({ only: [value], page: { page: 1, limit: 10 } }), { total: 0, items: [] }, value);
    }
  });

  test('the API refuses them before storage, with a code', async () => {
    for (const value of ['*', '*)(uid=*', '(x)', 'a\\b']) {
      assert.equal((await admin.get(`/api/domain/${encodeURIComponent(value)}`)).body._msg, 'INVALID_DOMAIN_NAME', value);
      assert.equal((await h.client().login(`${value}@admins.test`, 'x')).body._msg, 'INVALID_USERNAME', value);
    }
  });

  test('DN-special characters stay inside their RDN: the entry lands where its name says, nowhere else', async () => {
    const store = h.store as Store;
    const names = ['evil,o=domainAdmins', 'x+mail=admin@admins.test', 'eq=ual', '#hash', ' spaced ', 'semi;colon<>"q"', 'back\\slash'];
    const before = await dnsBelow(`o=domainAdmins,${suffix()}`);
    for (const name of names) {
      await store.accounts.transaction((tx) => tx.domains.create({ domain: name, description: '', transport: 'dovecot', maxquota: 0, mailboxes: 0, aliases: 0, maillists: 0, settings: {} }));
      const found = await withClient(h.ldap!.rootDn, h.ldap!.rootPassword, async (client) =>
        (await client.search(`o=domains,${suffix()}`, { scope: 'one', filter: `(domainName=${Filter.escape(name)})`, attributes: ['domainName'] })).searchEntries);
      assert.equal(found.length, 1, name);
      assert.equal(found[0]!.domainName, name, `the stored value is the name itself: ${name}`);
      assert.equal((await store.accounts.domains.get(name))?.domain, name.toLowerCase(), name);
      assert.equal(await store.accounts.domains.isLocal(name), true, name);
      assert.equal(await store.accounts.transaction((tx) => tx.domains.delete(name, { deleteDate: null, admin: 'test' })), true, name);
      assert.equal(await store.accounts.domains.get(name), undefined, name);
    }
    assert.deepEqual(await dnsBelow(`o=domainAdmins,${suffix()}`), before, 'nothing appeared under o=domainAdmins');
    // NUL cannot be stored in a DN by slapd; reads of such a name simply find nothing.
    assert.equal(await store.accounts.domains.get('nul\u0000.test'), undefined);
  });
});

// ---------------------------------------------------------------------------------------

describe('transactions on LDAP: undo on failure', () => {
  test('a failed transaction removes what it added and puts back what it changed or deleted', async () => {
    const store = h.store as Store;
    await admin.post('/api/domain/undo.test', { name: 'Before', numberOfUsers: '5' });
    await seedMailbox(h, 'uma@undo.test', { quota: 50 });
    await admin.put('/api/domain/undo.test', { catchall: 'uma@undo.test', senderBcc: 'b@elsewhere.test' });
    const tree = async () => Promise.all((await dnsBelow(domainDn('undo.test'))).map(async (dn) => [dn, await entry(dn)]));
    const before = await tree();
    const deletedBefore = await h.iredadmin.selectFrom('deleted_mailboxes').selectAll().execute();

    const boom = new Error('boom');
    await assert.rejects(store.accounts.transaction(async (tx) => {
      await tx.domains.update('undo.test', { description: 'After', active: 0, mailboxes: 9, settings: { timezone: 'Asia/Tokyo' } });
      await tx.domains.setCatchall('undo.test', []);
      await tx.domains.setBcc('undo.test', 'sender', undefined);
      await tx.domains.create({ domain: 'undo-new.test', description: 'new', transport: 'dovecot', maxquota: 0, mailboxes: 0, aliases: 0, maillists: 0, settings: {} });
      await tx.domains.delete('undo.test', { deleteDate: null, admin: 'test' });
      throw boom;
    }), boom);

    assert.deepEqual(await tree(), before, 'every entry of the domain is back, attribute by attribute');
    assert.equal(await entry(domainDn('undo-new.test')), undefined, 'the domain created inside is gone');
    assert.deepEqual(await h.iredadmin.selectFrom('deleted_mailboxes').selectAll().execute(), deletedBefore, 'the deleted_mailboxes rows are withdrawn');
    assert.equal((await admin.get('/api/domain/undo.test')).body._data.description, 'Before');
  });

  test('a refused API request inside a transaction leaves nothing behind', async () => {
    const before = await entry(domainDn('undo.test'));
    // The catch-all target check fails after the description was written in the same transaction.
    assert.deepEqual((await admin.put('/api/domain/undo.test', { name: 'Changed', catchall: 'ghost@undo.test' })).body, { _success: false, _msg: 'NO_SUCH_ACCOUNT' });
    assert.deepEqual(await entry(domainDn('undo.test')), before);
  });

  test('the store used directly inside its own transaction does not wait for itself', async () => {
    const store = h.store as Store;
    const result = await Promise.race([
      store.accounts.transaction(async () => {
        await store.accounts.domains.setRelayhost('@undo.test', '[inner.test]:25');
        return 'done';
      }),
      new Promise((resolve) => setTimeout(() => resolve('deadlock'), 5000)),
    ]);
    assert.equal(result, 'done');
    assert.deepEqual((await entry(domainDn('undo.test')))!.senderRelayHost, ['[inner.test]:25']);
    await store.accounts.domains.setRelayhost('@undo.test', undefined);
  });

  test('migrate creates o=domains and o=domainAdmins when missing, and is idempotent', async () => {
    const { startSlapd } = await import('../support/slapd');
    const bare = await startSlapd({ suffix: 'dc=migrate,dc=test' });
    try {
      await withClientAt(bare.url, bare.rootDn, bare.rootPassword, async (client) => {
        await client.del('o=domains,dc=migrate,dc=test');
        await client.del('o=domainAdmins,dc=migrate,dc=test');
      });
      const config = { ...h.config, ldap: { url: bare.url, suffix: bare.suffix, bindDn: bare.adminDn, bindPassword: bare.adminPassword } };
      const store = openLdapStore(config);
      try {
        await assert.rejects(store.accounts.ping());
        await store.migrate();
        await store.migrate();
        await store.accounts.ping();
        const tops = await withClientAt(bare.url, bare.rootDn, bare.rootPassword, async (client) =>
          (await client.search(bare.suffix, { scope: 'one', filter: '(objectClass=organization)', attributes: ['o'] })).searchEntries.map((e) => String(e.o)).sort());
        assert.deepEqual(tops, ['domainAdmins', 'domains']);
      } finally {
        await store.close();
      }
    } finally {
      await bare.stop();
    }
  });

  test('an alias rename and an admin delete inside a failed transaction are undone, references included', async () => {
    const store = h.store as Store;
    assert.deepEqual((await admin.post('/api/alias/team@undo.test', { members: 'uma@undo.test,ext@elsewhere.test' })).body, { _success: true });
    assert.deepEqual((await admin.post('/api/alias/all@undo.test', { members: 'team@undo.test' })).body, { _success: true });
    assert.deepEqual((await admin.post('/api/admin/leaving@partner.test', { password: 'Leav1ng!Secret' })).body, { _success: true });
    assert.deepEqual((await admin.put('/api/domain/admins/undo.test', { addAdmin: 'leaving@partner.test' })).body, { _success: true });
    const tree = async () => Promise.all([...(await dnsBelow(domainDn('undo.test'))), `mail=leaving@partner.test,o=domainAdmins,${suffix()}`].map(async (dn) => [dn, await entry(dn)]));
    const before = await tree();

    const boom = new Error('boom');
    await assert.rejects(store.accounts.transaction(async (tx) => {
      await tx.aliases.rename('team@undo.test', 'crew@undo.test');
      assert.equal(await tx.aliases.get('team@undo.test'), undefined, 'moved inside the transaction');
      assert.deepEqual((await tx.aliases.get('all@undo.test'))?.members, ['crew@undo.test'], 'the reference moved with it');
      assert.equal(await tx.admins.delete('leaving@partner.test'), true);
      throw boom;
    }), boom);

    assert.deepEqual(await tree(), before, 'both aliases, the admin entry and its domainAdmin value are back');
    assert.equal(await entry(`mail=crew@undo.test,ou=Aliases,${domainDn('undo.test')}`), undefined);
  });
});

// ---------------------------------------------------------------------------------------

/** A TCP relay in front of slapd that tests can cut, pause or switch off. */
class Relay {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;
  /** 'forward' | 'swallow-next' (drop the connection on the next request) | 'hang' (accept, never answer). */
  mode: 'forward' | 'swallow-next' | 'hang' = 'forward';
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<void> {
    this.server = createServer((client) => {
      this.accepted += 1;
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.mode === 'hang') return;
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(upstream);
      upstream.on('close', () => { this.sockets.delete(upstream); client.destroy(); });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.on('data', (chunk) => {
        if (this.mode === 'swallow-next') {
          this.mode = 'forward';
          client.destroy();
          return;
        }
        if (this.mode === 'hang') return;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts every open connection (as a slapd restart or a NAT timeout would). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('connection loss: reconnect without restarting the process', () => {
  let relay: Relay;
  let store: Store;
  before(async () => {
    const target = new URL(h.ldap!.url);
    relay = new Relay({ host: target.hostname, port: Number(target.port) });
    await relay.start();
    store = openLdapStore({ ...h.config, ldap: { ...h.config.ldap, url: `ldap://127.0.0.1:${relay.port}` } }, { connectTimeoutMs: 500, operationTimeoutMs: 700 });
  });
  after(async () => {
    await store?.close();
    await relay?.stop();
  });

  test('a cut connection is replaced, rebound, and the operation succeeds', async () => {
    assert.equal(await store.accounts.domains.isLocal('shape.test'), true);
    const opened = relay.accepted;
    relay.cut();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await store.accounts.domains.isLocal('shape.test'), true, 'answered on a new connection');
    assert.ok((await store.accounts.identities.findAdmin('admin@admins.test'))?.isGlobalAdmin, 'bound as LDAP_BIND_DN again (anonymous could not read it)');
    assert.equal(relay.accepted, opened + 1);
  });

  test('a request lost with its connection is retried once on a new one', async () => {
    const opened = relay.accepted;
    relay.mode = 'swallow-next';
    assert.equal(await store.accounts.domains.isLocal('shape.test'), true);
    assert.equal(relay.accepted, opened + 1);
  });

  test('LDAP unavailable: STORAGE_UNAVAILABLE (503) after one retry; back to normal once it returns', async () => {
    const port = relay.port;
    await relay.stop();
    const started = Date.now();
    await assert.rejects(store.accounts.domains.get('shape.test'), (error: unknown) => error instanceof StorageUnavailableError && error.status === 503);
    assert.ok(Date.now() - started < 3000, 'connect timeouts bound the wait');
    await relay.start(port);
    assert.equal((await store.accounts.domains.get('shape.test'))?.domain, 'shape.test');
  });

  test('a server that accepts but never answers: the operation times out, then STORAGE_UNAVAILABLE', async () => {
    relay.mode = 'hang';
    relay.cut();
    const started = Date.now();
    await assert.rejects(store.accounts.domains.isLocal('shape.test'), (error: unknown) => error instanceof StorageUnavailableError);
    assert.ok(Date.now() - started < 5000);
    relay.mode = 'forward';
    relay.cut();
    assert.equal(await store.accounts.domains.isLocal('shape.test'), true);
  });

  test('through the API: a cut connection is invisible to the client', async () => {
    // The harness's own store, whose connection runs straight to slapd: destroy that connection's
    // socket (reaching into private fields on purpose) and ask again through the API.
    assert.equal((await admin.get('/api/domain/shape.test')).body._success, true);
    type Internals = { ctx: { session: { connection: { current?: Promise<{ socket?: Socket }> } } } };
    const client = await (h.store.accounts as unknown as Internals).ctx.session.connection.current;
    assert.ok(client?.socket, 'the harness store holds an open connection');
    client.socket.destroy();
    const res = await admin.get('/api/domain/shape.test');
    assert.equal(res.body._success, true);
    assert.equal(res.body._data.domain, 'shape.test');
  });
});
