import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client, PresenceFilter } from 'ldapts';
import { startRoleFixture, type Role } from '../../support/roles';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { startSlapd, type SlapdInstance } from '../../support/slapd';
import type { ApiClient, Harness } from '../../support/api';

/**
 * LDIF export, GET /api/ldif/<kind>/<target> (pro-api-behaviour §1.14). LDAP only: SQL
 * backends answer NOT_SUPPORTED_BY_BACKEND. On LDAP the export is read back with the real
 * `ldapadd` into a second, empty slapd with the same suffix, and the entries there must equal
 * the originals attribute for attribute (user attributes; operational ones are not exported).
 */
let h: Harness;
let p: Probe;
let admin: ApiClient;
let clients: Record<Role, ApiClient>;
const ROLES: Role[] = ['anonymous', 'other', 'owner', 'global'];
const ROUTES = ['/api/ldif/domain/mine.test', '/api/ldif/catchall/mine.test', '/api/ldif/admin/owner@admins.test', '/api/ldif/user/alice@mine.test', '/api/ldif/maillist/staff@mine.test', '/api/ldif/alias/sales@mine.test'];
const isAdminRoute = (path: string) => path.includes('/ldif/admin/');

before(async () => {
  ({ h, admin, clients } = await startRoleFixture());
  p = probe(h);
});
after(async () => { await h?.close(); });

describe(`LDIF export is LDAP only (${process.env.TEST_BACKEND ?? 'embedded'})`, { skip: process.env.TEST_BACKEND === 'ldap' }, () => {
  for (const path of ROUTES) {
    test(`GET ${path}: NOT_SUPPORTED_BY_BACKEND, role refusals first, nothing changed`, async () => {
      const before = await p.snapshot();
      for (const role of ROLES) {
        const allowed = role === 'global' || (role === 'owner' && !isAdminRoute(path));
        const expected = role === 'anonymous' ? 'LOGIN_REQUIRED' : allowed ? 'NOT_SUPPORTED_BY_BACKEND' : 'PERMISSION_DENIED';
        const res = await clients[role].get(path);
        assert.deepEqual(res.body, { _success: false, _msg: expected }, role);
        assert.equal(res.status, 200);
      }
      assert.deepEqual((await admin.get(path, { with_password: 'yes' })).body, { _success: false, _msg: 'NOT_SUPPORTED_BY_BACKEND' });
      assert.deepEqual(await p.snapshot(), before);
    });
  }
});

describe('LDIF export on LDAP', { skip: process.env.TEST_BACKEND !== 'ldap' }, () => {
  let empty: SlapdInstance;
  let workDir: string;
  const base = () => `o=domains,${h.ldap!.suffix}`;
  const domainDn = (d: string) => `domainName=${d},${base()}`;

  async function withClient<T>(server: SlapdInstance, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: server.url, timeout: 10_000 });
    try {
      await client.bind(server.rootDn, server.rootPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Entries below (and at) `dn`, as comparable text: lower-case names, values (hex for binary) sorted. */
  async function entries(server: SlapdInstance, dn: string, scope: 'base' | 'sub', drop: string[] = []): Promise<Record<string, Record<string, string[]>>> {
    return withClient(server, async (client) => {
      const out: Record<string, Record<string, string[]>> = {};
      const { searchEntries } = await client.search(dn, { scope, filter: new PresenceFilter({ attribute: 'objectClass' }), attributes: ['*'], explicitBufferAttributes: ['jpegPhoto'] });
      for (const entry of searchEntries) {
        const attributes: Record<string, string[]> = {};
        for (const [name, value] of Object.entries(entry)) {
          const list = Array.isArray(value) ? value : [value];
          // ldapts answers a requested `*` with an empty `*` attribute: not part of the entry.
          if (name === 'dn' || list.length === 0 || drop.includes(name.toLowerCase())) continue;
          attributes[name.toLowerCase()] = list.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v))).sort();
        }
        out[entry.dn.toLowerCase()] = attributes;
      }
      return out;
    });
  }

  /** The real ldapadd, as an operator restoring an export would run it. */
  async function ldapadd(text: string): Promise<void> {
    const file = join(workDir, `import-${Date.now()}-${Math.random().toString(16).slice(2)}.ldif`);
    writeFileSync(file, text);
    await promisify(execFile)('ldapadd', ['-x', '-H', empty.url, '-D', empty.rootDn, '-w', empty.rootPassword, '-f', file]);
  }

  /** Parents an account export needs in the empty server, copied from the original. */
  async function copyParents(domain: string): Promise<void> {
    const parents = [domainDn(domain), ...['Users', 'Groups', 'Aliases', 'Externals'].map((ou) => `ou=${ou},${domainDn(domain)}`)];
    for (const dn of parents) {
      const entry = (await entries(h.ldap!, dn, 'base'))[dn.toLowerCase()]!;
      await withClient(empty, (client) => client.add(dn, entry));
    }
  }

  async function exported(client: ApiClient, path: string, params: Record<string, string> = {}): Promise<string> {
    const res = await client.get(path, params);
    assert.equal(res.body._success, true, JSON.stringify(res.body));
    assert.equal(typeof res.body._data, 'string');
    return res.body._data as string;
  }

  const LONG_NAME = 'Vertriebsmannschaft Süd — alle Mitarbeiterinnen und Mitarbeiter der Niederlassungen in Bayern';

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'ldif-test-'));
    empty = await startSlapd({ suffix: h.ldap!.suffix });
    await seedMailbox(h, 'alice@mine.test', { password: 'Alice1!Secret', quota: 1024 });
    await seedMailbox(h, 'bob@mine.test', { password: 'Bob1!Secret' });
    await seedMailbox(h, 'carol@theirs.test');
    // Values an LDIF writer must encode or fold: non-ASCII, a leading colon, a trailing space, binary.
    await withClient(h.ldap!, async (client) => {
      const dn = `mail=alice@mine.test,ou=Users,${domainDn('mine.test')}`;
      const change = (type: string, values: string[] | Buffer[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
      await client.modify(dn, [change('cn', ['Ålice Ünïcode']), change('title', [':colon first']), change('description', ['ends with a space ', 'two\nlines']), change('jpegPhoto', [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46])])]);
      // A mail alias, written as iRedAdmin writes one (storage.md §6.4): the alias API is not on LDAP yet.
      await client.add(`mail=sales@mine.test,ou=Aliases,${domainDn('mine.test')}`, {
        objectClass: 'mailAlias', mail: 'sales@mine.test', cn: 'Sales', accountStatus: 'active', enabledService: ['mail', 'deliver'], mailForwardingAddress: ['alice@mine.test', 'ext@elsewhere.test'],
      });
    });
    assert.equal((await admin.put('/api/domain/mine.test', { catchall: 'alice@mine.test,bob@mine.test' })).body._success, true);
    assert.equal((await admin.post('/api/maillist/staff@mine.test', { name: LONG_NAME, members: 'alice@mine.test,ext@elsewhere.test,carol@theirs.test' })).body._success, true);
  });
  after(async () => {
    await empty?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('a domain exported with passwords (global admin) and read back by ldapadd into an empty server is the same subtree', async () => {
    const text = await exported(admin, '/api/ldif/domain/mine.test', { with_password: 'yes' });
    assert.match(text, /^version: 1\n\ndn: domainName=mine\.test,o=domains,/);
    assert.match(text, /^userPassword: \{SSHA512\}/m);
    assert.match(text, /^cn:: /m, 'non-ASCII values are base64');
    assert.match(text, /^title:: /m, 'a leading colon is base64');
    assert.ok(text.split('\n').every((line) => line.length <= 76), 'lines folded at 76');
    assert.match(text, /\n [^\n]/, 'at least one continuation line');
    await empty.reset();
    await ldapadd(text);
    const original = await entries(h.ldap!, domainDn('mine.test'), 'sub');
    assert.ok(Object.keys(original).length >= 9, 'domain, 4 OUs, 2 users, catch-all, alias, list, externals');
    assert.deepEqual(await entries(empty, domainDn('mine.test'), 'sub'), original);
  });

  test('without with_password=yes, userPassword is left out and everything else is the same', async () => {
    const text = await exported(clients.owner, '/api/ldif/domain/mine.test');
    assert.doesNotMatch(text, /userPassword/i);
    await empty.reset();
    await ldapadd(text);
    assert.deepEqual(await entries(empty, domainDn('mine.test'), 'sub'), await entries(h.ldap!, domainDn('mine.test'), 'sub', ['userpassword']));
  });

  const single: [string, string, () => string][] = [
    ['catch-all', '/api/ldif/catchall/mine.test', () => `mail=@mine.test,ou=Users,${domainDn('mine.test')}`],
    ['user', '/api/ldif/user/alice@mine.test', () => `mail=alice@mine.test,ou=Users,${domainDn('mine.test')}`],
    ['alias', '/api/ldif/alias/sales@mine.test', () => `mail=sales@mine.test,ou=Aliases,${domainDn('mine.test')}`],
  ];
  for (const [what, path, dn] of single) {
    test(`${what}: the one entry, read back by ldapadd below copied parents`, async () => {
      const text = await exported(clients.owner, path);
      assert.equal(text.match(/^dn:/gm)?.length, 1);
      await empty.reset();
      await copyParents('mine.test');
      await ldapadd(text);
      const original = await entries(h.ldap!, dn(), 'base', ['userpassword']);
      assert.equal(Object.keys(original).length, 1);
      assert.deepEqual(await entries(empty, dn(), 'base'), original);
    });
  }

  test('mailing list: the list entry and its externals entry; internal members stay on their own entries', async () => {
    const text = await exported(clients.owner, '/api/ldif/maillist/staff@mine.test');
    const unfolded = text.replace(/\n /g, '');
    const dns = [...unfolded.matchAll(/^dn:(:?) (.+)$/gm)].map((m) => (m[1] ? Buffer.from(m[2]!, 'base64').toString() : m[2]!));
    assert.deepEqual(dns, [`mail=staff@mine.test,ou=Groups,${domainDn('mine.test')}`, `memberOfGroup=staff@mine.test,ou=Externals,${domainDn('mine.test')}`]);
    await empty.reset();
    await copyParents('mine.test');
    await ldapadd(text);
    for (const dn of dns) assert.deepEqual(await entries(empty, dn, 'base'), await entries(h.ldap!, dn, 'base'));
    assert.equal((await entries(empty, `mail=staff@mine.test,ou=Groups,${domainDn('mine.test')}`, 'base'))[`mail=staff@mine.test,ou=groups,${domainDn('mine.test')}`.toLowerCase()]!.cn![0], LONG_NAME);
  });

  test('standalone admin (global admins only): read back by ldapadd under o=domainAdmins', async () => {
    const dn = `mail=owner@admins.test,o=domainAdmins,${h.ldap!.suffix}`;
    const text = await exported(admin, '/api/ldif/admin/owner@admins.test', { with_password: 'yes' });
    await empty.reset();
    await ldapadd(text);
    assert.deepEqual(await entries(empty, dn, 'base'), await entries(h.ldap!, dn, 'base'));
  });

  test('routes × roles: anonymous LOGIN_REQUIRED, other domain PERMISSION_DENIED, owner its domain, global all; passwords for global admins only', async () => {
    for (const path of ROUTES) {
      for (const role of ROLES) {
        const allowed = role === 'global' || (role === 'owner' && !isAdminRoute(path));
        const res = await clients[role].get(path);
        if (allowed) assert.equal(typeof res.body._data, 'string', `${role} ${path} ${JSON.stringify(res.body)}`);
        else assert.deepEqual(res.body, { _success: false, _msg: role === 'anonymous' ? 'LOGIN_REQUIRED' : 'PERMISSION_DENIED' }, `${role} ${path}`);
        assert.equal(res.status, 200);
      }
      const asOwner = await clients.owner.get(path, { with_password: 'yes' });
      assert.deepEqual(asOwner.body, { _success: false, _msg: 'PERMISSION_DENIED' }, `owner with_password ${path}`);
    }
    assert.deepEqual((await clients.owner.get('/api/ldif/user/carol@theirs.test')).body, { _success: false, _msg: 'PERMISSION_DENIED' });
  });

  test('missing accounts and domains, malformed addresses', async () => {
    const cases: [string, string][] = [
      ['/api/ldif/domain/nowhere.test', 'INVALID_DOMAIN_NAME'],
      ['/api/ldif/catchall/nowhere.test', 'INVALID_DOMAIN_NAME'],
      ['/api/ldif/catchall/theirs.test', 'NO_SUCH_ACCOUNT'],
      ['/api/ldif/user/ghost@mine.test', 'NO_SUCH_ACCOUNT'],
      ['/api/ldif/user/sales@mine.test', 'NO_SUCH_ACCOUNT'],
      ['/api/ldif/alias/alice@mine.test', 'NO_SUCH_ACCOUNT'],
      ['/api/ldif/maillist/sales@mine.test', 'NO_SUCH_ACCOUNT'],
      ['/api/ldif/admin/alice@mine.test', 'NO_SUCH_ACCOUNT'],
      [`/api/ldif/user/${encodeURIComponent('*)(uid=*@mine.test')}`, 'INVALID_MAIL'],
      [`/api/ldif/user/${encodeURIComponent('alice@mine.test,ou=Users')}`, 'INVALID_MAIL'],
      [`/api/ldif/domain/${encodeURIComponent('mine.test,o=domains')}`, 'INVALID_DOMAIN_NAME'],
      ['/api/ldif/domain/*', 'INVALID_DOMAIN_NAME'],
    ];
    for (const [path, code] of cases) {
      const res = await admin.get(path);
      assert.deepEqual(res.body, { _success: false, _msg: code }, path);
      assert.equal(res.status, 200);
    }
  });
});
