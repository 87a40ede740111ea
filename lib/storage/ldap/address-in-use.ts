/**
 * Whether an address is taken on LDAP: the `mail` or a `shadowAddress` of any mail user, mail
 * alias or mailing list, for the address itself or it without its +extension (Postfix would
 * deliver `user+tag@d` to `user@d`). One indexed sub-tree search, stopped at the first hit.
 */
import { stripExtension } from '#lib/model/addresses';
import { and, anyOf, objectClass, or } from '#lib/storage/ldap/filter';
import type { LdapContext } from '#lib/storage/ldap/context';

const ACCOUNT = or(objectClass('mailUser'), objectClass('mailAlias'), objectClass('mailList'));

export async function addressInUse(ctx: LdapContext, address: string): Promise<boolean> {
  const candidates = [...new Set([address, stripExtension(address)])];
  const found = await ctx.session.connection.search(ctx.dit.domainsBase, {
    scope: 'sub',
    filter: and(ACCOUNT, or(anyOf('mail', candidates), anyOf('shadowAddress', candidates))),
    attributes: ['1.1'],
    sizeLimit: 1,
  });
  return found.length > 0;
}
