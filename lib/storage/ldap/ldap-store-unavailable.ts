/**
 * What the SQL-only bundles (BUNDLE_BACKEND=mysql|pgsql) get in place of the LDAP store:
 * they never open one, and leaving its code out makes every cold start compile less.
 * A deployment that sets BACKEND=ldap on such a bundle fails on its first request, saying why.
 */
export function openLdapStore(): never {
  throw new Error('this bundle was built without the LDAP backend (BUNDLE_BACKEND=mysql|pgsql): rebuild with BUNDLE_BACKEND=ldap or all');
}
