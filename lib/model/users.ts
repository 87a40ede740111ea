import type { ServiceColumn, ServiceValue } from '#lib/model/mail-services';

/**
 * Mail users on SQL (storage.md §1.2–1.3): a `mailbox` row plus its `forwardings` self row,
 * with forwardings, per-user alias addresses, BCC and admin rights in their own tables.
 */

/**
 * A mailbox row as the API shows it: every column except `password` (which never leaves
 * the store), dates as ISO-8601 without a zone, `settings` parsed, `disclaimer` never null.
 */
export type MailUser = Record<string, unknown> & {
  username: string;
  domain: string;
  quota: number;
  active: number;
  isadmin: number;
  isglobaladmin: number;
};

/** What the rules need to know about an existing user (read under its row lock in a transaction). */
export interface MailboxState {
  username: string;
  domain: string;
  quota: number;
  active: boolean;
  isAdmin: boolean;
  isGlobalAdmin: boolean;
}

/** GET /api/user/<mail>: what the API adds to the row (pro-api-behaviour §1.7). */
export interface UserExtras {
  sender_bcc_address: string | null;
  sbcc_active: number | null;
  recipient_bcc_address: string | null;
  rbcc_active: number | null;
  /** Per-user alias addresses (forwardings is_alias=1 pointing at the user), sorted. */
  aliases: string[];
  /** Mail aliases the user is a member of (forwardings is_list=1), sorted. */
  mailing_aliases: string[];
  /** Targets of the user's forwardings rows (is_forwarding=1), the self row included, sorted. */
  forwarding_targets: string[];
  stored_bytes: number;
  stored_messages: number;
  /** Latest of the Dovecot last_login columns, epoch seconds; undefined when never logged in. */
  last_login_epoch: number | undefined;
  /** Domains named in domain_admins for the user (the `ALL` row not counted), sorted. */
  managed_domains: string[];
}

/** One row of GET /api/users/<domain>. */
export type MailUserListItem = MailUser & {
  last_login: { imap: number; pop3: number; lda: number };
  used_quota: { bytes: number; messages: number };
};

export interface UserListFilter {
  disabledOnly?: boolean;
  /** Substring of the address or the display name (case-insensitive). */
  query?: string;
  page?: { page: number; limit: number };
  /** Only the addresses are read. */
  emailOnly?: boolean;
}

export interface NewMailbox {
  username: string;
  domain: string;
  passwordHash: string;
  name: string;
  language: string;
  quota: number;
  storagebasedirectory: string;
  storagenode: string;
  maildir: string;
  mailboxformat: string;
  mailboxfolder: string;
  /** Services the domain turns off for new users (`disabled_mail_services`). */
  services: Partial<Record<ServiceColumn, ServiceValue>>;
}

export interface MailboxChanges {
  name?: string;
  language?: string;
  employeeid?: string;
  transport?: string;
  /** Also switches the forwardings rows of the user (address or forwarding), which Postfix reads. */
  active?: number;
  /** Also sets passwordlastchange. */
  passwordHash?: string;
  quota?: number;
  mailboxformat?: string;
  mailboxfolder?: string;
  storagebasedirectory?: string;
  storagenode?: string;
  maildir?: string;
  services?: Partial<Record<ServiceColumn, ServiceValue>>;
}

/** PUT /api/users/<domain>: SET operations on every mailbox of the domain. */
export interface BulkMailboxChanges {
  name?: string;
  language?: string;
  transport?: string;
  active?: number;
  /** One hash written to every row (see services/users.ts). */
  passwordHash?: string;
}
