import { sql, type Kysely } from 'kysely';
import type { AdminDbStore } from '#lib/storage/store';
import type { IredadminDatabase } from '#lib/storage/sql/tables';
import type { Engine } from '#lib/storage/sql/sql-helpers';
import { ping } from '#lib/storage/sql/sql-helpers';
import { isoTimestamp, utcTimestamp } from '#lib/model/clock';
import type { PagedResult } from '#lib/model/types';
import type { AdminLogEntry, AdminLogFilter } from '#lib/model/admin-log';

/** The iredadmin database: login-failure counters (shared by every Lambda container) and the admin log. */
export class SqlAdminDbStore implements AdminDbStore {
  constructor(
    private readonly db: Kysely<IredadminDatabase>,
    private readonly engine: Engine,
  ) {}

  async recordLoginAttempt(keys: string[], windowSeconds: number, now: number): Promise<number[]> {
    const cutoff = now - windowSeconds;
    return this.db.transaction().execute(async (trx) => {
      const counts: number[] = [];
      for (const key of keys) {
        // One atomic statement per key: concurrent attempts each get their own count.
        if (this.engine === 'mysql') {
          await sql`insert into login_failures (\`key\`, failures, first_failure, locked_until) values (${key}, 1, ${now}, 0)
            on duplicate key update
              failures = if(first_failure < ${cutoff}, 1, failures + 1),
              first_failure = if(first_failure < ${cutoff}, ${now}, first_failure)`.execute(trx);
        } else {
          await sql`insert into login_failures (key, failures, first_failure, locked_until) values (${key}, 1, ${now}, 0)
            on conflict (key) do update set
              failures = case when login_failures.first_failure < ${cutoff} then 1 else login_failures.failures + 1 end,
              first_failure = case when login_failures.first_failure < ${cutoff} then ${now} else login_failures.first_failure end`.execute(trx);
        }
        const row = await trx.selectFrom('login_failures').select('failures').where('key', '=', key).executeTakeFirst();
        counts.push(Number(row?.failures ?? 1));
      }
      return counts;
    });
  }

  async clearLoginFailures(keys: string[]) {
    if (keys.length > 0) await this.db.deleteFrom('login_failures').where('key', 'in', keys).execute();
  }

  async releaseLoginAttempt(key: string) {
    await this.db
      .updateTable('login_failures')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  async log(entry: { admin: string; ip: string; domain?: string; username?: string; event: string; loglevel?: string; msg: string }) {
    await this.db
      .insertInto('log')
      .values({
        timestamp: utcTimestamp(),
        admin: entry.admin,
        ip: entry.ip.slice(0, 40),
        domain: entry.domain ?? '',
        username: entry.username ?? '',
        event: entry.event.slice(0, 20),
        loglevel: entry.loglevel ?? 'info',
        msg: entry.msg,
      })
      .execute();
  }

  async listLog(filter: AdminLogFilter): Promise<PagedResult<AdminLogEntry>> {
    if (filter.domains && filter.domains.length === 0) return { total: 0, items: [] };
    let query = this.db.selectFrom('log');
    if (filter.domains) query = query.where('domain', 'in', [...filter.domains]);
    if (filter.domain !== undefined) query = query.where('domain', '=', filter.domain);
    if (filter.event !== undefined) query = query.where('event', '=', filter.event);
    if (filter.admin !== undefined) query = query.where('admin', '=', filter.admin);
    if (filter.since !== undefined) query = query.where('timestamp', '>=', filter.since as never);
    if (filter.before !== undefined) query = query.where('timestamp', '<', filter.before as never);
    const counted = await query.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst();
    const rows = await query
      .selectAll()
      .orderBy('timestamp', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.page.limit)
      .offset((filter.page.page - 1) * filter.page.limit)
      .execute();
    const items = rows.map((row) => ({
      id: Number(row.id),
      timestamp: isoTimestamp(row.timestamp),
      admin: row.admin,
      ip: row.ip,
      domain: row.domain ?? '',
      username: row.username ?? '',
      event: row.event ?? '',
      loglevel: row.loglevel ?? '',
      msg: row.msg ?? '',
    }));
    return { total: Number(counted?.n ?? 0), items };
  }

  ping() {
    return ping(this.db);
  }
}
