/**
 * Which domains an address administers: the mailDomain entries whose domainAdmin names it.
 * Read by the identity, admin and user stores (its own module, so they need not import each other).
 */
import { and, eq, objectClass } from '#lib/storage/ldap/filter';
import type { LdapContext } from '#lib/storage/ldap/context';

/** Domains whose domainAdmin names the address, sorted. */
export async function domainsAdministeredBy(ctx: LdapContext, username: string): Promise<string[]> {
  const entries = await ctx.session.connection.search(ctx.dit.domainsBase, {
    scope: 'one',
    filter: and(objectClass('mailDomain'), eq('domainAdmin', username)),
    attributes: ['domainName'],
    paged: true,
  });
  return [...new Set(entries.map((entry) => (entry.first('domainName') ?? '').toLowerCase()).filter(Boolean))].sort();
}
