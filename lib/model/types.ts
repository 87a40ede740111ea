import type { Settings } from '#lib/model/settings-codec';

/**
 * The account model every backend reads and writes. Its shape is the SQL one (the
 * `vmail` rows of iRedMail), because GET replies are those rows (pro-api-behaviour §1.7);
 * the LDAP backend maps its entries onto it.
 */
export interface Domain {
  domain: string;
  description: string;
  disclaimer: string;
  /** Limits, not counts: 0 unlimited, -1 none allowed. */
  aliases: number;
  mailboxes: number;
  maillists: number;
  /** Domain quota in MB, 0 unlimited. */
  maxquota: number;
  quota: number;
  transport: string;
  backupmx: number;
  settings: Settings;
  created: string;
  modified: string;
  expired: string;
  active: number;
}

/** What the domain profile adds to the row (GET /api/domain/<d>). */
export interface DomainExtras {
  sbcc_addr: string;
  rbcc_addr: string;
  catchall: string[];
  relayhost: string;
  alias_domains: string[];
  num_existing_users: number;
  /** Sum of the users' quotas in MB (allocated, not used). */
  allocated_quota: number;
}

export interface NewDomain {
  domain: string;
  description: string;
  transport: string;
  maxquota: number;
  mailboxes: number;
  aliases: number;
  maillists: number;
  settings: Settings;
}

export type DomainChanges = Partial<Pick<Domain, 'description' | 'transport' | 'maxquota' | 'mailboxes' | 'aliases' | 'maillists' | 'backupmx' | 'active' | 'settings' | 'disclaimer'>>;

/** Who is calling: a standalone admin (vmail.admin) or a mail user with admin rights. */
export interface AdminIdentity {
  username: string;
  kind: 'admin' | 'mailuser';
  passwordHash: string;
  active: boolean;
  isGlobalAdmin: boolean;
  /** Mail-user admins: isadmin=1 (normal) or isglobaladmin=1; standalone admins: always true. */
  hasAdminRights: boolean;
  /** Mail-user admins need their own domain active to log in (iRedAdmin-Pro 5.3+). */
  domainActive: boolean;
  /** Domains named in domain_admins with active=1 (not counting ALL). */
  managedDomains: string[];
}

export interface Page {
  page: number;
  limit: number;
}

export interface PagedResult<T> {
  total: number;
  items: T[];
}
