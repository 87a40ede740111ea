/**
 * When a domain's alias domains change, every account of the domain (mail users, mail aliases,
 * mailing lists) gains or loses its `<local>@<alias domain>` shadowAddress (storage.md §6.4;
 * alias-domain-addresses.ts explains why). The catch-all entry `@<domain>` gains `@<alias domain>`,
 * which is what Postfix's catchall_maps.cf looks up for mail to an alias domain. Only those
 * exact values are touched: per-user aliases set through the API (other local parts) stay
 * whatever the alias domains do.
 */
import { localPartOf } from '#lib/model/addresses';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { objectClass, or } from '#lib/storage/ldap/filter';
import { inBatches, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';

const BATCH = 16;

/** Accounts that answer for their address, the catch-all included (externals are not accounts). */
async function accountsOf(ctx: LdapContext, domain: string): Promise<LdapEntry[]> {
  const accounts = or(objectClass('mailUser'), objectClass('mailAlias'), objectClass('mailList'));
  try {
    return await ctx.session.connection.search(ctx.dit.domainDn(domain), { scope: 'sub', filter: accounts, attributes: ['mail', 'shadowAddress'], paged: true });
  } catch (error) {
    if (resultCode(error) === LDAP_RESULT.noSuchObject) return [];
    throw error;
  }
}

export async function syncAliasDomainAddresses(ctx: LdapContext, writer: LdapWriter, domain: string, before: readonly string[], after: readonly string[]): Promise<void> {
  const added = after.filter((name) => !before.includes(name));
  const removed = before.filter((name) => !after.includes(name));
  if (added.length === 0 && removed.length === 0) return;
  const entries = await accountsOf(ctx, domain);
  await inBatches(entries, BATCH, async (entry) => {
    const mail = (entry.first('mail') ?? '').toLowerCase();
    if (!mail.includes('@')) return;
    // '' for the catch-all `@<domain>`, so it gains `@<alias domain>`.
    const local = localPartOf(mail);
    const held = new Set(entry.values('shadowAddress').map((value) => value.toLowerCase()));
    const add = added.map((name) => `${local}@${name}`).filter((address) => !held.has(address));
    const gone = new Set(removed.map((name) => `${local}@${name}`));
    const drop = entry.values('shadowAddress').filter((value) => gone.has(value.toLowerCase()));
    if (add.length === 0 && drop.length === 0) return;
    await writer.modify(entry.dn, { add: { shadowAddress: add }, delete: { shadowAddress: drop } }, entry);
  });
}
