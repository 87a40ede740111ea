import type { Kysely, Transaction } from 'kysely';
import type { AccountStore } from '#lib/storage/store';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { SqlDomainStore } from '#lib/storage/sql/domains';
import { SqlIdentityStore } from '#lib/storage/sql/identities';
import { SqlAdminStore } from '#lib/storage/sql/admins';
import { SqlAliasStore } from '#lib/storage/sql/aliases';
import { SqlUserStore } from '#lib/storage/sql/users';
import { isDeadlock, ping } from '#lib/storage/sql/sql-helpers';
import { sqlDirectoryExport, sqlMailingLists } from '#lib/storage/sql/ldap-only';

/** The vmail database. Inside `transaction` every sub-store shares the one transaction. */
export class SqlAccountStore implements AccountStore {
  readonly domains: SqlDomainStore;
  readonly identities: SqlIdentityStore;
  readonly admins: SqlAdminStore;
  readonly aliases: SqlAliasStore;
  readonly users: SqlUserStore;
  readonly lists = sqlMailingLists;
  readonly ldif = sqlDirectoryExport;

  constructor(private readonly db: Kysely<VmailDatabase> | Transaction<VmailDatabase>) {
    this.domains = new SqlDomainStore(db);
    this.identities = new SqlIdentityStore(db);
    this.admins = new SqlAdminStore(db);
    this.aliases = new SqlAliasStore(db);
    this.users = new SqlUserStore(db);
  }

  transaction<T>(work: (tx: AccountStore) => Promise<T>): Promise<T> {
    // Nested calls join the transaction already open rather than opening another.
    if (this.db.isTransaction) return work(this);
    return retryDeadlocks(() => (this.db as Kysely<VmailDatabase>).transaction().execute((trx) => work(new SqlAccountStore(trx))));
  }

  ping() {
    return ping(this.db);
  }
}

/**
 * Concurrent multi-row writes can still deadlock on InnoDB (a locking read or delete locks
 * every index row it scans, gaps included): the server rolls the victim back whole, so it is
 * run again, a few times, after a short random pause, instead of answering INTERNAL_ERROR.
 */
async function retryDeadlocks<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
