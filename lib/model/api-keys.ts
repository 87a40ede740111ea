/**
 * API keys: machine credentials for scripts and integrations (iredadmin `api_keys` table).
 * A record never carries the secret nor its hash; only the store's lookup sees the hash.
 */
export type KeyAccess = 'ro' | 'rw';

export interface ApiKeyRecord {
  /** UUID, also the `:id` of DELETE /api/apikey/<id> and the `apikey:<id>` actor in logs. */
  id: string;
  name: string;
  /** The admin who created the key; the key never has more rights than this admin has now. */
  createdBy: string;
  /** Domains the key is limited to; empty = unrestricted (only ever created by a global admin). */
  domains: string[];
  access: KeyAccess;
  /** IPs / CIDR networks the key may be used from; empty = any address. */
  allowedIps: string[];
  /** Epoch seconds; null = never expires. */
  expiresAt: number | null;
  revoked: boolean;
  createdAt: number;
  /** Epoch seconds, written at most once a minute; null = never used. */
  lastUsedAt: number | null;
}

export interface NewApiKey extends Omit<ApiKeyRecord, 'revoked' | 'lastUsedAt'> {
  /** Keyed hash of the secret (lib/auth/api-key.ts); the secret itself is never stored. */
  secretHash: string;
}
