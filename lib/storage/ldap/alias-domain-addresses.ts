/**
 * Alias domains on LDAP (storage.md §6.4): Postfix's LDAP maps do not rewrite
 * `<local>@<alias domain>` to the primary domain, so every account of a domain with alias
 * domains carries one `shadowAddress` per alias domain. Account stores (users, aliases,
 * lists) call this when they create an entry; the domain store rewrites existing accounts
 * when the alias-domain list changes.
 */
import { localPartOf, domainOf } from '#lib/model/addresses';
import { objectClass } from '#lib/storage/ldap/filter';
import type { LdapContext } from '#lib/storage/ldap/context';

/** The alias domains of a primary domain, lower case and sorted (none when the domain does not exist). */
export async function aliasDomainsOf(ctx: LdapContext, domain: string): Promise<string[]> {
  const entry = await ctx.session.connection.read(ctx.dit.domainDn(domain), ['domainAliasName'], objectClass('mailDomain'));
  return entry ? lowerSorted(entry.values('domainAliasName')) : [];
}

const lowerSorted = (names: string[]) => [...new Set(names.map((name) => name.toLowerCase()))].sort();

/** `<local>@<alias domain>` for each alias domain of the address's domain. */
export function shadowAddressesIn(mail: string, aliasDomains: readonly string[]): string[] {
  const local = localPartOf(mail);
  return aliasDomains.map((aliasDomain) => `${local}@${aliasDomain}`);
}

/**
 * What a new account at `mail` takes from its domain, in one read of the domain entry: a
 * shadowAddress per alias domain, and whether it is written with domainStatus=disabled.
 * Undefined when the domain does not exist.
 */
export async function newAccountDomainState(ctx: LdapContext, mail: string): Promise<{ shadowAddresses: string[]; domainDisabled: boolean } | undefined> {
  const entry = await ctx.session.connection.read(ctx.dit.domainDn(domainOf(mail)), ['domainAliasName', 'accountStatus'], objectClass('mailDomain'));
  if (!entry) return undefined;
  return { shadowAddresses: shadowAddressesIn(mail, lowerSorted(entry.values('domainAliasName'))), domainDisabled: (entry.first('accountStatus') ?? '').toLowerCase() !== 'active' };
}
