import type { Config } from '#lib/config';
import type { Store } from '#lib/storage/store';

let opened: { key: Config; store: Promise<Store> } | undefined;

/**
 * The container's store, created on first use and reused by every later request (Lambda
 * keeps containers warm; pools and clients are expensive to open). Backend modules are
 * imported here, on demand, so a cold start loads only the drivers it needs.
 */
export function getStore(config: Config): Promise<Store> {
  if (opened && opened.key === config) return opened.store;
  const store = (async () => {
    if (config.backend === 'ldap') {
      // Imported only here, so SQL-only bundles never load ldapts at cold start.
      const { openLdapStore } = await import('#lib/storage/ldap/ldap-store');
      return openLdapStore(config);
    }
    const { openSqlDatabases, sqlStoreFrom } = await import('#lib/storage/sql/sql-store');
    return sqlStoreFrom(await openSqlDatabases(config));
  })();
  store.catch(() => {
    if (opened?.store === store) opened = undefined; // let the next request try again
  });
  opened = { key: config, store };
  return store;
}

export async function closeStore(): Promise<void> {
  const current = opened;
  opened = undefined;
  if (current) await (await current.store).close();
}
