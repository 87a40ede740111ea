import type { Kysely } from 'kysely';
import type { PolicyStore } from '#lib/storage/store';
import type { AmavisdDatabase, IredapdDatabase } from '#lib/storage/sql/tables';
import { addressesOfDomain, ping } from '#lib/storage/sql/sql-helpers';

/**
 * Amavisd and iRedAPD rows keyed by account address. When accounts go, their policy rows
 * go too; throttle tracking rows first, because they reference throttle.id.
 */
export class SqlPolicyStore implements PolicyStore {
  constructor(
    private readonly amavisd: Kysely<AmavisdDatabase>,
    private readonly iredapd: Kysely<IredapdDatabase>,
  ) {}

  async forgetAccounts(accounts: { domain?: string; users?: string[] }) {
    const exact = [...(accounts.users ?? [])];
    if (accounts.domain) exact.push('@' + accounts.domain);
    const pattern = accounts.domain ? addressesOfDomain(accounts.domain) : undefined;
    if (exact.length === 0 && !pattern) return;

    await this.iredapd.transaction().execute(async (trx) => {
      const matchAccount = (column: 'account') => (eb: any) => {
        const terms = [];
        if (exact.length > 0) terms.push(eb(column, 'in', exact));
        if (pattern) terms.push(eb(column, 'like', pattern));
        return eb.or(terms);
      };
      const throttles = await trx.selectFrom('throttle').select('id').where(matchAccount('account')).execute();
      if (throttles.length > 0) {
        await trx.deleteFrom('throttle_tracking').where('tid', 'in', throttles.map((row) => row.id)).execute();
        await trx.deleteFrom('throttle').where('id', 'in', throttles.map((row) => row.id)).execute();
      }
      await trx.deleteFrom('greylisting').where(matchAccount('account')).execute();
      await trx.deleteFrom('greylisting_whitelists').where(matchAccount('account')).execute();
      await trx
        .deleteFrom('greylisting_tracking')
        .where((eb) => {
          const terms = [];
          if (accounts.users && accounts.users.length > 0) terms.push(eb('recipient', 'in', accounts.users));
          if (accounts.domain) terms.push(eb('rcpt_domain', '=', accounts.domain));
          return eb.or(terms);
        })
        .execute();
    });

    await this.amavisd.transaction().execute(async (trx) => {
      const owners = exact.map((address) => Buffer.from(address));
      const users = await trx
        .selectFrom('users')
        .select(['id', 'email'])
        .where((eb) => {
          const terms = [];
          if (owners.length > 0) terms.push(eb('email', 'in', owners));
          if (pattern) terms.push(eb('email', 'like', Buffer.from(pattern)));
          return eb.or(terms);
        })
        .execute();
      if (users.length === 0) return;
      const ids = users.map((row) => row.id);
      const names = users.map((row) => Buffer.from(row.email as Uint8Array).toString());
      await trx.deleteFrom('wblist').where('rid', 'in', ids).execute();
      await trx.deleteFrom('outbound_wblist').where('sid', 'in', ids).execute();
      await trx.deleteFrom('policy').where('policy_name', 'in', names).execute();
      await trx.deleteFrom('users').where('id', 'in', ids).execute();
    });
  }

  /**
   * change_email: the account's throttle, greylisting and spam policy rows follow it to the
   * new address. Rows already filed under the new address (left by an account once called
   * that) are dropped first, so the unique keys cannot collide.
   */
  async renameAccount(from: string, to: string) {
    if (from === to) return;
    await this.forgetAccounts({ users: [to] });
    await this.iredapd.transaction().execute(async (trx) => {
      for (const table of ['throttle', 'throttle_tracking', 'greylisting', 'greylisting_whitelists'] as const) {
        await trx.updateTable(table).set({ account: to }).where('account', '=', from).execute();
      }
    });
    await this.amavisd.transaction().execute(async (trx) => {
      await trx.deleteFrom('policy').where('policy_name', '=', to).execute();
      await trx.updateTable('users').set({ email: Buffer.from(to) }).where('email', '=', Buffer.from(from)).execute();
      await trx.updateTable('policy').set({ policy_name: to }).where('policy_name', '=', from).execute();
    });
  }

  async ping() {
    await ping(this.amavisd);
    await ping(this.iredapd);
  }
}
