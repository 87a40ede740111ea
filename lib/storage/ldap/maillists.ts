/**
 * Legacy mailing lists on OpenLDAP (storage.md §6.4; iRedMail's "LDAP: add a mail list" how-to):
 *
 *   mail=<list>,ou=Groups,domainName=<d>            objectClass mailList
 *     mail, cn (the API's `name`; none when empty), accountStatus active, accessPolicy,
 *     enabledService mail + deliver + displayedInGlobalAddressBook,
 *     shadowAddress <local>@<alias domain> per alias domain, domainStatus while the domain is disabled
 *   mail=<user>,ou=Users,domainName=<d>             a member: memberOfGroup=<list> on the user's entry
 *   memberOfGroup=<list>,ou=Externals,domainName=<d> objectClass mailExternalUser: every other member
 *     as one `mail` value, accountStatus active, enabledService mail + deliver (Postfix's
 *     virtual_group_maps.cf asks for both on members)
 *
 * Only mail users of the list's own domain are internal members; any other address (another
 * domain, an alias, a +extension) is an external one, which Postfix resolves further itself.
 * mlmmj lists (enabledService=mlmmj) share ou=Groups but belong to /api/ml: here they are
 * "no such list", though they count against numberOfLists and keep their address taken.
 */
import type { MailingListStore } from '#lib/storage/store';
import type { MailingList, MailingListChanges, NewMailingList } from '#lib/model/maillists';
import { ApiError } from '#lib/http/errors';
import { domainOf } from '#lib/model/addresses';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { escapeRdnValue } from '#lib/storage/ldap/dn';
import { and, eq, not, objectClass, or } from '#lib/storage/ldap/filter';
import { newAccountDomainState } from '#lib/storage/ldap/alias-domain-addresses';
import { inBatches, isoFromGeneralizedTime, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';
import { addressInUse } from '#lib/storage/ldap/address-in-use';

const LIST_ATTRIBUTES = ['mail', 'cn', 'accessPolicy', 'accountStatus', 'expiredDate', 'createTimestamp', 'modifyTimestamp'];
const LIST_SERVICES = ['mail', 'deliver', 'displayedInGlobalAddressBook'];
const MEMBER_SERVICES = ['mail', 'deliver'];
const NEVER_EXPIRES = '9999-12-31T00:00:00';
const BATCH = 16;

/** A legacy list: a mailList that is not an mlmmj list. */
const LEGACY_LIST = and(objectClass('mailList'), not(eq('enabledService', 'mlmmj')));
const ACCOUNT = or(objectClass('mailUser'), objectClass('mailAlias'), objectClass('mailList'));

function lower(values: string[]): string[] {
  return [...new Set(values.map((value) => value.toLowerCase()))];
}

export class LdapMailingListStore implements MailingListStore {
  readonly supported = true;

  constructor(private readonly ctx: LdapContext) {}

  private get connection() {
    return this.ctx.session.connection;
  }

  /** The entry holding the list's external members (its RDN names the list). */
  private externalsDn(list: string): string {
    return `memberOfGroup=${escapeRdnValue(list)},${this.ctx.dit.ouDn(domainOf(list), 'Externals')}`;
  }

  private readList(mail: string, attributes: string[]): Promise<LdapEntry | undefined> {
    return this.connection.read(this.ctx.dit.groupDn(mail), attributes, LEGACY_LIST);
  }

  /** Entries anywhere below o=domains whose memberOfGroup names the list. */
  private holders(list: string, kind: 'accounts' | 'externals', attributes: string[]): Promise<LdapEntry[]> {
    const cls = kind === 'accounts' ? ACCOUNT : objectClass('mailExternalUser');
    return this.connection.search(this.ctx.dit.domainsBase, { scope: 'sub', filter: and(cls, eq('memberOfGroup', list)), attributes, paged: true });
  }

  /** Whether the list's domain is disabled (or gone): its new entries then carry domainStatus=disabled. */
  private async domainDisabled(list: string): Promise<boolean> {
    return (await newAccountDomainState(this.ctx, list))?.domainDisabled ?? true;
  }

  async get(mail: string): Promise<MailingList | undefined> {
    const entry = await this.readList(mail, LIST_ATTRIBUTES);
    if (!entry) return undefined;
    const [users, externals] = await Promise.all([this.holders(mail, 'accounts', ['mail']), this.holders(mail, 'externals', ['mail'])]);
    const members = lower([...users.flatMap((user) => user.values('mail')), ...externals.flatMap((external) => external.values('mail'))]).sort();
    return {
      mail,
      name: entry.first('cn') ?? '',
      accessPolicy: (entry.first('accessPolicy') ?? '').toLowerCase() || 'public',
      domain: domainOf(mail),
      active: (entry.first('accountStatus') ?? '').toLowerCase() === 'active' ? 1 : 0,
      members,
      created: isoFromGeneralizedTime(entry.first('createTimestamp')),
      modified: isoFromGeneralizedTime(entry.first('modifyTimestamp')),
      expired: isoFromGeneralizedTime(entry.first('expiredDate')) || NEVER_EXPIRES,
    };
  }

  async count(domain: string): Promise<number> {
    try {
      const lists = await this.connection.search(this.ctx.dit.ouDn(domain, 'Groups'), { scope: 'one', filter: objectClass('mailList'), attributes: ['1.1'], paged: true });
      return lists.length;
    } catch (error) {
      if (resultCode(error) === LDAP_RESULT.noSuchObject) return 0;
      throw error;
    }
  }

  addressInUse(address: string): Promise<boolean> {
    return addressInUse(this.ctx, address);
  }

  async create(list: NewMailingList, members: string[]): Promise<void> {
    const { mail } = list;
    await this.ctx.session.write(async (writer) => {
      const domainState = await newAccountDomainState(this.ctx, mail);
      const disabled = domainState?.domainDisabled ?? true;
      const attributes: Record<string, string[]> = {
        objectClass: ['mailList'],
        mail: [mail],
        accountStatus: ['active'],
        accessPolicy: [list.accessPolicy],
        enabledService: LIST_SERVICES,
      };
      if (list.name) attributes.cn = [list.name];
      if (domainState?.shadowAddresses.length) attributes.shadowAddress = domainState.shadowAddresses;
      if (disabled) attributes.domainStatus = ['disabled'];
      try {
        await writer.add(this.ctx.dit.groupDn(mail), attributes);
      } catch (error) {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('ALREADY_EXISTS');
        throw error;
      }
      await this.writeMembers(writer, mail, members, disabled);
    });
  }

  async update(mail: string, changes: MailingListChanges): Promise<void> {
    const replace: Record<string, string[]> = {};
    if (changes.name !== undefined) replace.cn = changes.name ? [changes.name] : [];
    if (changes.accessPolicy !== undefined) replace.accessPolicy = [changes.accessPolicy];
    if (Object.keys(replace).length === 0) return;
    await this.ctx.session.write(async (writer) => {
      const entry = await this.readList(mail, Object.keys(replace));
      if (entry) await writer.modify(entry.dn, { replace }, entry);
    });
  }

  async addMembers(mail: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    await this.ctx.session.write(async (writer) => {
      await this.writeMembers(writer, mail, members, await this.domainDisabled(mail));
    });
  }

  /** Users of the list's domain get memberOfGroup; every other address goes to the externals entry. */
  private async writeMembers(writer: LdapWriter, list: string, members: string[], domainDisabled: boolean): Promise<void> {
    const external: string[] = [];
    // One read per member both tells a user of the list's domain and gives what its change needs.
    await inBatches(members, BATCH, async (member) => {
      const user = domainOf(member) === domainOf(list) ? await this.connection.read(this.ctx.dit.userDn(member), ['memberOfGroup'], objectClass('mailUser')) : undefined;
      if (!user) external.push(member);
      else if (!user.includes('memberOfGroup', list)) await writer.modify(user.dn, { add: { memberOfGroup: [list] } }, user);
    });
    if (external.length === 0) return;
    const dn = this.externalsDn(list);
    const entry = await this.connection.read(dn, ['mail'], objectClass('mailExternalUser'));
    if (entry) {
      const missing = external.filter((address) => !entry.includes('mail', address));
      if (missing.length > 0) await writer.modify(dn, { add: { mail: missing } }, entry);
      return;
    }
    const attributes: Record<string, string[]> = {
      objectClass: ['mailExternalUser'],
      memberOfGroup: [list],
      mail: external,
      accountStatus: ['active'],
      enabledService: MEMBER_SERVICES,
    };
    if (domainDisabled) attributes.domainStatus = ['disabled'];
    await writer.add(dn, attributes);
  }

  async removeMembers(mail: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    const gone = new Set(members);
    await this.ctx.session.write(async (writer) => {
      const users = (await this.holders(mail, 'accounts', ['mail', 'memberOfGroup'])).filter((user) => user.values('mail').some((address) => gone.has(address.toLowerCase())));
      await inBatches(users, BATCH, (user) => this.dropMembership(writer, user, mail));
      // An externals entry holds one list's members: it goes when its last address does.
      for (const external of await this.holders(mail, 'externals', ['*'])) {
        const drop = external.values('mail').filter((address) => gone.has(address.toLowerCase()));
        if (drop.length === 0) continue;
        if (drop.length === external.values('mail').length) await writer.delete(external);
        else await writer.modify(external.dn, { delete: { mail: drop } }, external);
      }
    });
  }

  private async dropMembership(writer: LdapWriter, entry: LdapEntry, list: string): Promise<void> {
    const stored = entry.values('memberOfGroup').filter((value) => value.toLowerCase() === list);
    if (stored.length > 0) await writer.modify(entry.dn, { delete: { memberOfGroup: stored } }, entry);
  }

  async delete(mail: string): Promise<boolean> {
    return this.ctx.session.write(async (writer) => {
      const entry = await this.readList(mail, ['*']);
      if (!entry) return false;
      const accounts = await this.holders(mail, 'accounts', ['memberOfGroup']);
      await inBatches(accounts, BATCH, (account) => this.dropMembership(writer, account, mail));
      for (const external of await this.holders(mail, 'externals', ['*'])) {
        // memberOfGroup is the class's one required attribute: an entry of this list alone goes.
        const others = external.values('memberOfGroup').filter((value) => value.toLowerCase() !== mail);
        if (others.length === 0 || external.dn.toLowerCase() === this.externalsDn(mail).toLowerCase()) await writer.delete(external);
        else await this.dropMembership(writer, external, mail);
      }
      await writer.delete(entry);
      return true;
    });
  }
}
