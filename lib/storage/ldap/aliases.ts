/**
 * Mail aliases on OpenLDAP (storage.md §6.4, "mail alias account"), read back in the SQL shape
 * (pro-api-behaviour §1.14):
 *
 *   mail=<alias>,ou=Aliases,domainName=<d>,o=domains,<suffix>    objectClass mailAlias
 *     mail, cn (the API's `name`; none when empty), accountStatus active|disabled,
 *     enabledService mail + deliver (Postfix's virtual_alias_maps asks for both),
 *     mailForwardingAddress: one value per member,
 *     shadowAddress <local>@<alias domain> per alias domain, domainStatus while the domain is disabled
 *
 * Access policy: the Pro API documents alias `accessPolicy` as SQL-only. On LDAP an alias is
 * always open to every sender, so `public` (or empty) is accepted as what is already true, and
 * any other policy is refused with NOT_SUPPORTED_BY_BACKEND before anything is written: a client
 * asking for `membersonly` must not be told it got it. GET shows `public`, or the accessPolicy
 * an entry written by other tools carries; moderators are listModerator values (we write none).
 *
 * Members need no status of their own: Postfix checks the alias entry's accountStatus, so
 * `active` on addMembers is not stored. Other entries name an alias in mailForwardingAddress
 * (users' forwardings, other aliases, catch-alls), listModerator, or the `mail` values of a
 * list's external-members entry; delete and rename follow those references.
 */
import type { AliasStore } from '#lib/storage/store';
import type { Alias, AliasChanges, AliasProfile, NewAlias } from '#lib/model/aliases';
import type { Page, PagedResult } from '#lib/model/types';
import { ApiError } from '#lib/http/errors';
import { domainOf } from '#lib/model/addresses';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { and, eq, not, objectClass, or } from '#lib/storage/ldap/filter';
import { newAccountDomainState } from '#lib/storage/ldap/alias-domain-addresses';
import { isoFromGeneralizedTime, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';
import { moveReferences } from '#lib/storage/ldap/references';
import { addressInUse } from '#lib/storage/ldap/address-in-use';

const ALIAS_ATTRIBUTES = ['mail', 'cn', 'accessPolicy', 'accountStatus', 'expiredDate', 'createTimestamp', 'modifyTimestamp'];
const ALIAS_SERVICES = ['mail', 'deliver'];
const NEVER_EXPIRES = '9999-12-31T00:00:00';

/** Code-point order, as the SQL store sorts (Python's sorted()). */
function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function lowered(values: string[]): string[] {
  return values.map((value) => value.toLowerCase());
}

function toAlias(entry: LdapEntry, address: string): Alias {
  return {
    address,
    name: entry.first('cn') ?? '',
    accesspolicy: (entry.first('accessPolicy') ?? '').toLowerCase() || 'public',
    domain: domainOf(address),
    created: isoFromGeneralizedTime(entry.first('createTimestamp')),
    modified: isoFromGeneralizedTime(entry.first('modifyTimestamp')),
    expired: isoFromGeneralizedTime(entry.first('expiredDate')) || NEVER_EXPIRES,
    active: (entry.first('accountStatus') ?? '').toLowerCase() === 'active' ? 1 : 0,
  };
}

/** See the header: only the policy LDAP actually enforces (none) can be set. */
function assertPolicySupported(policy: string | undefined): void {
  if (policy !== undefined && policy !== '' && policy !== 'public') throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
}

export class LdapAliasStore implements AliasStore {
  constructor(private readonly ctx: LdapContext) {}

  private get connection() {
    return this.ctx.session.connection;
  }

  private read(address: string, attributes: string[]): Promise<LdapEntry | undefined> {
    return this.connection.read(this.ctx.dit.aliasDn(address), attributes, objectClass('mailAlias'));
  }

  /** The domain's aliases; none when the domain (or its ou=Aliases) does not exist. */
  private async inDomain(domain: string, attributes: string[], disabledOnly = false): Promise<LdapEntry[]> {
    const filter = disabledOnly ? and(objectClass('mailAlias'), not(eq('accountStatus', 'active'))) : objectClass('mailAlias');
    try {
      return await this.connection.search(this.ctx.dit.ouDn(domain, 'Aliases'), { scope: 'one', filter, attributes, paged: true });
    } catch (error) {
      if (resultCode(error) === LDAP_RESULT.noSuchObject) return [];
      throw error;
    }
  }

  async get(address: string): Promise<AliasProfile | undefined> {
    const entry = await this.read(address, [...ALIAS_ATTRIBUTES, 'mailForwardingAddress', 'listModerator']);
    if (!entry) return undefined;
    return {
      ...toAlias(entry, address),
      members: sorted(lowered(entry.values('mailForwardingAddress'))),
      moderators: sorted(lowered(entry.values('listModerator'))),
    };
  }

  /** LDAP cannot lock an entry: this reads it (transactions of one container are serialised, transaction.ts). */
  async lock(address: string): Promise<Alias | undefined> {
    const entry = await this.read(address, ALIAS_ATTRIBUTES);
    return entry ? toAlias(entry, address) : undefined;
  }

  async list(domain: string, filter: { disabledOnly?: boolean; page?: Page }): Promise<PagedResult<Alias>> {
    const entries = await this.inDomain(domain, ALIAS_ATTRIBUTES, filter.disabledOnly);
    const items = entries
      .map((entry) => toAlias(entry, (entry.first('mail') ?? '').toLowerCase()))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    if (!filter.page) return { total: items.length, items };
    const { page, limit } = filter.page;
    return { total: items.length, items: items.slice((page - 1) * limit, page * limit) };
  }

  async count(domain: string): Promise<number> {
    return (await this.inDomain(domain, ['1.1'])).length;
  }

  async members(address: string): Promise<string[]> {
    const entry = await this.read(address, ['mailForwardingAddress']);
    return sorted(lowered(entry?.values('mailForwardingAddress') ?? []));
  }

  addressInUse(address: string): Promise<boolean> {
    return addressInUse(this.ctx, address);
  }

  async create(alias: NewAlias, members: string[]): Promise<void> {
    assertPolicySupported(alias.accesspolicy);
    await this.ctx.session.write(async (writer) => {
      await writer.add(this.ctx.dit.aliasDn(alias.address), await this.entryFor(alias.address, { name: alias.name, active: true, members }))
        .catch((error: unknown) => {
          if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('ALREADY_EXISTS');
          throw error;
        });
    });
  }

  /** A new alias entry (also the target of a rename, which carries the old entry's state over). */
  private async entryFor(address: string, state: { name: string; active: boolean; members: string[]; extra?: Record<string, string[]> }): Promise<Record<string, string[]>> {
    const attributes: Record<string, string[]> = {
      ...state.extra,
      objectClass: ['mailAlias'],
      mail: [address],
      accountStatus: [state.active ? 'active' : 'disabled'],
      enabledService: ALIAS_SERVICES,
    };
    if (state.name) attributes.cn = [state.name];
    if (state.members.length > 0) attributes.mailForwardingAddress = sorted(state.members);
    const domainState = await newAccountDomainState(this.ctx, address);
    if (domainState?.shadowAddresses.length) attributes.shadowAddress = domainState.shadowAddresses;
    if (!domainState || domainState.domainDisabled) attributes.domainStatus = ['disabled'];
    return attributes;
  }

  async update(address: string, changes: AliasChanges): Promise<void> {
    assertPolicySupported(changes.accesspolicy);
    const replace: Record<string, string[]> = {};
    if (changes.name !== undefined) replace.cn = changes.name ? [changes.name] : [];
    if (changes.active !== undefined) replace.accountStatus = [changes.active ? 'active' : 'disabled'];
    // `public` removes a policy another tool may have written: LDAP then lets everyone send.
    if (changes.accesspolicy !== undefined) replace.accessPolicy = [];
    if (Object.keys(replace).length === 0) return;
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(address, Object.keys(replace));
      if (!entry) return;
      if (replace.accessPolicy && !entry.has('accessPolicy')) delete replace.accessPolicy;
      if (replace.cn?.length === 0 && !entry.has('cn')) delete replace.cn;
      await writer.modify(entry.dn, { replace }, entry);
    });
  }

  async addMembers(address: string, _domain: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(address, ['mailForwardingAddress']);
      if (!entry) return;
      const fresh = sorted(members.filter((member) => !entry.includes('mailForwardingAddress', member)));
      if (fresh.length > 0) await writer.modify(entry.dn, { add: { mailForwardingAddress: fresh } }, entry);
    });
  }

  async removeMembers(address: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    const gone = new Set(lowered(members));
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(address, ['mailForwardingAddress']);
      if (!entry) return;
      const drop = entry.values('mailForwardingAddress').filter((value) => gone.has(value.toLowerCase()));
      if (drop.length > 0) await writer.modify(entry.dn, { delete: { mailForwardingAddress: drop } }, entry);
    });
  }

  async delete(address: string): Promise<boolean> {
    return this.ctx.session.write(async (writer) => {
      const entry = await this.read(address, ['*']);
      if (!entry) return false;
      await writer.delete(entry);
      await moveReferences(this.ctx, writer, address, undefined);
      return true;
    });
  }

  /**
   * The entry moves to its new DN (a new entry with the old one's attributes, then the old one
   * goes: createTimestamp restarts, as LdapWriter has no modrdn), with shadow addresses for the
   * new local part; every reference to the old address follows.
   */
  async rename(from: string, to: string): Promise<void> {
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(from, ['*']);
      if (!entry) return;
      const extra: Record<string, string[]> = {};
      for (const name of entry.names()) {
        if (entry.values(name).length === 0) continue;
        if (!['mail', 'shadowaddress', 'domainstatus', 'objectclass', 'cn', 'accountstatus', 'enabledservice', 'mailforwardingaddress'].includes(name.toLowerCase())) extra[name] = entry.values(name);
      }
      const members = lowered(entry.values('mailForwardingAddress')).map((member) => (member === from ? to : member));
      const attributes = await this.entryFor(to, { name: entry.first('cn') ?? '', active: (entry.first('accountStatus') ?? '').toLowerCase() === 'active', members, extra });
      attributes.enabledService = [...new Set([...ALIAS_SERVICES, ...entry.values('enabledService')])];
      await writer.add(this.ctx.dit.aliasDn(to), attributes).catch((error: unknown) => {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('NEW_EMAIL_ALREADY_EXISTS');
        throw error;
      });
      await writer.delete(entry);
      await moveReferences(this.ctx, writer, from, to);
    });
  }
}
