import type { Kysely, Transaction } from 'kysely';
import type { AliasStore } from '#lib/storage/store';
import type { Alias, AliasChanges, AliasProfile, NewAlias } from '#lib/model/aliases';
import type { Page } from '#lib/model/types';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { isoTimestamp, utcTimestamp } from '#lib/model/clock';
import { domainOf, stripExtension } from '#lib/model/addresses';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

function toAlias(row: Record<string, unknown>): Alias {
  return {
    address: String(row.address),
    name: String(row.name ?? ''),
    accesspolicy: String(row.accesspolicy ?? ''),
    domain: String(row.domain ?? ''),
    created: isoTimestamp(row.created),
    modified: isoTimestamp(row.modified),
    expired: isoTimestamp(row.expired),
    active: Number(row.active ?? 0),
  };
}

/** Code-point order, as Python's sorted(): collations differ between MySQL and PostgreSQL. */
function sorted(values: string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Mail aliases: the `alias` row, its member rows in `forwardings` (address = alias,
 * forwarding = member, is_list = 1) and its `moderators` rows.
 */
export class SqlAliasStore implements AliasStore {
  constructor(private readonly db: Db) {}

  async get(address: string): Promise<AliasProfile | undefined> {
    const row = await this.db.selectFrom('alias').selectAll().where('address', '=', address).executeTakeFirst();
    if (!row) return undefined;
    const moderators = await this.db.selectFrom('moderators').select('moderator').where('address', '=', address).execute();
    return { ...toAlias(row as Record<string, unknown>), members: await this.members(address), moderators: sorted(moderators.map((r) => r.moderator)) };
  }

  async lock(address: string) {
    const row = await this.db.selectFrom('alias').selectAll().where('address', '=', address).forUpdate().executeTakeFirst();
    return row ? toAlias(row as Record<string, unknown>) : undefined;
  }

  async list(domain: string, filter: { disabledOnly?: boolean; page?: Page }) {
    let query = this.db.selectFrom('alias').where('domain', '=', domain);
    if (filter.disabledOnly) query = query.where('active', '=', 0);
    const counted = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    let rows = query.selectAll().orderBy('address');
    if (filter.page) rows = rows.limit(filter.page.limit).offset((filter.page.page - 1) * filter.page.limit);
    const items = (await rows.execute()).map((row) => toAlias(row as Record<string, unknown>));
    return { total: Number(counted?.n ?? 0), items };
  }

  async count(domain: string) {
    const counted = await this.db.selectFrom('alias').select((eb) => eb.fn.countAll<number>().as('n')).where('domain', '=', domain).executeTakeFirst();
    return Number(counted?.n ?? 0);
  }

  async members(address: string) {
    const rows = await this.db.selectFrom('forwardings').select('forwarding').where('address', '=', address).where('is_list', '=', 1).execute();
    return sorted(rows.map((row) => row.forwarding));
  }

  async addressInUse(address: string) {
    const candidates = [...new Set([address, stripExtension(address)])];
    const hit = async (query: { executeTakeFirst(): Promise<unknown> }) => (await query.executeTakeFirst()) !== undefined;
    return (
      (await hit(this.db.selectFrom('mailbox').select('username').where('username', 'in', candidates).limit(1)))
      || (await hit(this.db.selectFrom('alias').select('address').where('address', 'in', candidates).limit(1)))
      || (await hit(this.db.selectFrom('maillists').select('address').where('address', 'in', candidates).limit(1)))
      || (await hit(this.db.selectFrom('forwardings').select('address').where('address', 'in', candidates).limit(1)))
    );
  }

  async create(alias: NewAlias, members: string[]) {
    const now = utcTimestamp();
    await this.db
      .insertInto('alias')
      .values({ address: alias.address, name: alias.name, accesspolicy: alias.accesspolicy, domain: alias.domain, created: now, modified: now, active: 1 })
      .execute();
    await this.addMembers(alias.address, alias.domain, members, 1);
  }

  async update(address: string, changes: AliasChanges) {
    const values: Record<string, unknown> = { modified: utcTimestamp() };
    if (changes.name !== undefined) values.name = changes.name;
    if (changes.accesspolicy !== undefined) values.accesspolicy = changes.accesspolicy;
    if (changes.active !== undefined) values.active = changes.active;
    await this.db.updateTable('alias').set(values).where('address', '=', address).execute();
    // Postfix reads forwardings.active: a disabled alias must stop resolving.
    if (changes.active !== undefined) await this.db.updateTable('forwardings').set({ active: changes.active }).where('address', '=', address).execute();
  }

  async addMembers(address: string, domain: string, members: string[], active: number) {
    if (members.length === 0) return;
    const existing = new Set(await this.members(address));
    const fresh = members.filter((member) => !existing.has(member));
    if (fresh.length === 0) return;
    await this.db
      .insertInto('forwardings')
      .values(fresh.map((member) => ({
        address,
        forwarding: member,
        domain,
        dest_domain: domainOf(member),
        is_maillist: 0,
        is_list: 1,
        is_forwarding: 0,
        is_alias: 0,
        active,
      })))
      .execute();
  }

  async removeMembers(address: string, members: string[]) {
    if (members.length === 0) return;
    await this.db.deleteFrom('forwardings').where('address', '=', address).where('is_list', '=', 1).where('forwarding', 'in', members).execute();
  }

  async delete(address: string) {
    const existed = await this.db.selectFrom('alias').select('address').where('address', '=', address).forUpdate().executeTakeFirst();
    if (!existed) return false;
    await this.db.deleteFrom('alias').where('address', '=', address).execute();
    // Its members, and every row elsewhere that delivers to it (memberships, forwardings, catch-all).
    await this.db.deleteFrom('forwardings').where((eb) => eb.or([eb('address', '=', address), eb('forwarding', '=', address)])).execute();
    // The original keeps the alias's moderators (orphans); they go with it here.
    await this.db.deleteFrom('moderators').where((eb) => eb.or([eb('address', '=', address), eb('moderator', '=', address)])).execute();
    return true;
  }

  async rename(from: string, to: string) {
    await this.db.updateTable('alias').set({ address: to, modified: utcTimestamp() }).where('address', '=', from).execute();

    await this.db.updateTable('forwardings').set({ address: to }).where('address', '=', from).execute();
    // UNIQUE(address, forwarding): an account that already delivers to both keeps one row.
    const both = await this.db.selectFrom('forwardings').select('address').where('forwarding', '=', to).execute();
    if (both.length > 0) await this.db.deleteFrom('forwardings').where('forwarding', '=', from).where('address', 'in', both.map((r) => r.address)).execute();
    await this.db.updateTable('forwardings').set({ forwarding: to, dest_domain: domainOf(to) }).where('forwarding', '=', from).execute();

    // Rows left by an account that once had the new address would collide with UNIQUE(address, moderator).
    await this.db.deleteFrom('moderators').where('address', '=', to).execute();
    await this.db.updateTable('moderators').set({ address: to }).where('address', '=', from).execute();
    const moderated = await this.db.selectFrom('moderators').select('address').where('moderator', '=', to).execute();
    if (moderated.length > 0) await this.db.deleteFrom('moderators').where('moderator', '=', from).where('address', 'in', moderated.map((r) => r.address)).execute();
    await this.db.updateTable('moderators').set({ moderator: to, dest_domain: domainOf(to) }).where('moderator', '=', from).execute();
  }
}
