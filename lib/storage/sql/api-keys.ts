import type { Kysely } from 'kysely';
import type { ApiKeyStore } from '#lib/storage/store';
import type { IredadminDatabase } from '#lib/storage/sql/tables';
import type { ApiKeyRecord, NewApiKey } from '#lib/model/api-keys';

/** Every column but `secret_hash`: the hash is written once and only ever compared inside the database. */
const COLUMNS = ['id', 'name', 'created_by', 'domains', 'access', 'allowed_ips', 'expires_at', 'revoked', 'created_at', 'last_used_at'] as const;

const list = (text: string | null): string[] => (text ?? '').split(',').map((item) => item.trim()).filter(Boolean);
const epochOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toRecord(row: Record<(typeof COLUMNS)[number], unknown>): ApiKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name ?? ''),
    createdBy: String(row.created_by ?? ''),
    domains: list(row.domains as string | null),
    // Anything but an explicit 'rw' reads as read-only: an odd value never widens a key.
    access: row.access === 'rw' ? 'rw' : 'ro',
    allowedIps: list(row.allowed_ips as string | null),
    expiresAt: epochOrNull(row.expires_at),
    revoked: Number(row.revoked) !== 0,
    createdAt: Number(row.created_at),
    lastUsedAt: epochOrNull(row.last_used_at),
  };
}

/** iredadmin.api_keys on MySQL/MariaDB, PostgreSQL and PGlite (same statements on all three). */
export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<IredadminDatabase>) {}

  async findByHash(secretHash: string) {
    const row = await this.db.selectFrom('api_keys').select(COLUMNS).where('secret_hash', '=', secretHash).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async get(id: string) {
    const row = await this.db.selectFrom('api_keys').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(filter: { createdBy?: string }) {
    let query = this.db.selectFrom('api_keys').select(COLUMNS).orderBy('created_at').orderBy('id');
    if (filter.createdBy !== undefined) query = query.where('created_by', '=', filter.createdBy);
    return (await query.execute()).map(toRecord);
  }

  async create(key: NewApiKey) {
    await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        secret_hash: key.secretHash,
        created_by: key.createdBy,
        domains: key.domains.join(','),
        access: key.access,
        allowed_ips: key.allowedIps.join(','),
        expires_at: key.expiresAt,
        revoked: 0,
        created_at: key.createdAt,
        last_used_at: null,
      })
      .execute();
  }

  async revoke(id: string) {
    await this.db.updateTable('api_keys').set({ revoked: 1 }).where('id', '=', id).execute();
  }

  async touch(id: string, now: number, minIntervalSeconds: number) {
    // Conditional, so containers racing on the same key write at most once per interval between them.
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - minIntervalSeconds)]))
      .execute();
  }
}
