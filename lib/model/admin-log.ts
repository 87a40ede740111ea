import type { Page } from '#lib/model/types';

/** One row of iRedAdmin's admin log (`iredadmin.log`), as GET /api/log returns it. */
export interface AdminLogEntry {
  id: number;
  /** ISO 8601 without a zone (UTC), as every timestamp of the API. */
  timestamp: string;
  admin: string;
  ip: string;
  domain: string;
  username: string;
  event: string;
  loglevel: string;
  msg: string;
}

/** What GET /api/log filters on; timestamps are UTC `YYYY-MM-DD HH:MM:SS`, as the rows store them. */
export interface AdminLogFilter {
  /** Rows of these domains only (normal admins); absent: every row (global admins). */
  domains?: readonly string[];
  event?: string;
  domain?: string;
  admin?: string;
  /** Inclusive lower bound. */
  since?: string;
  /** Exclusive upper bound. */
  before?: string;
  page: Page;
}
