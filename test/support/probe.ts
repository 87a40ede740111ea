/**
 * Backend-neutral looks at what the API stored, for the behavioural suite: on SQL through the
 * vmail tables (h.vmail), on LDAP through an ldapts client of its own, reading the entries the
 * way Postfix, Dovecot and iRedAdmin read them (reference/storage.md §1, §6). Also the few
 * changes tests make behind the API's back (seeding mail users, disabling an admin, …).
 *
 * The LDAP side deliberately does not reuse lib/storage/ldap: it is the oracle the store is
 * checked against, so it builds its own DNs and decodes accountSetting itself.
 */
import { randomUUID } from 'node:crypto';
import { Attribute, Change, Client, EqualityFilter, AndFilter, PresenceFilter, type Entry } from 'ldapts';
import type { Settings } from '#lib/model/settings-codec';
import { parseSettings } from '#lib/model/settings-codec';
import { hashPassword } from '#lib/auth/passwords';
import { ldapUserProbe, sqlUserProbe, type UserProbe } from './user-probe';
import { seedMailbox as seedSqlMailbox, snapshot as sqlSnapshot, VMAIL_TABLES, type Harness } from './api';
import { entryRecord, entryValues, firstValue, readEntryOrNone, searchOrNone, withRootClient } from './slapd';

/** A domain as the tests look at it (the SQL `domain` row's meaning). */
export interface DomainRecord {
  description: string;
  transport: string;
  /** MB, 0 unlimited. */
  maxquota: number;
  mailboxes: number;
  aliases: number;
  maillists: number;
  active: number;
  backupmx: number;
  /** In the SQL vocabulary of storage.md §2.1, whatever the backend. */
  settings: Settings;
}

export interface DeletedMailbox {
  username: string;
  domain: string;
  maildir: string;
  admin: string;
  /** YYYY-MM-DD, or null for "keep forever". */
  delete_date: string | null;
}

export interface Probe extends UserProbe {
  domain(name: string): Promise<DomainRecord | undefined>;
  /** How many domain rows / entries carry this name (1 after a create, however many raced). */
  domainCount(name: string): Promise<number>;
  catchall(domain: string): Promise<string[]>;
  relayhost(account: string): Promise<string | undefined>;
  bcc(kind: 'sender' | 'recipient', domain: string): Promise<string | undefined>;
  aliasDomains(domain: string): Promise<string[]>;
  domainAdmins(domain: string): Promise<string[]>;
  /** Domains the address administers (SQL domain_admins rows, LDAP domainAdmin values). */
  adminDomains(username: string): Promise<string[]>;
  /** SQL mailbox.isadmin=1; LDAP enabledService=domainadmin. */
  isMailUserAdmin(username: string): Promise<boolean>;
  deletedMailboxes(where: { domain?: string; username?: string }): Promise<DeletedMailbox[]>;
  /** Whatever of the domain is left in account storage (rows or entries), described. */
  remnants(domain: string): Promise<string[]>;
  /** All account storage, comparable before and after a refused request. */
  snapshot(): Promise<unknown>;
  adminPasswordHash(username: string): Promise<string | undefined>;
  /** A mail user's stored hash (SQL mailbox.password; LDAP userPassword). */
  mailUserPasswordHash(username: string): Promise<string | undefined>;
  setAdminActive(username: string, active: boolean): Promise<void>;
  setAdminPasswordHash(username: string, hash: string): Promise<void>;
  deleteAdmin(username: string): Promise<void>;
  /** A domain-admin grant written straight into storage. */
  grantDomain(username: string, domain: string): Promise<void>;
  /** A standalone admin as storage holds it (SQL `admin` row; LDAP mailAdmin entry); undefined when none. */
  standaloneAdmin(username: string): Promise<AdminRecord | undefined>;
  /** The admin's rights: managed domains, plus `ALL` for a global admin (SQL domain_admins; LDAP domainAdmin values + domainGlobalAdmin=yes). */
  adminGrants(username: string): Promise<string[]>;
  /** Replaces the admin's rights behind the API's back (`ALL` = global admin). */
  setAdminGrants(username: string, grants: string[]): Promise<void>;
  /** A mail alias as Postfix resolves it (SQL `alias` + forwardings is_list rows; LDAP mailAlias entry). */
  alias(address: string): Promise<AliasRecord | undefined>;
  /** Addresses of the domain's aliases, sorted. */
  aliasesIn(domain: string): Promise<string[]>;
  /** [account, target] for every account (user forwarding, alias member, catch-all) that delivers to one of the targets, sorted. */
  deliveringTo(targets: string[]): Promise<[string, string][]>;
  /** A user's forwarding written behind the API's back (SQL forwardings is_forwarding; LDAP mailForwardingAddress). */
  addForwarding(user: string, target: string): Promise<void>;
  /** A per-user alias address (SQL forwardings is_alias; LDAP shadowAddress). */
  addUserAliasAddress(user: string, address: string): Promise<void>;
  /** An mlmmj mailing list (SQL maillists row; LDAP mailList with enabledService=mlmmj). */
  seedMlmmjList(address: string): Promise<void>;
  /** LDAP only: an account entry's attributes (names lower case), to check the representation itself. */
  ldapEntry(kind: 'alias' | 'admin', address: string): Promise<Record<string, string[]> | undefined>;
}

/** A standalone admin (the SQL `admin` row's meaning). */
export interface AdminRecord {
  name: string;
  language: string;
  active: number;
  passwordHash: string;
  /** Comparable between reads: SQL passwordlastchange; LDAP shadowLastChange (days). */
  passwordChanged: string;
  /** In the SQL vocabulary (storage.md §2.1), the two LDAP disabledService values included. */
  settings: Settings;
}

/** A mail alias (the SQL `alias` row plus its members). */
export interface AliasRecord {
  name: string;
  accesspolicy: string;
  domain: string;
  active: number;
  /** Sorted; each with whether Postfix resolves it (SQL forwardings.active; LDAP the alias's accountStatus). */
  members: { address: string; active: number }[];
}

export function probe(h: Harness): Probe {
  return h.ldap ? ldapProbe(h) : sqlProbe(h);
}

function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);
}

// ---------------------------------------------------------------------------------------
// SQL

function sqlProbe(h: Harness): Probe {
  const db = h.vmail;
  const row = (table: string, column: string, value: string) => db.selectFrom(table).selectAll().where(column, '=', value).executeTakeFirst();
  const column = async (table: string, select: string, where: string, value: string) =>
    (await db.selectFrom(table).select(select).where(where, '=', value).orderBy(select).execute()).map((r) => String(r[select]));
  return {
    ...sqlUserProbe(h),
    async domain(name) {
      const r = await row('domain', 'domain', name);
      if (!r) return undefined;
      return {
        description: String(r.description ?? ''), transport: String(r.transport ?? ''), maxquota: Number(r.maxquota), mailboxes: Number(r.mailboxes),
        aliases: Number(r.aliases), maillists: Number(r.maillists), active: Number(r.active), backupmx: Number(r.backupmx), settings: parseSettings(r.settings),
      };
    },
    async domainCount(name) {
      return (await db.selectFrom('domain').select('domain').where('domain', '=', name).execute()).length;
    },
    async catchall(domain) {
      // Catch-all rows: the bare domain as address, none of the is_* flags (storage.md §1.3).
      const rows = await db.selectFrom('forwardings').selectAll().where('address', '=', domain).orderBy('forwarding').execute();
      return rows.filter((r) => !Number(r.is_forwarding) && !Number(r.is_alias) && !Number(r.is_list) && !Number(r.is_maillist)).map((r) => r.forwarding);
    },
    async relayhost(account) {
      return (await row('sender_relayhost', 'account', account))?.relayhost;
    },
    async bcc(kind, domain) {
      return (await row(kind === 'sender' ? 'sender_bcc_domain' : 'recipient_bcc_domain', 'domain', domain))?.bcc_address;
    },
    aliasDomains: (domain) => column('alias_domain', 'alias_domain', 'target_domain', domain),
    domainAdmins: (domain) => column('domain_admins', 'username', 'domain', domain),
    async adminDomains(username) {
      return (await column('domain_admins', 'domain', 'username', username)).filter((d) => d !== 'ALL');
    },
    async isMailUserAdmin(username) {
      return Number((await row('mailbox', 'username', username))?.isadmin) === 1;
    },
    async deletedMailboxes(where) {
      let query = db.selectFrom('deleted_mailboxes').selectAll();
      if (where.domain) query = query.where('domain', '=', where.domain);
      if (where.username) query = query.where('username', '=', where.username);
      const rows = await query.orderBy('username').execute();
      return rows.map((r) => ({ username: r.username, domain: r.domain, maildir: r.maildir, admin: r.admin, delete_date: dateOnly(r.delete_date) }));
    },
    async remnants(domain) {
      const left: string[] = [];
      for (const table of ['domain', 'mailbox', 'forwardings', 'domain_admins', 'sender_bcc_domain', 'recipient_bcc_domain']) {
        for (const r of await db.selectFrom(table).selectAll().where('domain', '=', domain).execute()) left.push(`${table}: ${JSON.stringify(r)}`);
      }
      for (const r of await db.selectFrom('alias_domain').selectAll().where('target_domain', '=', domain).execute()) left.push(`alias_domain: ${r.alias_domain}`);
      return left;
    },
    snapshot: () => sqlSnapshot(db, VMAIL_TABLES),
    async adminPasswordHash(username) {
      return (await row('admin', 'username', username))?.password;
    },
    async mailUserPasswordHash(username) {
      return (await row('mailbox', 'username', username))?.password;
    },
    async setAdminActive(username, active) {
      await db.updateTable('admin').set({ active: active ? 1 : 0 }).where('username', '=', username).execute();
    },
    async setAdminPasswordHash(username, hash) {
      await db.updateTable('admin').set({ password: hash }).where('username', '=', username).execute();
    },
    async deleteAdmin(username) {
      await db.deleteFrom('admin').where('username', '=', username).execute();
    },
    async grantDomain(username, domain) {
      await db.insertInto('domain_admins').values({ username, domain, created: '2026-01-01 00:00:00', modified: '2026-01-01 00:00:00', active: 1 }).execute();
    },
    async standaloneAdmin(username) {
      const r = await row('admin', 'username', username);
      if (!r) return undefined;
      return { name: String(r.name ?? ''), language: String(r.language ?? ''), active: Number(r.active), passwordHash: String(r.password), passwordChanged: String(r.passwordlastchange instanceof Date ? r.passwordlastchange.toISOString() : r.passwordlastchange), settings: parseSettings(r.settings) };
    },
    adminGrants: (username) => column('domain_admins', 'domain', 'username', username),
    async setAdminGrants(username, grants) {
      await db.deleteFrom('domain_admins').where('username', '=', username).execute();
      if (grants.length === 0) return;
      await db.insertInto('domain_admins').values(grants.map((domain) => ({ username, domain, created: '2026-01-01 00:00:00', modified: '2026-01-01 00:00:00', active: 1 }))).execute();
    },
    async alias(address) {
      const r = await row('alias', 'address', address);
      if (!r) return undefined;
      const members = await db.selectFrom('forwardings').selectAll().where('address', '=', address).where('is_list', '=', 1).orderBy('forwarding').execute();
      return {
        name: String(r.name ?? ''), accesspolicy: String(r.accesspolicy ?? ''), domain: String(r.domain), active: Number(r.active),
        members: members.map((m) => ({ address: String(m.forwarding), active: Number(m.active) })),
      };
    },
    aliasesIn: (domain) => column('alias', 'address', 'domain', domain),
    async deliveringTo(targets) {
      const rows = await db.selectFrom('forwardings').select(['address', 'forwarding']).where('forwarding', 'in', targets).orderBy('address').orderBy('forwarding').execute();
      return rows.map((r) => [String(r.address), String(r.forwarding)] as [string, string]);
    },
    async addForwarding(user, target) {
      await db.insertInto('forwardings').values({ address: user, forwarding: target, domain: user.split('@')[1], dest_domain: target.split('@')[1], is_forwarding: 1, active: 1 }).execute();
    },
    async addUserAliasAddress(user, address) {
      await db.insertInto('forwardings').values({ address, forwarding: user, domain: address.split('@')[1], dest_domain: user.split('@')[1], is_alias: 1, active: 1 }).execute();
    },
    async seedMlmmjList(address) {
      const domain = address.split('@')[1]!;
      await db.insertInto('maillists').values({ address, domain, transport: `mlmmj:${domain}/${address.split('@')[0]}`, mlid: randomUUID(), created: '2026-01-01 00:00:00', modified: '2026-01-01 00:00:00', active: 1 }).execute();
    },
    async ldapEntry() {
      throw new Error('ldapEntry: LDAP only');
    },
  };
}

// ---------------------------------------------------------------------------------------
// LDAP

/** accountSetting keys -> SQL settings keys (storage.md §2.1 / §2.2); `each` keys hold one item per value. */
const LDAP_SETTING_KEYS: Record<string, [string, 'int' | 'text' | 'each']> = {
  defaultQuota: ['default_user_quota', 'int'],
  maxUserQuota: ['max_user_quota', 'int'],
  minPasswordLength: ['min_passwd_length', 'int'],
  maxPasswordLength: ['max_passwd_length', 'int'],
  defaultLanguage: ['default_language', 'text'],
  timezone: ['timezone', 'text'],
  disabledDomainProfile: ['disabled_domain_profiles', 'each'],
  disabledUserProfile: ['disabled_user_profiles', 'each'],
  disabledUserPreference: ['disabled_user_preferences', 'each'],
  disabledMailService: ['disabled_mail_services', 'each'],
};

/** Services the LDAP store keeps in step with the domain's state; the API's services are the others. */
const STATE_SERVICES = ['mail', 'senderbcc', 'recipientbcc', 'domainalias'];


function ldapProbe(h: Harness): Probe {
  const slapd = h.ldap!;
  const domainDn = (d: string) => `domainName=${d},o=domains,${slapd.suffix}`;
  const userDn = (u: string) => `mail=${u},ou=Users,${domainDn(u.split('@')[1]!)}`;
  const adminDn = (u: string) => `mail=${u},o=domainAdmins,${slapd.suffix}`;
  const aliasDn = (a: string) => `mail=${a},ou=Aliases,${domainDn(a.split('@')[1]!)}`;

  const withClient = <T>(work: (client: Client) => Promise<T>) => withRootClient(slapd, work);

  const read = (dn: string, attributes?: string[]) => readEntryOrNone(slapd, dn, attributes);

  const search = (base: string, filter: EqualityFilter | AndFilter | PresenceFilter, attributes: string[], scope: 'one' | 'sub' = 'one') =>
    withClient(async (client) => (await client.search(base, { scope, filter, attributes })).searchEntries);

  const modify = (dn: string, operation: 'add' | 'replace' | 'delete', type: string, vals: string[]) =>
    withClient((client) => client.modify(dn, new Change({ operation, modification: new Attribute({ type, values: vals }) })));

  return {
    ...ldapUserProbe(h),
    async domain(name) {
      const entry = await read(domainDn(name));
      if (!entry) return undefined;
      const settings: Settings = {};
      const limits = { numberOfUsers: 0, numberOfAliases: 0, numberOfLists: 0, domainQuota: 0 };
      for (const raw of entryValues(entry, 'accountSetting')) {
        const colon = raw.indexOf(':');
        const key = raw.slice(0, colon);
        const value = raw.slice(colon + 1);
        if (key === 'domainQuota') {
          const [n, unit] = value.split(':');
          limits.domainQuota = Number(n) * ({ GB: 1024, TB: 1048576 }[unit ?? 'MB'] ?? 1);
        } else if (key in limits) {
          limits[key as keyof typeof limits] = Number(value);
        } else if (LDAP_SETTING_KEYS[key]) {
          const [sqlKey, kind] = LDAP_SETTING_KEYS[key];
          if (kind === 'int') settings[sqlKey] = Number(value);
          else if (kind === 'text') settings[sqlKey] = value;
          else settings[sqlKey] = [...((settings[sqlKey] as string[] | undefined) ?? []), value].sort();
        } else {
          settings[key] = value;
        }
      }
      const services = entryValues(entry, 'enabledService').filter((s) => !STATE_SERVICES.includes(s)).sort();
      if (services.length > 0) settings.enabled_services = services;
      return {
        description: firstValue(entry, 'cn') ?? '',
        transport: firstValue(entry, 'mtaTransport') ?? '',
        maxquota: limits.domainQuota,
        mailboxes: limits.numberOfUsers,
        aliases: limits.numberOfAliases,
        maillists: limits.numberOfLists,
        active: firstValue(entry, 'accountStatus') === 'active' ? 1 : 0,
        backupmx: firstValue(entry, 'domainBackupMX') === 'yes' ? 1 : 0,
        settings,
      };
    },
    async domainCount(name) {
      return (await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'domainName', value: name }), ['1.1'], 'sub')).length;
    },
    async catchall(domain) {
      return entryValues(await read(`mail=@${domain},ou=Users,${domainDn(domain)}`), 'mailForwardingAddress').sort();
    },
    async relayhost(account) {
      return firstValue(await read(account.startsWith('@') ? domainDn(account.slice(1)) : userDn(account)), 'senderRelayHost');
    },
    async bcc(kind, domain) {
      // Postfix's sender_bcc_maps_domain.cf asks for the address only while enabledService=senderbcc is set.
      const entry = await read(domainDn(domain));
      const service = kind === 'sender' ? 'senderbcc' : 'recipientbcc';
      const address = firstValue(entry, kind === 'sender' ? 'domainSenderBccAddress' : 'domainRecipientBccAddress');
      return address && entryValues(entry, 'enabledService').includes(service) ? address : undefined;
    },
    async aliasDomains(domain) {
      const entry = await read(domainDn(domain));
      return entryValues(entry, 'enabledService').includes('domainalias') ? entryValues(entry, 'domainAliasName').sort() : [];
    },
    async domainAdmins(domain) {
      return entryValues(await read(domainDn(domain)), 'domainAdmin').sort();
    },
    async adminDomains(username) {
      const entries = await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'domainAdmin', value: username }), ['domainName']);
      return entries.map((e) => firstValue(e, 'domainName')!).sort();
    },
    async isMailUserAdmin(username) {
      return entryValues(await read(userDn(username)), 'enabledService').includes('domainadmin');
    },
    async deletedMailboxes(where) {
      // iRedMail's LDAP edition keeps the table in the iredadmin database.
      let query = h.iredadmin.selectFrom('deleted_mailboxes').selectAll();
      if (where.domain) query = query.where('domain', '=', where.domain);
      if (where.username) query = query.where('username', '=', where.username);
      const rows = await query.orderBy('username').execute();
      return rows.map((r) => ({ username: r.username, domain: r.domain, maildir: r.maildir, admin: r.admin, delete_date: dateOnly(r.delete_date) }));
    },
    async remnants(domain) {
      const left = (await searchOrNone(slapd, domainDn(domain), { scope: 'sub', attributes: ['1.1'] })).map((e) => e.dn);
      const aliasOf = await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'domainAliasName', value: domain }), ['1.1']);
      return [...left, ...aliasOf.map((e) => `alias domain of ${e.dn}`)];
    },
    async snapshot() {
      const entries = await search(slapd.suffix, new PresenceFilter({ attribute: 'objectClass' }), ['*', 'modifyTimestamp'], 'sub');
      const deleted = await h.iredadmin.selectFrom('deleted_mailboxes').selectAll().execute();
      return {
        // Attribute order is not part of an entry (an undone modify may put a value back last).
        entries: entries.map((e) => JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1))), (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : Array.isArray(v) ? [...v].sort() : v))).sort(),
        deleted_mailboxes: deleted.map((r) => JSON.stringify(r)).sort(),
      };
    },
    async adminPasswordHash(username) {
      return firstValue(await read(adminDn(username), ['userPassword']), 'userPassword');
    },
    async mailUserPasswordHash(username) {
      return firstValue(await read(userDn(username), ['userPassword']), 'userPassword');
    },
    setAdminActive: (username, active) => modify(adminDn(username), 'replace', 'accountStatus', [active ? 'active' : 'disabled']),
    setAdminPasswordHash: (username, hash) => modify(adminDn(username), 'replace', 'userPassword', [hash]),
    deleteAdmin: (username) => withClient((client) => client.del(adminDn(username))),
    grantDomain: (username, domain) => modify(domainDn(domain), 'add', 'domainAdmin', [username]),
    async standaloneAdmin(username) {
      const entry = await read(adminDn(username));
      if (!entry) return undefined;
      const settings: Settings = {};
      for (const raw of entryValues(entry, 'accountSetting')) {
        const colon = raw.indexOf(':');
        const key = raw.slice(0, colon);
        const value = raw.slice(colon + 1);
        settings[key] = key.startsWith('create_max_') ? Number(value) : value;
      }
      const disabled = entryValues(entry, 'disabledService');
      if (disabled.includes('view_mail_log')) settings.disable_viewing_mail_log = 'yes';
      if (disabled.includes('manage_quarantined_mails')) settings.disable_managing_quarantined_mails = 'yes';
      return {
        name: firstValue(entry, 'cn') ?? '', language: firstValue(entry, 'preferredLanguage') ?? '', active: firstValue(entry, 'accountStatus') === 'active' ? 1 : 0,
        passwordHash: firstValue(entry, 'userPassword') ?? '', passwordChanged: (firstValue(entry, 'shadowLastChange') ?? '').padStart(8, '0'), settings,
      };
    },
    async adminGrants(username) {
      const domains = await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'domainAdmin', value: username }), ['domainName']);
      const global = [adminDn(username), userDn(username)];
      let isGlobal = false;
      for (const dn of global) if (firstValue(await read(dn, ['domainGlobalAdmin']), 'domainGlobalAdmin') === 'yes') isGlobal = true;
      return [...(isGlobal ? ['ALL'] : []), ...domains.map((e) => firstValue(e, 'domainName')!)].sort();
    },
    async setAdminGrants(username, grants) {
      for (const domain of await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'domainAdmin', value: username }), ['domainName'])) {
        await modify(domainDn(firstValue(domain, 'domainName')!), 'delete', 'domainAdmin', [username]);
      }
      for (const domain of grants.filter((g) => g !== 'ALL')) await modify(domainDn(domain), 'add', 'domainAdmin', [username]);
      await modify(adminDn(username), 'replace', 'domainGlobalAdmin', [grants.includes('ALL') ? 'yes' : 'no']);
    },
    async alias(address) {
      const entry = await read(aliasDn(address));
      if (!entry || !entryValues(entry, 'objectClass').includes('mailAlias')) return undefined;
      const active = firstValue(entry, 'accountStatus') === 'active' ? 1 : 0;
      return {
        name: firstValue(entry, 'cn') ?? '',
        accesspolicy: firstValue(entry, 'accessPolicy') ?? 'public',
        domain: address.split('@')[1]!,
        active,
        members: entryValues(entry, 'mailForwardingAddress').sort().map((member) => ({ address: member, active })),
      };
    },
    async aliasesIn(domain) {
      const entries = await searchOrNone(slapd, `ou=Aliases,${domainDn(domain)}`, { scope: 'one', filter: new EqualityFilter({ attribute: 'objectClass', value: 'mailAlias' }), attributes: ['mail'] });
      return entries.map((e) => firstValue(e, 'mail')!).sort();
    },
    async deliveringTo(targets) {
      const pairs: [string, string][] = [];
      for (const target of targets) {
        for (const entry of await search(`o=domains,${slapd.suffix}`, new EqualityFilter({ attribute: 'mailForwardingAddress', value: target }), ['mail'], 'sub')) {
          pairs.push([firstValue(entry, 'mail')!, target]);
        }
      }
      return pairs.sort((a, b) => (a.join() < b.join() ? -1 : 1));
    },
    addForwarding: (user, target) => modify(userDn(user), 'add', 'mailForwardingAddress', [target]),
    addUserAliasAddress: (user, address) => modify(userDn(user), 'add', 'shadowAddress', [address]),
    async seedMlmmjList(address) {
      const [local, domain] = address.split('@') as [string, string];
      await withClient((client) => client.add(`mail=${address},ou=Groups,${domainDn(domain)}`, {
        objectClass: ['mailList'], mail: [address], accountStatus: ['active'], enabledService: ['mail', 'deliver', 'mlmmj'],
        mtaTransport: [`mlmmj:${domain}/${local}`], mailingListID: [randomUUID()],
      }));
    },
    async ldapEntry(kind, address) {
      const entry = await read(kind === 'alias' ? aliasDn(address) : adminDn(address));
      return entry && entryRecord(entry, { lowerCaseNames: true });
    },
  };
}

/**
 * A mail user written straight into storage (not through the API under test), for tests of
 * domain features that need users: a vmail.mailbox row + its forwardings self row on SQL; on
 * LDAP the entry iRedAdmin writes (storage.md §6.3). Its maildir is
 * /var/vmail/vmail1/<domain>/<first letter>/x/y/<local>-2026.01.01.00.00.00/ on both.
 */
export async function seedMailbox(h: Harness, username: string, options: { quota?: number; isadmin?: boolean; password?: string } = {}): Promise<void> {
  if (!h.ldap) return seedSqlMailbox(h, username, options);
  const slapd = h.ldap;
  const [local, domain] = username.split('@') as [string, string];
  const password = options.password ? await hashPassword(options.password, 'SSHA512') : '{PLAIN}unused';
  const services = ['mail', 'deliver', 'lda', 'lmtp', 'smtp', 'smtpsecured', 'pop3', 'pop3secured', 'imap', 'imapsecured', 'managesieve', 'managesievesecured', 'sieve', 'sievesecured', 'forward', 'senderbcc', 'recipientbcc', 'internal', 'doveadm', 'lib-storage', 'indexer-worker', 'dsync', 'shadowaddress', 'displayedInGlobalAddressBook'];
  if (options.isadmin) services.push('domainadmin');
  const attributes: Record<string, string[]> = {
    objectClass: ['inetOrgPerson', 'mailUser', 'shadowAccount', 'amavisAccount'],
    mail: [username],
    uid: [local],
    sn: [local],
    cn: [username],
    userPassword: [password],
    homeDirectory: [`/var/vmail/vmail1/${domain}/${username[0]}/x/y/${local}-2026.01.01.00.00.00/`],
    accountStatus: ['active'],
    enabledService: services,
    shadowLastChange: [String(Math.floor(Date.now() / 86_400_000))],
    amavisLocal: ['TRUE'],
  };
  if (options.quota) attributes.mailQuota = [String(options.quota * 1024 * 1024)];
  await withRootClient(slapd, async (client) => {
    const domainEntry = (await client.search(`domainName=${domain},o=domains,${slapd.suffix}`, { scope: 'base', attributes: ['accountStatus'] })).searchEntries[0];
    if (firstValue(domainEntry, 'accountStatus') !== 'active') attributes.domainStatus = ['disabled'];
    await client.add(`mail=${username},ou=Users,domainName=${domain},o=domains,${slapd.suffix}`, attributes);
  });
}
