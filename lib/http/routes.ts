/**
 * The route table: one row per method and path, naming the Lambda family that serves it,
 * the operation inside that family, and who may call it. serverless.yml, the local
 * server, the access checks, the OpenAPI document and the generated test sweeps all read
 * this table, so a route exists in one place only.
 */
export type Family =
  | 'login'
  | 'domains'
  | 'domain'
  | 'admin'
  | 'alias'
  | 'aliases'
  | 'spampolicy'
  | 'throttle'
  | 'greylisting'
  | 'user'
  | 'users'
  | 'maillist'
  | 'ldif'
  | 'verify-password'
  | 'apikey'
  | 'log'
  | 'meta';

/** Who may call a route; `target` names the route capture that holds the domain or address. */
export type Access =
  | { kind: 'public' }
  | { kind: 'anyAdmin' }
  | { kind: 'globalAdmin' }
  | { kind: 'domainAdmin'; target: string };

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  method: Method;
  /** Path below /api; `:name` segments are captures, validated by their name (see match.ts). */
  pattern: string;
  family: Family;
  operation: string;
  access: Access;
  summary: string;
}

const PUBLIC: Access = { kind: 'public' };
const ANY_ADMIN: Access = { kind: 'anyAdmin' };
const GLOBAL: Access = { kind: 'globalAdmin' };
const domainAdminOf = (target: string): Access => ({ kind: 'domainAdmin', target });

export const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: '/login', family: 'login', operation: 'login', access: PUBLIC, summary: 'Log in with an admin address and password' },

  { method: 'GET', pattern: '/domains', family: 'domains', operation: 'list', access: ANY_ADMIN, summary: 'List managed domains' },

  { method: 'GET', pattern: '/domain/admins/:domain', family: 'domain', operation: 'getAdmins', access: domainAdminOf('domain'), summary: 'List the admins of a domain' },
  { method: 'PUT', pattern: '/domain/admins/:domain', family: 'domain', operation: 'updateAdmins', access: domainAdminOf('domain'), summary: 'Add or remove admins of a domain' },
  { method: 'GET', pattern: '/domain/:domain', family: 'domain', operation: 'get', access: domainAdminOf('domain'), summary: 'Get a domain profile' },
  { method: 'POST', pattern: '/domain/:domain', family: 'domain', operation: 'create', access: GLOBAL, summary: 'Create a domain' },
  { method: 'PUT', pattern: '/domain/:domain', family: 'domain', operation: 'update', access: domainAdminOf('domain'), summary: 'Update a domain profile' },
  { method: 'DELETE', pattern: '/domain/:domain', family: 'domain', operation: 'delete', access: domainAdminOf('domain'), summary: 'Delete a domain, keeping its mailboxes forever' },
  { method: 'DELETE', pattern: '/domain/:domain/keep_mailbox_days/:days', family: 'domain', operation: 'delete', access: domainAdminOf('domain'), summary: 'Delete a domain, keeping its mailboxes for the given days' },

  { method: 'GET', pattern: '/spampolicy/global', family: 'spampolicy', operation: 'get', access: GLOBAL, summary: 'Get the global spam policy' },
  { method: 'PUT', pattern: '/spampolicy/global', family: 'spampolicy', operation: 'update', access: GLOBAL, summary: 'Set the global spam policy' },
  { method: 'DELETE', pattern: '/spampolicy/global', family: 'spampolicy', operation: 'delete', access: GLOBAL, summary: 'Delete the global spam policy' },
  { method: 'GET', pattern: '/spampolicy/domain/:domain', family: 'spampolicy', operation: 'get', access: domainAdminOf('domain'), summary: 'Get the spam policy of a domain' },
  { method: 'PUT', pattern: '/spampolicy/domain/:domain', family: 'spampolicy', operation: 'update', access: domainAdminOf('domain'), summary: 'Set the spam policy of a domain' },
  { method: 'DELETE', pattern: '/spampolicy/domain/:domain', family: 'spampolicy', operation: 'delete', access: domainAdminOf('domain'), summary: 'Delete the spam policy of a domain' },
  { method: 'GET', pattern: '/spampolicy/user/:mail', family: 'spampolicy', operation: 'get', access: domainAdminOf('mail'), summary: 'Get the spam policy of a user' },
  { method: 'PUT', pattern: '/spampolicy/user/:mail', family: 'spampolicy', operation: 'update', access: domainAdminOf('mail'), summary: 'Set the spam policy of a user' },
  { method: 'DELETE', pattern: '/spampolicy/user/:mail', family: 'spampolicy', operation: 'delete', access: domainAdminOf('mail'), summary: 'Delete the spam policy of a user' },

  { method: 'GET', pattern: '/throttle/:account/:direction', family: 'throttle', operation: 'get', access: domainAdminOf('account'), summary: 'Get the inbound or outbound throttle setting of global, a domain or a user' },
  { method: 'POST', pattern: '/throttle/:account/:direction', family: 'throttle', operation: 'set', access: domainAdminOf('account'), summary: 'Set (period=0: delete) the inbound or outbound throttle setting of global, a domain or a user' },

  { method: 'GET', pattern: '/greylisting/all', family: 'greylisting', operation: 'all', access: GLOBAL, summary: 'List every greylisting setting' },
  { method: 'GET', pattern: '/greylisting/whitelist_spf_domains', family: 'greylisting', operation: 'getSpfDomains', access: GLOBAL, summary: 'List the sender domains whose SPF/MX hosts are whitelisted' },
  { method: 'POST', pattern: '/greylisting/whitelist_spf_domains', family: 'greylisting', operation: 'updateSpfDomains', access: GLOBAL, summary: 'Reset, add or remove sender domains whose SPF/MX hosts are whitelisted' },
  { method: 'GET', pattern: '/greylisting/:account', family: 'greylisting', operation: 'getStatus', access: domainAdminOf('account'), summary: 'Get the greylisting setting of global, a domain or a user' },
  { method: 'POST', pattern: '/greylisting/:account', family: 'greylisting', operation: 'setStatus', access: domainAdminOf('account'), summary: 'Enable or disable greylisting for global, a domain or a user' },
  { method: 'DELETE', pattern: '/greylisting/:account', family: 'greylisting', operation: 'deleteStatus', access: domainAdminOf('account'), summary: 'Delete the greylisting setting of global, a domain or a user (inherit)' },
  { method: 'GET', pattern: '/greylisting/:account/whitelists', family: 'greylisting', operation: 'getWhitelists', access: domainAdminOf('account'), summary: 'List whitelisted senders of global, a domain or a user' },
  { method: 'POST', pattern: '/greylisting/:account/whitelists', family: 'greylisting', operation: 'updateWhitelists', access: domainAdminOf('account'), summary: 'Reset, add or remove whitelisted senders of global, a domain or a user' },

  { method: 'GET', pattern: '/admin/:mail', family: 'admin', operation: 'get', access: GLOBAL, summary: 'Get the profile of a standalone admin' },
  { method: 'POST', pattern: '/admin/:mail', family: 'admin', operation: 'create', access: GLOBAL, summary: 'Create a standalone admin' },
  { method: 'PUT', pattern: '/admin/:mail', family: 'admin', operation: 'update', access: GLOBAL, summary: 'Update the profile of a standalone admin' },
  { method: 'DELETE', pattern: '/admin/:mail', family: 'admin', operation: 'delete', access: GLOBAL, summary: 'Delete a standalone admin' },

  { method: 'GET', pattern: '/alias/:mail', family: 'alias', operation: 'get', access: domainAdminOf('mail'), summary: 'Get the profile of a mail alias' },
  { method: 'POST', pattern: '/alias/:mail', family: 'alias', operation: 'create', access: domainAdminOf('mail'), summary: 'Create a mail alias' },
  { method: 'PUT', pattern: '/alias/:mail', family: 'alias', operation: 'update', access: domainAdminOf('mail'), summary: 'Update the profile and members of a mail alias' },
  { method: 'DELETE', pattern: '/alias/:mail', family: 'alias', operation: 'delete', access: domainAdminOf('mail'), summary: 'Delete a mail alias' },
  { method: 'POST', pattern: '/alias/:mail/change_email/:new_mail', family: 'alias', operation: 'changeEmail', access: domainAdminOf('mail'), summary: 'Change the address of a mail alias (same domain)' },
  { method: 'GET', pattern: '/aliases/:domain', family: 'aliases', operation: 'list', access: domainAdminOf('domain'), summary: 'List the mail aliases of a domain' },

  { method: 'GET', pattern: '/user/:mail', family: 'user', operation: 'get', access: domainAdminOf('mail'), summary: 'Get the profile of a mail user' },
  { method: 'POST', pattern: '/user/:mail', family: 'user', operation: 'create', access: domainAdminOf('mail'), summary: 'Create a mail user' },
  { method: 'PUT', pattern: '/user/:mail', family: 'user', operation: 'update', access: domainAdminOf('mail'), summary: 'Update the profile of a mail user' },
  { method: 'DELETE', pattern: '/user/:mail', family: 'user', operation: 'delete', access: domainAdminOf('mail'), summary: 'Delete a mail user, keeping its mailbox forever' },
  { method: 'DELETE', pattern: '/user/:mail/keep_mailbox_days/:days', family: 'user', operation: 'delete', access: domainAdminOf('mail'), summary: 'Delete a mail user, keeping its mailbox for the given days' },
  { method: 'POST', pattern: '/user/:mail/change_email/:new_mail', family: 'user', operation: 'changeEmail', access: domainAdminOf('mail'), summary: 'Change the address of a mail user (same domain)' },
  { method: 'GET', pattern: '/users/:domain', family: 'users', operation: 'list', access: domainAdminOf('domain'), summary: 'List the mail users of a domain' },
  { method: 'PUT', pattern: '/users/:domain', family: 'users', operation: 'updateAll', access: domainAdminOf('domain'), summary: 'Update every mail user of a domain' },
  { method: 'POST', pattern: '/verify_password/user/:mail', family: 'verify-password', operation: 'user', access: GLOBAL, summary: "Verify a password against a mail user's stored hash" },
  { method: 'POST', pattern: '/verify_password/admin/:mail', family: 'verify-password', operation: 'admin', access: GLOBAL, summary: "Verify a password against a standalone admin's stored hash" },

  { method: 'GET', pattern: '/maillist/:mail', family: 'maillist', operation: 'get', access: domainAdminOf('mail'), summary: 'Get the profile and members of a mailing list (LDAP only)' },
  { method: 'POST', pattern: '/maillist/:mail', family: 'maillist', operation: 'create', access: domainAdminOf('mail'), summary: 'Create a mailing list (LDAP only)' },
  { method: 'PUT', pattern: '/maillist/:mail', family: 'maillist', operation: 'update', access: domainAdminOf('mail'), summary: 'Update the profile and members of a mailing list (LDAP only)' },
  { method: 'DELETE', pattern: '/maillist/:mail', family: 'maillist', operation: 'delete', access: domainAdminOf('mail'), summary: 'Delete a mailing list (LDAP only)' },

  { method: 'GET', pattern: '/ldif/domain/:domain', family: 'ldif', operation: 'domain', access: domainAdminOf('domain'), summary: 'Export a domain and every account in it as LDIF (LDAP only)' },
  { method: 'GET', pattern: '/ldif/catchall/:domain', family: 'ldif', operation: 'catchall', access: domainAdminOf('domain'), summary: 'Export the catch-all account of a domain as LDIF (LDAP only)' },
  { method: 'GET', pattern: '/ldif/admin/:mail', family: 'ldif', operation: 'admin', access: GLOBAL, summary: 'Export a standalone admin as LDIF (LDAP only)' },
  { method: 'GET', pattern: '/ldif/user/:mail', family: 'ldif', operation: 'user', access: domainAdminOf('mail'), summary: 'Export a mail user as LDIF (LDAP only)' },
  { method: 'GET', pattern: '/ldif/maillist/:mail', family: 'ldif', operation: 'maillist', access: domainAdminOf('mail'), summary: 'Export a mailing list and its external members as LDIF (LDAP only)' },
  { method: 'GET', pattern: '/ldif/alias/:mail', family: 'ldif', operation: 'alias', access: domainAdminOf('mail'), summary: 'Export a mail alias as LDIF (LDAP only)' },

  { method: 'POST', pattern: '/apikey', family: 'apikey', operation: 'create', access: ANY_ADMIN, summary: 'Create an API key (the secret is shown once); normal admins only for domains they manage' },
  { method: 'GET', pattern: '/apikeys', family: 'apikey', operation: 'list', access: ANY_ADMIN, summary: 'List API keys (global admins: all; others: their own), never their secrets' },
  { method: 'DELETE', pattern: '/apikey/:id', family: 'apikey', operation: 'revoke', access: ANY_ADMIN, summary: 'Revoke an API key (global admins: any; others: their own)' },

  { method: 'GET', pattern: '/health', family: 'meta', operation: 'health', access: PUBLIC, summary: 'Check that storage is reachable' },
  { method: 'GET', pattern: '/openapi.json', family: 'meta', operation: 'openapi', access: PUBLIC, summary: 'The OpenAPI 3.1 description of this API (generated from the route table and parameter schemas)' },
  { method: 'GET', pattern: '/docs', family: 'meta', operation: 'docs', access: PUBLIC, summary: 'Human-readable API documentation (an HTML page rendered from the OpenAPI document)' },

  { method: 'GET', pattern: '/log', family: 'log', operation: 'list', access: ANY_ADMIN, summary: 'Read the admin log (iredadmin.log), newest first: global admins every row, other admins the rows of their domains' },
];

export const FAMILIES: readonly Family[] = [...new Set(ROUTES.map((route) => route.family))];
