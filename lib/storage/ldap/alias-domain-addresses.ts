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
  return [...new Set((entry?.values('domainAliasName') ?? []).map((name) => name.toLowerCase()))].sort();
}

/** `<local>@<alias domain>` for each alias domain of the address's domain. */
export function shadowAddressesIn(mail: string, aliasDomains: readonly string[]): string[] {
  const local = localPartOf(mail);
  return aliasDomains.map((aliasDomain) => `${local}@${aliasDomain}`);
}

/** The shadowAddress values a new account at `mail` needs for its domain's alias domains. */
export async function aliasDomainAddresses(ctx: LdapContext, mail: string): Promise<string[]> {
  return shadowAddressesIn(mail, await aliasDomainsOf(ctx, domainOf(mail)));
}
