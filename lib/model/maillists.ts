/**
 * Legacy ("unsubscribable") mailing lists, an LDAP-only account kind (pro-api-behaviour
 * §1.14, storage.md §6.4): a mailList entry in the domain's ou=Groups; mail users of the
 * list's domain are members through `memberOfGroup=<list>` on their own entries, every other
 * address through the list's mailExternalUser entry in ou=Externals.
 */
import type { AccessPolicy } from '#lib/model/aliases';

/** GET /api/maillist/<mail>: SQL-like keys, members sorted (internal and external together). */
export interface MailingList {
  mail: string;
  name: string;
  accessPolicy: string;
  domain: string;
  active: number;
  members: string[];
  created: string;
  modified: string;
  expired: string;
}

export interface NewMailingList {
  mail: string;
  name: string;
  accessPolicy: AccessPolicy;
}

export type MailingListChanges = Partial<Pick<NewMailingList, 'name' | 'accessPolicy'>>;
