// The project's own DDL for the four iRedMail databases, compatible with what the iRedMail
// 1.8.1 installer creates (same table and column names, types, defaults, keys and indexes),
// so Postfix, Dovecot, Amavisd, iRedAPD and iRedAdmin work unchanged against a database this
// module created. test/integration/sql-schema.test.ts compares the result with the genuine
// schema files, catalog against catalog.
//
// Embedded mode (PGlite) keeps all four table sets in ONE database: the PostgreSQL sets have
// no table or index name in common. iRedAdmin's MySQL-only `deleted_mailboxes` (an LDAP
// backend table) exists only in the MySQL iredadmin set, and the Dovecot tables an LDAP
// server keeps in iredadmin (used_quota, last_login, ...) are not created there at all: with
// SQL backends they live in vmail.

import { sql, type Kysely } from 'kysely';

export type Engine = 'mysql' | 'postgres';
export type DatabaseName = 'vmail' | 'amavisd' | 'iredapd' | 'iredadmin';

/** Tables this project adds to iredadmin; everything else mirrors iRedMail. */
export const PROJECT_TABLES: readonly string[] = ['login_failures', 'api_keys', 'policy_followups'];

interface ColumnSpec {
  name: string;
  /** Type clause; null = the column does not exist on that engine. */
  mysql: string | null;
  postgres: string | null;
}

interface IndexSpec {
  columns: string[];
  unique?: boolean;
  /** Index present on one engine only (iRedMail's two schema files differ here and there). */
  only?: Engine;
  /** Explicit name; default idx_<table>_<columns>. */
  name?: string;
}

interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** Same on both engines, or per engine; null = no primary key on that engine. */
  primaryKey?: string[] | { mysql: string[] | null; postgres: string[] | null };
  indexes?: IndexSpec[];
  /** Extra clauses inside CREATE TABLE (named constraints, foreign keys), per engine. */
  clauses?: Partial<Record<Engine, string[]>>;
  /** Statements run right after the table is created (triggers), per engine. */
  after?: Partial<Record<Engine, string[]>>;
}

// ---------------------------------------------------------------------------------------
// Column helpers. Each returns the type clause for both engines.

const col = (name: string, mysql: string | null, postgres: string | null = mysql): ColumnSpec => ({ name, mysql, postgres });

/** VARCHAR NOT NULL with a default ('' unless given). */
const str = (name: string, length = 255, fallback = ''): ColumnSpec =>
  col(name, `VARCHAR(${length}) NOT NULL DEFAULT '${fallback}'`);

/** VARCHAR NOT NULL without default. */
const required = (name: string, length = 255): ColumnSpec => col(name, `VARCHAR(${length}) NOT NULL`);

/** 0/1 integer flag. */
const flag = (name: string, fallback: 0 | 1): ColumnSpec =>
  col(name, `TINYINT(1) NOT NULL DEFAULT ${fallback}`, `INT2 NOT NULL DEFAULT ${fallback}`);

/** Auto-increment id (MySQL BIGINT UNSIGNED, PG SERIAL). */
const serial = (name = 'id'): ColumnSpec => col(name, 'BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT', 'SERIAL');

/** Amavisd's smaller ids (INT UNSIGNED on MySQL). */
const amavisId = (): ColumnSpec => col('id', 'INT UNSIGNED NOT NULL AUTO_INCREMENT', 'SERIAL');

/** BIGINT counter defaulting to 0. */
const bigint = (name: string): ColumnSpec => col(name, 'BIGINT(20) NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0');

/** Epoch seconds kept by iRedAPD (INT UNSIGNED on MySQL, BIGINT on PG). */
const epoch = (name: string): ColumnSpec => col(name, 'INT(10) UNSIGNED NOT NULL DEFAULT 0', 'BIGINT NOT NULL DEFAULT 0');

/** Description / disclaimer / settings text: nullable on MySQL, NOT NULL DEFAULT '' on PG. */
const looseText = (name: string): ColumnSpec => col(name, 'TEXT', "TEXT NOT NULL DEFAULT ''");

/** Bookkeeping time (created, modified, passwordlastchange). */
const stamp = (name: string): ColumnSpec =>
  col(name, "DATETIME NOT NULL DEFAULT '1970-01-01 01:01:01'", 'TIMESTAMP NOT NULL DEFAULT CAST(NOW() AS TIMESTAMP)');

/** Expiry time: far in the future by default. */
const expiry = (name = 'expired'): ColumnSpec =>
  col(name, "DATETIME NOT NULL DEFAULT '9999-12-31 00:00:00'", "TIMESTAMP NOT NULL DEFAULT '9999-12-31 01:01:01'");

/** Row time set by the database (iRedAdmin/iRedAPD log tables). */
const loggedAt = (name: string): ColumnSpec => col(name, 'TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP');

const lifecycle = (): ColumnSpec[] => [stamp('created'), stamp('modified'), expiry(), flag('active', 1)];

const index = (...columns: string[]): IndexSpec => ({ columns });
const unique = (...columns: string[]): IndexSpec => ({ columns, unique: true });
const only = (engine: Engine, spec: IndexSpec): IndexSpec => ({ ...spec, only: engine });
const each = (...columns: string[]): IndexSpec[] => columns.map((name) => index(name));

// ---------------------------------------------------------------------------------------
// vmail

const MAILBOX_SERVICES = [
  'enablesmtp', 'enablesmtpsecured', 'enablepop3', 'enablepop3secured', 'enablepop3tls', 'enableimap',
  'enableimapsecured', 'enableimaptls', 'enabledeliver', 'enablelda', 'enablemanagesieve',
  'enablemanagesievesecured', 'enablesieve', 'enablesievesecured', 'enablesievetls', 'enableinternal',
  'enabledoveadm', 'enablelib-storage', 'enablequota-status', 'enableindexer-worker', 'enablelmtp',
  'enabledsync', 'enablesogo',
];

// MySQL compares these key columns as ASCII (shorter index keys); PG has no such clause.
const asciiKey = (name: string, withDefault: boolean): ColumnSpec =>
  col(
    name,
    `VARCHAR(255) CHARACTER SET ascii NOT NULL${withDefault ? " DEFAULT ''" : ''}`,
    `VARCHAR(255) NOT NULL${withDefault ? " DEFAULT ''" : ''}`,
  );

const bccDomain = (name: string): TableSpec => ({
  name,
  columns: [str('domain'), str('bcc_address'), ...lifecycle()],
  primaryKey: ['domain'],
  indexes: each('bcc_address', 'expired', 'active'),
});

const VMAIL: TableSpec[] = [
  {
    name: 'admin',
    columns: [
      str('username'), str('password'), str('name'), str('language', 5), stamp('passwordlastchange'),
      looseText('settings'), ...lifecycle(),
    ],
    primaryKey: ['username'],
    indexes: each('passwordlastchange', 'expired', 'active'),
  },
  {
    name: 'alias',
    columns: [str('address'), str('name'), str('accesspolicy', 30), str('domain'), ...lifecycle()],
    primaryKey: ['address'],
    indexes: each('domain', 'expired', 'active'),
  },
  {
    name: 'moderators',
    columns: [serial(), str('address'), str('moderator'), str('domain'), str('dest_domain')],
    primaryKey: ['id'],
    indexes: [
      unique('address', 'moderator'), index('domain'), index('dest_domain'),
      only('postgres', index('address')), only('postgres', index('moderator')),
    ],
  },
  {
    name: 'maillist_owners',
    columns: [serial(), str('address'), str('owner'), str('domain'), str('dest_domain')],
    primaryKey: ['id'],
    indexes: [unique('address', 'owner'), ...each('owner', 'domain', 'dest_domain')],
  },
  {
    name: 'forwardings',
    columns: [
      serial(), str('address'), str('forwarding'), str('domain'), str('dest_domain'),
      flag('is_maillist', 0), flag('is_list', 0), flag('is_forwarding', 0), flag('is_alias', 0), flag('active', 1),
    ],
    primaryKey: ['id'],
    indexes: [
      unique('address', 'forwarding'),
      ...each('forwarding', 'domain', 'dest_domain', 'is_maillist', 'is_list', 'is_alias'),
      only('postgres', index('address')), only('postgres', index('is_forwarding')),
    ],
  },
  {
    name: 'domain',
    columns: [
      str('domain'), looseText('description'), looseText('disclaimer'),
      col('aliases', 'INT(10) NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      col('mailboxes', 'INT(10) NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      col('maillists', 'INT(10) NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      bigint('maxquota'), bigint('quota'), str('transport', 255, 'dovecot'), flag('backupmx', 0),
      looseText('settings'), ...lifecycle(),
    ],
    primaryKey: ['domain'],
    indexes: each('backupmx', 'expired', 'active'),
  },
  {
    name: 'alias_domain',
    columns: [required('alias_domain'), required('target_domain'), stamp('created'), stamp('modified'), flag('active', 1)],
    primaryKey: ['alias_domain'],
    indexes: each('target_domain', 'active'),
  },
  {
    name: 'domain_admins',
    columns: [asciiKey('username', true), asciiKey('domain', true), ...lifecycle()],
    primaryKey: ['username', 'domain'],
    indexes: each('username', 'domain', 'active'),
  },
  {
    name: 'mailbox',
    columns: [
      col('username', "VARCHAR(255) NOT NULL DEFAULT ''", 'VARCHAR(255) NOT NULL'),
      str('password'), str('name'), str('language', 5),
      str('first_name'), str('last_name'), str('mobile'), str('telephone'), str('recovery_email'),
      col('birthday', "DATE NOT NULL DEFAULT '0001-01-01'"),
      str('mailboxformat', 50, 'maildir'), str('mailboxfolder', 50, 'Maildir'),
      str('storagebasedirectory'), str('storagenode'), str('maildir'),
      bigint('quota'), str('domain'), str('transport'), str('department'), str('rank', 255, 'normal'),
      str('employeeid'), flag('isadmin', 0), flag('isglobaladmin', 0),
      ...MAILBOX_SERVICES.map((name) => flag(name, 1)),
      // SOGo reads characters here, not integers.
      col('enablesogowebmail', "CHAR(1) NOT NULL DEFAULT 'y'", "VARCHAR(1) NOT NULL DEFAULT 'y'"),
      col('enablesogocalendar', "CHAR(1) NOT NULL DEFAULT 'y'", "VARCHAR(1) NOT NULL DEFAULT 'y'"),
      col('enablesogoactivesync', "CHAR(1) NOT NULL DEFAULT 'y'", "VARCHAR(1) NOT NULL DEFAULT 'y'"),
      col('allow_nets', 'TEXT DEFAULT NULL'),
      looseText('disclaimer'), looseText('settings'), stamp('passwordlastchange'), ...lifecycle(),
    ],
    primaryKey: ['username'],
    indexes: each(
      'domain', 'department', 'employeeid', 'isadmin', 'isglobaladmin', ...MAILBOX_SERVICES,
      'passwordlastchange', 'expired', 'active',
    ),
  },
  {
    name: 'maillists',
    columns: [
      serial(), str('address'), str('domain'), str('transport'), str('accesspolicy', 30),
      bigint('maxmsgsize'), str('name'), col('description', 'TEXT'), str('mlid', 36),
      flag('is_newsletter', 0), col('settings', 'TEXT'), ...lifecycle(),
    ],
    primaryKey: ['id'],
    indexes: [unique('address'), unique('mlid'), ...each('is_newsletter', 'domain', 'active')],
  },
  bccDomain('sender_bcc_domain'),
  bccDomain('recipient_bcc_domain'),
  {
    name: 'sender_bcc_user',
    columns: [str('username'), str('bcc_address'), str('domain'), ...lifecycle()],
    primaryKey: ['username'],
    indexes: each('bcc_address', 'domain', 'expired', 'active'),
  },
  {
    // Unlike sender_bcc_user, iRedMail has no index on `domain` here.
    name: 'recipient_bcc_user',
    columns: [str('username'), str('bcc_address'), str('domain'), ...lifecycle()],
    primaryKey: ['username'],
    indexes: each('bcc_address', 'expired', 'active'),
  },
  {
    name: 'sender_relayhost',
    columns: [serial(), str('account'), str('relayhost')],
    primaryKey: ['id'],
    indexes: [unique('account')],
  },
  {
    // MySQL: `id` is only a plain KEY (no primary key); PG: SERIAL PRIMARY KEY.
    name: 'deleted_mailboxes',
    columns: [
      serial(), loggedAt('timestamp'), str('username'), str('domain'), str('maildir'),
      col('bytes', 'BIGINT NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      col('messages', 'BIGINT NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      str('admin'), col('delete_date', 'DATE DEFAULT NULL'),
    ],
    primaryKey: { mysql: null, postgres: ['id'] },
    indexes: [only('mysql', index('id')), ...each('timestamp', 'username', 'domain', 'admin', 'delete_date')],
  },
  {
    name: 'share_folder',
    columns: [asciiKey('from_user', false), asciiKey('to_user', false), col('dummy', 'CHAR(1)')],
    primaryKey: ['from_user', 'to_user'],
    indexes: each('from_user', 'to_user'),
  },
  {
    name: 'anyone_shares',
    columns: [required('from_user'), col('dummy', "CHAR(1) DEFAULT '1'", 'CHAR(1)')],
    primaryKey: ['from_user'],
  },
  {
    // Written by Dovecot. The trigger fills `domain` (iRedAdmin sums usage per domain).
    // Trigger names follow iRedMail's MySQL file so its upgrade scripts find them.
    name: 'used_quota',
    columns: [
      required('username'),
      col('bytes', 'BIGINT NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      col('messages', 'BIGINT NOT NULL DEFAULT 0', 'INT8 NOT NULL DEFAULT 0'),
      str('domain'),
    ],
    primaryKey: ['username'],
    indexes: [index('domain')],
    after: {
      mysql: [
        `CREATE TRIGGER used_quota_before_insert BEFORE INSERT ON used_quota FOR EACH ROW
           SET NEW.domain = SUBSTRING_INDEX(NEW.username, '@', -1)`,
      ],
      postgres: [
        `CREATE OR REPLACE FUNCTION used_quota_set_domain() RETURNS trigger LANGUAGE plpgsql AS $body$
         BEGIN
           NEW.domain := split_part(NEW.username, '@', 2);
           RETURN NEW;
         END
         $body$`,
        `CREATE TRIGGER used_quota_set_domain BEFORE INSERT ON used_quota
           FOR EACH ROW EXECUTE FUNCTION used_quota_set_domain()`,
      ],
    },
  },
  {
    // Dovecot last_login plugin; PG keys on (username, domain) because Dovecot inserts both.
    name: 'last_login',
    columns: [
      str('username'), str('domain'),
      col('imap', 'INT(11) DEFAULT NULL', 'BIGINT DEFAULT NULL'),
      col('pop3', 'INT(11) DEFAULT NULL', 'BIGINT DEFAULT NULL'),
      col('lda', 'INT(11) DEFAULT NULL', 'BIGINT DEFAULT NULL'),
    ],
    primaryKey: { mysql: ['username'], postgres: ['username', 'domain'] },
    indexes: each('domain', 'imap', 'pop3', 'lda'),
  },
];

// ---------------------------------------------------------------------------------------
// amavisd (lookup tables from amavisd-new's README.sql as iRedMail ships them, plus the
// tables Amavisd writes for its message log and SQL quarantine)

const binary = (length: number) => `VARBINARY(${length})`;
const yesNo = (name: string): ColumnSpec => col(name, 'CHAR(1) DEFAULT NULL');
const policyText = (name: string): ColumnSpec => col(name, 'VARCHAR(64) DEFAULT NULL');
const level = (name: string): ColumnSpec => col(name, 'FLOAT DEFAULT NULL', 'REAL DEFAULT NULL');
/** Unsigned INT on MySQL; a CHECK keeps it non-negative on PG. */
const unsignedInt = (name: string): ColumnSpec =>
  col(name, 'INT UNSIGNED NOT NULL', `INTEGER NOT NULL CHECK (${name} >= 0)`);
const partitionTag = (): ColumnSpec => col('partition_tag', 'INTEGER DEFAULT 0');

const AMAVISD: TableSpec[] = [
  {
    name: 'users',
    columns: [
      amavisId(),
      col('priority', 'INTEGER NOT NULL DEFAULT 7'),
      col('policy_id', 'INT UNSIGNED NOT NULL DEFAULT 1', 'INTEGER NOT NULL DEFAULT 1 CHECK (policy_id >= 0)'),
      col('email', `${binary(255)} NOT NULL UNIQUE`, 'BYTEA NOT NULL UNIQUE'),
      col('fullname', 'VARCHAR(255) DEFAULT NULL'),
    ],
    primaryKey: ['id'],
  },
  {
    name: 'mailaddr',
    columns: [
      amavisId(),
      col('priority', 'INTEGER NOT NULL DEFAULT 7'),
      col('email', `${binary(255)} NOT NULL UNIQUE`, 'BYTEA NOT NULL UNIQUE'),
    ],
    primaryKey: ['id'],
  },
  {
    name: 'wblist',
    columns: [unsignedInt('rid'), unsignedInt('sid'), col('wb', 'VARCHAR(10) NOT NULL')],
    primaryKey: ['rid', 'sid'],
  },
  {
    name: 'outbound_wblist',
    columns: [unsignedInt('rid'), unsignedInt('sid'), col('wb', 'VARCHAR(10) NOT NULL')],
    primaryKey: ['rid', 'sid'],
  },
  {
    name: 'policy',
    columns: [
      amavisId(),
      col('policy_name', "VARCHAR(255) NOT NULL DEFAULT ''", 'VARCHAR(255)'),
      ...['virus_lover', 'spam_lover', 'unchecked_lover', 'banned_files_lover', 'bad_header_lover'].map(yesNo),
      ...['bypass_virus_checks', 'bypass_spam_checks', 'bypass_banned_checks', 'bypass_header_checks'].map(yesNo),
      ...[
        'virus_quarantine_to', 'spam_quarantine_to', 'banned_quarantine_to', 'unchecked_quarantine_to',
        'bad_header_quarantine_to', 'clean_quarantine_to', 'archive_quarantine_to',
      ].map(policyText),
      ...[
        'spam_tag_level', 'spam_tag2_level', 'spam_tag3_level', 'spam_kill_level',
        'spam_dsn_cutoff_level', 'spam_quarantine_cutoff_level',
      ].map(level),
      ...['addr_extension_virus', 'addr_extension_spam', 'addr_extension_banned', 'addr_extension_bad_header'].map(policyText),
      ...['warnvirusrecip', 'warnbannedrecip', 'warnbadhrecip'].map(yesNo),
      ...[
        'newvirus_admin', 'virus_admin', 'banned_admin', 'bad_header_admin', 'spam_admin',
        'spam_subject_tag', 'spam_subject_tag2', 'spam_subject_tag3',
      ].map(policyText),
      col('message_size_limit', 'INTEGER DEFAULT NULL'),
      ...['banned_rulenames', 'disclaimer_options', 'forward_method', 'sa_userconf', 'sa_username'].map(policyText),
    ],
    primaryKey: ['id'],
    // iRedMail names each policy after its account, one policy per account.
    indexes: [{ columns: ['policy_name'], unique: true, name: 'policy_idx_policy_name' }],
  },
  {
    name: 'maddr',
    columns: [
      partitionTag(),
      col('id', 'BIGINT UNSIGNED NOT NULL AUTO_INCREMENT', 'SERIAL'),
      col('email', `${binary(255)} NOT NULL`, 'BYTEA NOT NULL'),
      col('email_raw', `${binary(255)} NOT NULL DEFAULT ''`, "VARCHAR(255) NOT NULL DEFAULT ''"),
      col('domain', 'VARCHAR(255) NOT NULL', 'BYTEA NOT NULL'),
    ],
    primaryKey: ['id'],
    clauses: { mysql: ['CONSTRAINT part_email UNIQUE (partition_tag, email)'], postgres: ['CONSTRAINT part_email UNIQUE (partition_tag, email)'] },
    indexes: each('email', 'email_raw', 'domain'),
    // email_raw = the address without its +extension (iRedAdmin searches quarantined mail by it).
    after: {
      mysql: [
        `CREATE TRIGGER maddr_email_raw BEFORE INSERT ON maddr FOR EACH ROW
           SET NEW.email_raw = IF(LOCATE('+', NEW.email) > 0 AND LOCATE('@', NEW.email) > LOCATE('+', NEW.email),
                                  CONCAT(LEFT(NEW.email, LOCATE('+', NEW.email) - 1), SUBSTRING(NEW.email, LOCATE('@', NEW.email))),
                                  NEW.email)`,
      ],
      postgres: [
        `CREATE OR REPLACE FUNCTION maddr_set_email_raw() RETURNS trigger LANGUAGE plpgsql AS $body$
         DECLARE
           address text := convert_from(NEW.email, 'UTF8');
         BEGIN
           NEW.email_raw := regexp_replace(address, '[+][^@]*@', '@');
           RETURN NEW;
         END
         $body$`,
        `CREATE TRIGGER maddr_email_raw BEFORE INSERT ON maddr
           FOR EACH ROW EXECUTE FUNCTION maddr_set_email_raw()`,
      ],
    },
  },
  {
    name: 'msgs',
    columns: [
      partitionTag(),
      col('mail_id', `${binary(16)} NOT NULL`, 'BYTEA NOT NULL'),
      col('secret_id', `${binary(16)} DEFAULT ''`, "BYTEA DEFAULT ''"),
      col('am_id', 'VARCHAR(20) NOT NULL'),
      unsignedInt('time_num'),
      col('time_iso', 'CHAR(16) NOT NULL', 'TIMESTAMP WITH TIME ZONE NOT NULL'),
      col('sid', 'BIGINT UNSIGNED NOT NULL', 'INTEGER NOT NULL CHECK (sid >= 0)'),
      col('policy', "VARCHAR(255) DEFAULT ''"),
      col('client_addr', "VARCHAR(255) DEFAULT ''"),
      unsignedInt('size'),
      col('originating', "CHAR(1) NOT NULL DEFAULT ' '"),
      col('content', 'CHAR(1)'),
      col('quar_type', 'CHAR(1)'),
      col('quar_loc', `${binary(255)} DEFAULT ''`, "VARCHAR(255) DEFAULT ''"),
      col('dsn_sent', 'CHAR(1)'),
      col('spam_level', 'FLOAT', 'REAL'),
      col('message_id', "VARCHAR(255) DEFAULT ''"),
      col('from_addr', `${binary(255)} NOT NULL DEFAULT ''`, "BYTEA DEFAULT ''"),
      col('subject', `${binary(1024)} NOT NULL DEFAULT ''`, "BYTEA DEFAULT ''"),
      col('host', 'VARCHAR(255) NOT NULL'),
    ],
    primaryKey: ['partition_tag', 'mail_id'],
    indexes: [
      ...each('sid', 'message_id', 'time_num', 'time_iso', 'mail_id', 'content', 'quar_type', 'spam_level'),
      only('mysql', index('content', 'time_num')),
    ],
  },
  {
    name: 'msgrcpt',
    columns: [
      partitionTag(),
      col('mail_id', `${binary(16)} NOT NULL`, 'BYTEA NOT NULL'),
      col('rseqnum', 'INTEGER NOT NULL DEFAULT 0'),
      col('rid', 'BIGINT UNSIGNED NOT NULL', 'INTEGER NOT NULL'),
      col('is_local', "CHAR(1) NOT NULL DEFAULT ' '"),
      col('content', "CHAR(1) NOT NULL DEFAULT ' '"),
      col('ds', 'CHAR(1) NOT NULL'),
      col('rs', 'CHAR(1) NOT NULL'),
      col('bl', "CHAR(1) DEFAULT ' '"),
      col('wl', "CHAR(1) DEFAULT ' '"),
      col('bspam_level', 'FLOAT', 'REAL'),
      col('smtp_resp', "VARCHAR(255) DEFAULT ''"),
    ],
    primaryKey: ['partition_tag', 'mail_id', 'rseqnum'],
    indexes: each('mail_id', 'rid'),
  },
  {
    name: 'quarantine',
    columns: [
      partitionTag(),
      col('mail_id', `${binary(16)} NOT NULL`, 'BYTEA NOT NULL'),
      unsignedInt('chunk_ind'),
      col('mail_text', 'BLOB NOT NULL', 'BYTEA NOT NULL'),
    ],
    primaryKey: ['partition_tag', 'mail_id', 'chunk_ind'],
    indexes: [only('mysql', index('mail_id'))],
  },
];

// ---------------------------------------------------------------------------------------
// iredapd

/** Greylisting account/sender: VARCHAR(100) on MySQL, VARCHAR(255) on PG. */
const greyKey = (name: string): ColumnSpec =>
  col(name, "VARCHAR(100) NOT NULL DEFAULT ''", "VARCHAR(255) NOT NULL DEFAULT ''");

const greyWhitelist = (name: string): TableSpec => ({
  name,
  columns: [serial(), greyKey('account'), greyKey('sender'), str('comment')],
  primaryKey: ['id'],
  indexes: [unique('account', 'sender'), index('comment')],
});

const SESSION_TEXT: Array<[string, number]> = [
  ['instance', 40], ['client_address', 40], ['client_name', 255], ['reverse_client_name', 255],
  ['helo_name', 255], ['sender', 255], ['sender_domain', 255], ['sasl_username', 255], ['sasl_domain', 255],
  ['recipient', 255], ['recipient_domain', 255], ['encryption_protocol', 20], ['encryption_cipher', 50],
  ['server_address', 40], ['server_port', 10],
];

const IREDAPD: TableSpec[] = [
  {
    name: 'throttle',
    columns: [
      serial(), required('account'), str('kind', 10, 'outbound'),
      col('priority', 'TINYINT(1) UNSIGNED NOT NULL DEFAULT 0', 'BIGINT NOT NULL DEFAULT 0'),
      epoch('period'),
      ...['msg_size', 'max_msgs', 'max_quota', 'max_rcpts'].map((name) =>
        col(name, 'BIGINT(20) NOT NULL DEFAULT -1', 'BIGINT NOT NULL DEFAULT -1')),
    ],
    primaryKey: ['id'],
    // MySQL keys (account, kind) uniquely; PG only indexes account, so no ON CONFLICT there.
    indexes: [
      only('mysql', { columns: ['account', 'kind'], unique: true, name: 'account_kind' }),
      only('postgres', index('account')),
    ],
  },
  {
    name: 'throttle_tracking',
    columns: [
      serial(),
      col('tid', 'BIGINT(20) UNSIGNED NOT NULL DEFAULT 0', 'BIGINT'),
      str('account'),
      epoch('period'),
      col('cur_msgs', 'MEDIUMINT(8) UNSIGNED NOT NULL DEFAULT 0', 'BIGINT NOT NULL DEFAULT 0'),
      epoch('cur_quota'), epoch('init_time'), epoch('last_time'), epoch('last_notify_time'),
    ],
    primaryKey: ['id'],
    // No ON DELETE rule in iRedAPD: tracking rows must go before their throttle row.
    clauses: {
      mysql: ['FOREIGN KEY (tid) REFERENCES throttle (id)'],
      postgres: ['FOREIGN KEY (tid) REFERENCES throttle (id)'],
    },
    indexes: [
      only('mysql', { columns: ['tid', 'account'], unique: true, name: 'tid_account' }),
      only('postgres', index('tid', 'account')),
    ],
  },
  {
    name: 'greylisting',
    columns: [
      serial(), greyKey('account'),
      col('priority', 'TINYINT(2) NOT NULL DEFAULT 0', 'SMALLINT NOT NULL DEFAULT 0'),
      greyKey('sender'),
      col('sender_priority', 'TINYINT(2) NOT NULL DEFAULT 0', 'SMALLINT NOT NULL DEFAULT 0'),
      str('comment'),
      col('active', 'TINYINT(1) NOT NULL DEFAULT 1', 'SMALLINT NOT NULL DEFAULT 1'),
    ],
    primaryKey: ['id'],
    indexes: [unique('account', 'sender'), index('comment')],
  },
  greyWhitelist('greylisting_whitelists'),
  {
    name: 'greylisting_whitelist_domains',
    columns: [serial(), str('domain')],
    primaryKey: ['id'],
    indexes: [unique('domain')],
  },
  greyWhitelist('greylisting_whitelist_domain_spf'),
  {
    name: 'greylisting_tracking',
    columns: [
      serial(), required('sender'), required('recipient'), required('client_address', 40),
      str('sender_domain'), str('rcpt_domain'),
      epoch('init_time'), epoch('block_expired'), epoch('record_expired'),
      col('blocked_count', 'BIGINT(20) NOT NULL DEFAULT 0', 'BIGINT NOT NULL DEFAULT 0'),
      col('passed', 'TINYINT(1) NOT NULL DEFAULT 0', 'SMALLINT NOT NULL DEFAULT 0'),
    ],
    primaryKey: ['id'],
    indexes: [
      unique('sender', 'recipient', 'client_address'),
      index('sender_domain'), index('rcpt_domain'), index('client_address', 'passed'),
    ],
  },
  {
    name: 'wblist_rdns',
    columns: [serial(), str('rdns'), str('wb', 10, 'B')],
    primaryKey: ['id'],
    indexes: [unique('rdns'), index('wb')],
  },
  {
    name: 'srs_exclude_domains',
    columns: [serial(), str('domain')],
    primaryKey: ['id'],
    indexes: [unique('domain')],
  },
  {
    name: 'senderscore_cache',
    columns: [
      str('client_address', 40),
      col('score', 'INT(3) UNSIGNED DEFAULT 0', 'INT DEFAULT 0'),
      epoch('time'),
    ],
    primaryKey: ['client_address'],
    indexes: each('score', 'time'),
  },
  {
    name: 'smtp_sessions',
    columns: [
      serial(), loggedAt('time'), epoch('time_num'), str('action', 20),
      col('reason', "VARCHAR(150) NOT NULL DEFAULT ''", "VARCHAR(255) NOT NULL DEFAULT ''"),
      ...SESSION_TEXT.map(([name, length]) => str(name, length)),
    ],
    primaryKey: ['id'],
    indexes: each('time', 'time_num', 'action', 'reason', ...SESSION_TEXT.map(([name]) => name)),
  },
];

// ---------------------------------------------------------------------------------------
// iredadmin

const IREDADMIN: TableSpec[] = [
  {
    // web.py sessions: unused by a stateless API, kept so iRedAdmin itself still runs.
    name: 'sessions',
    columns: [col('session_id', 'CHAR(128) NOT NULL UNIQUE'), loggedAt('atime'), col('data', 'TEXT')],
  },
  {
    name: 'log',
    columns: [
      serial(), loggedAt('timestamp'), required('admin'), required('ip', 40), str('domain'), str('username'),
      str('event', 20), str('loglevel', 10, 'info'), col('msg', 'TEXT'),
    ],
    primaryKey: ['id'],
    indexes: [...each('timestamp', 'ip', 'domain', 'username', 'event', 'loglevel'), only('mysql', index('admin'))],
  },
  {
    name: 'updatelog',
    // MySQL adds an id; PG keys on the date itself.
    columns: [col('id', 'BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT', null), col('date', 'DATE NOT NULL')],
    primaryKey: { mysql: ['id'], postgres: ['date'] },
    indexes: [only('mysql', index('date'))],
  },
  {
    // LDAP backends record removed maildirs here (SQL backends use vmail.deleted_mailboxes);
    // iRedAdmin's PG file has no such table.
    name: 'deleted_mailboxes',
    columns: [
      serial(), loggedAt('timestamp'), str('username'), str('domain'), str('maildir'), str('admin'),
      col('delete_date', 'DATE DEFAULT NULL'),
    ],
    primaryKey: ['id'],
    indexes: each('timestamp', 'username', 'domain', 'admin', 'delete_date'),
  },
  {
    name: 'tracking',
    columns: [serial(), required('k'), col('v', 'TEXT'), loggedAt('time')],
    primaryKey: ['id'],
    indexes: [unique('k')],
  },
  {
    name: 'domain_ownership',
    columns: [
      serial(), str('admin'), str('domain'), str('alias_domain'), str('verify_code', 100), flag('verified', 0),
      col('message', 'TEXT'), col('last_verify', 'TIMESTAMP NULL DEFAULT NULL'),
      col('expire', 'INT UNSIGNED DEFAULT 0', 'INT DEFAULT 0'),
    ],
    primaryKey: ['id'],
    indexes: [unique('admin', 'domain', 'alias_domain'), index('verified')],
  },
  {
    name: 'newsletter_subunsub_confirms',
    columns: [
      serial(), str('mail'), str('mlid'), str('subscriber'), str('kind', 20), str('token'),
      col('expired', 'INT UNSIGNED DEFAULT 0', 'INT DEFAULT 0'),
    ],
    primaryKey: ['id'],
    indexes: [unique('mlid', 'subscriber', 'kind'), ...each('mail', 'token', 'expired')],
  },
  {
    name: 'settings',
    columns: [serial(), str('account', 255, 'global'), required('k'), col('v', 'TEXT')],
    primaryKey: ['id'],
    indexes: [unique('account', 'k')],
  },
  // Project tables.
  {
    // Brute-force throttling shared by all Lambda containers; times are epoch seconds.
    name: 'login_failures',
    columns: [
      required('key'),
      col('failures', 'INT NOT NULL DEFAULT 0', 'INTEGER NOT NULL DEFAULT 0'),
      col('first_failure', 'BIGINT NOT NULL DEFAULT 0'),
      col('locked_until', 'BIGINT NOT NULL DEFAULT 0'),
    ],
    primaryKey: ['key'],
    indexes: [index('locked_until')],
  },
  {
    // Only a hash of each secret is kept; `domains` / `allowed_ips` are comma-separated lists.
    name: 'api_keys',
    columns: [
      required('id', 36), str('name'), required('secret_hash', 128), str('created_by'),
      col('domains', 'TEXT NOT NULL'), str('access', 2, 'ro'), col('allowed_ips', 'TEXT NOT NULL'),
      col('expires_at', 'BIGINT DEFAULT NULL'),
      col('revoked', 'TINYINT(1) NOT NULL DEFAULT 0', 'INT2 NOT NULL DEFAULT 0'),
      col('created_at', 'BIGINT NOT NULL DEFAULT 0'),
      col('last_used_at', 'BIGINT DEFAULT NULL'),
    ],
    primaryKey: ['id'],
    indexes: [unique('secret_hash'), index('created_by')],
  },
  {
    // Amavisd/iRedAPD work owed after an account change (lib/services/policy-followups.ts):
    // written before the account transaction, deleted once the policy rows have followed.
    name: 'policy_followups',
    columns: [serial(), str('kind', 20), col('payload', 'TEXT NOT NULL'), col('created_at', 'BIGINT NOT NULL DEFAULT 0')],
    primaryKey: ['id'],
    indexes: [index('created_at')],
  },
];

const TABLES: Record<DatabaseName, TableSpec[]> = {
  vmail: VMAIL,
  amavisd: AMAVISD,
  iredapd: IREDAPD,
  // The MySQL-only LDAP table is left out of the PG set, as iRedAdmin's own PG file does.
  iredadmin: IREDADMIN,
};

const ENGINE_ONLY_TABLES: Record<string, Engine> = { 'iredadmin.deleted_mailboxes': 'mysql' };

// ---------------------------------------------------------------------------------------
// DDL generation

const quote = (engine: Engine, name: string): string => (engine === 'mysql' ? `\`${name}\`` : `"${name}"`);

function primaryKeyOf(table: TableSpec, engine: Engine): string[] | null {
  const key = table.primaryKey;
  if (!key) return null;
  return Array.isArray(key) ? key : key[engine];
}

function indexName(table: TableSpec, spec: IndexSpec, engine: Engine): string {
  if (spec.name) return spec.name;
  // MySQL index names are per table; PG index names are per schema, and embedded mode keeps
  // every table in one schema, so PG names carry the table name.
  const columns = spec.columns.map((name) => name.replace(/[^a-z0-9_]/gi, '_')).join('_');
  return engine === 'mysql' ? columns : `idx_${table.name}_${columns}`;
}

/** The statements that create one table (with its indexes and triggers) on one engine. */
export function tableStatements(table: TableSpec, engine: Engine): string[] {
  const q = (name: string) => quote(engine, name);
  const lines = table.columns
    .filter((column) => column[engine] !== null)
    .map((column) => `  ${q(column.name)} ${column[engine]}`);
  const key = primaryKeyOf(table, engine);
  if (key) lines.push(`  PRIMARY KEY (${key.map(q).join(', ')})`);
  lines.push(...(table.clauses?.[engine] ?? []).map((clause) => `  ${clause}`));
  const indexes = (table.indexes ?? []).filter((spec) => !spec.only || spec.only === engine);
  const statements: string[] = [];
  if (engine === 'mysql') {
    for (const spec of indexes) {
      lines.push(`  ${spec.unique ? 'UNIQUE KEY' : 'KEY'} ${q(indexName(table, spec, engine))} (${spec.columns.map(q).join(', ')})`);
    }
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${q(table.name)} (\n${lines.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
    );
  } else {
    statements.push(`CREATE TABLE IF NOT EXISTS ${q(table.name)} (\n${lines.join(',\n')}\n)`);
    for (const spec of indexes) {
      statements.push(
        `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(indexName(table, spec, engine))} ON ${q(table.name)} (${spec.columns.map(q).join(', ')})`,
      );
    }
  }
  statements.push(...(table.after?.[engine] ?? []));
  return statements;
}

/** The tables of one database on one engine, in creation order (referenced tables first). */
export function tablesOf(engine: Engine, database: DatabaseName): TableSpec[] {
  return TABLES[database].filter((table) => {
    const onlyOn = ENGINE_ONLY_TABLES[`${database}.${table.name}`];
    return !onlyOn || onlyOn === engine;
  });
}

/** Every statement ensureSchema would run on an empty database (handy for review and docs). */
export function schemaStatements(engine: Engine, database: DatabaseName): string[] {
  return tablesOf(engine, database).flatMap((table) => tableStatements(table, engine));
}

async function existingTables(db: Kysely<any>, engine: Engine): Promise<Set<string>> {
  const schema = engine === 'mysql' ? sql`database()` : sql`current_schema()`;
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
  return new Set(rows.map((row) => row.name));
}

/**
 * Creates whatever tables of `database` are missing; idempotent. A table that already exists
 * (ours, or the genuine iRedMail one) is left exactly as it is — no index or trigger is added to
 * it — so this is safe on an installed iRedMail server and needs no DDL privilege when nothing
 * is missing. On PostgreSQL all missing tables are created in one transaction (DDL is
 * transactional there; one commit is also much faster on PGlite). On MySQL, where DDL commits
 * at once, each table is created whole or dropped again if its trigger cannot be created.
 */
export async function ensureSchema(db: Kysely<any>, engine: Engine, database: DatabaseName): Promise<void> {
  const present = await existingTables(db, engine);
  const missing = tablesOf(engine, database).filter((table) => !present.has(table.name));
  if (missing.length === 0) return;
  if (engine === 'postgres') {
    await db.transaction().execute(async (trx) => {
      for (const table of missing) {
        for (const statement of tableStatements(table, engine)) await sql.raw(statement).execute(trx);
      }
    });
    return;
  }
  for (const table of missing) {
    const [create, ...rest] = tableStatements(table, engine);
    await sql.raw(create!).execute(db);
    try {
      for (const statement of rest) await sql.raw(statement).execute(db);
    } catch (error) {
      await sql.raw(`DROP TABLE IF EXISTS ${quote(engine, table.name)}`).execute(db).catch(() => undefined);
      throw error;
    }
  }
}
