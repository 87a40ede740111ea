import type { Kysely } from 'kysely';
import type { Dit } from '#lib/storage/ldap/dn';
import type { LdapSession } from '#lib/storage/ldap/transaction';

/** What every LDAP sub-store needs: the tree's DNs, the session, and the iredadmin database (MariaDB). */
export interface LdapContext {
  dit: Dit;
  session: LdapSession;
  /** iRedMail keeps deleted_mailboxes (and Dovecot's used_quota) in iredadmin on LDAP servers. */
  iredadmin: Kysely<any>;
}

/** GeneralizedTime (`20260124143000Z`, optionally with fractions) -> `2026-01-24T14:30:00`, as GET replies show times. */
export function isoFromGeneralizedTime(value: string | undefined): string {
  const match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(value ?? '');
  if (!match) return '';
  return `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
}

/** Days since 1970-01-01: shadowLastChange (storage.md §6.4). */
export function daysSinceEpoch(now: Date = new Date()): number {
  return Math.floor(now.getTime() / 86_400_000);
}

/** Runs `work` over `items`, `width` at a time (ldapts multiplexes one connection). */
export async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map(work));
  }
}

/** Leaves first: a child's DN ends with ",<parent DN>", so it has more unescaped commas. */
export function rdnDepth(dn: string): number {
  let depth = 0;
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') depth++;
  }
  return depth;
}
