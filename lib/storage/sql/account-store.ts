import type { Kysely, Transaction } from 'kysely';
import type { AccountStore } from '#lib/storage/store';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { SqlDomainStore } from '#lib/storage/sql/domains';
import { SqlIdentityStore } from '#lib/storage/sql/identities';
import { SqlAdminStore } from '#lib/storage/sql/admins';
import { SqlAliasStore } from '#lib/storage/sql/aliases';
import { SqlUserStore } from '#lib/storage/sql/users';
import { ping } from '#lib/storage/sql/sql-helpers';

/** The vmail database. Inside `transaction` every sub-store shares the one transaction. */
export class SqlAccountStore implements AccountStore {
  readonly domains: SqlDomainStore;
  readonly identities: SqlIdentityStore;
  readonly admins: SqlAdminStore;
  readonly aliases: SqlAliasStore;
  readonly users: SqlUserStore;

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
    return (this.db as Kysely<VmailDatabase>).transaction().execute((trx) => work(new SqlAccountStore(trx)));
  }

  ping() {
    return ping(this.db);
  }
}
