// The LDAP side of the mail-stack interop suite (test/interop/mailstack.test.ts): reading
// a mail user's entry the way Dovecot and Postfix read it, and, for MAILSTACK_USERS=direct,
// writing users straight into the harness's slapd the way iRedAdmin does (reference/storage.md
// §6.3, §6.4), so the daemons' configuration is proven without the API as well. Its own ldapts client and DNs: nothing from lib/storage/ldap is reused, so a
// defect there cannot hide here.

import { Attribute, Change, EqualityFilter, OrFilter, type Entry } from 'ldapts';
import { hashPassword, type PasswordScheme } from '#lib/auth/passwords';
import type { SlapdInstance } from './slapd';
import { entryRecord, withRootClient } from './slapd';

/** enabledService of a new mail user, as iRedAdmin writes it (storage.md §6.3). */
export const USER_SERVICES = [
  'internal', 'doveadm', 'lib-storage', 'indexer-worker', 'dsync', 'quota-status', 'mail',
  'smtp', 'smtpsecured', 'smtptls', 'pop3', 'pop3secured', 'pop3tls', 'imap', 'imapsecured', 'imaptls',
  'managesieve', 'managesievesecured', 'managesievetls', 'sieve', 'sievesecured', 'sievetls',
  'deliver', 'lda', 'lmtp', 'recipientbcc', 'senderbcc', 'forward', 'shadowaddress',
  'displayedInGlobalAddressBook', 'sogo', 'sogowebmail', 'sogocalendar', 'sogoactivesync',
];

/** API service names (removeService) -> the enabledService values they stand for. */
const SERVICE_VALUES: Record<string, string[]> = {
  imap: ['imap'],
  imapsecured: ['imapsecured', 'imaptls'],
  smtp: ['smtp'],
  deliver: ['deliver', 'lda', 'lmtp'],
};

export interface LdapMailAccount {
  hash: string;
  /** What virtual_mailbox_maps.cf answers: homeDirectory + '/Maildir/'. */
  mailboxPath: string;
  /** Dovecot's userdb home: homeDirectory, lower-cased (`%L{ldap:homeDirectory}`). */
  home: string;
  entry: Record<string, string[]>;
}

const domainOf = (mail: string) => mail.slice(mail.lastIndexOf('@') + 1).toLowerCase();


/** The mail user entry (mail=<address>, anywhere below o=domains), attributes as strings. */
export async function ldapMailUserEntry(slapd: SlapdInstance, mail: string): Promise<{ dn: string; attrs: Record<string, string[]> } | undefined> {
  return withRootClient(slapd, async (client) => {
    const { searchEntries } = await client.search(`o=domains,${slapd.suffix}`, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute: 'mail', value: mail.toLowerCase() }),
      attributes: ['*'],
    });
    const entry = searchEntries.find((e) => entryRecord(e).objectClass?.some((c) => c.toLowerCase() === 'mailuser'));
    return entry ? { dn: entry.dn, attrs: entryRecord(entry) } : undefined;
  });
}

/** A stored mail user as the daemons see it; throws when there is none. */
export async function ldapMailAccount(slapd: SlapdInstance, mail: string): Promise<LdapMailAccount> {
  const found = await ldapMailUserEntry(slapd, mail);
  if (!found) throw new Error(`no mailUser entry with mail=${mail} below o=domains,${slapd.suffix}`);
  const home = found.attrs.homeDirectory?.[0];
  if (!home) throw new Error(`${found.dn} has no homeDirectory: ${JSON.stringify(found.attrs)}`);
  return { hash: found.attrs.userPassword?.[0] ?? '', mailboxPath: `${home}/Maildir/`, home: home.toLowerCase(), entry: found.attrs };
}

/**
 * Every entry whose mail or shadowAddress is `address` (users, aliases, lists, the catch-all
 * for `@domain`), for failure messages: DN and attributes, userPassword left out.
 */
export async function describeLdapEntries(slapd: SlapdInstance, address: string): Promise<string> {
  const entries = await withRootClient(slapd, async (client) => {
    const { searchEntries } = await client.search(`o=domains,${slapd.suffix}`, {
      scope: 'sub',
      filter: new OrFilter({ filters: ['mail', 'shadowAddress'].map((attribute) => new EqualityFilter({ attribute, value: address.toLowerCase() })) }),
      attributes: ['*'],
    });
    return searchEntries;
  });
  if (entries.length === 0) return `(no entry has mail or shadowAddress ${address})`;
  return entries
    .map((entry) => {
      const { userPassword: _hidden, ...rest } = entryRecord(entry);
      return `${entry.dn} ${JSON.stringify(rest)}`;
    })
    .join('\n  ');
}

export interface LdapUserExtras {
  quota?: number;
  mailboxFormat?: string;
  mailboxFolder?: string;
}

/**
 * Mail users written straight into slapd the way iRedAdmin writes them; the same operations
 * the suite performs through the API once the API has users on LDAP.
 */
export function ldapDirectUsers(slapd: SlapdInstance, storageBaseDirectory: string) {
  const userDn = (mail: string) => `mail=${mail.toLowerCase()},ou=Users,domainName=${domainOf(mail)},o=domains,${slapd.suffix}`;
  const domainDn = (domain: string) => `domainName=${domain},o=domains,${slapd.suffix}`;
  const today = () => String(Math.floor(Date.now() / 86_400_000));
  const modify = (mail: string, changes: Change[]) => withRootClient(slapd, (client) => client.modify(userDn(mail), changes));
  const replace = (type: string, values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
  const remove = (type: string, values: string[]) => new Change({ operation: 'delete', modification: new Attribute({ type, values }) });
  const servicesOf = async (mail: string) => new Set(((await ldapMailUserEntry(slapd, mail))?.attrs.enabledService ?? []).map((s) => s.toLowerCase()));

  return {
    via: 'ldap' as const,
    async create(mail: string, password: string, scheme: PasswordScheme, extra: LdapUserExtras = {}): Promise<void> {
      const lower = mail.toLowerCase();
      const domain = domainOf(lower);
      const local = lower.slice(0, lower.lastIndexOf('@'));
      const hashed = [local[0], local[1] ?? '_', local[2] ?? '_'].map((c) => (c === '.' || c === '~' ? '_' : c));
      const owner = await withRootClient(slapd, async (client) => (await client.search(domainDn(domain), { scope: 'base', attributes: ['accountStatus', 'domainAliasName'] })).searchEntries[0]);
      const ownerAttrs = owner ? entryRecord(owner) : {};
      const attributes: Record<string, string[]> = {
        objectClass: ['inetOrgPerson', 'mailUser', 'shadowAccount', 'amavisAccount'],
        mail: [lower],
        userPassword: [await hashPassword(password, scheme)],
        cn: [local],
        sn: [local],
        uid: [local],
        homeDirectory: [`${storageBaseDirectory}/${domain}/${hashed.join('/')}/${local}-2026.01.01.00.00.00`],
        accountStatus: ['active'],
        enabledService: USER_SERVICES,
        preferredLanguage: ['en_US'],
        shadowLastChange: [today()],
        amavisLocal: ['TRUE'],
        // One shadow address per alias domain: Postfix's LDAP maps do not rewrite domains.
        ...(ownerAttrs.domainAliasName?.length ? { shadowAddress: ownerAttrs.domainAliasName.map((d) => `${local}@${d.toLowerCase()}`) } : {}),
        ...(extra.quota ? { mailQuota: [String(extra.quota * 1024 * 1024)] } : {}),
        ...(extra.mailboxFormat ? { mailboxFormat: [extra.mailboxFormat] } : {}),
        ...(extra.mailboxFolder ? { mailboxFolder: [extra.mailboxFolder] } : {}),
        ...((ownerAttrs.accountStatus?.[0] ?? 'active').toLowerCase() !== 'active' ? { domainStatus: ['disabled'] } : {}),
      };
      await withRootClient(slapd, (client) => client.add(userDn(lower), attributes));
    },
    async setPassword(mail: string, password: string): Promise<void> {
      await modify(mail, [replace('userPassword', [await hashPassword(password, 'SSHA512')]), replace('shadowLastChange', [today()])]);
    },
    async setActive(mail: string, active: boolean): Promise<void> {
      await modify(mail, [replace('accountStatus', [active ? 'active' : 'disabled'])]);
    },
    async removeServices(mail: string, services: string[]): Promise<void> {
      const unknown = services.filter((service) => !SERVICE_VALUES[service]);
      if (unknown.length > 0) throw new Error(`ldapDirectUsers knows no enabledService values for ${unknown.join(', ')}`);
      const have = await servicesOf(mail);
      const gone = services.flatMap((service) => SERVICE_VALUES[service]!).filter((value) => have.has(value));
      if (gone.length > 0) await modify(mail, [remove('enabledService', gone)]);
    },
    async setForwarding(mail: string, targets: string[]): Promise<void> {
      // No targets: plain delivery, no mailForwardingAddress at all.
      await modify(mail, [replace('mailForwardingAddress', targets.map((t) => t.toLowerCase()))]);
    },
    async setAliases(mail: string, aliases: string[]): Promise<void> {
      const found = await ldapMailUserEntry(slapd, mail);
      // Keep the alias-domain shadow addresses; replace the per-user aliases.
      const aliasDomains = new Set((await withRootClient(slapd, async (client) => entryRecord((await client.search(domainDn(domainOf(mail)), { scope: 'base', attributes: ['domainAliasName'] })).searchEntries[0]!).domainAliasName ?? [])).map((d) => d.toLowerCase()));
      const kept = (found?.attrs.shadowAddress ?? []).filter((a) => aliasDomains.has(domainOf(a)));
      await modify(mail, [replace('shadowAddress', [...new Set([...kept, ...aliases.map((a) => a.toLowerCase())])])]);
    },
    async setBcc(mail: string, bcc: { sender?: string; recipient?: string }): Promise<void> {
      const changes: Change[] = [];
      if (bcc.sender !== undefined) changes.push(replace('userSenderBccAddress', bcc.sender ? [bcc.sender] : []));
      if (bcc.recipient !== undefined) changes.push(replace('userRecipientBccAddress', bcc.recipient ? [bcc.recipient] : []));
      if (changes.length > 0) await modify(mail, changes);
    },
    async setTransport(mail: string, transport: string): Promise<void> {
      await modify(mail, [replace('mtaTransport', transport ? [transport] : [])]);
    },
    async delete(mail: string): Promise<void> {
      await withRootClient(slapd, async (client) => {
        // Out of every alias's member list, then the entry itself (storage.md §6.3).
        const { searchEntries } = await client.search(`o=domains,${slapd.suffix}`, {
          scope: 'sub',
          filter: new EqualityFilter({ attribute: 'mailForwardingAddress', value: mail.toLowerCase() }),
          attributes: ['objectClass'],
        });
        for (const entry of searchEntries) {
          if (entry.dn.toLowerCase() === userDn(mail).toLowerCase()) continue;
          await client.modify(entry.dn, [remove('mailForwardingAddress', [mail.toLowerCase()])]);
        }
        await client.del(userDn(mail));
      });
    },
  };
}
