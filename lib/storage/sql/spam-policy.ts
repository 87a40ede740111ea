import type { Kysely } from 'kysely';
import type { SpamPolicyStore } from '#lib/storage/store';
import type { AmavisdDatabase } from '#lib/storage/sql/tables';
import type { SpamPolicyChanges, SpamPolicyRow } from '#lib/model/policy';
import { retryOnConflict } from '#lib/storage/sql/policy-helpers';

/**
 * Amavisd policies as iRedMail keeps them: one `policy` row named after its account
 * (`policy_name` is UNIQUE in iRedMail's schema) and the account's `users` row pointing at
 * it. `users.email` is binary, so it is written and compared as lower-case bytes.
 *
 * Unlike iRedAdmin-Pro (delete and re-insert, a new id on every PUT, no transaction), the
 * row is updated in place: columns the request does not name keep their values, and the
 * policy id Amavisd's `users` row points at never changes.
 */
export class SqlSpamPolicyStore implements SpamPolicyStore {
  constructor(private readonly db: Kysely<AmavisdDatabase>) {}

  async get(account: string): Promise<SpamPolicyRow | undefined> {
    // Amavisd's own view: the policy the account's users row joins to.
    const row = await this.db
      .selectFrom('policy')
      .innerJoin('users', 'users.policy_id', 'policy.id')
      .selectAll('policy')
      .select('users.id as users_id')
      .where('users.email', '=', Buffer.from(account))
      .orderBy('policy.id')
      .executeTakeFirst();
    return row as SpamPolicyRow | undefined;
  }

  async update(account: string, priority: number, changes: SpamPolicyChanges): Promise<void> {
    const email = Buffer.from(account);
    // A concurrent first PUT of the same account loses the race on a UNIQUE key; the retry updates.
    await retryOnConflict(() =>
      this.db.transaction().execute(async (trx) => {
        let policy = await trx.selectFrom('policy').select('id').where('policy_name', '=', account).forUpdate().executeTakeFirst();
        if (policy) {
          if (Object.keys(changes).length > 0) await trx.updateTable('policy').set(changes).where('id', '=', policy.id).execute();
        } else {
          await trx.insertInto('policy').values({ policy_name: account, ...changes }).execute();
          policy = await trx.selectFrom('policy').select('id').where('policy_name', '=', account).executeTakeFirstOrThrow();
        }
        const owner = await trx.selectFrom('users').select(['id', 'policy_id']).where('email', '=', email).forUpdate().executeTakeFirst();
        if (!owner) {
          await trx.insertInto('users').values({ email, priority, policy_id: policy.id }).execute();
        } else if (Number(owner.policy_id) !== Number(policy.id)) {
          await trx.updateTable('users').set({ policy_id: policy.id }).where('id', '=', owner.id).execute();
        }
      }),
    );
  }

  async delete(account: string): Promise<void> {
    await this.db.deleteFrom('policy').where('policy_name', '=', account).execute();
  }
}
