// A thin wrapper over node's `dns.promises.Resolver` for the SPF whitelist job.
//
// Create one per run (`createDnsClient`) so each run gets its own servers, timeout and
// tries instead of the process-wide resolver. The wrapper folds the resolver's error
// codes into two outcomes:
//   * "no data": NXDOMAIN (ENOTFOUND) or NODATA (ENODATA) -> an empty list. The
//     authoritative answer is that nothing is there, so callers may trust it.
//   * a failure (SERVFAIL, REFUSED, timeout, bad reply, ...) -> a `DnsLookupError`.
//     Nothing is known, so callers must not treat the name as empty.

import { promises as dns } from 'node:dns';

export type DnsRecordType = 'TXT' | 'A' | 'AAAA' | 'MX';

export interface MxHost {
  exchange: string;
  priority: number;
}

export interface DnsClient {
  /** Each TXT record as the list of its <character-string> chunks, unjoined. */
  txt(name: string): Promise<string[][]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
  mx(name: string): Promise<MxHost[]>;
  /** Abandon queries still in flight (they reject with ECANCELLED). */
  close(): void;
}

export interface DnsClientOptions {
  /** `host` or `host:port` (`[v6]:port`); default: the system's resolvers. */
  servers?: string[];
  /** Most one lookup may take, retries included; default 3000 ms. */
  timeoutMs?: number;
  /** Attempts c-ares makes within `timeoutMs`; default 1. */
  tries?: number;
}

export const DEFAULT_DNS_TIMEOUT_MS = 3000;

const NO_DATA_CODES = new Set(['ENODATA', 'ENOTFOUND']);

// Short explanations for the codes an operator is likely to see in job logs.
const CODE_TEXT: Record<string, string> = {
  ETIMEOUT: 'no answer in time',
  ESERVFAIL: 'server failure',
  EREFUSED: 'query refused',
  ECONNREFUSED: 'could not reach the DNS server',
  EBADRESP: 'malformed reply',
  EFORMERR: 'server rejected the query as malformed',
  ENOTIMP: 'server does not implement the query',
  ECANCELLED: 'query cancelled',
  EBADNAME: 'not a valid DNS name',
};

export class DnsLookupError extends Error {
  readonly code: string;
  readonly type: DnsRecordType;
  readonly hostname: string;

  constructor(type: DnsRecordType, hostname: string, code: string) {
    super(`${type} ${hostname}: ${code}${CODE_TEXT[code] ? ` (${CODE_TEXT[code]})` : ''}`);
    this.name = 'DnsLookupError';
    this.code = code;
    this.type = type;
    this.hostname = hostname;
  }
}

export function createDnsClient(options: DnsClientOptions = {}): DnsClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
  const tries = options.tries ?? 1;
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError('tries must be a positive integer');

  // c-ares doubles its per-attempt timeout on each retry to a single server, so
  // timeout t with n tries can take t * (2^n - 1). Split the budget the same way so the
  // retries fit inside it.
  const attemptMs = Math.max(1, Math.floor(timeoutMs / (2 ** tries - 1)));
  const resolver = new dns.Resolver({ timeout: attemptMs, tries });
  if (options.servers?.length) resolver.setServers(options.servers);

  async function query<T>(type: DnsRecordType, name: string, run: () => Promise<T[]>): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    // Node only checks c-ares timeouts on a coarse timer: measured with Node 20 /
    // c-ares 1.34, a 300 ms timeout sometimes fired after ~600 ms. This deadline is
    // what really bounds a lookup against a dead server.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DnsLookupError(type, name, 'ETIMEOUT')), timeoutMs);
    });
    const lookup = run();
    // The abandoned lookup still settles later; keep that from becoming an
    // unhandled rejection.
    lookup.catch(() => undefined);
    try {
      return await Promise.race([lookup, deadline]);
    } catch (error) {
      if (error instanceof DnsLookupError) throw error;
      const code = typeof (error as NodeJS.ErrnoException).code === 'string' ? (error as NodeJS.ErrnoException).code! : 'EUNKNOWN';
      if (NO_DATA_CODES.has(code)) return [];
      throw new DnsLookupError(type, name, code);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    txt: (name) => query('TXT', name, () => resolver.resolveTxt(name)),
    a: (name) => query('A', name, () => resolver.resolve4(name)),
    aaaa: (name) => query('AAAA', name, () => resolver.resolve6(name)),
    mx: (name) => query('MX', name, () => resolver.resolveMx(name)),
    close: () => resolver.cancel(),
  };
}
