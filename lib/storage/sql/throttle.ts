import type { Kysely } from 'kysely';
import type { ThrottleStore } from '#lib/storage/store';
import type { IredapdDatabase } from '#lib/storage/sql/tables';
import type { Engine } from '#lib/storage/sql/sql-helpers';
import type { ThrottleKind, ThrottleSetting, ThrottleWrite } from '#lib/model/policy';
import { lockKey, retryOnConflict } from '#lib/storage/sql/policy-helpers';

const COLUMNS = ['id', 'account', 'kind', 'priority', 'period', 'msg_size', 'max_msgs', 'max_quota', 'max_rcpts'] as const;

/**
 * iRedAPD throttle settings. MySQL keys (account, kind) uniquely, so one
 * INSERT … ON DUPLICATE KEY UPDATE is atomic; iRedAPD's PostgreSQL schema has no such key,
 * so there writers of one (account, kind) queue on an advisory lock, then update or insert.
 * Tracking rows reference throttle.id with no ON DELETE rule: they are deleted first.
 */
export class SqlThrottleStore implements ThrottleStore {
  constructor(
    private readonly db: Kysely<IredapdDatabase>,
    private readonly engine: Engine,
  ) {}

  async get(account: string, kind: ThrottleKind): Promise<ThrottleSetting | undefined> {
    const row = await this.db.selectFrom('throttle').select([...COLUMNS]).where('account', '=', account).where('kind', '=', kind).orderBy('id').executeTakeFirst();
    if (!row) return undefined;
    const numeric = (value: unknown) => Number(value);
    return {
      id: numeric(row.id), account: row.account, kind: row.kind, priority: numeric(row.priority), period: numeric(row.period),
      msg_size: numeric(row.msg_size), max_msgs: numeric(row.max_msgs), max_quota: numeric(row.max_quota), max_rcpts: numeric(row.max_rcpts),
    };
  }

  async set(setting: ThrottleWrite): Promise<void> {
    const values = { priority: setting.priority, period: setting.period, msg_size: setting.msg_size, max_msgs: setting.max_msgs, max_quota: setting.max_quota };
    if (this.engine === 'mysql') {
      await retryOnConflict(() =>
        this.db.insertInto('throttle').values({ account: setting.account, kind: setting.kind, ...values }).onDuplicateKeyUpdate(values).execute(),
      );
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await lockKey(trx, this.engine, `throttle:${setting.kind}:${setting.account}`);
      const existing = await trx.selectFrom('throttle').select('id').where('account', '=', setting.account).where('kind', '=', setting.kind).execute();
      if (existing.length > 0) {
        await trx.updateTable('throttle').set(values).where('id', 'in', existing.map((row) => row.id)).execute();
      } else {
        await trx.insertInto('throttle').values({ account: setting.account, kind: setting.kind, ...values }).execute();
      }
    });
  }

  async delete(account: string, kind: ThrottleKind): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await lockKey(trx, this.engine, `throttle:${kind}:${account}`);
      // FOR UPDATE: iRedAPD cannot add tracking rows for these ids between the two deletes.
      const ids = (await trx.selectFrom('throttle').select('id').where('account', '=', account).where('kind', '=', kind).forUpdate().execute()).map((row) => row.id);
      if (ids.length === 0) return false;
      await trx.deleteFrom('throttle_tracking').where('tid', 'in', ids).execute();
      await trx.deleteFrom('throttle').where('id', 'in', ids).execute();
      return true;
    });
  }
}
