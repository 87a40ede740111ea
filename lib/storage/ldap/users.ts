/**
 * Mail users on OpenLDAP (storage.md §6.3, §6.4), read back in the SQL shape (user-entry.ts).
 *
 * What lives where:
 * - forwarding: mailForwardingAddress on the user + enabledService=forward; no value = plain
 *   delivery (the SQL "self row" has no LDAP twin); the own address among the values keeps a copy;
 * - per-user alias addresses: shadowAddress + enabledService=shadowaddress; the store also keeps
 *   one shadowAddress `<local>@<alias domain>` per alias domain of the user's domain (Postfix's
 *   LDAP maps do not rewrite alias domains). Those are not "aliases" in GET replies;
 * - BCC: userSenderBccAddress / userRecipientBccAddress + enabledService senderbcc / recipientbcc;
 * - global admin: domainGlobalAdmin=yes + enabledService=domainadmin; domain admin: the domain's
 *   domainAdmin value + enabledService=domainadmin;
 * - alias membership: the user's address in a mailAlias's mailForwardingAddress;
 * - used_quota / last_login: Dovecot's rows in the iredadmin database.
 *
 * Every method writes through ctx.session.write, so a step that fails undoes the earlier ones.
 */
import type { UserStore } from '#lib/storage/user-store';
import type { BulkMailboxChanges, MailboxChanges, MailboxState, MailUser, MailUserListItem, NewMailbox, UserExtras, UserListFilter } from '#lib/model/users';
import type { PagedResult } from '#lib/model/types';
import { isServiceColumn, type ServiceColumn, type ServiceValue } from '#lib/model/mail-services';
import { domainOf, localPartOf } from '#lib/model/addresses';
import { ApiError } from '#lib/http/errors';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { and, anyOf, contains, eq, not, objectClass, or, type Filter } from '#lib/storage/ldap/filter';
import { daysSinceEpoch, inBatches, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';
import { moveReferences } from '#lib/storage/ldap/references';
import { aliasDomainsOf, newAccountDomainState, shadowAddressesIn } from '#lib/storage/ldap/alias-domain-addresses';
import { domainsAdministeredBy } from '#lib/storage/ldap/domain-admins';
import { directoryPasswordForm } from '#lib/storage/ldap/password-form';
import { forgetMailboxUsage, mailboxUsage, recordDeletedMailboxes, renameMailboxUsage } from '#lib/storage/ldap/iredadmin-rows';
import { homeDirectory, isActiveEntry, isGlobalAdminEntry, isOn, MB, newUserEntry, serviceOf, toMailUser, USER_ATTRIBUTES, DEFAULT_MAILBOX_FOLDER, DEFAULT_MAILBOX_FORMAT } from '#lib/storage/ldap/user-entry';
import { addressInUse } from '#lib/storage/ldap/address-in-use';

const BATCH = 16;

/** enabledService values to add or delete, or nothing. */
function services(values: string[] | false | undefined | ''): Record<string, string[]> {
  return values && values.length > 0 ? { enabledService: values } : {};
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stored values equal to one of `wanted` (case-insensitive), as stored, for deleting by value. */
function storedMatching(entry: LdapEntry, attribute: string, wanted: Iterable<string>): string[] {
  const set = new Set([...wanted].map((value) => value.toLowerCase()));
  return entry.values(attribute).filter((value) => set.has(value.toLowerCase()));
}

/** Changes with their password hash in the form slapd verifies (password-form.ts); throws before any write. */
function withDirectoryPassword<T extends { passwordHash?: string }>(changes: T): T {
  return changes.passwordHash === undefined ? changes : { ...changes, passwordHash: directoryPasswordForm(changes.passwordHash) };
}

/** shadowAddress values the store derives from alias domains (not the user's own aliases). */
function isAliasDomainAddress(value: string, username: string, aliasDomains: readonly string[]): boolean {
  const lower = value.toLowerCase();
  return localPartOf(lower) === localPartOf(username) && aliasDomains.includes(domainOf(lower));
}

export class LdapUserStore implements UserStore {
  constructor(private readonly ctx: LdapContext) {}

  private get connection() {
    return this.ctx.session.connection;
  }

  private read(username: string, attributes: string[]): Promise<LdapEntry | undefined> {
    if (username.startsWith('@')) return Promise.resolve(undefined);
    return this.connection.read(this.ctx.dit.userDn(username), attributes, objectClass('mailUser'));
  }

  /** The domain's mail users (the catch-all left out); none when the domain does not exist. */
  private async usersOf(domain: string, attributes: string[], extra?: Filter): Promise<LdapEntry[]> {
    const users = and(objectClass('mailUser'), not(eq('mail', '@' + domain)));
    try {
      return await this.connection.search(this.ctx.dit.usersOu(domain), { scope: 'one', filter: extra ? and(users, extra) : users, attributes, paged: true });
    } catch (error) {
      if (resultCode(error) === LDAP_RESULT.noSuchObject) return [];
      throw error;
    }
  }

  async get(username: string): Promise<MailUser | undefined> {
    const entry = await this.read(username, USER_ATTRIBUTES);
    return entry ? toMailUser(entry) : undefined;
  }

  async extras(username: string): Promise<UserExtras> {
    const [entry, aliasDomains, memberOf, managed, usage] = await Promise.all([
      this.read(username, ['mailForwardingAddress', 'shadowAddress', 'enabledService', 'userSenderBccAddress', 'userRecipientBccAddress']),
      aliasDomainsOf(this.ctx, domainOf(username)),
      this.connection.search(this.ctx.dit.domainsBase, { scope: 'sub', filter: and(objectClass('mailAlias'), eq('mailForwardingAddress', username)), attributes: ['mail'], paged: true }),
      domainsAdministeredBy(this.ctx, username),
      mailboxUsage(this.ctx, { usernames: [username] }),
    ]);
    const bcc = (attribute: string, service: string) => {
      const address = entry?.first(attribute);
      return { address: address ? address.toLowerCase() : null, active: address ? (entry!.includes('enabledService', service) ? 1 : 0) : null };
    };
    const sender = bcc('userSenderBccAddress', 'senderbcc');
    const recipient = bcc('userRecipientBccAddress', 'recipientbcc');
    const targets = (entry?.values('mailForwardingAddress') ?? []).map((value) => value.toLowerCase());
    const used = usage.get(username);
    const lastLogin = used ? Math.max(used.imap, used.pop3, used.lda) : 0;
    return {
      sender_bcc_address: sender.address,
      sbcc_active: sender.active,
      recipient_bcc_address: recipient.address,
      rbcc_active: recipient.active,
      aliases: sorted((entry?.values('shadowAddress') ?? []).map((value) => value.toLowerCase()).filter((value) => !isAliasDomainAddress(value, username, aliasDomains))),
      mailing_aliases: sorted(memberOf.map((alias) => (alias.first('mail') ?? '').toLowerCase())),
      // No value is plain delivery: the SQL self row's meaning, so PUT's add/remove work alike.
      forwarding_targets: targets.length > 0 ? sorted(targets) : [username],
      stored_bytes: used?.bytes ?? 0,
      stored_messages: used?.messages ?? 0,
      last_login_epoch: lastLogin > 0 ? lastLogin : undefined,
      managed_domains: managed,
    };
  }

  /** LDAP cannot lock an entry: transactions of one container are serialised instead (transaction.ts). */
  async find(username: string): Promise<MailboxState | undefined> {
    const entry = await this.read(username, ['mail', 'mailQuota', 'accountStatus', 'enabledService', 'domainGlobalAdmin']);
    if (!entry) return undefined;
    return {
      username,
      domain: domainOf(username),
      quota: Math.round((Number.parseInt(entry.first('mailQuota') ?? '0', 10) || 0) / MB),
      active: isActiveEntry(entry),
      isAdmin: entry.includes('enabledService', 'domainadmin'),
      isGlobalAdmin: isGlobalAdminEntry(entry),
    };
  }

  async passwordHash(username: string): Promise<string | undefined> {
    const entry = await this.read(username, ['userPassword']);
    return entry ? (entry.first('userPassword') ?? '') : undefined;
  }

  addressInUse(address: string): Promise<boolean> {
    return addressInUse(this.ctx, address);
  }

  aliasDomainsOf(domain: string): Promise<string[]> {
    return aliasDomainsOf(this.ctx, domain);
  }

  async count(domain: string): Promise<number> {
    return (await this.usersOf(domain, ['1.1'])).length;
  }

  async allocatedQuota(domain: string, except?: string): Promise<number> {
    const users = await this.usersOf(domain, ['mail', 'mailQuota']);
    let total = 0;
    for (const user of users) {
      if (except && (user.first('mail') ?? '').toLowerCase() === except) continue;
      total += Math.round((Number.parseInt(user.first('mailQuota') ?? '0', 10) || 0) / MB);
    }
    return total;
  }

  /** Addresses sorted in code-point order (as the SQL store); a page reads only its own entries. */
  async list(domain: string, filter: UserListFilter): Promise<PagedResult<MailUserListItem | string>> {
    const conditions: Filter[] = [];
    if (filter.disabledOnly) conditions.push(not(eq('accountStatus', 'active')));
    if (filter.query) conditions.push(or(contains('mail', filter.query), contains('cn', filter.query)));
    const extra = conditions.length > 0 ? and(...conditions) : undefined;
    const byAddress = (entries: LdapEntry[]) =>
      entries.map((entry) => ({ mail: (entry.first('mail') ?? '').toLowerCase(), entry })).sort((a, b) => (a.mail < b.mail ? -1 : a.mail > b.mail ? 1 : 0));

    let entries: { mail: string; entry: LdapEntry }[];
    let total: number;
    if (filter.page) {
      const names = byAddress(await this.usersOf(domain, ['mail'], extra));
      total = names.length;
      const { page, limit } = filter.page;
      entries = names.slice((page - 1) * limit, page * limit);
      if (!filter.emailOnly && entries.length > 0) {
        entries = byAddress(await this.usersOf(domain, USER_ATTRIBUTES, anyOf('mail', entries.map((item) => item.mail))));
      }
    } else {
      entries = byAddress(await this.usersOf(domain, filter.emailOnly ? ['mail'] : USER_ATTRIBUTES, extra));
      total = entries.length;
    }
    if (filter.emailOnly) return { total, items: entries.map((item) => item.mail) };
    const usage = await mailboxUsage(this.ctx, filter.page ? { usernames: entries.map((item) => item.mail) } : { domain });
    const items = entries.map(({ mail, entry }) => {
      const item = toMailUser(entry) as MailUserListItem;
      const used = usage.get(mail);
      item.last_login = { imap: used?.imap ?? 0, pop3: used?.pop3 ?? 0, lda: used?.lda ?? 0 };
      item.used_quota = { bytes: used?.bytes ?? 0, messages: used?.messages ?? 0 };
      return item;
    });
    return { total, items };
  }

  async create(input: NewMailbox): Promise<void> {
    // Before anything is read or written: a hash slapd cannot verify is refused outright.
    const user = { ...input, passwordHash: directoryPasswordForm(input.passwordHash) };
    const { dit } = this.ctx;
    const domainState = await newAccountDomainState(this.ctx, user.username);
    if (!domainState) throw new ApiError('INVALID_DOMAIN_NAME');
    const attributes = newUserEntry(user, domainState);
    await this.ctx.session.write(async (writer) => {
      try {
        await writer.add(dit.userDn(user.username), attributes);
      } catch (error) {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('ALREADY_EXISTS');
        throw error;
      }
    });
  }

  async update(username: string, input: MailboxChanges): Promise<void> {
    const changes = withDirectoryPassword(input);
    const dn = this.ctx.dit.userDn(username);
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, ['enabledService', ...Object.keys(this.replacements(username, changes, []))]);
      if (!entry) return;
      const replace = this.replacements(username, changes, entry.values('enabledService'));
      await writer.modify(dn, { replace }, entry);
    });
  }

  /** The attribute values a profile change writes (enabledService only when services change). */
  private replacements(username: string, changes: MailboxChanges & BulkMailboxChanges, currentServices: string[]): Record<string, string[]> {
    const replace: Record<string, string[]> = {};
    const text = (value: string | undefined) => (value ? [value] : []);
    if (changes.name !== undefined) replace.cn = [changes.name || localPartOf(username)];
    if (changes.language !== undefined) replace.preferredLanguage = text(changes.language);
    if (changes.employeeid !== undefined) replace.employeeNumber = text(changes.employeeid);
    if (changes.transport !== undefined) replace.mtaTransport = text(changes.transport);
    if (changes.active !== undefined) replace.accountStatus = [changes.active ? 'active' : 'disabled'];
    if (changes.passwordHash !== undefined) {
      replace.userPassword = [changes.passwordHash];
      replace.shadowLastChange = [String(daysSinceEpoch())];
    }
    if (changes.quota !== undefined) replace.mailQuota = changes.quota > 0 ? [String(changes.quota * MB)] : [];
    if (changes.mailboxformat !== undefined) replace.mailboxFormat = changes.mailboxformat === DEFAULT_MAILBOX_FORMAT ? [] : [changes.mailboxformat];
    if (changes.mailboxfolder !== undefined) replace.mailboxFolder = changes.mailboxfolder === DEFAULT_MAILBOX_FOLDER ? [] : [changes.mailboxfolder];
    if (changes.maildir !== undefined && changes.storagebasedirectory !== undefined && changes.storagenode !== undefined) {
      replace.homeDirectory = [homeDirectory({ storagebasedirectory: changes.storagebasedirectory, storagenode: changes.storagenode, maildir: changes.maildir })];
    }
    if (changes.services && Object.keys(changes.services).length > 0) {
      const on = new Map(currentServices.map((service) => [service.toLowerCase(), service]));
      for (const [column, value] of Object.entries(changes.services)) {
        if (!isServiceColumn(column)) continue;
        const service = serviceOf(column as ServiceColumn);
        if (isOn(value as ServiceValue)) {
          if (!on.has(service.toLowerCase())) on.set(service.toLowerCase(), service);
        } else on.delete(service.toLowerCase());
      }
      replace.enabledService = [...on.values()];
    }
    return replace;
  }

  async updateAll(domain: string, input: BulkMailboxChanges, options: { spareGlobalAdmins: boolean }): Promise<number> {
    const changes = withDirectoryPassword(input);
    const replace = this.replacements('', { ...changes, name: undefined }, []);
    if (changes.name !== undefined && changes.name !== '') replace.cn = [changes.name];
    // An empty name is written per user below: a change too, and cn must be read for its undo.
    const touched = [...Object.keys(replace), ...(changes.name === '' ? ['cn', 'uid'] : [])];
    if (touched.length === 0) return 0;
    const users = await this.usersOf(domain, ['mail', ...touched], options.spareGlobalAdmins ? not(eq('domainGlobalAdmin', 'yes')) : undefined);
    await this.ctx.session.write((writer) =>
      // Paged search above, bounded parallel modifies here: 100,000 users stay cheap on memory and slapd.
      inBatches(users, BATCH, async (user) => {
        const own = { ...replace };
        // An empty name falls back to the local part, as on a single PUT (inetOrgPerson needs a cn).
        if (changes.name === '') own.cn = [user.first('uid') ?? localPartOf((user.first('mail') ?? '').toLowerCase())];
        await writer.modify(user.dn, { replace: own }, user);
      }),
    );
    return users.length;
  }

  async setForwardings(username: string, _domain: string, targets: string[]): Promise<void> {
    // The own address alone is plain delivery: no value at all.
    const values = targets.length === 1 && targets[0] === username ? [] : targets;
    await this.modifyUser(username, ['mailForwardingAddress', 'enabledService'], (entry) => ({
      replace: { mailForwardingAddress: values },
      add: services(values.length > 0 && !entry.includes('enabledService', 'forward') && ['forward']),
    }));
  }

  async setAliases(username: string, domain: string, aliases: string[]): Promise<void> {
    const aliasDomains = await aliasDomainsOf(this.ctx, domain);
    await this.modifyUser(username, ['shadowAddress', 'enabledService'], (entry) => {
      const derived = entry.values('shadowAddress').filter((value) => isAliasDomainAddress(value, username, aliasDomains));
      const values = [...derived, ...aliases.filter((alias) => !derived.some((value) => value.toLowerCase() === alias))];
      return {
        replace: { shadowAddress: values },
        add: services(aliases.length > 0 && !entry.includes('enabledService', 'shadowaddress') && ['shadowaddress']),
      };
    });
  }

  async joinAliases(username: string, aliases: string[]): Promise<void> {
    if (aliases.length === 0) return;
    await this.ctx.session.write(async (writer) => {
      for (const alias of aliases) {
        const entry = await this.connection.read(this.ctx.dit.aliasDn(alias), ['mailForwardingAddress'], objectClass('mailAlias'));
        if (!entry || entry.includes('mailForwardingAddress', username)) continue;
        await writer.modify(entry.dn, { add: { mailForwardingAddress: [username] } }, entry);
      }
    });
  }

  async setBcc(username: string, _domain: string, kind: 'sender' | 'recipient', address: string | undefined): Promise<void> {
    const attribute = kind === 'sender' ? 'userSenderBccAddress' : 'userRecipientBccAddress';
    const service = kind === 'sender' ? 'senderbcc' : 'recipientbcc';
    await this.modifyUser(username, [attribute, 'enabledService'], (entry) => ({
      replace: { [attribute]: address ? [address] : [] },
      add: services(address && !entry.includes('enabledService', service) && [service]),
    }));
  }

  async setGlobalAdmin(username: string, global: boolean): Promise<void> {
    const stillDomainAdmin = global ? true : (await domainsAdministeredBy(this.ctx, username)).length > 0;
    await this.modifyUser(username, ['domainGlobalAdmin', 'enabledService'], (entry) => {
      const marked = storedMatching(entry, 'enabledService', ['domainadmin']);
      return {
        replace: { domainGlobalAdmin: global ? ['yes'] : [] },
        add: services(global && marked.length === 0 && ['domainadmin']),
        delete: services(!global && !stillDomainAdmin && marked),
      };
    });
  }

  private async modifyUser(username: string, attributes: string[], changes: (entry: LdapEntry) => { replace?: Record<string, string[]>; add?: Record<string, string[]>; delete?: Record<string, string[]> }): Promise<void> {
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, attributes);
      if (!entry) return;
      await writer.modify(entry.dn, changes(entry), entry);
    });
  }

  async delete(username: string, options: { deleteDate: string | null; admin: string }): Promise<boolean> {
    return this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, ['*']);
      if (!entry) return false;
      await writer.delete(entry);
      await moveReferences(this.ctx, writer, username, undefined);
      // The maildir stays on disk: recorded so iRedAdmin's cron job can remove it later.
      const maildir = entry.first('homeDirectory');
      if (maildir) await recordDeletedMailboxes(this.ctx, writer, [{ username, domain: domainOf(username), maildir }], options);
      // Last: Dovecot's rows cannot be put back, so they go only once everything else is done.
      await forgetMailboxUsage(this.ctx, { username });
      return true;
    });
  }

  /** The entry moves to its new DN with the same data; every reference follows; the maildir stays. */
  async rename(from: string, to: string): Promise<void> {
    const { dit } = this.ctx;
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(from, ['*']);
      if (!entry) return;
      const aliasDomains = await aliasDomainsOf(this.ctx, domainOf(to));
      const attributes: Record<string, string[] | Buffer[]> = {};
      for (const [name, values] of Object.entries(entry.attributes())) attributes[name.toLowerCase() === 'objectclass' ? 'objectClass' : name] = values;
      const set = (name: string, values: string[]) => {
        for (const key of Object.keys(attributes)) if (key.toLowerCase() === name.toLowerCase()) delete attributes[key];
        if (values.length > 0) attributes[name] = values;
      };
      const oldLocal = localPartOf(from);
      set('mail', [to]);
      set('uid', [localPartOf(to)]);
      if (entry.values('sn').every((value) => value === oldLocal)) set('sn', [localPartOf(to)]);
      if (entry.values('cn').every((value) => value === oldLocal)) set('cn', [localPartOf(to)]);
      const own = entry.values('shadowAddress').filter((value) => !isAliasDomainAddress(value, from, aliasDomains));
      set('shadowAddress', [...shadowAddressesIn(to, aliasDomains), ...own]);
      set('mailForwardingAddress', entry.values('mailForwardingAddress').map((value) => (value.toLowerCase() === from ? to : value)));
      try {
        await writer.add(dit.userDn(to), attributes);
      } catch (error) {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('NEW_EMAIL_ALREADY_EXISTS');
        throw error;
      }
      await writer.delete(entry);
      await moveReferences(this.ctx, writer, from, to);
      await renameMailboxUsage(this.ctx, from, to);
    });
  }
}
