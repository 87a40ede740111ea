import type { Kysely, Transaction } from 'kysely';
import type { IdentityStore } from '#lib/storage/store';
import type { AdminIdentity } from '#lib/model/types';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import type { NewAdmin } from '#lib/model/admins';
import { SqlAdminStore } from '#lib/storage/sql/admins';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: Db) {}

  private async grants(username: string): Promise<{ all: boolean; domains: string[] }> {
    const rows = await this.db.selectFrom('domain_admins').select('domain').where('username', '=', username).where('active', '=', 1).execute();
    const domains = rows.map((row) => row.domain);
    return { all: domains.includes('ALL'), domains: domains.filter((domain) => domain !== 'ALL').sort() };
  }

  async findAdmin(username: string): Promise<AdminIdentity | undefined> {
    const admin = await this.db.selectFrom('admin').select(['username', 'password', 'active']).where('username', '=', username).executeTakeFirst();
    if (admin) {
      const grants = await this.grants(username);
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
