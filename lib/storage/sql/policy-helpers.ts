import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Engine } from '#lib/storage/sql/sql-helpers';
import { isDuplicateKey } from '#lib/storage/sql/sql-helpers';

/** A deadlock (InnoDB gap locks of two first inserts) or a serialisation failure: safe to run again. */
function isDeadlock(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | undefined;
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === '40P01' || e?.code === '40001';
}

/**
 * Runs a write that may race another request creating the same row: the loser's duplicate
 * key error (or, on MySQL, a deadlock between two gap locks) rolls its transaction back, and
 * another attempt then finds the row and updates it.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!(isDuplicateKey(error) || isDeadlock(error)) || attempt >= attempts) throw error;
    }
  }
}

/** The lock class of this project's PostgreSQL advisory locks ('iRAd'). */
const LOCK_CLASS = 0x69524164;

/**
 * Serialises writers of one logical key on PostgreSQL until the transaction ends, for tables
 * without a unique key to lean on (iRedAPD's PG `throttle` has none on (account, kind)).
 * MySQL callers rely on the unique key instead, so this is a no-op there.
 */
export async function lockKey(trx: Transaction<any>, engine: Engine, key: string): Promise<void> {
  if (engine !== 'postgres') return;
  const hash = createHash('sha256').update(key).digest().readInt32BE(0);
  await sql`select pg_advisory_xact_lock(${sql.lit(LOCK_CLASS)}, ${sql.lit(hash)})`.execute(trx);
}

/** Inserts rows in slices, keeping statements well below the drivers' parameter limits. */
export async function insertInSlices<T extends Record<string, unknown>>(db: Kysely<any> | Transaction<any>, table: string, rows: T[], size = 500): Promise<void> {
  for (let start = 0; start < rows.length; start += size) {
    await db.insertInto(table).values(rows.slice(start, start + size)).execute();
  }
}
