import type { AdminIdentity, Domain, DomainChanges, DomainExtras, NewDomain, Page, PagedResult } from '#lib/model/types';
import type { AdminChanges, AdminProfile, NewAdmin, StandaloneAdmin } from '#lib/model/admins';
import type { Alias, AliasChanges, AliasProfile, NewAlias } from '#lib/model/aliases';
import type { GreylistingSetting, ListChange, SpamPolicyChanges, SpamPolicyRow, ThrottleKind, ThrottleSetting, ThrottleWrite } from '#lib/model/policy';
import type { UserStore } from '#lib/storage/user-store';
import type { ApiKeyRecord, NewApiKey } from '#lib/model/api-keys';
import type { AdminLogEntry, AdminLogFilter } from '#lib/model/admin-log';
import type { MailingList, MailingListChanges, NewMailingList } from '#lib/model/maillists';
import type { DirectoryEntry, LdifTarget } from '#lib/model/ldif';

export type { UserStore };

/**
 * The storage seen by services. One implementation per backend (storage/sql, storage/ldap);
 * services hold the rules, stores hold the data. Everything that writes several rows or
 * entries does it inside `transaction`, so a failure leaves nothing half-written.
 */
export interface DomainStore {
  list(filter: { only?: string[]; disabledOnly?: boolean; page?: Page }): Promise<PagedResult<Domain>>;
  get(domain: string): Promise<Domain | undefined>;
  /** Takes the domain's row lock for the rest of the transaction (limits are checked under it). */
  lock(domain: string): Promise<Domain | undefined>;
  extras(domain: string): Promise<DomainExtras>;
  /** True when the name is a primary domain or an alias domain. */
  isLocal(domain: string): Promise<boolean>;
  create(domain: NewDomain): Promise<void>;
  update(domain: string, changes: DomainChanges): Promise<void>;
  setCatchall(domain: string, targets: string[]): Promise<void>;
  setRelayhost(account: string, relayhost: string | undefined): Promise<void>;
  setBcc(domain: string, kind: 'sender' | 'recipient', address: string | undefined): Promise<void>;
  setAliasDomains(domain: string, aliases: string[]): Promise<void>;
  /** Removes the domain and everything under it; records its mailboxes in deleted_mailboxes. */
  delete(domain: string, options: { deleteDate: string | null; admin: string }): Promise<boolean>;
  admins(domain: string): Promise<string[]>;
  /** Grants or revokes domain-admin rights; mail users left without domains lose isadmin. */
  setAdmins(domain: string, change: { add: string[]; remove: string[]; removeAll: boolean }): Promise<void>;
}

export interface IdentityStore {
  /** Looks up a standalone admin first, then a mail user; undefined when neither exists. */
  findAdmin(username: string): Promise<AdminIdentity | undefined>;
  /** True when the address is a mail user (mailbox row). */
  isMailUser(username: string): Promise<boolean>;
  isStandaloneAdmin(username: string): Promise<boolean>;
  hasGlobalAdmin(): Promise<boolean>;
  createStandaloneAdmin(admin: { username: string; passwordHash: string; name: string; language: string; isGlobalAdmin: boolean; active: boolean; settings: Record<string, string | number | string[]> }): Promise<void>;
}

/** Standalone admins (vmail.admin) and their domain_admins rows; the password hash is never read back. */
export interface AdminStore {
  get(username: string): Promise<AdminProfile | undefined>;
  /** Takes the admin's row lock for the rest of the transaction. */
  lock(username: string): Promise<(StandaloneAdmin & { isGlobalAdmin: boolean }) | undefined>;
  /** Inserts the admin row, plus the domain_admins `ALL` row of a global admin. */
  create(admin: NewAdmin): Promise<void>;
  update(username: string, changes: AdminChanges): Promise<void>;
  /** Adds or removes the domain_admins `ALL` row. */
  setGlobalAdmin(username: string, global: boolean): Promise<void>;
  /** Deletes the admin row and every domain_admins row of it; false (nothing touched) when no admin row exists. */
  delete(username: string): Promise<boolean>;
}

/** Mail aliases: `alias` row, member rows in `forwardings` (is_list=1), `moderators`. */
export interface AliasStore {
  get(address: string): Promise<AliasProfile | undefined>;
  /** Takes the alias's row lock for the rest of the transaction. */
  lock(address: string): Promise<Alias | undefined>;
  list(domain: string, filter: { disabledOnly?: boolean; page?: Page }): Promise<PagedResult<Alias>>;
  count(domain: string): Promise<number>;
  /** Member addresses, sorted. */
  members(address: string): Promise<string[]>;
  /** True when the address, or it without its +extension, is a mailbox, alias, mailing list or forwardings address. */
  addressInUse(address: string): Promise<boolean>;
  create(alias: NewAlias, members: string[]): Promise<void>;
  /** `active` also switches the alias's forwardings rows, which Postfix reads. */
  update(address: string, changes: AliasChanges): Promise<void>;
  addMembers(address: string, domain: string, members: string[], active: number): Promise<void>;
  removeMembers(address: string, members: string[]): Promise<void>;
  /** Deletes the alias row, forwardings with the alias as address or forwarding, its moderators rows; false when no alias row exists. */
  delete(address: string): Promise<boolean>;
  /** Renames the alias row, its forwardings (address and forwarding) and moderators (address and moderator). */
  rename(from: string, to: string): Promise<void>;
}

/**
 * Legacy mailing lists (LDAP only; lib/model/maillists.ts). On SQL `supported` is false and
 * every method answers NOT_SUPPORTED_BY_BACKEND.
 */
export interface MailingListStore {
  readonly supported: boolean;
  get(mail: string): Promise<MailingList | undefined>;
  /** Lists of the domain (every mailList in its ou=Groups, mlmmj lists included), for numberOfLists. */
  count(domain: string): Promise<number>;
  /** True when a user, alias or list has the address as its mail or shadowAddress. */
  addressInUse(address: string): Promise<boolean>;
  /** The list entry (with a shadowAddress per alias domain) and its members. */
  create(list: NewMailingList, members: string[]): Promise<void>;
  update(mail: string, changes: MailingListChanges): Promise<void>;
  addMembers(mail: string, members: string[]): Promise<void>;
  removeMembers(mail: string, members: string[]): Promise<void>;
  /** The list entry, its external-members entry and every memberOfGroup value naming it; false when there was no list. */
  delete(mail: string): Promise<boolean>;
}

/** Account entries as LDIF sees them (LDAP only; `supported` false on SQL). */
export interface DirectoryExport {
  readonly supported: boolean;
  /** The target's entries, parents first; undefined when the account (or domain) does not exist. */
  entries(target: LdifTarget): Promise<DirectoryEntry[] | undefined>;
}

export interface AccountStore {
  domains: DomainStore;
  identities: IdentityStore;
  admins: AdminStore;
  aliases: AliasStore;
  /** Mail users (lib/storage/user-store.ts). */
  users: UserStore;
  /** Legacy mailing lists (LDAP only). */
  lists: MailingListStore;
  /** LDIF export (LDAP only). */
  ldif: DirectoryExport;
  transaction<T>(work: (tx: AccountStore) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

/** Amavisd and iRedAPD rows that follow accounts (always SQL, whatever the account backend). */
export interface PolicyStore {
  /** Deletes spam policy, wblist, throttle (tracking first) and greylisting rows of the accounts. */
  forgetAccounts(accounts: { domain?: string; users?: string[] }): Promise<void>;
  /**
   * Moves an account's throttle, greylisting and spam policy rows to its new address
   * (change_email). Safe to run again after a partial run: a database with no rows left under
   * `from` is not touched.
   */
  renameAccount(from: string, to: string): Promise<void>;
  ping(): Promise<void>;
}

/** Policy work owed after an account change: forget the accounts' rows, or move them to a new address. */
export type PolicyFollowUp =
  | { kind: 'forget'; accounts: { domain?: string; users?: string[] } }
  | { kind: 'rename'; from: string; to: string };

/**
 * The iredadmin journal of policy follow-ups (`policy_followups`): a row is written before an
 * account change whose amavisd/iredapd rows follow it, and deleted once they have, so work cut
 * off by a lost connection or a crash is found and finished later.
 */
export interface PolicyFollowUpStore {
  /** Records the follow-up; returns its id. */
  add(followUp: PolicyFollowUp, now: number): Promise<number>;
  remove(id: number): Promise<void>;
  /** Follow-ups created at or before `createdUpTo` (epoch seconds), oldest first; `followUp` is undefined when the row cannot be read. */
  due(createdUpTo: number, limit: number): Promise<{ id: number; followUp: PolicyFollowUp | undefined }[]>;
}

/** Amavisd spam policies (`policy` + `users`), keyed by account: `@.`, `@domain`, `user@domain`. */
export interface SpamPolicyStore {
  /** The policy the account's `users` row points at, plus `users_id`; undefined when none. */
  get(account: string): Promise<SpamPolicyRow | undefined>;
  /** Sets the named columns of the account's policy in place (one transaction), creating the policy and users rows when missing. */
  update(account: string, priority: number, changes: SpamPolicyChanges): Promise<void>;
  /** Removes the policy named after the account; its users row stays (and inherits). */
  delete(account: string): Promise<void>;
}

/** iRedAPD throttle settings, one per (account, kind). */
export interface ThrottleStore {
  get(account: string, kind: ThrottleKind): Promise<ThrottleSetting | undefined>;
  /** Updates the (account, kind) row or inserts it; concurrent calls never leave two rows. max_rcpts is left as stored. */
  set(setting: ThrottleWrite): Promise<void>;
  /** Deletes the setting and its tracking rows (tracking first); false when there was none. */
  delete(account: string, kind: ThrottleKind): Promise<boolean>;
}

/** What the SPF whitelist refresh needs (greylisting_whitelist_domains -> greylisting_whitelist_domain_spf). */
export interface SpfWhitelistStore {
  /** The sender domains listed for the SPF job, sorted. */
  whitelistDomains(): Promise<string[]>;
  /** The addresses stored for a listed domain (comment `AUTO-UPDATE: <domain>`), sorted. */
  spfAddresses(domain: string): Promise<string[]>;
  /**
   * In one transaction: drops the domain's rows (and legacy rows with its comment in
   * greylisting_whitelists), inserts `addresses` that no other row holds yet, and hands each
   * dropped address another domain of `fallbacks` still publishes to that domain.
   */
  replaceSpfAddresses(domain: string, addresses: string[], fallbacks: ReadonlyMap<string, string>): Promise<{ added: number; removed: number; shared: number }>;
  /** Deletes AUTO-UPDATE rows (both tables) whose comment names a domain not in `listed`; returns how many. */
  removeUnlistedSpfRows(listed: string[]): Promise<number>;
}

/** iRedAPD greylisting settings and whitelists. */
export interface GreylistingStore extends SpfWhitelistStore {
  /** The account's own setting (sender `@.`): 1 enabled, 0 disabled, undefined when inherited. */
  status(account: string): Promise<number | undefined>;
  setStatus(account: string, priority: number, active: boolean): Promise<void>;
  /** Deletes every greylisting row of the account (inherit); returns how many. */
  clear(account: string): Promise<number>;
  all(): Promise<GreylistingSetting[]>;
  whitelists(account: string): Promise<string[]>;
  changeWhitelists(account: string, change: ListChange): Promise<void>;
  /** Also drops the SPF rows of domains it removes from the list. */
  changeWhitelistDomains(change: ListChange): Promise<void>;
}

/** The iredadmin database: login throttling, admin log, settings. */
export interface AdminDbStore {
  /** Reserves one login attempt for each key; returns the failures counted so far within the window. */
  recordLoginAttempt(keys: string[], windowSeconds: number, now: number): Promise<number[]>;
  clearLoginFailures(keys: string[]): Promise<void>;
  /** Gives back one reserved attempt (a successful login must not count against its address). */
  releaseLoginAttempt(key: string): Promise<void>;
  log(entry: { admin: string; ip: string; domain?: string; username?: string; event: string; loglevel?: string; msg: string }): Promise<void>;
  /** Admin log rows matching the filter, newest first, with the total before paging (GET /api/log). */
  listLog(filter: AdminLogFilter): Promise<PagedResult<AdminLogEntry>>;
  ping(): Promise<void>;
}

/** API keys in the iredadmin database (every backend keeps them in SQL); records never carry the hash. */
export interface ApiKeyStore {
  /** The key whose secret hashes to `secretHash`: one lookup on the unique index. */
  findByHash(secretHash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Oldest first; only the keys `createdBy` created when given. */
  list(filter: { createdBy?: string }): Promise<ApiKeyRecord[]>;
  create(key: NewApiKey): Promise<void>;
  revoke(id: string): Promise<void>;
  /** Sets last_used_at to `now` unless it was written less than `minIntervalSeconds` ago (one conditional UPDATE). */
  touch(id: string, now: number, minIntervalSeconds: number): Promise<void>;
}

export interface Store {
  accounts: AccountStore;
  policy: PolicyStore;
  spam: SpamPolicyStore;
  throttle: ThrottleStore;
  greylisting: GreylistingStore;
  admin: AdminDbStore;
  apiKeys: ApiKeyStore;
  followUps: PolicyFollowUpStore;
  /** Creates missing tables (idempotent). Run by `npm start` and `npm run migrate`, never per request. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
