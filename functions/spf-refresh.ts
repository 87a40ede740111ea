/**
 * The hourly SPF whitelist refresh (EventBridge `rate(1 hour)`, infra/extra-functions.ts):
 * resolves every domain of greylisting_whitelist_domains and rewrites its rows in
 * greylisting_whitelist_domain_spf (lib/services/spf-refresh.ts).
 *
 * Settings (environment): SPF_MAX_LOOKUPS (DNS lookups per domain, default 10),
 * SPF_DNS_TIMEOUT_MS (per lookup, default 3000), SPF_DNS_SERVERS (comma-separated
 * `host[:port]`, default the system resolvers), SPF_CONCURRENCY (domains at a time, default 4).
 *
 * By hand: `npx tsx functions/spf-refresh.ts [--dns 127.0.0.1:5353] [--max-lookups N]
 * [--timeout MS] [domain …]` — with domains, only those are refreshed.
 */
import { getConfig } from '#lib/config';
import { closeStore, getStore } from '#lib/storage/open-store';
import { createDnsClient, DEFAULT_DNS_TIMEOUT_MS } from '#lib/spf/dns-client';
import { DEFAULT_MAX_LOOKUPS } from '#lib/spf/resolve';
import { refreshSpfWhitelists, type SpfRefreshSummary } from '#lib/services/spf-refresh';
import { log } from '#lib/log';

export interface SpfRefreshSettings {
  maxLookups: number;
  timeoutMs: number;
  servers: string[];
  concurrency: number;
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a positive integer`);
  return number;
}

export function settingsFromEnv(env: Record<string, string | undefined>): SpfRefreshSettings {
  return {
    maxLookups: positiveInteger(env.SPF_MAX_LOOKUPS, 'SPF_MAX_LOOKUPS', DEFAULT_MAX_LOOKUPS),
    timeoutMs: positiveInteger(env.SPF_DNS_TIMEOUT_MS, 'SPF_DNS_TIMEOUT_MS', DEFAULT_DNS_TIMEOUT_MS),
    servers: (env.SPF_DNS_SERVERS ?? '').split(',').map((server) => server.trim()).filter(Boolean),
    concurrency: positiveInteger(env.SPF_CONCURRENCY, 'SPF_CONCURRENCY', 4),
  };
}

export async function runRefresh(settings: SpfRefreshSettings, domains?: string[]): Promise<SpfRefreshSummary> {
  const config = await getConfig();
  const store = await getStore(config);
  const dns = createDnsClient({ servers: settings.servers.length > 0 ? settings.servers : undefined, timeoutMs: settings.timeoutMs });
  try {
    return await refreshSpfWhitelists(store.greylisting, { dns, maxLookups: settings.maxLookups, concurrency: settings.concurrency, domains });
  } finally {
    dns.close();
  }
}

/** The scheduled event carries nothing the job needs. */
export async function handler(): Promise<{ domains: number; replaced: number; kept: number; staleRowsRemoved: number }> {
  const summary = await runRefresh(settingsFromEnv(process.env));
  return {
    domains: summary.domains.length,
    replaced: summary.domains.filter((domain) => domain.outcome === 'replaced').length,
    kept: summary.domains.filter((domain) => domain.outcome === 'kept').length,
    staleRowsRemoved: summary.staleRowsRemoved,
  };
}

function parseArgs(argv: string[], settings: SpfRefreshSettings): string[] {
  const domains: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--dns') settings.servers = value().split(',').map((server) => server.trim()).filter(Boolean);
    else if (arg === '--max-lookups') settings.maxLookups = positiveInteger(value(), '--max-lookups', settings.maxLookups);
    else if (arg === '--timeout') settings.timeoutMs = positiveInteger(value(), '--timeout', settings.timeoutMs);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (use --dns host[:port], --max-lookups N, --timeout MS)`);
    else domains.push(arg);
  }
  return domains;
}

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const domains = parseArgs(process.argv.slice(2), settings);
  const config = await getConfig();
  // The embedded database must not be opened by two processes: refuse while `npm start` runs.
  const unlock = config.backend === 'embedded' ? await (await import('#lib/services/bootstrap')).lockDataDir(config.dataDir) : () => {};
  try {
    await runRefresh(settings, domains);
  } finally {
    await closeStore();
    unlock();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    log('error', 'spf whitelist refresh failed', { reason: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  });
}
