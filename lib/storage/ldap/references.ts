/**
 * When an account goes or changes address, every other entry naming it follows: delivery
 * targets, moderators, owners, domain admins, BCC addresses, and external list members (the
 * `mail` of a mailExternalUser entry). Used by the user and alias stores alike, so both clean
 * up the same places.
 */
import type { LdapEntry } from '#lib/storage/ldap/client';
import { and, eq, objectClass, or } from '#lib/storage/ldap/filter';
import { inBatches, type LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';

const REFERRING_ATTRIBUTES = [
  'mailForwardingAddress', 'listModerator', 'listOwner', 'domainAdmin',
  'userSenderBccAddress', 'userRecipientBccAddress', 'domainSenderBccAddress', 'domainRecipientBccAddress',
];

/** Bounded parallel modifies: a popular address may be named by thousands of entries. */
const BATCH = 16;

/** The stored spellings of `address` among an attribute's values (LDAP compares them case-insensitively). */
function stored(entry: LdapEntry, attribute: string, address: string): string[] {
  return entry.values(attribute).filter((value) => value.toLowerCase() === address.toLowerCase());
}

/** Whether `address` is every value of the attribute: the entry means nothing without it. */
const onlyValue = (entry: LdapEntry, attribute: string, address: string) => stored(entry, attribute, address).length === entry.values(attribute).length;

/**
 * Every entry naming `from`: the value becomes `to`, or goes when `to` is undefined. A catch-all
 * left without targets and an externals entry left without addresses go as a whole.
 */
export async function moveReferences(ctx: LdapContext, writer: LdapWriter, from: string, to: string | undefined): Promise<void> {
  const connection = ctx.session.connection;
  const referring = await connection.search(ctx.dit.domainsBase, {
    scope: 'sub',
    filter: or(...REFERRING_ATTRIBUTES.map((attribute) => eq(attribute, from)), and(objectClass('mailExternalUser'), eq('mail', from))),
    attributes: ['objectClass', 'mail', ...REFERRING_ATTRIBUTES],
    paged: true,
  });
  await inBatches(referring, BATCH, async (entry) => {
    const isExternal = entry.includes('objectClass', 'mailExternalUser');
    const isCatchall = (entry.first('mail') ?? '').startsWith('@');
    if (to === undefined && ((isExternal && onlyValue(entry, 'mail', from)) || (isCatchall && onlyValue(entry, 'mailForwardingAddress', from)))) {
      const whole = await connection.read(entry.dn, ['*']);
      if (whole) await writer.delete(whole);
      return;
    }
    const changes: { delete: Record<string, string[]>; add: Record<string, string[]> } = { delete: {}, add: {} };
    for (const attribute of isExternal ? ['mail'] : REFERRING_ATTRIBUTES) {
      const found = stored(entry, attribute, from);
      if (found.length === 0) continue;
      changes.delete[attribute] = found;
      // An entry that already names the new address keeps that one value.
      if (to !== undefined && !entry.includes(attribute, to)) changes.add[attribute] = [to];
    }
    await writer.modify(entry.dn, changes, entry);
  });
}
