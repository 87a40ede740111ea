import type { Kysely, Transaction } from 'kysely';
import type { IdentityStore } from '#lib/storage/store';
import type { AdminIdentity } from '#lib/model/types';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import type { NewAdmin } from '#lib/model/admins';
import { SqlAdminStore } from '#lib/storage/sql/admins';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

/** domain_admins rows -> global (the `ALL` row) and the sorted managed domains. */
function grantsOf(domains: string[]): { all: boolean; domains: string[] } {
  return { all: domains.includes('ALL'), domains: domains.filter((domain) => domain !== 'ALL').sort() };
}

export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: Db) {}

  private async grants(username: string): Promise<{ all: boolean; domains: string[] }> {
    const rows = await this.db.selectFrom('domain_admins').select('domain').where('username', '=', username).where('active', '=', 1).execute();
    return grantsOf(rows.map((row) => row.domain));
  }

  async findAdmin(username: string): Promise<AdminIdentity | undefined> {
    // Every authenticated request re-reads its caller: the admin row and its grants come in
    // one round trip (one row per active grant, or one row with a null domain).
    const rows = await this.db
      .selectFrom('admin')
      .leftJoin('domain_admins', (join) => join.onRef('domain_admins.username', '=', 'admin.username').on('domain_admins.active', '=', 1))
      .select(['admin.password', 'admin.active', 'domain_admins.domain'])
      .where('admin.username', '=', username)
      .execute();
    const admin = rows[0];
    if (admin) {
      const grants = grantsOf(rows.flatMap((row) => (row.domain == null ? [] : [row.domain])));
      return {
        username,
        kind: 'admin',
        passwordHash: admin.password,
        active: Number(admin.active) === 1,
        isGlobalAdmin: grants.all,
        hasAdminRights: true,
        domainActive: true,
        managedDomains: grants.domains,
      };
    }
    const user = await this.db
      .selectFrom('mailbox')
      .leftJoin('domain', 'domain.domain', 'mailbox.domain')
      .select(['mailbox.password', 'mailbox.active', 'mailbox.isadmin', 'mailbox.isglobaladmin', 'domain.active as domain_active'])
      .where('mailbox.username', '=', username)
      .executeTakeFirst();
    if (!user) return undefined;
    const isGlobalAdmin = Number(user.isglobaladmin) === 1;
    const hasAdminRights = isGlobalAdmin || Number(user.isadmin) === 1;
    const grants = hasAdminRights ? await this.grants(username) : { all: false, domains: [] };
    return {
      username,
      kind: 'mailuser',
      passwordHash: user.password,
      active: Number(user.active) === 1,
      isGlobalAdmin,
      hasAdminRights,
      domainActive: Number(user.domain_active) === 1,
      managedDomains: grants.domains,
    };
  }

  async isMailUser(username: string) {
    return (await this.db.selectFrom('mailbox').select('username').where('username', '=', username).executeTakeFirst()) !== undefined;
  }

  async isStandaloneAdmin(username: string) {
    return (await this.db.selectFrom('admin').select('username').where('username', '=', username).executeTakeFirst()) !== undefined;
  }

  async hasGlobalAdmin() {
    const admin = await this.db
      .selectFrom('domain_admins')
      .innerJoin('admin', 'admin.username', 'domain_admins.username')
      .select('admin.username')
      .where('domain_admins.domain', '=', 'ALL')
      .where('admin.active', '=', 1)
      .executeTakeFirst();
    if (admin) return true;
    const user = await this.db.selectFrom('mailbox').select('username').where('isglobaladmin', '=', 1).where('active', '=', 1).executeTakeFirst();
    return user !== undefined;
  }

  /** The same row AdminStore.create writes (POST /api/admin); here for the start-up bootstrap. */
  createStandaloneAdmin(admin: NewAdmin) {
    return new SqlAdminStore(this.db).create(admin);
  }

}
