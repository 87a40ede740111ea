import type { Kysely } from 'kysely';
import type { PolicyFollowUp, PolicyFollowUpStore } from '#lib/storage/store';
import type { IredadminDatabase } from '#lib/storage/sql/tables';
import type { Engine } from '#lib/storage/sql/sql-helpers';

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

function payloadOf(followUp: PolicyFollowUp): object {
  return followUp.kind === 'rename' ? { from: followUp.from, to: followUp.to } : followUp.accounts;
}

/** The follow-up a row describes; undefined for a row this code cannot read. */
function followUpOf(kind: string, payload: string): PolicyFollowUp | undefined {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  if (kind === 'rename') {
    return typeof data.from === 'string' && typeof data.to === 'string' ? { kind, from: data.from, to: data.to } : undefined;
  }
  if (kind !== 'forget') return undefined;
  const accounts: { domain?: string; users?: string[] } = {};
  if (typeof data.domain === 'string') accounts.domain = data.domain;
  if (isStringList(data.users)) accounts.users = data.users;
  return accounts.domain !== undefined || accounts.users !== undefined ? { kind, accounts } : undefined;
}

/** iredadmin.policy_followups on MySQL/MariaDB, PostgreSQL and PGlite. */
export class SqlPolicyFollowUpStore implements PolicyFollowUpStore {
  constructor(
    private readonly db: Kysely<IredadminDatabase>,
    private readonly engine: Engine,
  ) {}

  async add(followUp: PolicyFollowUp, now: number) {
    const values = { kind: followUp.kind, payload: JSON.stringify(payloadOf(followUp)), created_at: now };
    if (this.engine === 'postgres') {
      const row = await this.db.insertInto('policy_followups').values(values).returning('id').executeTakeFirstOrThrow();
      return Number(row.id);
    }
    const result = await this.db.insertInto('policy_followups').values(values).executeTakeFirst();
    return Number(result.insertId);
  }

  async remove(id: number) {
    await this.db.deleteFrom('policy_followups').where('id', '=', id).execute();
  }

  async due(createdUpTo: number, limit: number) {
    const rows = await this.db
      .selectFrom('policy_followups')
      .select(['id', 'kind', 'payload'])
      .where('created_at', '<=', createdUpTo)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: Number(row.id), followUp: followUpOf(String(row.kind), String(row.payload)) }));
  }
}
