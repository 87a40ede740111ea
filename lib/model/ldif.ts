/** The LDIF export (GET /api/ldif/...; LDAP only). */

/** What GET /api/ldif/<kind>/<target> exports. */
export type LdifTarget =
  | { kind: 'domain' | 'catchall'; domain: string }
  | { kind: 'admin' | 'user' | 'maillist' | 'alias'; mail: string };

/** One directory entry as exported: user attributes only, values byte for byte. */
export interface DirectoryEntry {
  dn: string;
  attributes: [name: string, values: (string | Buffer)[]][];
}
