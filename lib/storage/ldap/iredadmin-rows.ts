/**
 * The rows an iRedMail LDAP server keeps in the iredadmin database (MariaDB) about mailboxes:
 * iRedAdmin's deleted_mailboxes log, and Dovecot's used_quota and last_login (storage.md §3.3,
 * §7). Our own schema creates deleted_mailboxes but not the two Dovecot tables (Dovecot does,
 * on a real server), so reads and deletes on those treat a missing table as "no rows".
 */
import { sql } from 'kysely';
import type { LdapContext } from '#lib/storage/ldap/context';
import type { LdapWriter } from '#lib/storage/ldap/transaction';

export interface DeletedMailbox {
  username: string;
  domain: string;
  /** The absolute homeDirectory. */
  maildir: string;
}

export interface MailboxUsage {
  bytes: number;
  messages: number;
  imap: number;
  pop3: number;
  lda: number;
}

const NO_USAGE: MailboxUsage = { bytes: 0, messages: 0, imap: 0, pop3: 0, lda: 0 };

function isMissingTable(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e.errno === 1146 || e.code === 'ER_NO_SUCH_TABLE' || e.code === '42P01';
}

async function tolerant<T>(work: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isMissingTable(error)) return fallback;
    throw error;
  }
}

const num = (value: unknown): number => Number(value ?? 0) || 0;

/** One deleted_mailboxes row per maildir, removed again when the writer's work is undone. */
export async function recordDeletedMailboxes(ctx: LdapContext, writer: LdapWriter, mailboxes: DeletedMailbox[], options: { deleteDate: string | null; admin: string }): Promise<void> {
  if (mailboxes.length === 0) return;
  const rows = mailboxes.map((box) => ({ username: box.username, domain: box.domain, maildir: box.maildir, admin: options.admin, delete_date: options.deleteDate }));
  // Recorded before the insert: a connection lost with the reply may have inserted the rows all the same.
  // Each maildir path carries its creation time, so it names only this deletion's rows.
  writer.record('insert iredadmin.deleted_mailboxes', async () => {
    await ctx.iredadmin
      .deleteFrom('deleted_mailboxes')
      .where('domain', 'in', [...new Set(rows.map((row) => row.domain))])
      .where('admin', '=', options.admin)
      .where('username', 'in', rows.map((row) => row.username))
      .where('maildir', 'in', rows.map((row) => row.maildir))
      .execute();
  });
  await ctx.iredadmin.insertInto('deleted_mailboxes').values(rows).execute();
}

/** Drops Dovecot's rows of a whole domain (`{ domain }`) or of one mailbox (`{ username }`). */
export async function forgetMailboxUsage(ctx: LdapContext, which: { domain: string } | { username: string }): Promise<void> {
  const [column, value] = 'domain' in which ? ['domain', which.domain] : ['username', which.username];
  for (const table of ['used_quota', 'last_login']) {
    await tolerant(() => sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(ctx.iredadmin), undefined);
  }
}

/** Dovecot's rows follow a renamed mailbox (stale rows of the new address give way first). */
export async function renameMailboxUsage(ctx: LdapContext, from: string, to: string): Promise<void> {
  for (const table of ['used_quota', 'last_login']) {
    await tolerant(async () => {
      await sql`delete from ${sql.table(table)} where username = ${to}`.execute(ctx.iredadmin);
      await sql`update ${sql.table(table)} set username = ${to} where username = ${from}`.execute(ctx.iredadmin);
    }, undefined);
  }
}

/** Usage of the given mailboxes, or of every mailbox of a domain, by address. */
export async function mailboxUsage(ctx: LdapContext, which: { domain: string } | { usernames: string[] }): Promise<Map<string, MailboxUsage>> {
  const out = new Map<string, MailboxUsage>();
  if ('usernames' in which && which.usernames.length === 0) return out;
  const where = (column: string) => ('domain' in which ? sql`${sql.ref(column)} = ${which.domain}` : sql`${sql.ref(column)} in (${sql.join(which.usernames)})`);
  const entry = (username: string) => {
    let usage = out.get(username);
    if (!usage) out.set(username, (usage = { ...NO_USAGE }));
    return usage;
  };
  const quota = await tolerant(async () => (await sql<Record<string, unknown>>`select username, bytes, messages from used_quota where ${where('domain' in which ? 'domain' : 'username')}`.execute(ctx.iredadmin)).rows, []);
  for (const row of quota) Object.assign(entry(String(row.username)), { bytes: num(row.bytes), messages: num(row.messages) });
  const logins = await tolerant(async () => (await sql<Record<string, unknown>>`select username, imap, pop3, lda from last_login where ${where('domain' in which ? 'domain' : 'username')}`.execute(ctx.iredadmin)).rows, []);
  for (const row of logins) Object.assign(entry(String(row.username)), { imap: num(row.imap), pop3: num(row.pop3), lda: num(row.lda) });
  return out;
}
