/**
 * Mail alias accounts on SQL (storage.md §1.3): an `alias` row, one `forwardings` row per
 * member (`is_list=1`), and moderators in `moderators`.
 */

/**
 * Who may send to an alias; iRedAPD's `sql_alias_access_policy` reads `alias.accesspolicy`
 * (pro-api-behaviour §1.6.3). The original turns an unknown value into `public` on POST
 * and stores anything on PUT; here an unknown value is refused (INVALID_ACCESS_POLICY).
 */
export const ACCESS_POLICIES = [
  'public',
  'domain',
  'subdomain',
  'membersonly',
  'moderatorsonly',
  'allowedonly',
  'membersandmoderatorsonly',
] as const;

export type AccessPolicy = (typeof ACCESS_POLICIES)[number];

export function isAccessPolicy(value: string): value is AccessPolicy {
  return (ACCESS_POLICIES as readonly string[]).includes(value);
}

/** The `alias` row as GET returns it. */
export interface Alias {
  address: string;
  name: string;
  accesspolicy: string;
  domain: string;
  created: string;
  modified: string;
  expired: string;
  active: number;
}

/** GET /api/alias/<mail>: the row plus its members and moderators, both sorted. */
export interface AliasProfile extends Alias {
  members: string[];
  moderators: string[];
}

export interface NewAlias {
  address: string;
  name: string;
  accesspolicy: AccessPolicy;
  domain: string;
}

export type AliasChanges = Partial<Pick<Alias, 'name' | 'accesspolicy' | 'active'>>;
