import { sql, type Kysely, type Transaction } from 'kysely';
import type { GreylistingStore } from '#lib/storage/store';
import type { IredapdDatabase } from '#lib/storage/sql/tables';
import type { Engine } from '#lib/storage/sql/sql-helpers';
import { SPF_COMMENT_PREFIX, spfComment, type GreylistingSetting, type ListChange } from '#lib/model/policy';
import { retryOnConflict } from '#lib/storage/sql/policy-helpers';

type Db = Kysely<IredapdDatabase> | Transaction<IredapdDatabase>;
type KeyedTable = 'greylisting_whitelists' | 'greylisting_whitelist_domain_spf' | 'greylisting_whitelist_domains';

const SLICE = 500;

function slices<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += SLICE) out.push(items.slice(start, start + SLICE));
  return out;
}

/** The next state of a list: a reset replaces it; otherwise removals, then additions. */
function nextList(before: string[], change: ListChange): string[] {
  if (change.reset) return [...new Set(change.reset)];
  const next = new Set(before);
  for (const item of change.remove) next.delete(item);
  for (const item of change.add) next.add(item);
  return [...next];
}

/**
 * iRedAPD's greylisting tables (policy.md §3). Every table here has a UNIQUE key on what the
 * API writes — (account, sender) or (domain) — on both engines, so inserts that race another
 * writer ignore the duplicate and settings are upserts.
 */
export class SqlGreylistingStore implements GreylistingStore {
  constructor(
    private readonly db: Kysely<IredapdDatabase>,
    private readonly engine: Engine,
  ) {}

  /** INSERT that skips rows whose unique key already exists (never MySQL's INSERT IGNORE, which also hides truncation). */
  private async insertIgnoring(db: Db, table: KeyedTable, rows: Record<string, string>[], key: string[]): Promise<void> {
    for (const slice of slices(rows)) {
      const insert = db.insertInto(table).values(slice as never);
      if (this.engine === 'mysql') await insert.onDuplicateKeyUpdate({ [key[0]!]: sql.ref(key[0]!) } as never).execute();
      else await insert.onConflict((conflict) => conflict.columns(key as never).doNothing()).execute();
    }
  }

  async status(account: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('greylisting').select('active').where('account', '=', account).where('sender', '=', '@.').executeTakeFirst();
    return row ? Number(row.active) : undefined;
  }

  async setStatus(account: string, priority: number, active: boolean): Promise<void> {
    const values = { priority, sender_priority: 0, active: active ? 1 : 0 };
    const insert = this.db.insertInto('greylisting').values({ account, sender: '@.', ...values });
    await retryOnConflict(() =>
      this.engine === 'mysql'
        ? insert.onDuplicateKeyUpdate(values).execute()
        : insert.onConflict((conflict) => conflict.columns(['account', 'sender']).doUpdateSet(values)).execute(),
    );
  }

  async clear(account: string): Promise<number> {
    const result = await this.db.deleteFrom('greylisting').where('account', '=', account).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async all(): Promise<GreylistingSetting[]> {
    const rows = await this.db
      .selectFrom('greylisting')
      .select(['account', 'sender', 'priority', 'sender_priority', 'active'])
      .orderBy('account')
      .orderBy('priority', 'desc')
      .orderBy('sender_priority', 'desc')
      .orderBy('sender')
      .execute();
    return rows.map((row) => ({ account: row.account, sender: row.sender, priority: Number(row.priority), sender_priority: Number(row.sender_priority), active: Number(row.active) }));
  }

  async whitelists(account: string): Promise<string[]> {
    const rows = await this.db.selectFrom('greylisting_whitelists').select('sender').where('account', '=', account).execute();
    return rows.map((row) => row.sender.toLowerCase()).sort();
  }

  async changeWhitelists(account: string, change: ListChange): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = (await trx.selectFrom('greylisting_whitelists').select('sender').where('account', '=', account).execute()).map((row) => row.sender);
      const after = nextList(before, change);
      const gone = before.filter((sender) => !after.includes(sender));
      const added = after.filter((sender) => !before.includes(sender));
      // Only this account's rows: iRedAdmin-Pro deleted the senders from every account (its bug #18).
      for (const slice of slices(gone)) await trx.deleteFrom('greylisting_whitelists').where('account', '=', account).where('sender', 'in', slice).execute();
      await this.insertIgnoring(trx, 'greylisting_whitelists', added.map((sender) => ({ account, sender, comment: '' })), ['account', 'sender']);
    });
  }

  async whitelistDomains(): Promise<string[]> {
    const rows = await this.db.selectFrom('greylisting_whitelist_domains').select('domain').execute();
    return rows.map((row) => row.domain.toLowerCase()).sort();
  }

  async changeWhitelistDomains(change: ListChange): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = (await trx.selectFrom('greylisting_whitelist_domains').select('domain').execute()).map((row) => row.domain);
      const after = nextList(before, change);
      const gone = before.filter((domain) => !after.includes(domain));
      const added = after.filter((domain) => !before.includes(domain));
      for (const slice of slices(gone)) {
        await trx.deleteFrom('greylisting_whitelist_domains').where('domain', 'in', slice).execute();
        // A domain taken off the list stops whitelisting its senders now, not at the next SPF run.
        await trx.deleteFrom('greylisting_whitelist_domain_spf').where('comment', 'in', slice.map(spfComment)).execute();
      }
      await this.insertIgnoring(trx, 'greylisting_whitelist_domains', added.map((domain) => ({ domain })), ['domain']);
    });
  }

  async spfAddresses(domain: string): Promise<string[]> {
    const rows = await this.db.selectFrom('greylisting_whitelist_domain_spf').select('sender').where('comment', '=', spfComment(domain)).execute();
    return rows.map((row) => row.sender).sort();
  }

  /** The addresses among `senders` that some SPF row already holds (account `@.`). */
  private async held(db: Db, senders: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const slice of slices(senders)) {
      const rows = await db.selectFrom('greylisting_whitelist_domain_spf').select('sender').where('account', '=', '@.').where('sender', 'in', slice).execute();
      for (const row of rows) found.add(row.sender.toLowerCase());
    }
    return found;
  }

  async replaceSpfAddresses(domain: string, addresses: string[], fallbacks: ReadonlyMap<string, string>) {
    const comment = spfComment(domain);
    const wanted = [...new Set(addresses)];
    return retryOnConflict(() =>
      this.db.transaction().execute(async (trx) => {
        // Rows iRedAPD 2.0 and older kept in the admins' table.
        await trx.deleteFrom('greylisting_whitelists').where('comment', '=', comment).execute();
        const old = (await trx.selectFrom('greylisting_whitelist_domain_spf').select('sender').where('comment', '=', comment).execute()).map((row) => row.sender);
        await trx.deleteFrom('greylisting_whitelist_domain_spf').where('comment', '=', comment).execute();

        // (account, sender) is unique: an address another listed domain already holds stays theirs.
        const taken = await this.held(trx, wanted);
        const fresh = wanted.filter((sender) => !taken.has(sender));
        for (const slice of slices(fresh)) {
          await trx.insertInto('greylisting_whitelist_domain_spf').values(slice.map((sender) => ({ account: '@.', sender, comment }))).execute();
        }

        // An address this domain no longer publishes but another listed domain does moves to
        // that domain, instead of vanishing until that domain's next refresh.
        const oldSet = new Set(old);
        const dropped = old.filter((sender) => !wanted.includes(sender));
        const movable = dropped.filter((sender) => fallbacks.has(sender) && fallbacks.get(sender) !== domain);
        const stillHeld = await this.held(trx, movable);
        for (const sender of movable.filter((item) => !stillHeld.has(item))) {
          await trx.insertInto('greylisting_whitelist_domain_spf').values({ account: '@.', sender, comment: spfComment(fallbacks.get(sender)!) }).execute();
        }
        return { added: fresh.filter((sender) => !oldSet.has(sender)).length, removed: dropped.length, shared: wanted.length - fresh.length };
      }),
    );
  }

  async removeUnlistedSpfRows(listed: string[]): Promise<number> {
    const keep = listed.map(spfComment);
    let removed = 0;
    await this.db.transaction().execute(async (trx) => {
      for (const table of ['greylisting_whitelist_domain_spf', 'greylisting_whitelists'] as const) {
        let query = trx.deleteFrom(table).where('comment', 'like', `${SPF_COMMENT_PREFIX}%`);
        if (keep.length > 0) query = query.where('comment', 'not in', keep);
        const result = await query.executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
    });
    return removed;
  }
}
