// Proves the private slapd harness behaves like an iRedMail OpenLDAP server:
// genuine schemas loaded, {SSHA512} binds work (pw-sha2), ACLs as iRedMail's,
// and reset() returns to the installer's base tree.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Client, InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, ObjectClassViolationError, StrongAuthRequiredError } from 'ldapts';
import { startSlapd, type SlapdInstance } from '../support/slapd.ts';

// iRedAdmin's SSHA512 layout: base64(sha512(password || salt) || salt), 8-byte salt.
function ssha512(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha512').update(password).update(salt).digest();
  return `{SSHA512}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const USER_SERVICES = [
  'internal', 'doveadm', 'lib-storage', 'indexer-worker', 'dsync', 'quota-status', 'mail',
  'smtp', 'smtpsecured', 'smtptls', 'pop3', 'pop3secured', 'pop3tls', 'imap', 'imapsecured',
  'imaptls', 'managesieve', 'managesievesecured', 'managesievetls', 'sieve', 'sievesecured',
  'sievetls', 'deliver', 'lda', 'lmtp', 'recipientbcc', 'senderbcc', 'forward', 'shadowaddress',
  'displayedInGlobalAddressBook', 'sogo', 'sogowebmail', 'sogocalendar', 'sogoactivesync',
];

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url, timeout: 5000, connectTimeout: 2000 });
  try {
    return await fn(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('private slapd harness', () => {
  let ldap: SlapdInstance;
  const userPassword = 'Secr3t-p4ss!';
  let domainDn = '';
  let userDn = '';

  before(async () => {
    const t0 = performance.now();
    ldap = await startSlapd();
    const ms = performance.now() - t0;
    console.log(`slapd startup: ${ms.toFixed(0)} ms (${ldap.url})`);
    domainDn = `domainName=example.net,o=domains,${ldap.suffix}`;
    userDn = `mail=alice@example.net,ou=Users,${domainDn}`;
  });

  after(async () => {
    await ldap?.stop();
  });

  test('base tree exists and vmailadmin can bind', async () => {
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.adminDn, ldap.adminPassword);
      const { searchEntries } = await c.search(ldap.suffix, { scope: 'one', filter: '(objectClass=*)', attributes: ['1.1'] });
      const dns = searchEntries.map((e) => e.dn.toLowerCase()).sort();
      const s = ldap.suffix.toLowerCase();
      assert.deepEqual(dns, [`cn=vmail,${s}`, `cn=vmailadmin,${s}`, `o=domainadmins,${s}`, `o=domains,${s}`]);
    });
  });

  test('vmailadmin adds a domain with its OUs and a user as iRedAdmin does', async () => {
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.adminDn, ldap.adminPassword);
      await c.add(domainDn, {
        objectClass: 'mailDomain',
        domainName: 'example.net',
        cn: 'example.net',
        mtaTransport: 'dovecot',
        enabledService: 'mail',
        accountStatus: 'active',
        accountSetting: 'defaultQuota:1024',
      });
      for (const ou of ['Users', 'Groups', 'Aliases', 'Externals']) {
        await c.add(`ou=${ou},${domainDn}`, { objectClass: 'organizationalUnit', ou });
      }
      await c.add(userDn, {
        objectClass: ['inetOrgPerson', 'mailUser', 'shadowAccount', 'amavisAccount'],
        mail: 'alice@example.net',
        userPassword: ssha512(userPassword),
        cn: 'alice',
        sn: 'alice',
        uid: 'alice',
        homeDirectory: '/var/vmail/vmail1/example.net/a/l/i/alice-2024.01.01.00.00.00/',
        mailboxFormat: 'maildir',
        mailboxFolder: 'Maildir',
        accountStatus: 'active',
        enabledService: USER_SERVICES,
        preferredLanguage: 'en_US',
        shadowLastChange: String(Math.floor(Date.now() / 86_400_000)),
        amavisLocal: 'TRUE',
        mailQuota: String(1024 * 1048576),
      });
      // A standalone admin, so reset() has something to remove under o=domainAdmins too.
      await c.add(`mail=admin@other.tld,o=domainAdmins,${ldap.suffix}`, {
        objectClass: 'mailAdmin',
        mail: 'admin@other.tld',
        userPassword: ssha512('admin-pass'),
        accountStatus: 'active',
        domainGlobalAdmin: 'yes',
        cn: 'admin',
      });
    });
  });

  test('(a) user binds with the right {SSHA512} password, wrong one is invalidCredentials', async () => {
    await withClient(ldap.url, (c) => c.bind(userDn, userPassword));
    await assert.rejects(
      withClient(ldap.url, (c) => c.bind(userDn, 'wrong-password')),
      InvalidCredentialsError,
    );
  });

  test('(b) cn=vmail reads but cannot write', async () => {
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.readerDn, ldap.readerPassword);
      const { searchEntries } = await c.search(userDn, { scope: 'base', attributes: ['mail', 'mailQuota'] });
      assert.equal(searchEntries[0]?.['mail'], 'alice@example.net');
      assert.equal(searchEntries[0]?.['mailQuota'], String(1024 * 1048576));
      await assert.rejects(
        c.add(`mail=bob@example.net,ou=Users,${domainDn}`, {
          objectClass: ['inetOrgPerson', 'mailUser'],
          mail: 'bob@example.net',
          cn: 'bob',
          sn: 'bob',
          uid: 'bob',
        }),
        InsufficientAccessError,
      );
      await assert.rejects(c.del(userDn), InsufficientAccessError);
    });
  });

  test('anonymous can neither read entries nor write', async () => {
    await withClient(ldap.url, async (c) => {
      // slapd answers insufficientAccess (or nothing at all) rather than disclosing entries.
      const found = await c
        .search(`o=domains,${ldap.suffix}`, { scope: 'sub', filter: '(mail=*)' })
        .then((r) => r.searchEntries.length)
        .catch((err: unknown) => {
          assert.ok(err instanceof InsufficientAccessError || err instanceof NoSuchObjectError, String(err));
          return 0;
        });
      assert.equal(found, 0);
      // slapd refuses anonymous updates before the ACLs are even consulted.
      await assert.rejects(c.del(userDn), StrongAuthRequiredError);
    });
  });

  test('(c) schema attribute filter enabledService=imap finds the user', async () => {
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.readerDn, ldap.readerPassword);
      // Shaped like Dovecot's user_filter in iRedMail.
      const { searchEntries } = await c.search(`o=domains,${ldap.suffix}`, {
        scope: 'sub',
        filter: '(&(objectClass=mailUser)(accountStatus=active)(enabledService=imap)(mail=alice@example.net))',
        attributes: ['mail'],
      });
      assert.deepEqual(searchEntries.map((e) => e.dn.toLowerCase()), [userDn.toLowerCase()]);
    });
  });

  test('(d) schema violation: mailUser without a structural class is refused', async () => {
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.adminDn, ldap.adminPassword);
      await assert.rejects(
        c.add(`mail=carol@example.net,ou=Users,${domainDn}`, {
          objectClass: 'mailUser',
          mail: 'carol@example.net',
          uid: 'carol',
        }),
        ObjectClassViolationError,
      );
    });
  });

  test('(e) reset() removes the domain and keeps the base tree', async () => {
    const t0 = performance.now();
    await ldap.reset();
    console.log(`slapd reset: ${(performance.now() - t0).toFixed(0)} ms`);
    await withClient(ldap.url, async (c) => {
      await c.bind(ldap.rootDn, ldap.rootPassword);
      const { searchEntries } = await c.search(ldap.suffix, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'] });
      const s = ldap.suffix.toLowerCase();
      assert.deepEqual(searchEntries.map((e) => e.dn.toLowerCase()).sort(), [
        `cn=vmail,${s}`,
        `cn=vmailadmin,${s}`,
        s,
        `o=domainadmins,${s}`,
        `o=domains,${s}`,
      ]);
    });
    // Service accounts still work after a reset.
    await withClient(ldap.url, (c) => c.bind(ldap.adminDn, ldap.adminPassword));
  });
});
