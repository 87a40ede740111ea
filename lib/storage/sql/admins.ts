import type { Kysely, Transaction } from 'kysely';
import type { AdminStore } from '#lib/storage/store';
import type { AdminChanges, AdminProfile, NewAdmin, StandaloneAdmin } from '#lib/model/admins';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { parseSettings, serializeSettings } from '#lib/model/settings-codec';
import { isoTimestamp, utcTimestamp } from '#lib/model/clock';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

/** Every column of vmail.admin except `password`: the hash never leaves this module. */
const ADMIN_COLUMNS = ['username', 'name', 'language', 'passwordlastchange', 'settings', 'created', 'modified', 'expired', 'active'] as const;

function toAdmin(row: Record<string, unknown>): StandaloneAdmin {
  return {
    username: String(row.username),
    name: String(row.name ?? ''),
    language: String(row.language ?? ''),
    passwordlastchange: isoTimestamp(row.passwordlastchange),
    settings: parseSettings(row.settings as string | null),
    created: isoTimestamp(row.created),
    modified: isoTimestamp(row.modified),
    expired: isoTimestamp(row.expired),
    active: Number(row.active ?? 0),
  };
}

/** Standalone admins (vmail.admin) and their domain_admins rows. */
export class SqlAdminStore implements AdminStore {
  constructor(private readonly db: Db) {}

  private async grants(username: string): Promise<{ all: boolean; domains: string[] }> {
    const rows = await this.db.selectFrom('domain_admins').select('domain').where('username', '=', username).where('active', '=', 1).execute();
    const domains = rows.map((row) => row.domain);
    return { all: domains.includes('ALL'), domains: domains.filter((domain) => domain !== 'ALL').sort() };
  }

  async get(username: string): Promise<AdminProfile | undefined> {
    const row = await this.db.selectFrom('admin').select(ADMIN_COLUMNS).where('username', '=', username).executeTakeFirst();
    if (!row) return undefined;
    const grants = await this.grants(username);
    return { ...toAdmin(row as Record<string, unknown>), isglobaladmin: grants.all ? 1 : 0, managed_domains: grants.domains };
  }

  async lock(username: string) {
    const row = await this.db.selectFrom('admin').select(ADMIN_COLUMNS).where('username', '=', username).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const grants = await this.grants(username);
    return { ...toAdmin(row as Record<string, unknown>), isGlobalAdmin: grants.all };
  }

  async create(admin: NewAdmin) {
    const now = utcTimestamp();
    await this.db
      .insertInto('admin')
      .values({
        username: admin.username,
        password: admin.passwordHash,
        name: admin.name,
        language: admin.language,
        passwordlastchange: now,
        settings: serializeSettings(admin.settings),
        created: now,
        modified: now,
        active: admin.active ? 1 : 0,
      })
      .execute();
    if (admin.isGlobalAdmin) await this.setGlobalAdmin(admin.username, true);
  }

  async update(username: string, changes: AdminChanges) {
    const now = utcTimestamp();
    const values: Record<string, unknown> = { modified: now };
    if (changes.name !== undefined) values.name = changes.name;
    if (changes.language !== undefined) values.language = changes.language;
    if (changes.active !== undefined) values.active = changes.active;
    if (changes.settings !== undefined) values.settings = serializeSettings(changes.settings);
    if (changes.passwordHash !== undefined) {
      values.password = changes.passwordHash;
      values.passwordlastchange = now;
    }
    await this.db.updateTable('admin').set(values).where('username', '=', username).execute();
  }

  async setGlobalAdmin(username: string, global: boolean) {
    await this.db.deleteFrom('domain_admins').where('username', '=', username).where('domain', '=', 'ALL').execute();
    if (!global) return;
    const now = utcTimestamp();
    await this.db.insertInto('domain_admins').values({ username, domain: 'ALL', created: now, modified: now, active: 1 }).execute();
  }

  async delete(username: string) {
    const existed = await this.db.selectFrom('admin').select('username').where('username', '=', username).forUpdate().executeTakeFirst();
    if (!existed) return false;
    await this.db.deleteFrom('admin').where('username', '=', username).execute();
    await this.db.deleteFrom('domain_admins').where('username', '=', username).execute();
    return true;
  }
}
