/**
 * Domains on OpenLDAP, written as iRedAdmin writes them (reference/storage.md §6.3, §6.4) and
 * read back into the SQL-shaped model (pro-api-behaviour §1.14: GET replies keep the SQL shape).
 *
 * domainName=<d>,o=domains,<suffix>   objectClass mailDomain
 *   domainName, cn (the API's `name`), mtaTransport, accountStatus active|disabled,
 *   enabledService: mail (+ senderbcc / recipientbcc / domainalias while those are set, + the
 *     services the API names, e.g. self-service),
 *   accountSetting: defaultQuota, maxUserQuota, min/maxPasswordLength, defaultLanguage, timezone,
 *     disabled*Profile / disabledUserPreference / disabledMailService (one value per item),
 *     numberOfUsers / numberOfAliases / numberOfLists (limits: LDAP keeps them here),
 *     domainQuota:<MB>:MB (the domain quota, see below),
 *   domainBackupMX yes, domainSenderBccAddress, domainRecipientBccAddress, senderRelayHost,
 *   domainAliasName, domainAdmin, disclaimer
 *   ou=Users, ou=Groups, ou=Aliases, ou=Externals   (organizationalUnit)
 *   mail=@<d>,ou=Users   the catch-all: inetOrgPerson + mailUser, cn/sn/uid `catch-all`,
 *                        accountStatus active, targets in mailForwardingAddress
 *
 * Decisions:
 * - Domain quota: accountSetting `domainQuota:<n>:MB`, the form iRedAdmin-Pro synced into the
 *   open-source tree (storage.md §2.2). Values iRedAdmin wrote in GB or TB are read and
 *   converted to MB; we always write MB. The obsolete domainMaxQuotaSize is neither read nor
 *   written.
 * - Counters: the cached domainCurrentUserNumber/…QuotaSize attributes are not maintained and
 *   not read. Nothing in Postfix or Dovecot reads them, iRedAdmin rewrites them itself when it
 *   lists users, and extras() counts users and sums their mailQuota from the tree.
 * - Services: `mail`, `senderbcc`, `recipientbcc` and `domainalias` follow the domain's own
 *   state (mail from creation, the others while a BCC address or alias domain is set), so an
 *   API `services=` list can never switch off delivery by leaving out `mail`. They are not shown
 *   in settings.enabled_services, which holds the other (API-named) services.
 * - An empty `name` writes no cn (the schema does not require one), so GET shows '' as on SQL.
 */
import type { DomainStore } from '#lib/storage/store';
import type { Domain, DomainChanges, DomainExtras, NewDomain, Page, PagedResult } from '#lib/model/types';
import type { Settings } from '#lib/model/settings-codec';
import { ApiError } from '#lib/http/errors';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { DOMAIN_OUS } from '#lib/storage/ldap/dn';
import { and, anyOf, endsWith, eq, not, objectClass, or, present } from '#lib/storage/ldap/filter';
import { decodeAccountSetting, encodeAccountSetting, type DomainLimits } from '#lib/storage/ldap/account-setting';
import { inBatches, isoFromGeneralizedTime, rdnDepth, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';
import { forgetMailboxUsage, recordDeletedMailboxes } from '#lib/storage/ldap/iredadmin-rows';
import { aliasDomainsOf, shadowAddressesIn } from '#lib/storage/ldap/alias-domain-addresses';
import { syncAliasDomainAddresses } from '#lib/storage/ldap/alias-domain-sync';

const DOMAIN_ATTRIBUTES = [
  'domainName', 'cn', 'mtaTransport', 'accountStatus', 'enabledService', 'accountSetting', 'domainBackupMX',
  'disclaimer', 'expiredDate', 'createTimestamp', 'modifyTimestamp',
];

/** Services the store keeps in step with the domain's state (see the header). */
const MANAGED_SERVICES = new Set(['mail', 'senderbcc', 'recipientbcc', 'domainalias']);

const BCC = {
  sender: { attribute: 'domainSenderBccAddress', service: 'senderbcc' },
  recipient: { attribute: 'domainRecipientBccAddress', service: 'recipientbcc' },
} as const;

/** Every kind of account entry a domain holds; all carry domainStatus=disabled while the domain is disabled. */
const ACCOUNT_CLASSES = or(objectClass('mailUser'), objectClass('mailList'), objectClass('mailAlias'), objectClass('mailExternalUser'));

const MB = 1024 * 1024;
const NEVER_EXPIRES = '9999-12-31T00:00:00';
const BATCH = 16;

function isActive(entry: LdapEntry): boolean {
  return (entry.first('accountStatus') ?? '').toLowerCase() === 'active';
}

function toDomain(entry: LdapEntry): Domain {
  const { settings, limits } = decodeAccountSetting(entry.values('accountSetting'));
  const services = [...new Set(entry.values('enabledService').filter((service) => !MANAGED_SERVICES.has(service.toLowerCase())))].sort();
  if (services.length > 0) settings.enabled_services = services;
  return {
    domain: (entry.first('domainName') ?? '').toLowerCase(),
    description: entry.first('cn') ?? '',
    disclaimer: entry.first('disclaimer') ?? '',
    aliases: limits.aliases,
    mailboxes: limits.mailboxes,
    maillists: limits.maillists,
    maxquota: limits.maxquota,
    quota: 0,
    transport: entry.first('mtaTransport') ?? '',
    backupmx: (entry.first('domainBackupMX') ?? '').toLowerCase() === 'yes' ? 1 : 0,
    settings,
    created: isoFromGeneralizedTime(entry.first('createTimestamp')),
    modified: isoFromGeneralizedTime(entry.first('modifyTimestamp')),
    expired: isoFromGeneralizedTime(entry.first('expiredDate')) || NEVER_EXPIRES,
    active: isActive(entry) ? 1 : 0,
  };
}

/** Attribute values as stored, for deleting them by value (their case may differ from ours). */
function storedValues(entry: LdapEntry, attribute: string, wanted: (value: string) => boolean): string[] {
  return entry.values(attribute).filter(wanted);
}

export class LdapDomainStore implements DomainStore {
  constructor(private readonly ctx: LdapContext) {}

  private get connection() {
    return this.ctx.session.connection;
  }

  private readDomain(domain: string, extra: string[] = []) {
    return this.connection.read(this.ctx.dit.domainDn(domain), [...DOMAIN_ATTRIBUTES, ...extra], objectClass('mailDomain'));
  }

  async list(filter: { only?: string[]; disabledOnly?: boolean; page?: Page }): Promise<PagedResult<Domain>> {
    if (filter.only && filter.only.length === 0) return { total: 0, items: [] };
    const conditions = [objectClass('mailDomain')];
    if (filter.only) conditions.push(anyOf('domainName', filter.only));
    if (filter.disabledOnly) conditions.push(not(eq('accountStatus', 'active')));
    const base = this.ctx.dit.domainsBase;
    const sort = (items: Domain[]) => items.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    if (!filter.page) {
      const entries = await this.connection.search(base, { scope: 'one', filter: and(...conditions), attributes: DOMAIN_ATTRIBUTES, paged: true });
      const items = sort(entries.map(toDomain));
      return { total: items.length, items };
    }
    // Paged: sort the names (cheap), then read only the page's entries.
    const names = (await this.connection.search(base, { scope: 'one', filter: and(...conditions), attributes: ['domainName'], paged: true }))
      .map((entry) => (entry.first('domainName') ?? '').toLowerCase())
      .sort();
    const { page, limit } = filter.page;
    const slice = names.slice((page - 1) * limit, page * limit);
    if (slice.length === 0) return { total: names.length, items: [] };
    const entries = await this.connection.search(base, { scope: 'one', filter: and(objectClass('mailDomain'), anyOf('domainName', slice)), attributes: DOMAIN_ATTRIBUTES });
    return { total: names.length, items: sort(entries.map(toDomain)) };
  }

  async get(domain: string): Promise<Domain | undefined> {
    const entry = await this.readDomain(domain);
    return entry ? toDomain(entry) : undefined;
  }

  /** LDAP cannot lock an entry: this reads it. Transactions of one container are serialised instead (transaction.ts). */
  lock(domain: string): Promise<Domain | undefined> {
    return this.get(domain);
  }

  async extras(domain: string): Promise<DomainExtras> {
    const { dit } = this.ctx;
    const [entry, catchall, users] = await Promise.all([
      this.connection.read(dit.domainDn(domain), ['domainSenderBccAddress', 'domainRecipientBccAddress', 'senderRelayHost', 'domainAliasName'], objectClass('mailDomain')),
      this.connection.read(dit.catchallDn(domain), ['mailForwardingAddress']),
      this.users(domain, ['mailQuota']),
    ]);
    const bytes = users.reduce((sum, user) => sum + (Number.parseInt(user.first('mailQuota') ?? '0', 10) || 0), 0);
    return {
      sbcc_addr: entry?.first('domainSenderBccAddress') ?? '',
      rbcc_addr: entry?.first('domainRecipientBccAddress') ?? '',
      catchall: [...(catchall?.values('mailForwardingAddress') ?? [])].sort(),
      relayhost: entry?.first('senderRelayHost') ?? '',
      alias_domains: [...(entry?.values('domainAliasName') ?? [])].map((name) => name.toLowerCase()).sort(),
      num_existing_users: users.length,
      allocated_quota: Math.round(bytes / MB),
    };
  }

  /** Mail users of the domain, the catch-all entry left out (storage.md §6.4). */
  private users(domain: string, attributes: string[]): Promise<LdapEntry[]> {
    return this.connection
      .search(this.ctx.dit.usersOu(domain), { scope: 'one', filter: and(objectClass('mailUser'), not(eq('mail', '@' + domain))), attributes, paged: true })
      .catch((error: unknown) => {
        if (resultCode(error) === LDAP_RESULT.noSuchObject) return [];
        throw error;
      });
  }

  async isLocal(domain: string): Promise<boolean> {
    const found = await this.connection.search(this.ctx.dit.domainsBase, {
      scope: 'one',
      filter: and(objectClass('mailDomain'), or(eq('domainName', domain), eq('domainAliasName', domain))),
      attributes: ['1.1'],
      sizeLimit: 1,
    });
    return found.length > 0;
  }

  async create(domain: NewDomain): Promise<void> {
    const { dit } = this.ctx;
    const limits: DomainLimits = { mailboxes: domain.mailboxes, aliases: domain.aliases, maillists: domain.maillists, maxquota: domain.maxquota };
    const attributes: Record<string, string[]> = {
      objectClass: ['mailDomain'],
      domainName: [domain.domain],
      mtaTransport: [domain.transport],
      accountStatus: ['active'],
      enabledService: servicesFor(['mail'], domain.settings),
      accountSetting: encodeAccountSetting(domain.settings, limits),
    };
    if (domain.description) attributes.cn = [domain.description];
    await this.ctx.session.write(async (writer) => {
      try {
        await writer.add(dit.domainDn(domain.domain), withoutEmpty(attributes));
      } catch (error) {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('ALREADY_EXISTS');
        throw error;
      }
      for (const ou of DOMAIN_OUS) await writer.add(dit.ouDn(domain.domain, ou), { objectClass: ['organizationalUnit'], ou: [ou] });
    });
  }

  async update(domain: string, changes: DomainChanges): Promise<void> {
    const dn = this.ctx.dit.domainDn(domain);
    await this.ctx.session.write(async (writer) => {
      const entry = await this.readDomain(domain);
      if (!entry) return;
      const current = toDomain(entry);
      const replace: Record<string, string[]> = {};
      if (changes.description !== undefined) replace.cn = changes.description ? [changes.description] : [];
      if (changes.disclaimer !== undefined) replace.disclaimer = changes.disclaimer ? [changes.disclaimer] : [];
      if (changes.transport !== undefined) replace.mtaTransport = [changes.transport];
      if (changes.backupmx !== undefined) replace.domainBackupMX = changes.backupmx ? ['yes'] : [];
      if (changes.active !== undefined) replace.accountStatus = [changes.active ? 'active' : 'disabled'];
      const limitChanged = changes.mailboxes !== undefined || changes.aliases !== undefined || changes.maillists !== undefined || changes.maxquota !== undefined;
      if (changes.settings !== undefined || limitChanged) {
        const settings = changes.settings ?? current.settings;
        replace.accountSetting = encodeAccountSetting(settings, {
          mailboxes: changes.mailboxes ?? current.mailboxes,
          aliases: changes.aliases ?? current.aliases,
          maillists: changes.maillists ?? current.maillists,
          maxquota: changes.maxquota ?? current.maxquota,
        });
      }
      if (changes.settings !== undefined) {
        const managed = entry.values('enabledService').filter((service) => MANAGED_SERVICES.has(service.toLowerCase()));
        replace.enabledService = servicesFor(managed, changes.settings);
      }
      await writer.modify(dn, { replace }, entry);
      if (changes.active !== undefined && changes.active !== current.active) await this.propagateStatus(writer, domain, changes.active === 1);
    });
  }

  /**
   * Postfix and Dovecot test `!(domainStatus=disabled)` on accounts, not the domain's own
   * accountStatus: every account entry of a disabled domain carries domainStatus=disabled.
   */
  private async propagateStatus(writer: LdapWriter, domain: string, active: boolean): Promise<void> {
    const disabled = eq('domainStatus', 'disabled');
    const entries = await this.connection.search(this.ctx.dit.domainDn(domain), {
      scope: 'sub',
      filter: and(ACCOUNT_CLASSES, active ? disabled : not(disabled)),
      attributes: ['domainStatus'],
      paged: true,
    });
    await inBatches(entries, BATCH, (entry) => writer.modify(entry.dn, { replace: { domainStatus: active ? [] : ['disabled'] } }, entry));
  }

  async setCatchall(domain: string, targets: string[]): Promise<void> {
    const { dit } = this.ctx;
    const dn = dit.catchallDn(domain);
    await this.ctx.session.write(async (writer) => {
      const existing = await this.connection.read(dn, ['*']);
      if (targets.length === 0) {
        if (existing) await writer.delete(existing);
        return;
      }
      if (existing) {
        await writer.modify(dn, { replace: { mailForwardingAddress: targets } }, existing);
        return;
      }
      const owner = await this.connection.read(dit.domainDn(domain), ['accountStatus'], objectClass('mailDomain'));
      if (!owner) return;
      const attributes: Record<string, string[]> = {
        objectClass: ['inetOrgPerson', 'mailUser'],
        mail: ['@' + domain],
        cn: ['catch-all'],
        sn: ['catch-all'],
        uid: ['catch-all'],
        accountStatus: ['active'],
        mailForwardingAddress: targets,
      };
      if (!isActive(owner)) attributes.domainStatus = ['disabled'];
      const aliasDomainCatchalls = shadowAddressesIn('@' + domain, await aliasDomainsOf(this.ctx, domain));
      if (aliasDomainCatchalls.length > 0) attributes.shadowAddress = aliasDomainCatchalls;
      await writer.add(dn, attributes);
    });
  }

  /** `@<d>` is the domain's relay (on the domain entry); an address is a user's (on the user entry). */
  async setRelayhost(account: string, relayhost: string | undefined): Promise<void> {
    const { dit } = this.ctx;
    const dn = account.startsWith('@') ? dit.domainDn(account.slice(1)) : dit.userDn(account);
    await this.ctx.session.write(async (writer) => {
      const entry = await this.connection.read(dn, ['senderRelayHost']);
      if (!entry) return;
      if (!relayhost && !entry.has('senderRelayHost')) return;
      await writer.modify(dn, { replace: { senderRelayHost: relayhost ? [relayhost] : [] } }, entry);
    });
  }

  async setBcc(domain: string, kind: 'sender' | 'recipient', address: string | undefined): Promise<void> {
    const { attribute, service } = BCC[kind];
    await this.setWithService(domain, attribute, address ? [address] : [], service);
  }

  /** Also gives every account of the domain its shadowAddress in each new alias domain, and takes those of removed ones away. */
  async setAliasDomains(domain: string, aliases: string[]): Promise<void> {
    const after = [...new Set(aliases.map((name) => name.toLowerCase()))].sort();
    await this.ctx.session.write(async (writer) => {
      const before = await aliasDomainsOf(this.ctx, domain);
      if (!(await this.replaceWithService(writer, domain, 'domainAliasName', after, 'domainalias'))) return;
      await syncAliasDomainAddresses(this.ctx, writer, domain, before, after);
    });
  }

  /** Replaces a domain attribute and keeps the enabledService that switches it on in step. */
  private async setWithService(domain: string, attribute: string, values: string[], service: string): Promise<void> {
    await this.ctx.session.write((writer) => this.replaceWithService(writer, domain, attribute, values, service));
  }

  /** False when there is no such domain. */
  private async replaceWithService(writer: LdapWriter, domain: string, attribute: string, values: string[], service: string): Promise<boolean> {
    const dn = this.ctx.dit.domainDn(domain);
    const entry = await this.connection.read(dn, ['enabledService', attribute], objectClass('mailDomain'));
    if (!entry) return false;
    const has = storedValues(entry, 'enabledService', (value) => value.toLowerCase() === service);
    const changes = { replace: { [attribute]: values }, add: {} as Record<string, string[]>, delete: {} as Record<string, string[]> };
    if (values.length > 0 && has.length === 0) changes.add.enabledService = [service];
    if (values.length === 0 && has.length > 0) changes.delete.enabledService = has;
    await writer.modify(dn, changes, entry);
    return true;
  }

  async delete(domain: string, options: { deleteDate: string | null; admin: string }): Promise<boolean> {
    const { dit } = this.ctx;
    return this.ctx.session.write(async (writer) => {
      const root = await this.connection.read(dit.domainDn(domain), ['domainName'], objectClass('mailDomain'));
      if (!root) return false;
      // The maildirs stay on disk: iRedAdmin's cron job (tools/delete_mailboxes.py) removes them later.
      const users = (await this.users(domain, ['mail', 'homeDirectory'])).filter((user) => user.has('mail') && user.has('homeDirectory'));

      // The whole subtree, leaves first (slapd refuses to delete an entry with children).
      const subtree = await this.connection.search(dit.domainDn(domain), { scope: 'sub', filter: present('objectClass'), attributes: ['*'], paged: true });
      const byDepth = new Map<number, LdapEntry[]>();
      for (const entry of subtree) byDepth.set(rdnDepth(entry.dn), [...(byDepth.get(rdnDepth(entry.dn)) ?? []), entry]);
      for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
        await inBatches(byDepth.get(depth)!, BATCH, (entry) => writer.delete(entry));
      }

      // Addresses of the domain lose their admin rights on other domains too: their accounts are gone.
      const suffix = '@' + domain;
      const referring = await this.connection.search(dit.domainsBase, {
        scope: 'one',
        filter: and(objectClass('mailDomain'), endsWith('domainAdmin', suffix)),
        attributes: ['domainAdmin'],
      });
      for (const entry of referring) {
        const gone = storedValues(entry, 'domainAdmin', (value) => value.toLowerCase().endsWith(suffix));
        if (gone.length > 0) await writer.modify(entry.dn, { delete: { domainAdmin: gone } }, entry);
      }

      // The maildirs stay on disk; Dovecot's rows of the domain go (iRedAdmin drops them too).
      const mailboxes = users.map((user) => ({ username: (user.first('mail') ?? '').toLowerCase(), domain, maildir: user.first('homeDirectory') ?? '' }));
      await recordDeletedMailboxes(this.ctx, writer, mailboxes, options);
      await forgetMailboxUsage(this.ctx, { domain });
      return true;
    });
  }

  async admins(domain: string): Promise<string[]> {
    const entry = await this.connection.read(this.ctx.dit.domainDn(domain), ['domainAdmin'], objectClass('mailDomain'));
    return [...new Set((entry?.values('domainAdmin') ?? []).map((value) => value.toLowerCase()))].sort();
  }

  /**
   * domainAdmin values on the domain; mail users also carry enabledService=domainadmin while
   * they administer at least one domain (or are global admins), as iRedAdmin marks them.
   */
  async setAdmins(domain: string, change: { add: string[]; remove: string[]; removeAll: boolean }): Promise<void> {
    const { dit } = this.ctx;
    const dn = dit.domainDn(domain);
    await this.ctx.session.write(async (writer) => {
      const entry = await this.connection.read(dn, ['domainAdmin'], objectClass('mailDomain'));
      if (!entry) return;
      const current = entry.values('domainAdmin');
      const removedSet = new Set(change.removeAll ? current.map((value) => value.toLowerCase()) : change.remove);
      const addSet = new Set(change.add);
      const drop = storedValues(entry, 'domainAdmin', (value) => removedSet.has(value.toLowerCase()) && !addSet.has(value.toLowerCase()));
      const held = new Set(current.map((value) => value.toLowerCase()));
      const add = change.add.filter((username) => !held.has(username));
      await writer.modify(dn, { delete: { domainAdmin: drop }, add: { domainAdmin: add } }, entry);

      for (const username of change.add) await this.markMailUserAdmin(writer, username, true);
      for (const username of removedSet) {
        if (addSet.has(username)) continue;
        await this.markMailUserAdmin(writer, username, false);
      }
    });
  }

  private async markMailUserAdmin(writer: LdapWriter, username: string, admin: boolean): Promise<void> {
    if (username.startsWith('@')) return;
    const dn = this.ctx.dit.userDn(username);
    const user = await this.connection.read(dn, ['enabledService', 'domainGlobalAdmin'], objectClass('mailUser'));
    if (!user) return; // a standalone admin, or nobody
    const marked = storedValues(user, 'enabledService', (value) => value.toLowerCase() === 'domainadmin');
    if (admin) {
      if (marked.length === 0) await writer.modify(dn, { add: { enabledService: ['domainadmin'] } }, user);
      return;
    }
    if (marked.length === 0 || (user.first('domainGlobalAdmin') ?? '').toLowerCase() === 'yes') return;
    const still = await this.connection.search(this.ctx.dit.domainsBase, {
      scope: 'one',
      filter: and(objectClass('mailDomain'), eq('domainAdmin', username)),
      attributes: ['1.1'],
      sizeLimit: 1,
    });
    if (still.length === 0) await writer.modify(dn, { delete: { enabledService: marked } }, user);
  }
}

/** enabledService of a domain: the managed services it holds plus the ones the settings name. */
function servicesFor(managed: string[], settings: Settings): string[] {
  const named = Array.isArray(settings.enabled_services) ? settings.enabled_services : [];
  return [...new Set([...managed, ...named])];
}

function withoutEmpty(attributes: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(attributes).filter(([, values]) => values.length > 0));
}
