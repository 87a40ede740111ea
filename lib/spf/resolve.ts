// Turns a sender domain's SPF record into the IP addresses and networks that iRedAPD
// should skip greylisting for (table `greylisting_whitelist_domain_spf`, policy.md §4).
//
// This is not an SPF verifier: there is no client IP to test, so the record is walked
// to collect every address it *authorises*. Differences from RFC 7208 evaluation and
// from iRedAPD's `libs/dnsspf.py`, on purpose:
//   * Only `+` (or no qualifier) authorises; `-`, `~` and `?` terms are skipped
//     without a lookup, as are the terms after the first `all` (never reached).
//   * `ptr` is dropped with a note: iRedAPD turns it into an `@domain` sender entry,
//     which anyone can forge, so `senders` is always empty here.
//   * `exists:` and macros (`%{…}`) need the connecting client, so they are skipped
//     with a note.
//   * `redirect=` is followed only when the record has no `all` (RFC 7208 §6.1);
//     iRedAPD follows it like an extra include.
//   * `a` and `mx` fetch AAAA as well as A and honour `/NN` and `//NN`.
//   * Broken parts (an include with no SPF record, an unknown mechanism, two SPF
//     records) are RFC permerrors; here they only cost their own addresses and a note.
//   * `+all` and 0-length prefixes are refused: they would whitelist everyone.
//
// `complete` is false when a DNS lookup failed (timeout, SERVFAIL, ...) or the lookup
// budget ran out: the set may then be missing addresses, and the caller should not
// replace the stored rows with it. NXDOMAIN and empty answers are real answers and
// leave `complete` alone. `errors` holds every note, fatal or not.
//
// Lookup budget (`lookups`, `maxLookups`): one per DNS lookup step actually made —
// the domain's own TXT, each include/redirect target's TXT, each `a` (its A and AAAA
// together), each `mx` MX query, and each MX host's A+AAAA. That is RFC 7208 §4.6.4's
// count plus the top-level TXT and the MX host lookups (§4.6.4's separate per-mx cap),
// so the default of 10 is a little stricter than a receiver's limit. Terms skipped
// before any query (ptr, exists, macros, negative qualifiers, loops) cost nothing.

import ipaddr from 'ipaddr.js';
import { DnsLookupError, type DnsClient } from '#lib/spf/dns-client';

export interface SpfResolveOptions {
  dns: DnsClient;
  /** DNS lookup budget for this domain; default 10 (RFC 7208 §4.6.4). */
  maxLookups?: number;
}

export interface SpfResult {
  domain: string;
  /** Sorted (IPv4 first, numerically), de-duplicated; bare IPs, networks as CIDR. */
  addresses: string[];
  /** `@domain` sender entries. Always empty: `ptr` is dropped (see above). */
  senders: string[];
  lookups: number;
  errors: string[];
  complete: boolean;
}

export const DEFAULT_MAX_LOOKUPS = 10;

interface Network {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
}

interface Run {
  dns: DnsClient;
  maxLookups: number;
  lookups: number;
  limitHit: boolean;
  complete: boolean;
  errors: string[];
  addresses: Map<string, Network>;
  /** Names whose SPF record this run has fetched; guards include/redirect chains. */
  visited: Set<string>;
}

type SpfFetch =
  | { kind: 'record'; record: string }
  | { kind: 'none' }
  | { kind: 'permerror' }
  | { kind: 'failed' };

export async function resolveSpfWhitelist(domain: string, options: SpfResolveOptions): Promise<SpfResult> {
  const maxLookups = options.maxLookups ?? DEFAULT_MAX_LOOKUPS;
  if (!Number.isInteger(maxLookups) || maxLookups < 0) throw new RangeError('maxLookups must be a non-negative integer');
  const name = normaliseName(domain);
  const run: Run = {
    dns: options.dns,
    maxLookups,
    lookups: 0,
    limitHit: false,
    complete: true,
    errors: [],
    addresses: new Map(),
    visited: new Set(),
  };

  if (!isValidDomain(name)) {
    run.errors.push(`${domain}: not a valid domain name`);
    run.complete = false;
  } else if (charge(run, `TXT ${name}`)) {
    run.visited.add(name);
    const fetched = await fetchSpf(run, name, name);
    if (fetched.kind === 'record') {
      await evaluate(run, name, fetched.record, [name]);
    } else if (fetched.kind === 'none') {
      // iRedAPD's fallback: a domain without SPF probably sends from its MX hosts.
      run.errors.push(`${name}: no SPF record; using its MX hosts`);
      await collectMx(run, name, 32, 128, `${name}: MX fallback`);
    }
  }

  return {
    domain: name,
    addresses: sortAddresses(run.addresses),
    senders: [],
    lookups: run.lookups,
    errors: run.errors,
    complete: run.complete,
  };
}

// Spends one lookup from the budget, or records that the budget ran out.
function charge(run: Run, what: string): boolean {
  if (run.limitHit) return false;
  if (run.lookups >= run.maxLookups) {
    run.limitHit = true;
    run.complete = false;
    run.errors.push(`${what}: DNS lookup limit (${run.maxLookups}) reached; this and later DNS-based terms skipped`);
    return false;
  }
  run.lookups += 1;
  return true;
}

function lookupFailed(run: Run, context: string, error: unknown): void {
  run.complete = false;
  const text = error instanceof DnsLookupError ? error.message : String(error);
  run.errors.push(`${context}: ${text}`);
}

async function fetchSpf(run: Run, name: string, context: string): Promise<SpfFetch> {
  let txt: string[][];
  try {
    txt = await run.dns.txt(name);
  } catch (error) {
    lookupFailed(run, context, error);
    return { kind: 'failed' };
  }
  // RFC 7208 §3.3: the chunks of one TXT record are joined with nothing in between.
  const records = txt.map((chunks) => chunks.join('')).filter((text) => /^v=spf1(?: |$)/i.test(text));
  if (records.length > 1) {
    run.errors.push(`${context}: ${records.length} SPF records published (permerror); none used`);
    return { kind: 'permerror' };
  }
  const [record] = records;
  return record === undefined ? { kind: 'none' } : { kind: 'record', record };
}

async function evaluate(run: Run, domain: string, record: string, chain: string[]): Promise<void> {
  const terms = record.trim().split(/\s+/).slice(1);
  const isModifier = (term: string): boolean => /^[a-z][a-z0-9_.-]*=/i.test(term);
  // Receivers stop at `all`, so mechanisms after it never authorise anything.
  const allIndex = terms.findIndex((term) => /^[+\-~?]?all$/i.test(term));
  const reached = allIndex === -1 ? terms : terms.slice(0, allIndex + 1);
  const unreached = terms.slice(reached.length).filter((term) => !isModifier(term));
  if (unreached.length > 0) {
    run.errors.push(`${domain}: ignored ${unreached.length} mechanism(s) after "all", which receivers never evaluate`);
  }

  // Modifiers count wherever they stand; exp= only words the rejection text, and
  // unknown modifiers are ignored (RFC 7208 §6).
  let redirect: string | undefined;
  for (const term of terms) {
    if (!/^redirect=/i.test(term)) continue;
    if (redirect === undefined) redirect = term.slice('redirect='.length);
    else run.errors.push(`${domain}: more than one redirect= (permerror); using the first`);
  }

  for (const term of reached) {
    if (!isModifier(term)) await evaluateMechanism(run, domain, term, chain);
  }

  if (redirect === undefined) return;
  if (allIndex !== -1) {
    run.errors.push(`${domain}: redirect=${redirect} ignored because the record has an "all" mechanism`);
    return;
  }
  await followSpf(run, domain, 'redirect', redirect, chain);
}

async function evaluateMechanism(run: Run, domain: string, term: string, chain: string[]): Promise<void> {
  const parsed = /^([+\-~?]?)([a-z][a-z0-9_.-]*)(.*)$/i.exec(term);
  if (!parsed) {
    run.errors.push(`${domain}: "${term}" is not a valid SPF term (permerror); ignored`);
    return;
  }
  const qualifier = parsed[1]!;
  const mechanism = parsed[2]!.toLowerCase();
  const rest = parsed[3]!;
  // Only a pass authorises; -, ~ and ? terms say who may *not* (or might) send.
  if (qualifier !== '' && qualifier !== '+') return;

  switch (mechanism) {
    case 'all':
      run.errors.push(`${domain}: "${term}" authorises every host; not whitelisting the whole Internet`);
      return;
    case 'include':
      if (!rest.startsWith(':') || rest.length === 1) {
        run.errors.push(`${domain}: "${term}" has no domain (permerror); ignored`);
        return;
      }
      await followSpf(run, domain, 'include', rest.slice(1), chain);
      return;
    case 'a':
    case 'mx': {
      const spec = /^(?::([^/]+))?(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest);
      const v4 = spec?.[2] === undefined ? 32 : prefixLength(spec[2], 32);
      const v6 = spec?.[3] === undefined ? 128 : prefixLength(spec[3], 128);
      if (!spec || v4 === undefined || v6 === undefined) {
        run.errors.push(`${domain}: "${term}" is malformed (permerror); ignored`);
        return;
      }
      const host = spec[1] === undefined ? domain : checkTarget(run, domain, term, spec[1]);
      if (host === undefined) return;
      if (mechanism === 'a') await collectA(run, host, v4, v6, `${domain}: ${term}`);
      else await collectMx(run, host, v4, v6, `${domain}: ${term}`);
      return;
    }
    case 'ip4':
    case 'ip6':
      addLiteral(run, domain, term, mechanism === 'ip4' ? 4 : 6, rest);
      return;
    case 'ptr':
      // iRedAPD stores ptr as an `@domain` sender, but a sender domain is trivially
      // forged (policy.md §4.5), so it would let anyone past greylisting.
      run.errors.push(`${domain}: "${term}" ignored (ptr is deprecated and a sender-domain entry is forgeable)`);
      return;
    case 'exists':
      run.errors.push(`${domain}: "${term}" ignored (exists: depends on the connecting client)`);
      return;
    default:
      run.errors.push(`${domain}: unknown mechanism "${term}" (permerror); ignored`);
  }
}

// Validates the domain of include:, redirect=, a: or mx:; undefined means skip.
function checkTarget(run: Run, domain: string, term: string, spec: string): string | undefined {
  if (spec.includes('%')) {
    run.errors.push(`${domain}: "${term}" uses a macro, which needs the connecting client; ignored`);
    return undefined;
  }
  const target = normaliseName(spec);
  if (!isValidDomain(target)) {
    run.errors.push(`${domain}: "${term}" names an invalid domain (permerror); ignored`);
    return undefined;
  }
  return target;
}

async function followSpf(run: Run, domain: string, kind: 'include' | 'redirect', spec: string, chain: string[]): Promise<void> {
  const term = kind === 'include' ? `include:${spec}` : `redirect=${spec}`;
  const target = checkTarget(run, domain, term, spec);
  if (target === undefined) return;
  // A name on the current chain is a loop (including a record naming itself); one
  // seen elsewhere in this run has already given its addresses. Either way, no query.
  if (chain.includes(target)) {
    run.errors.push(`${domain}: ${term} loops back to ${chain.join(' -> ')}; not followed`);
    return;
  }
  if (run.visited.has(target)) {
    run.errors.push(`${domain}: ${term} already evaluated in this run; not repeated`);
    return;
  }
  if (!charge(run, `${domain}: ${term}`)) return;
  run.visited.add(target);
  const fetched = await fetchSpf(run, target, `${domain}: ${term}`);
  if (fetched.kind === 'none') {
    run.errors.push(`${domain}: ${term} has no SPF record (permerror); contributes nothing`);
  } else if (fetched.kind === 'record') {
    await evaluate(run, target, fetched.record, [...chain, target]);
  }
}

async function collectA(run: Run, host: string, v4: number, v6: number, context: string): Promise<void> {
  if (!charge(run, context)) return;
  const found = await addressesOf(run, host, v4, v6, context);
  if (found === 0) run.errors.push(`${context}: ${host} has no A or AAAA records`);
}

async function collectMx(run: Run, host: string, v4: number, v6: number, context: string): Promise<void> {
  if (!charge(run, context)) return;
  let mx;
  try {
    mx = await run.dns.mx(host);
  } catch (error) {
    lookupFailed(run, context, error);
    return;
  }
  // Most preferred first, so a budget that runs out drops the backups. An empty
  // exchange is a null MX (RFC 7505): the domain accepts no mail.
  const exchanges = [...new Set(
    [...mx]
      .sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange))
      .map((record) => normaliseName(record.exchange))
      .filter((exchange) => exchange !== ''),
  )];
  if (exchanges.length === 0) {
    run.errors.push(`${context}: ${host} ${mx.length > 0 ? 'publishes a null MX (sends and accepts no mail)' : 'has no MX hosts'}`);
    return;
  }
  for (const exchange of exchanges) {
    if (!isValidDomain(exchange)) {
      run.errors.push(`${context}: MX host "${exchange}" is not a valid name; skipped`);
      continue;
    }
    if (!charge(run, `${context}: MX host ${exchange}`)) return;
    await addressesOf(run, exchange, v4, v6, `${context}: MX host ${exchange}`);
  }
}

// A and AAAA of one host, in parallel; returns how many addresses came back.
async function addressesOf(run: Run, host: string, v4: number, v6: number, context: string): Promise<number> {
  const [a, aaaa] = await Promise.allSettled([run.dns.a(host), run.dns.aaaa(host)]);
  let found = 0;
  for (const [result, prefix] of [[a, v4], [aaaa, v6]] as const) {
    if (result.status === 'rejected') {
      lookupFailed(run, context, result.reason);
      continue;
    }
    for (const text of result.value) {
      found += 1;
      if (!ipaddr.isValid(text)) continue;
      addNetwork(run, ipaddr.parse(text), prefix, context);
    }
  }
  return found;
}

function addLiteral(run: Run, domain: string, term: string, family: 4 | 6, rest: string): void {
  const literal = /^:([^/]+)(?:\/(\d+))?$/.exec(rest);
  const max = family === 4 ? 32 : 128;
  const prefix = literal?.[2] === undefined ? max : prefixLength(literal[2], max);
  const text = literal?.[1];
  // ipaddr.js alone accepts forms SPF does not (`127.1`, `0x7f.0.0.1`, octal, zone
  // ids), so the stricter checks come first.
  const valid =
    text !== undefined &&
    prefix !== undefined &&
    (family === 4 ? ipaddr.IPv4.isValidFourPartDecimal(text) : ipaddr.IPv6.isValid(text) && !text.includes('%'));
  if (!valid) {
    run.errors.push(`${domain}: "${term}" is not a valid ${family === 4 ? 'IPv4' : 'IPv6'} address or network; dropped`);
    return;
  }
  addNetwork(run, ipaddr.parse(text), prefix, `${domain}: ${term}`);
}

function addNetwork(run: Run, address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number, context: string): void {
  if (prefix === 0) {
    run.errors.push(`${context}: a /0 network covers every host; not whitelisted`);
    return;
  }
  const family = address.kind() === 'ipv4' ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  // Host bits set (ip4:192.0.2.10/24, or a/24 on a host's address) are masked off, so
  // the entry is the network the record means: 192.0.2.0/24. RFC 7208 §5.6 matches on
  // the prefix only; iRedAPD drops such entries instead, losing a whole network.
  const network =
    family === 4
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`);
  // RFC 5952 form (lower case, longest zero run compressed) so iRedAPD's plain string
  // comparison with Postfix's client address works.
  const text = network instanceof ipaddr.IPv6 ? network.toRFC5952String() : network.toString();
  const key = prefix === max ? text : `${text}/${prefix}`;
  run.addresses.set(key, { family, bytes: network.toByteArray(), prefix });
}

// RFC 7208 cidr lengths have no leading zeros.
function prefixLength(text: string, max: number): number | undefined {
  if (!/^(?:0|[1-9]\d{0,2})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

// Host names as SPF expects them: at least two labels, letters/digits/hyphen and the
// underscore common in `_spf.` names, and a top label that is not all digits.
function isValidDomain(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]!);
}

function sortAddresses(addresses: Map<string, Network>): string[] {
  return [...addresses.entries()]
    .sort(([, x], [, y]) => {
      if (x.family !== y.family) return x.family - y.family;
      for (let i = 0; i < x.bytes.length; i += 1) {
        const diff = x.bytes[i]! - y.bytes[i]!;
        if (diff !== 0) return diff;
      }
      return x.prefix - y.prefix;
    })
    .map(([text]) => text);
}
