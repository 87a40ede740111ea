import type { PagedResult } from '#lib/model/types';
import type { BulkMailboxChanges, MailboxChanges, MailboxState, MailUser, MailUserListItem, NewMailbox, UserExtras, UserListFilter } from '#lib/model/users';

/**
 * Mail users (vmail.mailbox and the rows that follow a user). Multi-row writes are meant to
 * run inside AccountStore.transaction; limits are checked under DomainStore.lock.
 * The password hash is read by `passwordHash` only, for verify_password: no other method
 * returns it.
 */
export interface UserStore {
  /** The row as GET shows it (no password), or undefined. */
  get(username: string): Promise<MailUser | undefined>;
  extras(username: string): Promise<UserExtras>;
  /** The facts rules need; `lock` takes the row lock for the rest of the transaction. */
  find(username: string, options?: { lock?: boolean }): Promise<MailboxState | undefined>;
  passwordHash(username: string): Promise<string | undefined>;
  /** True when the address, or it without its +extension, is a mailbox, alias, mailing list or forwardings address. */
  addressInUse(address: string): Promise<boolean>;
  /** Alias domains whose target is the domain. */
  aliasDomainsOf(domain: string): Promise<string[]>;
  count(domain: string): Promise<number>;
  /** Sum of mailbox.quota (MB) of the domain, leaving out one user (whose quota is being replaced). */
  allocatedQuota(domain: string, except?: string): Promise<number>;
  list(domain: string, filter: UserListFilter): Promise<PagedResult<MailUserListItem | string>>;
  /** Inserts the mailbox row and its forwardings self row. */
  create(user: NewMailbox): Promise<void>;
  update(username: string, changes: MailboxChanges): Promise<void>;
  /** A constant number of statements whatever the domain's size; `spareGlobalAdmins` leaves isglobaladmin=1 rows alone. */
  updateAll(domain: string, changes: BulkMailboxChanges, options: { spareGlobalAdmins: boolean }): Promise<number>;
  /** Replaces the user's forwardings rows (is_forwarding=1); the user's own address among targets is the self row. */
  setForwardings(username: string, domain: string, targets: string[], active: number): Promise<void>;
  /** Replaces the user's per-user alias addresses (forwardings is_alias=1, forwarding=user). */
  setAliases(username: string, domain: string, aliases: string[], active: number): Promise<void>;
  /** Adds the user as member (is_list=1) of those of `aliases` that exist as mail aliases. */
  joinAliases(username: string, aliases: string[]): Promise<void>;
  setBcc(username: string, domain: string, kind: 'sender' | 'recipient', address: string | undefined): Promise<void>;
  /** isglobaladmin plus the domain_admins `ALL` row. */
  setGlobalAdmin(username: string, global: boolean): Promise<void>;
  /** The cascade of pro-api-behaviour §1.11; false (nothing touched) when there is no mailbox. */
  delete(username: string, options: { deleteDate: string | null; admin: string }): Promise<boolean>;
  /** Moves every vmail reference from one address to another (the maildir path stays). */
  rename(from: string, to: string): Promise<void>;
}
