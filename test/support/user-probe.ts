/**
 * The mail-user part of the backend-neutral probe (probe.ts): what the API stored for a mail
 * user, on SQL from the vmail tables, on LDAP from the entry as Postfix and Dovecot read it
 * (storage.md §1.2-1.3, §6.3-6.4). The LDAP side builds its own DNs and decodes the entry
 * itself: it is the oracle lib/storage/ldap/users.ts is checked against.
 */
import { sql } from 'kysely';
import { Attribute, Change, Client, EqualityFilter, AndFilter, NotFilter, type Entry } from 'ldapts';
import type { Settings } from '#lib/model/settings-codec';
import { serializeSettings } from '#lib/model/settings-codec';
import type { Harness } from './api';
import { entryRecord, entryValues, firstValue, readEntryOrNone, searchOrNone, withRootClient } from './slapd';

/** A mail user in the SQL vocabulary (the vmail.mailbox row's meaning). */
export interface MailUserRecord {
  username: string;
  name: string;
  language: string;
  employeeid: string;
  transport: string;
  /** MB, 0 unlimited. */
  quota: number;
  active: number;
  isadmin: number;
  isglobaladmin: number;
  passwordHash: string;
  /** Comparable between reads of one user: SQL passwordlastchange; LDAP shadowLastChange (days). */
  passwordChanged: string;
  mailboxformat: string;
  mailboxfolder: string;
  /** The absolute maildir: storagebasedirectory/storagenode/maildir (LDAP homeDirectory). */
  home: string;
  /** The enable<service> columns (SOGo's as y/n); LDAP: whether enabledService holds <service>. */
  services: Record<string, number | string>;
}

export interface UserProbe {
  mailUser(username: string): Promise<MailUserRecord | undefined>;
  /** The domain's mail users (catch-all left out), by address. */
  mailUsers(domain: string): Promise<MailUserRecord[]>;
  /** Where the user's mail goes, sorted: the own address means "delivered to the mailbox" (SQL self row; LDAP own address or no mailForwardingAddress). */
  forwardingTargets(username: string): Promise<string[]>;
  /** Per-user alias addresses (SQL forwardings is_alias; LDAP shadowAddress, alias-domain addresses left out). */
  userAliasAddresses(username: string): Promise<string[]>;
  /** Addresses that deliver to the user, other than its own (per-user aliases of every kind, SQL forwardings; LDAP all shadowAddress values). */
  addressesOf(username: string): Promise<string[]>;
  userBcc(kind: 'sender' | 'recipient', username: string): Promise<string | undefined>;
  /** Mail aliases the user is a member of (SQL forwardings is_list; LDAP mailAlias mailForwardingAddress). */
  aliasMemberships(username: string): Promise<string[]>;
  /** Replaces the domain's settings (SQL settings column; LDAP accountSetting, limits kept). */
  setDomainSettings(domain: string, settings: Settings): Promise<void>;
  /** Dovecot's rows (SQL vmail; LDAP iredadmin, as on an iRedMail LDAP server). */
  setUsage(username: string, usage: { bytes?: number; messages?: number; imap?: number | null; pop3?: number | null; lda?: number | null }): Promise<void>;
  /** How many used_quota / last_login rows the address has. */
  usageRows(username: string): Promise<number>;
  /** A mail alias written behind the API's back (SQL alias row; LDAP mailAlias entry). */
  seedAlias(address: string, name: string, members?: string[]): Promise<void>;
  /** A member added to a mail alias behind the API's back (SQL forwardings is_list; LDAP mailForwardingAddress). */
  addAliasMember(alias: string, member: string): Promise<void>;
  /** LDAP only: the user entry's attributes (names lower case). */
  ldapUserEntry(username: string): Promise<Record<string, string[]> | undefined>;
}

const dateText = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));
const utcNow = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

const SERVICE_COLUMNS = [
  'enablesmtp', 'enablesmtpsecured', 'enablepop3', 'enablepop3secured', 'enablepop3tls', 'enableimap', 'enableimapsecured',
  'enableimaptls', 'enabledeliver', 'enablelda', 'enablemanagesieve', 'enablemanagesievesecured', 'enablesieve',
  'enablesievesecured', 'enablesievetls', 'enableinternal', 'enabledoveadm', 'enablelib-storage', 'enablequota-status',
  'enableindexer-worker', 'enablelmtp', 'enabledsync', 'enablesogo',
];
const SOGO_COLUMNS = ['enablesogowebmail', 'enablesogocalendar', 'enablesogoactivesync'];

// ---------------------------------------------------------------------------------------
// SQL

export function sqlUserProbe(h: Harness): UserProbe {
  const db = h.vmail;
  const toRecord = (r: Record<string, any>): MailUserRecord => ({
    username: r.username, name: String(r.name ?? ''), language: String(r.language ?? ''), employeeid: String(r.employeeid ?? ''),
    transport: String(r.transport ?? ''), quota: Number(r.quota), active: Number(r.active), isadmin: Number(r.isadmin), isglobaladmin: Number(r.isglobaladmin),
    passwordHash: String(r.password), passwordChanged: dateText(r.passwordlastchange), mailboxformat: r.mailboxformat, mailboxfolder: r.mailboxfolder,
    home: `${r.storagebasedirectory}/${r.storagenode}/${r.maildir}`,
    services: Object.fromEntries([...SERVICE_COLUMNS.map((c) => [c, Number(r[c])]), ...SOGO_COLUMNS.map((c) => [c, String(r[c])])]),
  });
  const addresses = async (column: 'address' | 'forwarding', where: 'address' | 'forwarding', value: string, flag: string) =>
    (await db.selectFrom('forwardings').select(column).where(where, '=', value).where(flag, '=', 1).orderBy(column).execute()).map((r) => String(r[column]));
  return {
    async mailUser(username) {
      const r = await db.selectFrom('mailbox').selectAll().where('username', '=', username).executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },
    async mailUsers(domain) {
      return (await db.selectFrom('mailbox').selectAll().where('domain', '=', domain).orderBy('username').execute()).map(toRecord);
    },
    forwardingTargets: (username) => addresses('forwarding', 'address', username, 'is_forwarding'),
    userAliasAddresses: (username) => addresses('address', 'forwarding', username, 'is_alias'),
    addressesOf: (username) => addresses('address', 'forwarding', username, 'is_alias'),
    async userBcc(kind, username) {
      const r = await db.selectFrom(kind === 'sender' ? 'sender_bcc_user' : 'recipient_bcc_user').selectAll().where('username', '=', username).where('active', '=', 1).executeTakeFirst();
      return r?.bcc_address;
    },
    aliasMemberships: (username) => addresses('address', 'forwarding', username, 'is_list'),
    async setDomainSettings(domain, settings) {
      await db.updateTable('domain').set({ settings: serializeSettings(settings) }).where('domain', '=', domain).execute();
    },
    async setUsage(username, usage) {
      const domain = username.split('@')[1]!;
      if (usage.bytes !== undefined || usage.messages !== undefined) await db.insertInto('used_quota').values({ username, bytes: usage.bytes ?? 0, messages: usage.messages ?? 0 }).execute();
      if ('imap' in usage || 'pop3' in usage || 'lda' in usage) await db.insertInto('last_login').values({ username, domain, imap: usage.imap ?? null, pop3: usage.pop3 ?? null, lda: usage.lda ?? null }).execute();
    },
    async usageRows(username) {
      const quota = await db.selectFrom('used_quota').select('username').where('username', '=', username).execute();
      const login = await db.selectFrom('last_login').select('username').where('username', '=', username).execute();
      return quota.length + login.length;
    },
    async seedAlias(address, name, members = []) {
      const domain = address.split('@')[1]!;
      await db.insertInto('alias').values({ address, name, accesspolicy: 'public', domain, created: utcNow(), modified: utcNow(), active: 1 }).execute();
      for (const member of members) await db.insertInto('forwardings').values({ address, forwarding: member, domain, dest_domain: member.split('@')[1], is_list: 1, active: 1 }).execute();
    },
    async addAliasMember(alias, member) {
      await db.insertInto('forwardings').values({ address: alias, forwarding: member, domain: alias.split('@')[1], dest_domain: member.split('@')[1], is_list: 1, active: 1 }).execute();
    },
    async ldapUserEntry() {
      throw new Error('ldapUserEntry: LDAP only');
    },
  };
}

// ---------------------------------------------------------------------------------------
// LDAP


/** accountSetting keys of the SQL settings (storage.md §2.2); lists are one value per item. */
const LDAP_KEYS: Record<string, string> = {
  default_user_quota: 'defaultQuota', max_user_quota: 'maxUserQuota', min_passwd_length: 'minPasswordLength', max_passwd_length: 'maxPasswordLength',
  default_language: 'defaultLanguage', timezone: 'timezone', disabled_mail_services: 'disabledMailService',
};
const LIMIT_KEYS = ['numberofusers', 'numberofaliases', 'numberoflists', 'domainquota'];

/** The iRedMail DDL of Dovecot's two tables, which an LDAP server keeps in iredadmin (iRedMail's iredmail.mysql). */
const DOVECOT_TABLES = [
  'CREATE TABLE IF NOT EXISTS used_quota (username VARCHAR(255) NOT NULL, bytes BIGINT NOT NULL DEFAULT 0, messages BIGINT NOT NULL DEFAULT 0, domain VARCHAR(255) NOT NULL DEFAULT \'\', PRIMARY KEY (username), INDEX (domain))',
  'CREATE TABLE IF NOT EXISTS last_login (username VARCHAR(255) NOT NULL DEFAULT \'\', domain VARCHAR(255) NOT NULL DEFAULT \'\', imap INT(11) DEFAULT NULL, pop3 INT(11) DEFAULT NULL, lda INT(11) DEFAULT NULL, PRIMARY KEY (username), INDEX (domain))',
];

export function ldapUserProbe(h: Harness): UserProbe {
  const slapd = h.ldap!;
  const domainsBase = `o=domains,${slapd.suffix}`;
  const domainDn = (d: string) => `domainName=${d},${domainsBase}`;
  const userDn = (u: string) => `mail=${u},ou=Users,${domainDn(u.split('@')[1]!)}`;

  const withClient = <T>(work: (client: Client) => Promise<T>) => withRootClient(slapd, work);
  const read = (dn: string) => readEntryOrNone(slapd, dn);
  const search = (base: string, filter: EqualityFilter | AndFilter, attributes: string[]) => searchOrNone(slapd, base, { scope: 'sub', filter, attributes });
  const aliasDomainsOf = async (domain: string) => entryValues(await read(domainDn(domain)), 'domainAliasName').map((d) => d.toLowerCase());

  const toRecord = (entry: Entry): MailUserRecord => {
    const services = entryValues(entry, 'enabledService').map((s) => s.toLowerCase());
    const has = (column: string) => services.includes(column.slice('enable'.length));
    return {
      username: firstValue(entry, 'mail')!.toLowerCase(), name: firstValue(entry, 'cn') ?? '', language: firstValue(entry, 'preferredLanguage') ?? '',
      employeeid: firstValue(entry, 'employeeNumber') ?? '', transport: firstValue(entry, 'mtaTransport') ?? '',
      quota: Number(firstValue(entry, 'mailQuota') ?? 0) / 1048576, active: firstValue(entry, 'accountStatus') === 'active' ? 1 : 0,
      isadmin: services.includes('domainadmin') ? 1 : 0, isglobaladmin: firstValue(entry, 'domainGlobalAdmin') === 'yes' ? 1 : 0,
      passwordHash: firstValue(entry, 'userPassword') ?? '', passwordChanged: (firstValue(entry, 'shadowLastChange') ?? '').padStart(8, '0'),
      mailboxformat: firstValue(entry, 'mailboxFormat') ?? 'maildir', mailboxfolder: firstValue(entry, 'mailboxFolder') ?? 'Maildir',
      home: firstValue(entry, 'homeDirectory') ?? '',
      services: Object.fromEntries([...SERVICE_COLUMNS.map((c) => [c, has(c) ? 1 : 0]), ...SOGO_COLUMNS.map((c) => [c, has(c) ? 'y' : 'n'])]),
    };
  };

  return {
    async mailUser(username) {
      const entry = await read(userDn(username));
      return entry && entryValues(entry, 'objectClass').includes('mailUser') ? toRecord(entry) : undefined;
    },
    async mailUsers(domain) {
      const filter = new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'mailUser' }), new NotFilter({ filter: new EqualityFilter({ attribute: 'mail', value: `@${domain}` }) })] });
      const entries = await search(`ou=Users,${domainDn(domain)}`, filter, ['*']);
      return entries.map(toRecord).sort((a, b) => (a.username < b.username ? -1 : 1));
    },
    async forwardingTargets(username) {
      // Postfix delivers to the mailbox when the user has no mailForwardingAddress.
      const targets = entryValues(await read(userDn(username)), 'mailForwardingAddress').map((t) => t.toLowerCase());
      return (targets.length > 0 ? targets : [username]).sort();
    },
    async userAliasAddresses(username) {
      const [local, domain] = username.split('@') as [string, string];
      const derived = new Set((await aliasDomainsOf(domain)).map((d) => `${local}@${d}`));
      return entryValues(await read(userDn(username)), 'shadowAddress').map((a) => a.toLowerCase()).filter((a) => !derived.has(a)).sort();
    },
    async addressesOf(username) {
      return entryValues(await read(userDn(username)), 'shadowAddress').map((a) => a.toLowerCase()).sort();
    },
    async userBcc(kind, username) {
      // Postfix's user BCC maps ask for the address only while the service is enabled.
      const entry = await read(userDn(username));
      const address = firstValue(entry, kind === 'sender' ? 'userSenderBccAddress' : 'userRecipientBccAddress');
      return address && entryValues(entry, 'enabledService').includes(kind === 'sender' ? 'senderbcc' : 'recipientbcc') ? address : undefined;
    },
    async aliasMemberships(username) {
      const entries = await search(domainsBase, new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'mailAlias' }), new EqualityFilter({ attribute: 'mailForwardingAddress', value: username })] }), ['mail']);
      return entries.map((e) => firstValue(e, 'mail')!.toLowerCase()).sort();
    },
    async setDomainSettings(domain, settings) {
      const kept = entryValues(await read(domainDn(domain)), 'accountSetting').filter((v) => LIMIT_KEYS.includes(v.slice(0, v.indexOf(':')).toLowerCase()));
      const encoded: string[] = [];
      for (const [key, value] of Object.entries(settings)) {
        const name = LDAP_KEYS[key] ?? key;
        for (const item of Array.isArray(value) ? value : [value]) encoded.push(`${name}:${item}`);
      }
      await withClient((client) => client.modify(domainDn(domain), new Change({ operation: 'replace', modification: new Attribute({ type: 'accountSetting', values: [...kept, ...encoded] }) })));
    },
    async setUsage(username, usage) {
      const domain = username.split('@')[1]!;
      for (const ddl of DOVECOT_TABLES) await sql.raw(ddl).execute(h.iredadmin);
      if (usage.bytes !== undefined || usage.messages !== undefined) await h.iredadmin.insertInto('used_quota').values({ username, domain, bytes: usage.bytes ?? 0, messages: usage.messages ?? 0 }).execute();
      if ('imap' in usage || 'pop3' in usage || 'lda' in usage) await h.iredadmin.insertInto('last_login').values({ username, domain, imap: usage.imap ?? null, pop3: usage.pop3 ?? null, lda: usage.lda ?? null }).execute();
    },
    async usageRows(username) {
      for (const ddl of DOVECOT_TABLES) await sql.raw(ddl).execute(h.iredadmin);
      const quota = await h.iredadmin.selectFrom('used_quota').select('username').where('username', '=', username).execute();
      const login = await h.iredadmin.selectFrom('last_login').select('username').where('username', '=', username).execute();
      return quota.length + login.length;
    },
    async seedAlias(address, name, members = []) {
      const domain = address.split('@')[1]!;
      await withClient((client) => client.add(`mail=${address},ou=Aliases,${domainDn(domain)}`, {
        objectClass: ['mailAlias'], mail: [address], cn: [name], accountStatus: ['active'], enabledService: ['mail', 'deliver'],
        ...(members.length > 0 ? { mailForwardingAddress: members } : {}),
      }));
    },
    async addAliasMember(alias, member) {
      const dn = `mail=${alias},ou=Aliases,${domainDn(alias.split('@')[1]!)}`;
      await withClient((client) => client.modify(dn, new Change({ operation: 'add', modification: new Attribute({ type: 'mailForwardingAddress', values: [member] }) })));
    },
    async ldapUserEntry(username) {
      const entry = await read(userDn(username));
      return entry && entryRecord(entry, { lowerCaseNames: true });
    },
  };
}
