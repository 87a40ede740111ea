import { sql, type Kysely, type Transaction } from 'kysely';
import type { VmailDatabase } from '#lib/storage/sql/tables';
import { concat } from '#lib/storage/sql/sql-helpers';

type Db = Kysely<VmailDatabase> | Transaction<VmailDatabase>;

/**
 * Maildirs stay on disk when accounts go: each is recorded in deleted_mailboxes (absolute
 * path, size at deletion, who deleted it, when it may be removed) for iRedAdmin's cron job.
 * One INSERT … SELECT for one user or a whole domain.
 */
export async function recordDeletedMailboxes(db: Db, of: { domain: string } | { username: string }, options: { deleteDate: string | null; admin: string }): Promise<void> {
  await db
    .insertInto('deleted_mailboxes')
    .columns(['username', 'maildir', 'domain', 'admin', 'delete_date', 'bytes', 'messages'])
    .expression((eb) =>
      eb
        .selectFrom('mailbox')
        .leftJoin('used_quota', 'used_quota.username', 'mailbox.username')
        .where('domain' in of ? 'mailbox.domain' : 'mailbox.username', '=', 'domain' in of ? of.domain : of.username)
        .select([
          'mailbox.username',
          concat(sql.ref('mailbox.storagebasedirectory'), sql.lit('/'), sql.ref('mailbox.storagenode'), sql.lit('/'), sql.ref('mailbox.maildir')).as('maildir'),
          'mailbox.domain',
          sql.val(options.admin).as('admin'),
          sql.val(options.deleteDate).as('delete_date'),
          sql<number>`coalesce(used_quota.bytes, 0)`.as('bytes'),
          sql<number>`coalesce(used_quota.messages, 0)`.as('messages'),
        ]),
    )
    .execute();
}
