import type { Settings } from '#lib/model/settings-codec';

/**
 * Standalone admins: rows of vmail.admin (storage.md §1.2), with their rights in
 * domain_admins (`ALL` for a global admin). The password hash is never part of these
 * shapes: nothing read through them can leak it into a reply.
 */
export interface StandaloneAdmin {
  username: string;
  name: string;
  language: string;
  passwordlastchange: string;
  settings: Settings;
  created: string;
  modified: string;
  expired: string;
  active: number;
}

/** GET /api/admin/<mail>: the row plus `isglobaladmin` (0/1) and the explicitly managed domains. */
export interface AdminProfile extends StandaloneAdmin {
  isglobaladmin: number;
  /** Domains named in domain_admins (the `ALL` row does not count), sorted. */
  managed_domains: string[];
}

export interface NewAdmin {
  username: string;
  passwordHash: string;
  name: string;
  language: string;
  active: boolean;
  isGlobalAdmin: boolean;
  settings: Settings;
}

export interface AdminChanges {
  name?: string;
  language?: string;
  active?: number;
  settings?: Settings;
  /** A new hash; passwordlastchange follows it. */
  passwordHash?: string;
}

/** Units of `quotaUnit` (stored as given in `create_quota_unit`, next to `create_max_quota`). */
export const ADMIN_QUOTA_UNITS = ['MB', 'GB', 'TB'] as const;
export type AdminQuotaUnit = (typeof ADMIN_QUOTA_UNITS)[number];
