import { sql, type Kysely, type RawBuilder } from 'kysely';

export type Engine = 'mysql' | 'postgres';

/** A LIKE pattern matching addresses of a domain; `_` in domain names must not act as a wildcard. */
export function addressesOfDomain(domain: string): string {
  return '%@' + domain.replace(/[\\%_]/g, (char) => '\\' + char);
}

/** CONCAT exists on both MySQL and PostgreSQL; `||` means OR on MySQL. */
export function concat(...parts: RawBuilder<unknown>[] | unknown[]): RawBuilder<string> {
  return sql<string>`concat(${sql.join(parts as RawBuilder<unknown>[])})`;
}

export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | undefined;
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === '23505';
}

/**
 * The server chose this transaction as a deadlock victim (or could not serialise it) and rolled
 * it back: nothing was written, and running it again is the documented remedy
 * (InnoDB ER_LOCK_DEADLOCK 1213; PostgreSQL 40P01 deadlock_detected, 40001 serialization_failure).
 */
export function isDeadlock(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | undefined;
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === '40P01' || e?.code === '40001';
}

/** Errors that mean the server is unreachable rather than that the query was wrong. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; fatal?: boolean; message?: string } | undefined;
  if (!e) return false;
  if (e.fatal) return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P03', '08006', '08001', '08003'].includes(e.code ?? '')
    || /Connection terminated|connection is closed|Cannot enqueue|not queryable/i.test(e.message ?? '');
}

export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
