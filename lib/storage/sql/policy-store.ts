import type { Kysely, Transaction } from 'kysely';
import type { PolicyStore } from '#lib/storage/store';
import type { AmavisdDatabase, IredapdDatabase } from '#lib/storage/sql/tables';
import { addressesOfDomain, ping } from '#lib/storage/sql/sql-helpers';

type Accounts = { domain?: string; users?: string[] };

/** Exact account keys (`user@domain`, `@domain`) and the LIKE pattern of a domain's addresses. */
function keysOf(accounts: Accounts): { exact: string[]; pattern: string | undefined } {
  const exact = [...(accounts.users ?? [])];
  if (accounts.domain) exact.push('@' + accounts.domain);
  return { exact, pattern: accounts.domain ? addressesOfDomain(accounts.domain) : undefined };
}

/** Throttle (tracking first: it references throttle.id) and greylisting rows of the accounts. */
async function forgetIredapdRows(trx: Transaction<IredapdDatabase>, accounts: Accounts): Promise<void> {
  const { exact, pattern } = keysOf(accounts);
  const matchAccount = (eb: any) => {
    const terms = [];
    if (exact.length > 0) terms.push(eb('account', 'in', exact));
    if (pattern) terms.push(eb('account', 'like', pattern));
    return eb.or(terms);
  };
  const throttles = await trx.selectFrom('throttle').select('id').where(matchAccount).execute();
  if (throttles.length > 0) {
    await trx.deleteFrom('throttle_tracking').where('tid', 'in', throttles.map((row) => row.id)).execute();
    await trx.deleteFrom('throttle').where('id', 'in', throttles.map((row) => row.id)).execute();
  }
  await trx.deleteFrom('greylisting').where(matchAccount).execute();
  await trx.deleteFrom('greylisting_whitelists').where(matchAccount).execute();
  await trx
    .deleteFrom('greylisting_tracking')
    .where((eb) => {
      const terms = [];
      if (accounts.users && accounts.users.length > 0) terms.push(eb('recipient', 'in', accounts.users));
      if (accounts.domain) terms.push(eb('rcpt_domain', '=', accounts.domain));
      return eb.or(terms);
    })
    .execute();
}

/** Amavisd `users` rows of the accounts with their wblist, outbound_wblist and policy rows. */
async function forgetAmavisdRows(trx: Transaction<AmavisdDatabase>, accounts: Accounts): Promise<void> {
  const { exact, pattern } = keysOf(accounts);
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
}

const IREDAPD_ACCOUNT_TABLES = ['throttle', 'throttle_tracking', 'greylisting', 'greylisting_whitelists'] as const;

/**
 * Amavisd and iRedAPD rows keyed by account address. When accounts go, their policy rows
 * go too. Each database is changed in its own transaction, and every method may be run again
 * after a partial run (lib/services/policy-followups.ts finishes work a lost connection cut off).
 */
export class SqlPolicyStore implements PolicyStore {
  constructor(
    private readonly amavisd: Kysely<AmavisdDatabase>,
    private readonly iredapd: Kysely<IredapdDatabase>,
  ) {}

  async forgetAccounts(accounts: Accounts) {
    const { exact, pattern } = keysOf(accounts);
    if (exact.length === 0 && !pattern) return;
    await this.iredapd.transaction().execute((trx) => forgetIredapdRows(trx, accounts));
    await this.amavisd.transaction().execute((trx) => forgetAmavisdRows(trx, accounts));
  }

  /**
   * change_email: the account's throttle, greylisting and spam policy rows follow it to the
   * new address. Rows already filed under the new address (left by an account once called
   * that) are dropped first, so the unique keys cannot collide. In each database this happens
   * only while rows remain under the old address (read FOR UPDATE, so a concurrent run waits
   * and then finds them moved): run again, it leaves the moved rows alone.
   */
  async renameAccount(from: string, to: string) {
    if (from === to) return;
    await this.iredapd.transaction().execute(async (trx) => {
      let remaining = 0;
      for (const table of IREDAPD_ACCOUNT_TABLES) {
        remaining += (await trx.selectFrom(table).select('account').where('account', '=', from).forUpdate().execute()).length;
      }
      if (remaining === 0) return;
      await forgetIredapdRows(trx, { users: [to] });
      for (const table of IREDAPD_ACCOUNT_TABLES) {
        await trx.updateTable(table).set({ account: to }).where('account', '=', from).execute();
      }
    });
    await this.amavisd.transaction().execute(async (trx) => {
      const owner = await trx.selectFrom('users').select('id').where('email', '=', Buffer.from(from)).forUpdate().execute();
      const policy = await trx.selectFrom('policy').select('id').where('policy_name', '=', from).forUpdate().execute();
      if (owner.length === 0 && policy.length === 0) return;
      await forgetAmavisdRows(trx, { users: [to] });
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
