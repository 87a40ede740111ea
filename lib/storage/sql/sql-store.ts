import type { Kysely } from 'kysely';
import type { Config } from '#lib/config';
import type { Store } from '#lib/storage/store';
import { openDatabase, openEmbedded, type OpenedDatabase } from '#lib/storage/sql/connect';
import { ensureSchema } from '#lib/storage/sql/schema';
import { SqlAccountStore } from '#lib/storage/sql/account-store';
import { SqlAdminDbStore } from '#lib/storage/sql/admin-db';
import { SqlApiKeyStore } from '#lib/storage/sql/api-keys';
import { SqlPolicyStore } from '#lib/storage/sql/policy-store';
import { SqlPolicyFollowUpStore } from '#lib/storage/sql/policy-followups';
import { SqlSpamPolicyStore } from '#lib/storage/sql/spam-policy';
import { SqlThrottleStore } from '#lib/storage/sql/throttle';
import { SqlGreylistingStore } from '#lib/storage/sql/greylisting';

/** Other databases default to the vmail server with iRedMail's database names. */
export function siblingUrl(vmailUrl: string, database: string): string {
  const url = new URL(vmailUrl);
  url.pathname = '/' + database;
  return url.toString();
}

export interface SqlDatabases {
  vmail: OpenedDatabase;
  amavisd: OpenedDatabase;
  iredapd: OpenedDatabase;
  iredadmin: OpenedDatabase;
}

export async function openSqlDatabases(config: Config): Promise<SqlDatabases> {
  if (config.backend === 'embedded') {
    // One PGlite database holds all four table sets: no name clashes, and writes across them are atomic.
    const db = await openEmbedded(config.dataDir);
    return { vmail: db, amavisd: db, iredapd: db, iredadmin: db };
  }
  const vmailUrl = config.vmailDbUrl;
  if (!vmailUrl) throw new Error('VMAIL_DB_URL is required');
  const options = { defaultPoolSize: config.dbPoolSize };
  const open = (url: string | undefined, name: string) => openDatabase(url ?? siblingUrl(vmailUrl, name), options);
  return {
    vmail: await openDatabase(vmailUrl, options),
    amavisd: await open(config.amavisdDbUrl, 'amavisd'),
    iredapd: await open(config.iredapdDbUrl, 'iredapd'),
    iredadmin: await open(config.iredadminDbUrl, 'iredadmin'),
  };
}

export function sqlStoreFrom(databases: SqlDatabases): Store {
  const unique = [...new Set(Object.values(databases))];
  return {
    accounts: new SqlAccountStore(databases.vmail.db as Kysely<any>),
    policy: new SqlPolicyStore(databases.amavisd.db as Kysely<any>, databases.iredapd.db as Kysely<any>),
    spam: new SqlSpamPolicyStore(databases.amavisd.db as Kysely<any>),
    throttle: new SqlThrottleStore(databases.iredapd.db as Kysely<any>, databases.iredapd.engine),
    greylisting: new SqlGreylistingStore(databases.iredapd.db as Kysely<any>, databases.iredapd.engine),
    admin: new SqlAdminDbStore(databases.iredadmin.db as Kysely<any>, databases.iredadmin.engine),
    apiKeys: new SqlApiKeyStore(databases.iredadmin.db as Kysely<any>),
    followUps: new SqlPolicyFollowUpStore(databases.iredadmin.db as Kysely<any>, databases.iredadmin.engine),
    migrate: async () => {
      for (const name of ['vmail', 'amavisd', 'iredapd', 'iredadmin'] as const) {
        const target = databases[name];
        await ensureSchema(target.db as Kysely<any>, target.engine, name);
      }
    },
    close: async () => {
      await Promise.all(unique.map((db) => db.close()));
    },
  };
}
