import { sql, type Kysely, type Transaction } from 'kysely';
import type { UserStore } from '#lib/storage/user-store';
import type { BulkMailboxChanges, MailboxChanges, MailboxState, MailUser, MailUserListItem, NewMailbox, UserExtras, UserListFilter } from '#lib/model/users';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { isServiceColumn } from '#lib/model/mail-services';
import { parseSettings } from '#lib/model/settings-codec';
import { isoTimestamp, utcTimestamp } from '#lib/model/clock';
import { domainOf, stripExtension } from '#lib/model/addresses';
import { recordDeletedMailboxes } from '#lib/storage/sql/deleted-mailboxes';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

const DATE_COLUMNS = new Set(['created', 'modified', 'expired', 'passwordlastchange']);
/** Columns the list query adds to `mailbox.*`; never part of the row itself. */
const JOINED = { bytes: '__uq_bytes', messages: '__uq_messages', imap: '__ll_imap', pop3: '__ll_pop3', lda: '__ll_lda' } as const;
const JOINED_NAMES = new Set<string>(Object.values(JOINED));

/**
 * The row as the API shows it, in one pass (lists map 100,000 of them). `password` is
 * dropped here, so no caller can leak it.
 */
function toMailUser(row: Record<string, unknown>): MailUser {
  const user: Record<string, unknown> = {};
  for (const key in row) {
    if (key === 'password' || JOINED_NAMES.has(key)) continue;
    const value = row[key];
    if (DATE_COLUMNS.has(key)) user[key] = isoTimestamp(value);
    else if (key === 'settings') user[key] = parseSettings(value as string | null);
    // MySQL declares it TEXT NULL, PostgreSQL NOT NULL DEFAULT '': the same reply on both.
    else if (key === 'disclaimer') user[key] = value ?? '';
    else if (key === 'birthday' && value instanceof Date) user[key] = value.toISOString().slice(0, 10);
    else user[key] = value;
  }
  return user as MailUser;
}

const num = (value: unknown): number => Number(value ?? 0) || 0;

/** LIKE pattern for a substring; `%`, `_` and `\` in the text match themselves. */
function containing(text: string): string {
  return '%' + text.replace(/[\\%_]/g, (char) => '\\' + char) + '%';
}

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Db) {}

  async get(username: string) {
    const row = await this.db.selectFrom('mailbox').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toMailUser(row as Record<string, unknown>) : undefined;
  }

  async extras(username: string): Promise<UserExtras> {
    // Three independent reads, issued together on the pool (one round trip's wait, not three).
    const [scalars, links, managed] = await Promise.all([
      sql<Record<string, unknown>>`
        select
          (select bcc_address from sender_bcc_user where username = ${username}) as sbcc,
          (select active from sender_bcc_user where username = ${username}) as sbcc_active,
          (select bcc_address from recipient_bcc_user where username = ${username}) as rbcc,
          (select active from recipient_bcc_user where username = ${username}) as rbcc_active,
          (select bytes from used_quota where username = ${username}) as bytes,
          (select messages from used_quota where username = ${username}) as messages,
          (select max(greatest(coalesce(imap, 0), coalesce(pop3, 0), coalesce(lda, 0))) from last_login where username = ${username}) as last_login`.execute(this.db),
      this.db
        .selectFrom('forwardings')
        .select(['address', 'forwarding', 'is_forwarding', 'is_alias', 'is_list'])
        .where((eb) => eb.or([
          eb.and([eb('address', '=', username), eb('is_forwarding', '=', 1)]),
          eb.and([eb('forwarding', '=', username), eb.or([eb('is_alias', '=', 1), eb('is_list', '=', 1)])]),
        ]))
        .execute(),
      this.db.selectFrom('domain_admins').select('domain').where('username', '=', username).where('domain', '<>', 'ALL').where('active', '=', 1).orderBy('domain').execute(),
    ]);
    const row = scalars.rows[0] ?? {};
    const sorted = (values: string[]) => [...new Set(values)].sort();
    const lastLogin = num(row.last_login);
    return {
      sender_bcc_address: row.sbcc == null ? null : String(row.sbcc),
      sbcc_active: row.sbcc_active == null ? null : num(row.sbcc_active),
      recipient_bcc_address: row.rbcc == null ? null : String(row.rbcc),
      rbcc_active: row.rbcc_active == null ? null : num(row.rbcc_active),
      aliases: sorted(links.filter((l) => l.forwarding === username && Number(l.is_alias) === 1).map((l) => l.address)),
      mailing_aliases: sorted(links.filter((l) => l.forwarding === username && Number(l.is_list) === 1).map((l) => l.address)),
      forwarding_targets: sorted(links.filter((l) => l.address === username && Number(l.is_forwarding) === 1).map((l) => l.forwarding)),
      stored_bytes: num(row.bytes),
      stored_messages: num(row.messages),
      last_login_epoch: lastLogin > 0 ? lastLogin : undefined,
      managed_domains: managed.map((r) => r.domain),
    };
  }

  async find(username: string, options: { lock?: boolean } = {}): Promise<MailboxState | undefined> {
    let query = this.db.selectFrom('mailbox').select(['username', 'domain', 'quota', 'active', 'isadmin', 'isglobaladmin']).where('username', '=', username);
    if (options.lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    return {
      username: row.username,
      domain: row.domain,
      quota: num(row.quota),
      active: Number(row.active) === 1,
      isAdmin: Number(row.isadmin) === 1,
      isGlobalAdmin: Number(row.isglobaladmin) === 1,
    };
  }

  async passwordHash(username: string) {
    const row = await this.db.selectFrom('mailbox').select('password').where('username', '=', username).executeTakeFirst();
    return row?.password;
  }

  async addressInUse(address: string) {
    const candidates = [...new Set([address, stripExtension(address)])];
    const list = sql.join(candidates);
    const hit = await sql`
      select 1 as hit from mailbox where username in (${list})
      union all select 1 from alias where address in (${list})
      union all select 1 from maillists where address in (${list})
      union all select 1 from forwardings where address in (${list})
      limit 1`.execute(this.db);
    return hit.rows.length > 0;
  }

  async aliasDomainsOf(domain: string) {
    const rows = await this.db.selectFrom('alias_domain').select('alias_domain').where('target_domain', '=', domain).orderBy('alias_domain').execute();
    return rows.map((row) => row.alias_domain);
  }

  async count(domain: string) {
    const row = await this.db.selectFrom('mailbox').select((eb) => eb.fn.countAll<number>().as('n')).where('domain', '=', domain).executeTakeFirst();
    return num(row?.n);
  }

  async allocatedQuota(domain: string, except?: string) {
    let query = this.db.selectFrom('mailbox').select(sql<number>`coalesce(sum(quota), 0)`.as('total')).where('domain', '=', domain);
    if (except) query = query.where('username', '<>', except);
    return num((await query.executeTakeFirst())?.total);
  }

  /**
   * One indexed query per page: the domain index gives the rows, the two Dovecot tables are
   * joined on their primary keys. The count runs only when a page is asked for.
   */
  async list(domain: string, filter: UserListFilter) {
    let base = this.db.selectFrom('mailbox').where('mailbox.domain', '=', domain);
    if (filter.disabledOnly) base = base.where('mailbox.active', '=', 0);
    if (filter.query) {
      const pattern = containing(filter.query.toLowerCase());
      base = base.where((eb) => eb.or([eb('mailbox.username', 'like', pattern), eb(sql`lower(mailbox.name)`, 'like', pattern)]));
    }
    const paged = <T extends { limit(n: number): T; offset(n: number): T }>(query: T): T =>
      filter.page ? query.limit(filter.page.limit).offset((filter.page.page - 1) * filter.page.limit) : query;

    let items: (MailUserListItem | string)[];
    if (filter.emailOnly) {
      const rows = await paged(base.select('mailbox.username').orderBy('mailbox.username')).execute();
      items = rows.map((row) => row.username);
    } else {
      const rows = await paged(
        base
          .leftJoin('used_quota', 'used_quota.username', 'mailbox.username')
          .leftJoin('last_login', (join) => join.onRef('last_login.username', '=', 'mailbox.username').onRef('last_login.domain', '=', 'mailbox.domain'))
          .selectAll('mailbox')
          .select([
            'used_quota.bytes as __uq_bytes',
            'used_quota.messages as __uq_messages',
            'last_login.imap as __ll_imap',
            'last_login.pop3 as __ll_pop3',
            'last_login.lda as __ll_lda',
          ])
          .orderBy('mailbox.username'),
      ).execute();
      items = rows.map((row) => {
        const raw = row as Record<string, unknown>;
        const item = toMailUser(raw) as MailUserListItem;
        item.last_login = { imap: num(raw[JOINED.imap]), pop3: num(raw[JOINED.pop3]), lda: num(raw[JOINED.lda]) };
        item.used_quota = { bytes: num(raw[JOINED.bytes]), messages: num(raw[JOINED.messages]) };
        return item;
      });
    }
    if (!filter.page) return { total: items.length, items };
    const counted = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { total: num(counted?.n), items };
  }

  async create(user: NewMailbox) {
    const now = utcTimestamp();
    const services: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(user.services)) if (isServiceColumn(column)) services[column] = value;
    await this.db
      .insertInto('mailbox')
      .values({
        username: user.username,
        password: user.passwordHash,
        name: user.name,
        language: user.language,
        mailboxformat: user.mailboxformat,
        mailboxfolder: user.mailboxfolder,
        storagebasedirectory: user.storagebasedirectory,
        storagenode: user.storagenode,
        maildir: user.maildir,
        quota: user.quota,
        domain: user.domain,
        transport: '',
        disclaimer: '',
        settings: '',
        passwordlastchange: now,
        created: now,
        modified: now,
        active: 1,
        ...services,
      } as any)
      .execute();
    // The self row: without it a catch-all of the domain would take the user's mail (storage.md §1.3).
    await this.db
      .insertInto('forwardings')
      .values({ address: user.username, forwarding: user.username, domain: user.domain, dest_domain: user.domain, is_forwarding: 1, active: 1 })
      .execute();
  }

  async update(username: string, changes: MailboxChanges) {
    const now = utcTimestamp();
    const values: Record<string, unknown> = {};
    for (const key of ['name', 'language', 'employeeid', 'transport', 'active', 'quota', 'mailboxformat', 'mailboxfolder', 'storagebasedirectory', 'storagenode', 'maildir'] as const) {
      if (changes[key] !== undefined) values[key] = changes[key];
    }
    if (changes.passwordHash !== undefined) {
      values.password = changes.passwordHash;
      values.passwordlastchange = now;
    }
    for (const [column, value] of Object.entries(changes.services ?? {})) if (isServiceColumn(column)) values[column] = value;
    if (Object.keys(values).length > 0) {
      values.modified = now;
      await this.db.updateTable('mailbox').set(values as any).where('username', '=', username).execute();
    }
    if (changes.active !== undefined) {
      await this.db.updateTable('forwardings').set({ active: changes.active }).where((eb) => eb.or([eb('address', '=', username), eb('forwarding', '=', username)])).execute();
    }
  }

  async updateAll(domain: string, changes: BulkMailboxChanges, options: { spareGlobalAdmins: boolean }) {
    const now = utcTimestamp();
    const values: Record<string, unknown> = {};
    for (const key of ['name', 'language', 'transport', 'active'] as const) if (changes[key] !== undefined) values[key] = changes[key];
    if (changes.passwordHash !== undefined) {
      values.password = changes.passwordHash;
      values.passwordlastchange = now;
    }
    if (Object.keys(values).length === 0) return 0;
    values.modified = now;
    let update = this.db.updateTable('mailbox').set(values as any).where('domain', '=', domain);
    if (options.spareGlobalAdmins) update = update.where('isglobaladmin', '=', 0);
    const result = await update.executeTakeFirst();
    if (changes.active !== undefined) {
      // The users' forwardings rows follow their status, as on PUT /api/user (one statement).
      const users = (eb: any) => {
        let query = eb.selectFrom('mailbox').select('mailbox.username').where('mailbox.domain', '=', domain);
        if (options.spareGlobalAdmins) query = query.where('mailbox.isglobaladmin', '=', 0);
        return query;
      };
      await this.db
        .updateTable('forwardings')
        .set({ active: changes.active })
        .where('forwardings.domain', '=', domain)
        .where((eb) => eb.or([eb('forwardings.address', 'in', users(eb)), eb('forwardings.forwarding', 'in', users(eb))]))
        .execute();
    }
    return Number(result.numUpdatedRows ?? 0);
  }

  async setForwardings(username: string, domain: string, targets: string[], active: number) {
    await this.db.deleteFrom('forwardings').where('address', '=', username).where('is_forwarding', '=', 1).execute();
    if (targets.length === 0) return;
    await this.db
      .insertInto('forwardings')
      .values(targets.map((target) => ({ address: username, forwarding: target, domain, dest_domain: domainOf(target), is_forwarding: 1, active })))
      .execute();
  }

  async setAliases(username: string, domain: string, aliases: string[], active: number) {
    await this.db.deleteFrom('forwardings').where('forwarding', '=', username).where('is_alias', '=', 1).execute();
    if (aliases.length === 0) return;
    // `domain` is the user's primary domain even for an address of an alias domain: Postfix
    // joins forwardings.domain to the domain table, so only that value resolves.
    await this.db
      .insertInto('forwardings')
      .values(aliases.map((alias) => ({ address: alias, forwarding: username, domain, dest_domain: domain, is_alias: 1, active })))
      .execute();
  }

  async joinAliases(username: string, aliases: string[]) {
    if (aliases.length === 0) return;
    const existing = await this.db.selectFrom('alias').select(['address', 'domain']).where('address', 'in', aliases).execute();
    if (existing.length === 0) return;
    const already = await this.db.selectFrom('forwardings').select('address').where('forwarding', '=', username).where('address', 'in', existing.map((row) => row.address)).execute();
    const member = new Set(already.map((row) => row.address));
    const rows = existing
      .filter((row) => !member.has(row.address))
      .map((row) => ({ address: row.address, forwarding: username, domain: row.domain || domainOf(row.address), dest_domain: domainOf(username), is_list: 1, active: 1 }));
    if (rows.length > 0) await this.db.insertInto('forwardings').values(rows).execute();
  }

  async setBcc(username: string, domain: string, kind: 'sender' | 'recipient', address: string | undefined) {
    const table = kind === 'sender' ? 'sender_bcc_user' : 'recipient_bcc_user';
    await this.db.deleteFrom(table).where('username', '=', username).execute();
    if (!address) return;
    const now = utcTimestamp();
    await this.db.insertInto(table).values({ username, bcc_address: address, domain, created: now, modified: now, active: 1 }).execute();
  }

  async setGlobalAdmin(username: string, global: boolean) {
    const now = utcTimestamp();
    await this.db.updateTable('mailbox').set({ isglobaladmin: global ? 1 : 0, modified: now }).where('username', '=', username).execute();
    await this.db.deleteFrom('domain_admins').where('username', '=', username).where('domain', '=', 'ALL').execute();
    if (global) await this.db.insertInto('domain_admins').values({ username, domain: 'ALL', created: now, modified: now, active: 1 }).execute();
  }

  async delete(username: string, options: { deleteDate: string | null; admin: string }) {
    const existing = await this.db.selectFrom('mailbox').select('username').where('username', '=', username).forUpdate().executeTakeFirst();
    if (!existing) return false;
    // The maildir stays on disk: recorded so iRedAdmin's cron job can remove it later.
    await recordDeletedMailboxes(this.db, { username }, options);
    await this.db.deleteFrom('mailbox').where('username', '=', username).execute();
    await this.db.deleteFrom('domain_admins').where('username', '=', username).execute();
    await this.db.deleteFrom('sender_bcc_user').where('username', '=', username).execute();
    await this.db.deleteFrom('recipient_bcc_user').where('username', '=', username).execute();
    for (const table of ['sender_bcc_domain', 'recipient_bcc_domain', 'sender_bcc_user', 'recipient_bcc_user'] as const) {
      await this.db.deleteFrom(table).where('bcc_address', '=', username).execute();
    }
    await this.db.deleteFrom('used_quota').where('username', '=', username).execute();
    // Its own forwardings, alias memberships, per-user aliases, catch-all entries pointing at it.
    await this.db.deleteFrom('forwardings').where((eb) => eb.or([eb('address', '=', username), eb('forwarding', '=', username)])).execute();
    await this.db.deleteFrom('moderators').where('moderator', '=', username).execute();
    // Left behind by the original (pro-api-behaviour §1.11): a relay or login record for a
    // deleted address would apply again to whoever gets the address next.
    await this.db.deleteFrom('sender_relayhost').where('account', '=', username).execute();
    await this.db.deleteFrom('last_login').where('username', '=', username).execute();
    return true;
  }

  async rename(from: string, to: string) {
    const now = utcTimestamp();
    await this.db.updateTable('mailbox').set({ username: to, modified: now }).where('username', '=', from).execute();
    // forwardings: address first (the new address is unused, so nothing collides), then the
    // destinations; a row (x, from) whose twin (x, to) already exists is dropped, not duplicated.
    await this.db.updateTable('forwardings').set({ address: to }).where('address', '=', from).execute();
    await this.renameColumn('forwardings', 'address', 'forwarding', from, to);
    await this.renameColumn('moderators', 'address', 'moderator', from, to);
    await this.renameColumn('maillist_owners', 'address', 'owner', from, to);
    // Keyed by the address: stale rows of the new address (orphans) give way first.
    for (const table of ['domain_admins', 'sender_bcc_user', 'recipient_bcc_user', 'used_quota', 'last_login'] as const) {
      await this.db.deleteFrom(table).where('username', '=', to).execute();
      await this.db.updateTable(table).set({ username: to } as any).where('username', '=', from).execute();
    }
    for (const table of ['sender_bcc_domain', 'recipient_bcc_domain', 'sender_bcc_user', 'recipient_bcc_user'] as const) {
      await this.db.updateTable(table).set({ bcc_address: to }).where('bcc_address', '=', from).execute();
    }
    await this.db.deleteFrom('sender_relayhost').where('account', '=', to).execute();
    await this.db.updateTable('sender_relayhost').set({ account: to }).where('account', '=', from).execute();
  }

  /** Renames `from` to `to` in one column of a table unique on (key, column). */
  private async renameColumn(table: 'forwardings' | 'moderators' | 'maillist_owners', key: 'address', column: 'forwarding' | 'moderator' | 'owner', from: string, to: string) {
    const db = this.db as Kysely<any>;
    const twins = await db.selectFrom(table).select(key).where(column, '=', to).execute();
    const keys = twins.map((row: Record<string, string>) => row[key]!);
    if (keys.length > 0) await db.deleteFrom(table).where(column, '=', from).where(key, 'in', keys).execute();
    await db.updateTable(table).set({ [column]: to }).where(column, '=', from).execute();
  }
}
