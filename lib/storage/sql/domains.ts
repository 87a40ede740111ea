import { sql, type Kysely, type Transaction } from 'kysely';
import type { DomainStore } from '#lib/storage/store';
import type { Domain, DomainChanges, DomainExtras, NewDomain } from '#lib/model/types';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { parseSettings, serializeSettings } from '#lib/model/settings-codec';
import { isoTimestamp, utcTimestamp } from '#lib/model/clock';
import { domainOf } from '#lib/model/addresses';
import { addressesOfDomain } from '#lib/storage/sql/sql-helpers';
import { recordDeletedMailboxes } from '#lib/storage/sql/deleted-mailboxes';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

function toDomain(row: Record<string, unknown>): Domain {
  return {
    domain: String(row.domain),
    description: String(row.description ?? ''),
    disclaimer: String(row.disclaimer ?? ''),
    aliases: Number(row.aliases ?? 0),
    mailboxes: Number(row.mailboxes ?? 0),
    maillists: Number(row.maillists ?? 0),
    maxquota: Number(row.maxquota ?? 0),
    quota: Number(row.quota ?? 0),
    transport: String(row.transport ?? ''),
    backupmx: Number(row.backupmx ?? 0),
    settings: parseSettings(row.settings as string | null),
    created: isoTimestamp(row.created),
    modified: isoTimestamp(row.modified),
    expired: isoTimestamp(row.expired),
    active: Number(row.active ?? 0),
  };
}

/** Catch-all rows: the bare domain as address, and none of the is_* flags (storage.md §1.3). */
function catchallRows(db: Db, domain: string) {
  return db
    .selectFrom('forwardings')
    .where('address', '=', domain)
    .where('is_forwarding', '=', 0)
    .where('is_alias', '=', 0)
    .where('is_list', '=', 0)
    .where('is_maillist', '=', 0);
}

export class SqlDomainStore implements DomainStore {
  constructor(private readonly db: Db) {}

  async list(filter: { only?: string[]; disabledOnly?: boolean; page?: { page: number; limit: number } }) {
    if (filter.only && filter.only.length === 0) return { total: 0, items: [] };
    let query = this.db.selectFrom('domain');
    if (filter.only) query = query.where('domain', 'in', filter.only);
    if (filter.disabledOnly) query = query.where('active', '=', 0);
    const counted = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    let rows = query.selectAll().orderBy('domain');
    if (filter.page) rows = rows.limit(filter.page.limit).offset((filter.page.page - 1) * filter.page.limit);
    const items = (await rows.execute()).map((row) => toDomain(row as Record<string, unknown>));
    return { total: Number(counted?.n ?? 0), items };
  }

  async get(domain: string) {
    const row = await this.db.selectFrom('domain').selectAll().where('domain', '=', domain).executeTakeFirst();
    return row ? toDomain(row as Record<string, unknown>) : undefined;
  }

  async lock(domain: string) {
    const row = await this.db.selectFrom('domain').selectAll().where('domain', '=', domain).forUpdate().executeTakeFirst();
    return row ? toDomain(row as Record<string, unknown>) : undefined;
  }

  async extras(domain: string): Promise<DomainExtras> {
    // Three independent reads, issued together on the pool (one round trip's wait, not three).
    const [scalars, catchall, aliasDomains] = await Promise.all([
      sql<{ users: unknown; allocated: unknown; sbcc: unknown; rbcc: unknown; relay: unknown }>`
        select
          (select count(*) from mailbox where domain = ${domain}) as users,
          (select coalesce(sum(quota), 0) from mailbox where domain = ${domain}) as allocated,
          (select bcc_address from sender_bcc_domain where domain = ${domain}) as sbcc,
          (select bcc_address from recipient_bcc_domain where domain = ${domain}) as rbcc,
          (select relayhost from sender_relayhost where account = ${'@' + domain}) as relay`.execute(this.db),
      catchallRows(this.db, domain).select('forwarding').orderBy('forwarding').execute(),
      this.db.selectFrom('alias_domain').select('alias_domain').where('target_domain', '=', domain).orderBy('alias_domain').execute(),
    ]);
    const row = scalars.rows[0]!;
    return {
      sbcc_addr: String(row.sbcc ?? ''),
      rbcc_addr: String(row.rbcc ?? ''),
      catchall: catchall.map((r) => r.forwarding),
      relayhost: String(row.relay ?? ''),
      alias_domains: aliasDomains.map((r) => r.alias_domain),
      num_existing_users: Number(row.users ?? 0),
      allocated_quota: Number(row.allocated ?? 0),
    };
  }

  async isLocal(domain: string) {
    const primary = await this.db.selectFrom('domain').select('domain').where('domain', '=', domain).executeTakeFirst();
    if (primary) return true;
    const alias = await this.db.selectFrom('alias_domain').select('alias_domain').where('alias_domain', '=', domain).executeTakeFirst();
    return alias !== undefined;
  }

  async create(domain: NewDomain) {
    const now = utcTimestamp();
    await this.db
      .insertInto('domain')
      .values({
        domain: domain.domain,
        description: domain.description,
        disclaimer: '',
        transport: domain.transport,
        maxquota: domain.maxquota,
        quota: 0,
        mailboxes: domain.mailboxes,
        aliases: domain.aliases,
        maillists: domain.maillists,
        backupmx: 0,
        settings: serializeSettings(domain.settings),
        created: now,
        modified: now,
        active: 1,
      })
      .execute();
  }

  async update(domain: string, changes: DomainChanges) {
    const { settings, ...columns } = changes;
    const values: Record<string, unknown> = { ...columns, modified: utcTimestamp() };
    if (settings) values.settings = serializeSettings(settings);
    await this.db.updateTable('domain').set(values).where('domain', '=', domain).execute();
  }

  async setCatchall(domain: string, targets: string[]) {
    await this.db
      .deleteFrom('forwardings')
      .where('address', '=', domain)
      .where('is_forwarding', '=', 0)
      .where('is_alias', '=', 0)
      .where('is_list', '=', 0)
      .where('is_maillist', '=', 0)
      .execute();
    if (targets.length === 0) return;
    await this.db
      .insertInto('forwardings')
      .values(targets.map((target) => ({
        address: domain,
        forwarding: target,
        domain,
        dest_domain: domainOf(target),
        is_maillist: 0,
        is_list: 0,
        is_forwarding: 0,
        is_alias: 0,
        active: 1,
      })))
      .execute();
  }

  async setRelayhost(account: string, relayhost: string | undefined) {
    await this.db.deleteFrom('sender_relayhost').where('account', '=', account).execute();
    if (relayhost) await this.db.insertInto('sender_relayhost').values({ account, relayhost }).execute();
  }

  async setBcc(domain: string, kind: 'sender' | 'recipient', address: string | undefined) {
    const table = kind === 'sender' ? 'sender_bcc_domain' : 'recipient_bcc_domain';
    await this.db.deleteFrom(table).where('domain', '=', domain).execute();
    if (!address) return;
    const now = utcTimestamp();
    await this.db.insertInto(table).values({ domain, bcc_address: address, created: now, modified: now, active: 1 }).execute();
  }

  async setAliasDomains(domain: string, aliases: string[]) {
    await this.db.deleteFrom('alias_domain').where('target_domain', '=', domain).execute();
    if (aliases.length === 0) return;
    const now = utcTimestamp();
    await this.db
      .insertInto('alias_domain')
      .values(aliases.map((alias) => ({ alias_domain: alias, target_domain: domain, created: now, modified: now, active: 1 })))
      .execute();
  }

  async delete(domain: string, options: { deleteDate: string | null; admin: string }) {
    const existed = await this.db.selectFrom('domain').select('domain').where('domain', '=', domain).forUpdate().executeTakeFirst();
    // The maildirs stay on disk: record them so iRedAdmin's cron job can remove them later.
    await recordDeletedMailboxes(this.db, { domain }, options);
    const byDomain = ['domain', 'alias', 'mailbox', 'domain_admins', 'sender_bcc_domain', 'recipient_bcc_domain', 'sender_bcc_user', 'recipient_bcc_user', 'forwardings', 'moderators', 'used_quota', 'maillists', 'maillist_owners', 'last_login'] as const;
    for (const table of byDomain) {
      await this.db.deleteFrom(table).where('domain', '=', domain).execute();
    }
    await this.db.deleteFrom('alias_domain').where((eb) => eb.or([eb('alias_domain', '=', domain), eb('target_domain', '=', domain)])).execute();
    // Admins who live in the domain lose their rights on other domains too: their account is gone.
    // Found by a plain read, deleted by exact key: a locking `LIKE '%@domain'` delete scans and
    // locks every row of the table, and two concurrent domain deletes then deadlock on InnoDB.
    const domainUsers = (await this.db.selectFrom('domain_admins').select('username').where('username', 'like', addressesOfDomain(domain)).execute()).map((row) => row.username);
    if (domainUsers.length > 0) await this.db.deleteFrom('domain_admins').where('username', 'in', [...new Set(domainUsers)]).execute();
    // The original leaves these behind (pro-api-behaviour §1.11); orphans only confuse Postfix.
    await this.db.deleteFrom('sender_relayhost').where((eb) => eb.or([eb('account', '=', '@' + domain), eb('account', 'like', addressesOfDomain(domain))])).execute();
    return existed !== undefined;
  }

  async admins(domain: string) {
    const rows = await this.db.selectFrom('domain_admins').select('username').where('domain', '=', domain).orderBy('username').execute();
    return rows.map((row) => row.username);
  }

  async setAdmins(domain: string, change: { add: string[]; remove: string[]; removeAll: boolean }) {
    const removed = change.removeAll ? await this.admins(domain) : change.remove;
    if (removed.length > 0) {
      await this.db.deleteFrom('domain_admins').where('domain', '=', domain).where('username', 'in', removed).execute();
    }
    const now = utcTimestamp();
    for (const username of change.add) {
      const exists = await this.db.selectFrom('domain_admins').select('username').where('username', '=', username).where('domain', '=', domain).executeTakeFirst();
      if (!exists) await this.db.insertInto('domain_admins').values({ username, domain, created: now, modified: now, active: 1 }).execute();
    }
    if (change.add.length > 0) {
      await this.db.updateTable('mailbox').set({ isadmin: 1 }).where('username', 'in', change.add).execute();
    }
    // A mail user left without any managed domain is no longer a domain admin.
    const demote = removed.filter((username) => !change.add.includes(username));
    if (demote.length > 0) {
      await this.db
        .updateTable('mailbox')
        .set({ isadmin: 0 })
        .where('username', 'in', demote)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('domain_admins').select('domain_admins.username').whereRef('domain_admins.username', '=', 'mailbox.username').where('domain_admins.domain', '<>', 'ALL'))))
        .execute();
    }
  }
}
