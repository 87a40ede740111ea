/**
 * The Store of an iRedMail server with the OpenLDAP backend: accounts (domains, admins, users,
 * aliases, lists) in the directory; Amavisd, iRedAPD and iredadmin in SQL — MariaDB on a real
 * iRedMail LDAP server — through the same SQL stores the SQL backends use. There is no vmail
 * database on such a server.
 */
import { Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, type DatabaseConnection, type Dialect, type Driver } from 'kysely';
import type { Config } from '#lib/config';
import type { AccountStore, Store } from '#lib/storage/store';
import { ApiError } from '#lib/http/errors';
import { openDatabase, type OpenedDatabase } from '#lib/storage/sql/connect';
import { ensureSchema } from '#lib/storage/sql/schema';
import { sqlStoreFrom } from '#lib/storage/sql/sql-store';
import { LdapConnection, type LdapConnectionOptions } from '#lib/storage/ldap/client';
import { Dit } from '#lib/storage/ldap/dn';
import { present } from '#lib/storage/ldap/filter';
import { LdapDomainStore } from '#lib/storage/ldap/domains';
import { LdapIdentityStore } from '#lib/storage/ldap/identities';
import { LdapAdminStore } from '#lib/storage/ldap/admins';
import { LdapAliasStore } from '#lib/storage/ldap/aliases';
import { LdapMailingListStore } from '#lib/storage/ldap/maillists';
import { LdapDirectoryExport } from '#lib/storage/ldap/ldif-export';
import { LdapUserStore } from '#lib/storage/ldap/users';
import { LdapSession, Mutex, runUndoable, UndoLog } from '#lib/storage/ldap/transaction';
import type { LdapContext } from '#lib/storage/ldap/context';

/**
 * AccountStore on LDAP. `transaction` serialises the transactions of this store (one container)
 * and undoes the writes of a failed one (lib/storage/ldap/transaction.ts explains what that
 * does and does not guarantee across containers).
 */
export class LdapAccountStore implements AccountStore {
  readonly domains: LdapDomainStore;
  readonly identities: LdapIdentityStore;
  readonly lists: LdapMailingListStore;
  readonly ldif: LdapDirectoryExport;
  readonly admins: LdapAdminStore;
  readonly aliases: LdapAliasStore;
  readonly users: LdapUserStore;

  constructor(private readonly ctx: LdapContext) {
    this.domains = new LdapDomainStore(ctx);
    this.users = new LdapUserStore(ctx);
    this.identities = new LdapIdentityStore(ctx);
    this.admins = new LdapAdminStore(ctx);
    this.aliases = new LdapAliasStore(ctx);
    this.lists = new LdapMailingListStore(ctx);
    this.ldif = new LdapDirectoryExport(ctx);
  }

  transaction<T>(work: (tx: AccountStore) => Promise<T>): Promise<T> {
    const { session } = this.ctx;
    // Nested calls join the transaction already open.
    if (session.inTransaction) return work(this);
    return session.mutex.run(() => {
      const undo = new UndoLog();
      const tx = new LdapAccountStore({ ...this.ctx, session: new LdapSession(session.connection, session.mutex, undo) });
      return runUndoable(session.connection, () => work(tx), undo);
    });
  }

  async ping(): Promise<void> {
    const found = await this.ctx.session.connection.read(this.ctx.dit.domainsBase, ['1.1'], present('objectClass'));
    if (!found) throw new Error(`${this.ctx.dit.domainsBase} does not exist (run the migration)`);
  }
}

/** The vmail handle given to the shared SQL stores: any query through it answers NOT_SUPPORTED_BY_BACKEND. */
function noVmailDatabase(): OpenedDatabase {
  const refuse = async (): Promise<never> => {
    throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
  };
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: refuse as () => Promise<DatabaseConnection>,
    beginTransaction: refuse,
    commitTransaction: refuse,
    rollbackTransaction: refuse,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
  const dialect: Dialect = {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => driver,
    createQueryCompiler: () => new MysqlQueryCompiler(),
    createIntrospector: (db) => new MysqlIntrospector(db),
  };
  return { db: new Kysely<any>({ dialect }), engine: 'mysql', close: async () => undefined };
}

export interface LdapStoreParts {
  connection: LdapConnection;
  dit: Dit;
  amavisd: OpenedDatabase;
  iredapd: OpenedDatabase;
  iredadmin: OpenedDatabase;
}

/**
 * Builds the store from opened parts. The policy, spam, throttle, greylisting and iredadmin
 * stores are the SQL backend's own (taken from sqlStoreFrom, so every member added there exists
 * here too, on the amavisd/iredapd/iredadmin databases); only the accounts are swapped for LDAP.
 */
export function ldapStoreFrom(parts: LdapStoreParts): Store {
  const sqlSide = sqlStoreFrom({ vmail: noVmailDatabase(), amavisd: parts.amavisd, iredapd: parts.iredapd, iredadmin: parts.iredadmin });
  const accounts = new LdapAccountStore({ dit: parts.dit, session: new LdapSession(parts.connection, new Mutex()), iredadmin: parts.iredadmin.db });
  return {
    ...sqlSide,
    accounts,
    migrate: async () => {
      for (const name of ['amavisd', 'iredapd', 'iredadmin'] as const) {
        await ensureSchema(parts[name].db, parts[name].engine, name);
      }
      await ensureBaseTree(parts.connection, parts.dit);
    },
    close: async () => {
      await parts.connection.close();
      await sqlSide.close();
    },
  };
}

/** o=domains and o=domainAdmins below the suffix, as the iRedMail installer creates them. */
async function ensureBaseTree(connection: LdapConnection, dit: Dit): Promise<void> {
  if (!(await connection.read(dit.suffix, ['1.1']))) throw new Error('LDAP_SUFFIX does not name an existing entry');
  for (const [dn, o] of [[dit.domainsBase, 'domains'], [dit.adminsBase, 'domainAdmins']] as const) {
    if (!(await connection.read(dn, ['1.1']))) await connection.add(dn, { objectClass: ['organization'], o: [o] });
  }
}

export function openLdapStore(config: Config, options: Partial<LdapConnectionOptions> = {}): Store {
  const { url, suffix, bindDn, bindPassword } = config.ldap;
  // configFromEnv has checked these for BACKEND=ldap.
  if (!url || !bindDn || bindPassword === undefined) throw new Error('BACKEND=ldap needs LDAP_URL, LDAP_BIND_DN and LDAP_BIND_PASSWORD');
  if (!config.amavisdDbUrl || !config.iredapdDbUrl || !config.iredadminDbUrl) {
    throw new Error('BACKEND=ldap needs AMAVISD_DB_URL, IREDAPD_DB_URL and IREDADMIN_DB_URL');
  }
  return ldapStoreFrom({
    connection: new LdapConnection({ url, bindDn, bindPassword, ...options }),
    dit: new Dit(suffix),
    amavisd: openDatabase(config.amavisdDbUrl, { defaultPoolSize: config.dbPoolSize }),
    iredapd: openDatabase(config.iredapdDbUrl, { defaultPoolSize: config.dbPoolSize }),
    iredadmin: openDatabase(config.iredadminDbUrl, { defaultPoolSize: config.dbPoolSize }),
  });
}
