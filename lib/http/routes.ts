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

  { method: 'GET', pattern: '/health', family: 'meta', operation: 'health', access: PUBLIC, summary: 'Check that storage is reachable' },
];

export const FAMILIES: readonly Family[] = [...new Set(ROUTES.map((route) => route.family))];
