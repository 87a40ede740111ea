/**
 * The greylisting SPF whitelist refresh (iRedAPD's hourly spf_to_greylist_whitelists.py,
 * reference/policy.md §4): for each sender domain listed in greylisting_whitelist_domains,
 * resolve the hosts its SPF record (or, without one, its MX) authorises and store them in
 * greylisting_whitelist_domain_spf as (`@.`, address, `AUTO-UPDATE: <domain>`).
 *
 * Kept from iRedAPD: the table, account and comment, so iRedAPD reads the rows as before.
 * Fixed: one transaction per domain; a domain whose lookup is incomplete (timeout,
 * SERVFAIL, lookup limit) keeps its previous rows instead of losing them; rows of domains
 * no longer listed are removed; an address two domains publish moves to the other domain
 * when the first one drops it.
 */
import { isDomain } from '#lib/model/addresses';
import { log } from '#lib/log';
import type { SpfWhitelistStore } from '#lib/storage/store';
import type { DnsClient } from '#lib/spf/dns-client';
import { DEFAULT_MAX_LOOKUPS, resolveSpfWhitelist, type SpfResult } from '#lib/spf/resolve';

export type Logger = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;

export interface SpfRefreshOptions {
  dns: DnsClient;
  /** DNS lookup budget per listed domain (default 10). */
  maxLookups?: number;
  /** Refresh only these domains (the command line); stale-row cleanup is then skipped. */
  domains?: string[];
  /** Domains resolved at the same time (default 4). */
  concurrency?: number;
  logger?: Logger;
}

export interface DomainOutcome {
  domain: string;
  outcome: 'replaced' | 'kept' | 'failed';
  addresses: number;
  lookups: number;
  errors: string[];
  added?: number;
  removed?: number;
  shared?: number;
}

export interface SpfRefreshSummary {
  domains: DomainOutcome[];
  /** Rows removed because their comment names a domain no longer listed. */
  staleRowsRemoved: number;
}

export class SpfRefreshError extends Error {
  constructor(readonly failed: string[]) {
    super(`SPF whitelist refresh failed to store ${failed.length} domain(s): ${failed.join(', ')}`);
    this.name = 'SpfRefreshError';
  }
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function refreshSpfWhitelists(store: SpfWhitelistStore, options: SpfRefreshOptions): Promise<SpfRefreshSummary> {
  const logger = options.logger ?? log;
  const maxLookups = options.maxLookups ?? DEFAULT_MAX_LOOKUPS;
  const explicit = options.domains !== undefined && options.domains.length > 0;
  const listed = await store.whitelistDomains();
  const targets = explicit ? [...new Set(options.domains!.map((domain) => domain.trim().toLowerCase()))] : listed;

  // Stale rows first, so no address is still held by a domain that is gone when the listed
  // domains claim theirs.
  const staleRowsRemoved = explicit ? 0 : await store.removeUnlistedSpfRows(listed);

  const results = await mapLimited(targets, options.concurrency ?? 4, async (domain): Promise<SpfResult> => {
    if (!isDomain(domain)) return { domain, addresses: [], senders: [], lookups: 0, errors: [`${domain}: not a valid domain name`], complete: false };
    return resolveSpfWhitelist(domain, { dns: options.dns, maxLookups });
  });

  // Who else publishes an address: where a dropped address moves to.
  const publishers = new Map<string, string>();
  for (const result of results) {
    if (!result.complete) continue;
    for (const address of result.addresses) if (!publishers.has(address)) publishers.set(address, result.domain);
  }

  const outcomes: DomainOutcome[] = [];
  for (const result of results) {
    const base = { domain: result.domain, addresses: result.addresses.length, lookups: result.lookups, errors: result.errors };
    if (!result.complete) {
      const outcome: DomainOutcome = { ...base, outcome: 'kept' };
      outcomes.push(outcome);
      logger('warn', 'spf whitelist refresh', { ...outcome, keptRows: (await store.spfAddresses(result.domain)).length });
      continue;
    }
    try {
      const counts = await store.replaceSpfAddresses(result.domain, result.addresses, publishers);
      const outcome: DomainOutcome = { ...base, outcome: 'replaced', ...counts };
      outcomes.push(outcome);
      logger('info', 'spf whitelist refresh', { ...outcome });
    } catch (error) {
      const outcome: DomainOutcome = { ...base, outcome: 'failed', errors: [...result.errors, `storing: ${error instanceof Error ? error.name : 'error'} ${(error as { code?: string }).code ?? ''}`.trim()] };
      outcomes.push(outcome);
      logger('error', 'spf whitelist refresh', { ...outcome });
    }
  }

  const failed = outcomes.filter((outcome) => outcome.outcome === 'failed').map((outcome) => outcome.domain);
  logger(failed.length > 0 ? 'error' : 'info', 'spf whitelist refresh done', {
    domains: outcomes.length,
    replaced: outcomes.filter((outcome) => outcome.outcome === 'replaced').length,
    kept: outcomes.filter((outcome) => outcome.outcome === 'kept').map((outcome) => outcome.domain),
    failed,
    staleRowsRemoved,
  });
  if (failed.length > 0) throw new SpfRefreshError(failed);
  return { domains: outcomes, staleRowsRemoved };
}
