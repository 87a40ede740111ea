// Kysely row types for the four iRedMail databases (iRedMail 1.8.1, iRedAPD 6.1, iRedAdmin 2.8.1).
// They describe the tables Postfix, Dovecot, Amavisd and iRedAPD read; the DDL in schema.ts
// creates the same tables. Types are the union of what MySQL/MariaDB and PostgreSQL return
// once connect.ts has set up its type parsers (INT8 -> number, DATE/TIMESTAMP -> string).

import type { ColumnType, Generated } from 'kysely';

/** A 0/1 integer flag (MySQL TINYINT(1), PG INT2); never SQL BOOLEAN. */
export type Flag = Generated<number>;

/** Auto-increment / SERIAL id. */
export type Id = Generated<number>;

/**
 * DATETIME / TIMESTAMP. The drivers are configured to hand back 'YYYY-MM-DD HH:MM:SS' strings,
 * but Date is tolerated so callers never depend on it; writes are UTC strings in that format.
 */
export type DateTime = ColumnType<Date | string, string, string>;
/** DATETIME / TIMESTAMP with a database default (may be left out of an INSERT). */
export type DateTimeDefault = ColumnType<Date | string, string | undefined, string>;
/** Nullable TIMESTAMP. */
export type DateTimeNullable = ColumnType<Date | string | null, string | null | undefined, string | null>;
/** DATE ('YYYY-MM-DD') with a default. */
export type DateDefault = ColumnType<Date | string, string | undefined, string>;
/** Nullable DATE. */
export type DateNullable = ColumnType<Date | string | null, string | null | undefined, string | null>;

/** Text with a default: optional on insert, never null. */
export type Str = Generated<string>;
/** An integer (INT8 parsed as number; ids and limits fit in 2^53) with a default. */
export type Num = Generated<number>;

/**
 * TEXT that MySQL declares NULL without default and PG declares NOT NULL DEFAULT ''
 * (domain/mailbox/admin description, disclaimer, settings): may read back NULL on MySQL;
 * never write NULL, PG would refuse it.
 */
export type LooseText = ColumnType<string | null, string | undefined, string>;
/** Plain nullable TEXT / VARCHAR. */
export type NullableText = ColumnType<string | null, string | null | undefined, string | null>;

/**
 * Amavisd's binary address columns (MySQL VARBINARY, PG BYTEA): comparisons are
 * case-sensitive, so store lower case. Read back as Buffer on every engine.
 */
export type Binary = ColumnType<Buffer, Buffer | string, Buffer | string>;

// ---------------------------------------------------------------------------------------
// vmail

interface Lifecycle {
  created: DateTimeDefault;
  modified: DateTimeDefault;
  expired: DateTimeDefault;
  active: Flag;
}

export interface DomainTable extends Lifecycle {
  domain: string;
  description: LooseText;
  disclaimer: LooseText;
  /** Limits: 0 = unlimited, -1 = not allowed. */
  aliases: Num;
  mailboxes: Num;
  maillists: Num;
  /** Domain quota in MB. */
  maxquota: Num;
  quota: Num;
  transport: Str;
  backupmx: Flag;
  settings: LooseText;
}

export interface AliasDomainTable {
  alias_domain: string;
  target_domain: string;
  created: DateTimeDefault;
  modified: DateTimeDefault;
  active: Flag;
}

export interface MailboxTable extends Lifecycle {
  username: string;
  password: Str;
  name: Str;
  language: Str;
  first_name: Str;
  last_name: Str;
  mobile: Str;
  telephone: Str;
  recovery_email: Str;
  birthday: DateDefault;
  mailboxformat: Str;
  mailboxfolder: Str;
  storagebasedirectory: Str;
  storagenode: Str;
  maildir: Str;
  /** Mailbox quota in MB, 0 = unlimited. */
  quota: Num;
  domain: Str;
  transport: Str;
  department: Str;
  rank: Str;
  employeeid: Str;
  isadmin: Flag;
  isglobaladmin: Flag;
  enablesmtp: Flag;
  enablesmtpsecured: Flag;
  enablepop3: Flag;
  enablepop3secured: Flag;
  enablepop3tls: Flag;
  enableimap: Flag;
  enableimapsecured: Flag;
  enableimaptls: Flag;
  enabledeliver: Flag;
  enablelda: Flag;
  enablemanagesieve: Flag;
  enablemanagesievesecured: Flag;
  enablesieve: Flag;
  enablesievesecured: Flag;
  enablesievetls: Flag;
  enableinternal: Flag;
  enabledoveadm: Flag;
  'enablelib-storage': Flag;
  'enablequota-status': Flag;
  'enableindexer-worker': Flag;
  enablelmtp: Flag;
  enabledsync: Flag;
  enablesogo: Flag;
  /** SOGo reads these as characters 'y' / 'n'. */
  enablesogowebmail: Str;
  enablesogocalendar: Str;
  enablesogoactivesync: Str;
  /** NULL when logins are not restricted (Dovecot treats '' differently). */
  allow_nets: NullableText;
  disclaimer: LooseText;
  settings: LooseText;
  passwordlastchange: DateTimeDefault;
}

export interface ForwardingsTable {
  id: Id;
  address: string;
  forwarding: string;
  domain: Str;
  dest_domain: Str;
  is_maillist: Flag;
  is_list: Flag;
  is_forwarding: Flag;
  is_alias: Flag;
  active: Flag;
}

export interface AliasTable extends Lifecycle {
  address: string;
  name: Str;
  accesspolicy: Str;
  domain: Str;
}

export interface ModeratorsTable {
  id: Id;
  address: string;
  moderator: string;
  domain: Str;
  dest_domain: Str;
}

export interface MaillistOwnersTable {
  id: Id;
  address: string;
  owner: string;
  domain: Str;
  dest_domain: Str;
}

export interface MaillistsTable extends Lifecycle {
  id: Id;
  address: string;
  domain: Str;
  transport: Str;
  accesspolicy: Str;
  maxmsgsize: Num;
  name: Str;
  description: NullableText;
  mlid: Str;
  is_newsletter: Flag;
  settings: NullableText;
}

export interface DomainAdminsTable extends Lifecycle {
  username: string;
  /** A managed domain, or the literal 'ALL' for a global admin. */
  domain: string;
}

export interface AdminTable {
  username: string;
  password: Str;
  name: Str;
  language: Str;
  passwordlastchange: DateTimeDefault;
  settings: LooseText;
  created: DateTimeDefault;
  modified: DateTimeDefault;
  expired: DateTimeDefault;
  active: Flag;
}

export interface BccDomainTable extends Lifecycle {
  domain: string;
  bcc_address: string;
}

export interface BccUserTable extends Lifecycle {
  username: string;
  bcc_address: string;
  domain: Str;
}

export interface SenderRelayhostTable {
  id: Id;
  /** 'user@domain' or '@domain'. */
  account: string;
  relayhost: Str;
}

export interface DeletedMailboxesTable {
  id: Id;
  timestamp: DateTimeDefault;
  username: Str;
  domain: Str;
  /** Absolute path: storagebasedirectory/storagenode/maildir. */
  maildir: Str;
  bytes: Num;
  messages: Num;
  admin: Str;
  /** NULL = keep the maildir forever. */
  delete_date: DateNullable;
}

/** Written by Dovecot; `domain` is filled by a BEFORE INSERT trigger. */
export interface UsedQuotaTable {
  username: string;
  bytes: Num;
  messages: Num;
  domain: Str;
}

/** Written by Dovecot's last_login plugin; epoch seconds. */
export interface LastLoginTable {
  username: string;
  domain: string;
  imap: ColumnType<number | null, number | null | undefined, number | null>;
  pop3: ColumnType<number | null, number | null | undefined, number | null>;
  lda: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ShareFolderTable {
  from_user: string;
  to_user: string;
  dummy: NullableText;
}

export interface AnyoneSharesTable {
  from_user: string;
  dummy: NullableText;
}

export interface VmailDatabase {
  domain: DomainTable;
  alias_domain: AliasDomainTable;
  mailbox: MailboxTable;
  forwardings: ForwardingsTable;
  alias: AliasTable;
  moderators: ModeratorsTable;
  maillist_owners: MaillistOwnersTable;
  maillists: MaillistsTable;
  domain_admins: DomainAdminsTable;
  admin: AdminTable;
  sender_bcc_domain: BccDomainTable;
  recipient_bcc_domain: BccDomainTable;
  sender_bcc_user: BccUserTable;
  recipient_bcc_user: BccUserTable;
  sender_relayhost: SenderRelayhostTable;
  deleted_mailboxes: DeletedMailboxesTable;
  used_quota: UsedQuotaTable;
  last_login: LastLoginTable;
  share_folder: ShareFolderTable;
  anyone_shares: AnyoneSharesTable;
}

// ---------------------------------------------------------------------------------------
// amavisd

/** Policy / wblist owners: '@.', '@domain', 'user@domain'. */
export interface AmavisdUsersTable {
  id: Id;
  priority: Num;
  /** 0 = no policy (iRedAPD creates owners that way); no FK to policy.id. */
  policy_id: Num;
  email: Binary;
  fullname: NullableText;
}

export interface MailaddrTable {
  id: Id;
  priority: Num;
  email: Binary;
}

/** Inbound: rid -> users.id (recipient), sid -> mailaddr.id (sender). */
export interface WblistTable {
  rid: number;
  sid: number;
  /** 'W' / 'B' (Amavisd also accepts a score). */
  wb: string;
}

/** Outbound (iRedAPD only): rid -> mailaddr.id (recipient), sid -> users.id (local sender). */
export interface OutboundWblistTable {
  rid: number;
  sid: number;
  wb: string;
}

type YesNo = NullableText;
type PolicyText = NullableText;
type PolicyLevel = ColumnType<number | null, number | null | undefined, number | null>;

export interface PolicyTable {
  id: Id;
  /** iRedMail names a policy after its account ('@.', '@domain', 'user@domain'); UNIQUE. */
  policy_name: ColumnType<string | null, string | undefined, string>;
  virus_lover: YesNo;
  spam_lover: YesNo;
  unchecked_lover: YesNo;
  banned_files_lover: YesNo;
  bad_header_lover: YesNo;
  bypass_virus_checks: YesNo;
  bypass_spam_checks: YesNo;
  bypass_banned_checks: YesNo;
  bypass_header_checks: YesNo;
  virus_quarantine_to: PolicyText;
  spam_quarantine_to: PolicyText;
  banned_quarantine_to: PolicyText;
  unchecked_quarantine_to: PolicyText;
  bad_header_quarantine_to: PolicyText;
  clean_quarantine_to: PolicyText;
  archive_quarantine_to: PolicyText;
  spam_tag_level: PolicyLevel;
  spam_tag2_level: PolicyLevel;
  spam_tag3_level: PolicyLevel;
  spam_kill_level: PolicyLevel;
  spam_dsn_cutoff_level: PolicyLevel;
  spam_quarantine_cutoff_level: PolicyLevel;
  addr_extension_virus: PolicyText;
  addr_extension_spam: PolicyText;
  addr_extension_banned: PolicyText;
  addr_extension_bad_header: PolicyText;
  warnvirusrecip: YesNo;
  warnbannedrecip: YesNo;
  warnbadhrecip: YesNo;
  newvirus_admin: PolicyText;
  virus_admin: PolicyText;
  banned_admin: PolicyText;
  bad_header_admin: PolicyText;
  spam_admin: PolicyText;
  spam_subject_tag: PolicyText;
  spam_subject_tag2: PolicyText;
  spam_subject_tag3: PolicyText;
  /** Bytes; 0 disables the check. */
  message_size_limit: ColumnType<number | null, number | null | undefined, number | null>;
  banned_rulenames: PolicyText;
  disclaimer_options: PolicyText;
  forward_method: PolicyText;
  sa_userconf: PolicyText;
  sa_username: PolicyText;
}

// Written by Amavisd itself (quarantine and message log); read by quarantine features.
export interface MaddrTable {
  partition_tag: ColumnType<number | null, number | null | undefined, number | null>;
  id: Id;
  email: Binary;
  /** MySQL VARBINARY, PG VARCHAR: the address without its +extension (filled by a trigger). */
  email_raw: ColumnType<Buffer | string, Buffer | string | undefined, Buffer | string>;
  /** MySQL VARCHAR, PG BYTEA: domain labels in reverse order. */
  domain: ColumnType<Buffer | string, Buffer | string, Buffer | string>;
}

export interface MsgsTable {
  partition_tag: Num;
  mail_id: Binary;
  secret_id: ColumnType<Buffer | null, Buffer | string | null | undefined, Buffer | string | null>;
  am_id: string;
  time_num: number;
  /** MySQL CHAR(16) ISO text, PG TIMESTAMPTZ (parsed to Date). */
  time_iso: ColumnType<Date | string, Date | string, Date | string>;
  sid: number;
  policy: NullableText;
  client_addr: NullableText;
  size: number;
  originating: Str;
  content: NullableText;
  quar_type: NullableText;
  quar_loc: ColumnType<Buffer | string | null, Buffer | string | null | undefined, Buffer | string | null>;
  dsn_sent: NullableText;
  spam_level: PolicyLevel;
  message_id: NullableText;
  from_addr: ColumnType<Buffer | null, Buffer | string | null | undefined, Buffer | string | null>;
  subject: ColumnType<Buffer | null, Buffer | string | null | undefined, Buffer | string | null>;
  host: string;
}

export interface MsgrcptTable {
  partition_tag: Num;
  mail_id: Binary;
  rseqnum: Num;
  rid: number;
  is_local: Str;
  content: Str;
  ds: string;
  rs: string;
  bl: NullableText;
  wl: NullableText;
  bspam_level: PolicyLevel;
  smtp_resp: NullableText;
}

export interface QuarantineTable {
  partition_tag: Num;
  mail_id: Binary;
  chunk_ind: number;
  mail_text: Binary;
}

export interface AmavisdDatabase {
  users: AmavisdUsersTable;
  mailaddr: MailaddrTable;
  wblist: WblistTable;
  outbound_wblist: OutboundWblistTable;
  policy: PolicyTable;
  maddr: MaddrTable;
  msgs: MsgsTable;
  msgrcpt: MsgrcptTable;
  quarantine: QuarantineTable;
}

// ---------------------------------------------------------------------------------------
// iredapd

export interface ThrottleTable {
  id: Id;
  /** '@.', '@domain', 'user@domain' (iRedAPD also matches IPs and wildcards). */
  account: string;
  /** 'outbound' | 'inbound' | 'external'. */
  kind: Str;
  priority: Num;
  /** Seconds. */
  period: Num;
  /** -1 = inherit a lower priority setting, 0 = unlimited. */
  msg_size: Num;
  max_msgs: Num;
  max_quota: Num;
  max_rcpts: Num;
}

/** Runtime counters; `tid` references throttle.id with no ON DELETE rule (delete these first). */
export interface ThrottleTrackingTable {
  id: Id;
  /** NOT NULL on MySQL, nullable on PG. */
  tid: ColumnType<number | null, number, number>;
  account: Str;
  period: Num;
  cur_msgs: Num;
  cur_quota: Num;
  init_time: Num;
  last_time: Num;
  last_notify_time: Num;
}

export interface GreylistingTable {
  id: Id;
  account: Str;
  priority: Num;
  sender: Str;
  sender_priority: Num;
  comment: Str;
  active: Flag;
}

export interface GreylistingWhitelistsTable {
  id: Id;
  account: Str;
  sender: Str;
  comment: Str;
}

export interface GreylistingWhitelistDomainsTable {
  id: Id;
  domain: Str;
}

export interface GreylistingTrackingTable {
  id: Id;
  sender: string;
  recipient: string;
  client_address: string;
  sender_domain: Str;
  rcpt_domain: Str;
  init_time: Num;
  block_expired: Num;
  record_expired: Num;
  blocked_count: Num;
  passed: Flag;
}

export interface WblistRdnsTable {
  id: Id;
  rdns: Str;
  wb: Str;
}

export interface SrsExcludeDomainsTable {
  id: Id;
  domain: Str;
}

export interface SenderscoreCacheTable {
  client_address: string;
  score: ColumnType<number | null, number | null | undefined, number | null>;
  time: Num;
}

export interface IredapdDatabase {
  throttle: ThrottleTable;
  throttle_tracking: ThrottleTrackingTable;
  greylisting: GreylistingTable;
  greylisting_whitelists: GreylistingWhitelistsTable;
  greylisting_whitelist_domains: GreylistingWhitelistDomainsTable;
  greylisting_whitelist_domain_spf: GreylistingWhitelistsTable;
  greylisting_tracking: GreylistingTrackingTable;
  wblist_rdns: WblistRdnsTable;
  srs_exclude_domains: SrsExcludeDomainsTable;
  senderscore_cache: SenderscoreCacheTable;
}

// ---------------------------------------------------------------------------------------
// iredadmin

export interface LogTable {
  id: Id;
  timestamp: DateTimeDefault;
  admin: string;
  ip: string;
  domain: Str;
  username: Str;
  event: Str;
  loglevel: Str;
  msg: NullableText;
}

/** iRedAdmin's global settings: `v` is JSON `{"value": ...}`; UNIQUE(account, k). */
export interface SettingsTable {
  id: Id;
  account: Str;
  k: string;
  v: NullableText;
}

/** Generic key/value store; UNIQUE(k). */
export interface TrackingTable {
  id: Id;
  k: string;
  v: NullableText;
  time: DateTimeDefault;
}

export interface DomainOwnershipTable {
  id: Id;
  admin: Str;
  domain: Str;
  alias_domain: Str;
  verify_code: Str;
  verified: Flag;
  message: NullableText;
  last_verify: DateTimeNullable;
  /** Epoch seconds. */
  expire: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Project table: brute-force throttling shared by every Lambda container. */
export interface LoginFailuresTable {
  /** 'user:<email>' or 'ip:<address>'. */
  key: string;
  failures: Num;
  /** Epoch seconds. */
  first_failure: Num;
  locked_until: Num;
}

/** Project table: API keys (only a hash of the secret is stored). */
export interface ApiKeysTable {
  id: string;
  name: Str;
  secret_hash: string;
  created_by: Str;
  /** Domains the key may manage (comma separated; empty = all the creator may manage). */
  domains: string;
  access: ColumnType<'ro' | 'rw', 'ro' | 'rw' | undefined, 'ro' | 'rw'>;
  /** Comma separated IPs / CIDRs; empty = any. */
  allowed_ips: string;
  /** Epoch seconds; NULL = never. */
  expires_at: ColumnType<number | null, number | null | undefined, number | null>;
  revoked: Flag;
  created_at: Num;
  last_used_at: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Project table: amavisd/iRedAPD work owed after an account change (payload is JSON). */
export interface PolicyFollowupsTable {
  id: Id;
  kind: string;
  payload: string;
  created_at: number;
}

export interface IredadminDatabase {
  log: LogTable;
  settings: SettingsTable;
  tracking: TrackingTable;
  domain_ownership: DomainOwnershipTable;
  login_failures: LoginFailuresTable;
  api_keys: ApiKeysTable;
  policy_followups: PolicyFollowupsTable;
}

/** Embedded mode keeps all four table sets in one PGlite database. */
export type EmbeddedDatabase = VmailDatabase & AmavisdDatabase & IredapdDatabase & IredadminDatabase;
