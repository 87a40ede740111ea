import type { AdminIdentity, Domain, DomainChanges, DomainExtras, NewDomain, Page, PagedResult } from '#lib/model/types';

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

export interface AccountStore {
  domains: DomainStore;
  identities: IdentityStore;
  transaction<T>(work: (tx: AccountStore) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

/** Amavisd and iRedAPD rows that follow accounts (always SQL, whatever the account backend). */
export interface PolicyStore {
  /** Deletes spam policy, wblist, throttle (tracking first) and greylisting rows of the accounts. */
  forgetAccounts(accounts: { domain?: string; users?: string[] }): Promise<void>;
  ping(): Promise<void>;
}

/** The iredadmin database: login throttling, admin log, settings. */
export interface AdminDbStore {
  /** Reserves one login attempt for each key; returns the failures counted so far within the window. */
  recordLoginAttempt(keys: string[], windowSeconds: number, now: number): Promise<number[]>;
  clearLoginFailures(keys: string[]): Promise<void>;
  /** Gives back one reserved attempt (a successful login must not count against its address). */
  releaseLoginAttempt(key: string): Promise<void>;
  log(entry: { admin: string; ip: string; domain?: string; username?: string; event: string; loglevel?: string; msg: string }): Promise<void>;
  ping(): Promise<void>;
}

export interface Store {
  accounts: AccountStore;
  policy: PolicyStore;
  admin: AdminDbStore;
  /** Creates missing tables (idempotent). Run by `npm start` and `npm run migrate`, never per request. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
