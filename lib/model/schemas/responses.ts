import { Type, type TSchema } from '@sinclair/typebox';

/**
 * What a successful reply carries, per route key (`METHOD /pattern`, as in routes.ts).
 * Build time and docs only (the OpenAPI document, scripts/build-openapi.ts): nothing here
 * is bundled into a Lambda. A route without an entry is documented with a generic `_data`
 * object until its author adds one here.
 */
export interface ResponseSpec {
  /** Schema of `_data` in a successful envelope; `null`: the success reply has no `_data`. */
  data?: TSchema | null;
  /** Other top-level keys of a successful envelope, e.g. `_total` of paged lists. */
  extra?: Record<string, TSchema>;
  /** The reply is not the envelope: sent as-is with this media type. */
  raw?: { mediaType: string; schema?: TSchema; description: string };
  /** `_msg` codes the operation itself answers, beyond those of its parameters, its captures and its access rule. */
  codes?: string[];
}

// ---------------------------------------------------------------------------------------
// Building blocks

/** Timestamps in replies: ISO 8601 without a zone (UTC), as iRedAdmin-Pro's export_sql_record writes them. */
const timestamp = (description: string) => Type.String({ description, examples: ['2024-05-01T10:20:30'] });

const settings = Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer(), Type.Array(Type.String())]), {
  description: 'The `settings` column decoded: quota and length keys as integers, service/profile keys as lists of strings, everything else as strings.',
  examples: [{ default_user_quota: 1024, enabled_services: ['mail', 'smtp'], timezone: 'Europe/Berlin' }],
});

const flag01 = (description: string) => Type.Integer({ description, enum: [0, 1] });

/** The raw `vmail.domain` row (pro-api-behaviour §1.7). */
const domainRow = {
  domain: Type.String({ description: 'Domain name, lower case.', examples: ['example.com'] }),
  description: Type.String({ description: 'Short description (the `name` parameter).' }),
  disclaimer: Type.String(),
  aliases: Type.Integer({ description: 'Limit of mail aliases: 0 unlimited, -1 none allowed (not a count).' }),
  mailboxes: Type.Integer({ description: 'Limit of mail users: 0 unlimited, -1 none allowed (not a count).' }),
  maillists: Type.Integer({ description: 'Limit of mailing lists: 0 unlimited, -1 none allowed (not a count).' }),
  maxquota: Type.Integer({ description: 'Largest quota of one user, in MB (0 = unlimited).' }),
  quota: Type.Integer({ description: 'Domain quota in MB (0 = unlimited).' }),
  transport: Type.String({ examples: ['dovecot'] }),
  backupmx: flag01('1 when the domain is a backup MX.'),
  settings,
  created: timestamp('Creation time (UTC).'),
  modified: timestamp('Last change (UTC).'),
  expired: timestamp('Expiry; 9999-12-31T00:00:00 when none.'),
  active: flag01('1 enabled, 0 disabled.'),
};

const DomainRow = Type.Object(domainRow, { additionalProperties: true, description: 'A `vmail.domain` row with all its columns.' });

const DomainProfile = Type.Object(
  {
    ...domainRow,
    sbcc_addr: Type.String({ description: 'Sender BCC address of the domain, "" when unset.' }),
    rbcc_addr: Type.String({ description: 'Recipient BCC address of the domain, "" when unset.' }),
    catchall: Type.Array(Type.String(), { description: 'Catch-all targets, sorted.' }),
    relayhost: Type.String({ description: 'Per-domain relay host, "" when unset.' }),
    alias_domains: Type.Array(Type.String(), { description: 'Alias domains, sorted.' }),
    num_existing_users: Type.Integer({ description: 'Number of mail users.' }),
    allocated_quota: Type.Integer({ description: 'Sum of the users\' quotas in MB (allocated, not used).' }),
  },
  { additionalProperties: true, description: 'GET /api/domain/<domain>: the domain row plus its related settings.' },
);

const total = Type.Integer({ description: 'Number of items matching the filters before paging.' });

const LogRow = Type.Object(
  {
    id: Type.Integer(),
    timestamp: timestamp('When the action happened (UTC).'),
    admin: Type.String({ description: 'Who acted: an admin address, `apikey:<id>`, or a cron job name.' }),
    ip: Type.String({ description: 'Client address.' }),
    domain: Type.String({ description: 'Domain concerned, "" when none.' }),
    username: Type.String({ description: 'Account concerned, "" when none.' }),
    event: Type.String({ description: 'iRedAdmin event: login, create, delete, update, grant, revoke, active, disable, …', examples: ['create'] }),
    loglevel: Type.String({ description: '`info` or `error`.' }),
    msg: Type.String({ description: 'Message; API actions start with `[API] `.', examples: ['[API] New domain: example.com.'] }),
  },
  { additionalProperties: false },
);

const MailingList = Type.Object(
  {
    mail: Type.String({ description: 'List address, lower case.', examples: ['staff@example.com'] }),
    name: Type.String({ description: 'Display name ("" when none).' }),
    accessPolicy: Type.String({ description: 'Who may send to the list.', examples: ['membersonly'] }),
    domain: Type.String(),
    active: flag01('1 enabled, 0 disabled.'),
    members: Type.Array(Type.String(), { description: 'Members (internal and external), sorted.' }),
    created: timestamp('Creation time (UTC).'),
    modified: timestamp('Last change (UTC).'),
    expired: timestamp('Expiry; 9999-12-31T00:00:00 when none.'),
  },
  { additionalProperties: false, description: 'GET /api/maillist/<mail> (LDAP only).' },
);

const LDIF_TEXT = Type.String({
  description: 'The entries as LDIF text (RFC 2849): `version: 1`, then one record per entry, parents first; values that are not safe strings base64-encoded (`::`), lines folded at 76 columns. userPassword only with `with_password=yes` (global admins). Ready for `ldapadd`.',
  examples: ['version: 1\n\ndn: mail=user@example.com,ou=Users,domainName=example.com,o=domains,dc=example,dc=com\nobjectClass: inetOrgPerson\nmail: user@example.com\n'],
});

const LDIF_CODES = ['NOT_SUPPORTED_BY_BACKEND', 'NO_SUCH_ACCOUNT', 'PERMISSION_DENIED'];

// ---------------------------------------------------------------------------------------
// Per route

export const RESPONSE_SCHEMAS: Record<string, ResponseSpec> = {
  'POST /login': {
    data: Type.Object({
      token: Type.String({ description: 'JWT for `Authorization: Bearer`; the same token is set as the `iRedAdmin-Pro-<BACKEND>` cookie.' }),
      expires_at: Type.String({ description: 'Expiry, ISO 8601 UTC.', examples: ['2026-01-31T12:00:00.000Z'] }),
      expires_in: Type.Integer({ description: 'Lifetime in seconds (TOKEN_TTL_SECONDS).', examples: [3600] }),
    }),
    codes: ['INVALID_USERNAME', 'EMPTY_PASSWORD', 'INVALID_CREDENTIALS'],
  },
  'GET /domains': {
    data: Type.Union(
      [
        Type.Record(Type.String(), DomainRow, { description: 'Without `name_only`: an object keyed by domain name, each value the domain row.' }),
        Type.Array(Type.String(), { description: 'With `name_only`: the sorted domain names.' }),
      ],
    ),
    extra: { _total: total },
  },
  'GET /domain/:domain': { data: DomainProfile, codes: ['INVALID_DOMAIN_NAME'] },
  'POST /domain/:domain': { data: null, codes: ['ALREADY_EXISTS'] },
  'PUT /domain/:domain': { data: null, codes: ['ALREADY_EXISTS', 'CONFLICTING_PARAMETERS', 'INVALID_DOMAIN_NAME', 'NO_SUCH_ACCOUNT'] },
  'DELETE /domain/:domain': { data: null },
  'DELETE /domain/:domain/keep_mailbox_days/:days': { data: null },
  'GET /domain/admins/:domain': { data: Type.Array(Type.String(), { description: 'Admin addresses of the domain.' }), codes: ['INVALID_DOMAIN_NAME'] },
  'PUT /domain/admins/:domain': { data: null, codes: ['INVALID_DOMAIN_NAME', 'NO_SUCH_ACCOUNT'] },
  'GET /health': {
    data: Type.Object({
      backend: Type.String({ enum: ['embedded', 'mysql', 'pgsql', 'ldap'] }),
      checks: Type.Record(Type.String(), Type.String({ enum: ['ok', 'unreachable'] }), { description: 'One entry per storage: accounts, policy, iredadmin.', examples: [{ accounts: 'ok', policy: 'ok', iredadmin: 'ok' }] }),
    }),
    codes: ['STORAGE_UNAVAILABLE'],
  },
  'GET /openapi.json': { raw: { mediaType: 'application/json', description: 'This document (OpenAPI 3.1).' } },
  'GET /docs': { raw: { mediaType: 'text/html', description: 'A self-contained HTML page rendered from this document.' } },
  'GET /maillist/:mail': { data: MailingList, codes: ['NOT_SUPPORTED_BY_BACKEND', 'NO_SUCH_ACCOUNT'] },
  'POST /maillist/:mail': { data: null, codes: ['NOT_SUPPORTED_BY_BACKEND', 'INVALID_DOMAIN_NAME', 'ALREADY_EXISTS', 'NOT_ALLOWED', 'EXCEEDED_DOMAIN_ACCOUNT_LIMIT', 'NO_SUCH_ACCOUNT'] },
  'PUT /maillist/:mail': { data: null, codes: ['NOT_SUPPORTED_BY_BACKEND', 'NO_SUCH_ACCOUNT', 'CONFLICTING_PARAMETERS'] },
  'DELETE /maillist/:mail': { data: null, codes: ['NOT_SUPPORTED_BY_BACKEND'] },
  'GET /ldif/domain/:domain': { data: LDIF_TEXT, codes: [...LDIF_CODES, 'INVALID_DOMAIN_NAME'] },
  'GET /ldif/catchall/:domain': { data: LDIF_TEXT, codes: [...LDIF_CODES, 'INVALID_DOMAIN_NAME'] },
  'GET /ldif/admin/:mail': { data: LDIF_TEXT, codes: LDIF_CODES },
  'GET /ldif/user/:mail': { data: LDIF_TEXT, codes: LDIF_CODES },
  'GET /ldif/maillist/:mail': { data: LDIF_TEXT, codes: LDIF_CODES },
  'GET /ldif/alias/:mail': { data: LDIF_TEXT, codes: LDIF_CODES },
  'GET /log': {
    data: Type.Array(LogRow, { description: 'Admin log rows, newest first.' }),
    extra: { _total: total },
  },
};
