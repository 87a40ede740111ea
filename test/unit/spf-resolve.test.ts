// The SPF whitelist resolver against a real DNS server on loopback (dns2, UDP + TCP).
// Names use the reserved .test TLD and addresses the documentation ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDnsClient, DnsLookupError, type DnsClient } from '#lib/spf/dns-client';
import { resolveSpfWhitelist, type SpfResult } from '#lib/spf/resolve';
import { startDnsServer, type TestDnsServer, type Zone } from '../support/dns-server.ts';

// Short, so the dead-server cases cost little; the whole file should take a few seconds.
const TIMEOUT_MS = 300;

// 80 ip4 terms make a record of ~1.4 kB: too big for c-ares's 1232-byte EDNS UDP
// buffer, so the answer is truncated and fetched again over TCP. The 255-byte chunks
// split terms mid-address, which only joining with '' (RFC 7208 §3.3) repairs.
const BIG_RECORD = `v=spf1 ${Array.from({ length: 80 }, (_, i) => `ip4:198.51.100.${i + 1}`).join(' ')} -all`;
const chunk = (text: string, size: number): string[] =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

const ZONE: Zone = {
  // Three levels of include below the domain.
  'nested.test': { txt: ['v=spf1 include:_spf.nested.test ip4:192.0.2.1 -all', 'google-site-verification=xyz'] },
  '_spf.nested.test': { txt: ['v=spf1 include:_netblocks.nested.test ip4:192.0.2.2 ~all'] },
  '_netblocks.nested.test': { txt: ['v=spf1 include:_netblocks2.nested.test ip4:198.51.100.0/24 ?all'] },
  '_netblocks2.nested.test': { txt: ['v=spf1 ip6:2001:DB8:0:0:0:0:0:10 ip6:2001:db8:1::/48 -all'] },

  // redirect= hands over to another domain; its bare `a` and `mx` mean that domain.
  'redirect.test': { txt: ['v=spf1 ip4:192.0.2.10 redirect=_spf.target.test'] },
  'redirect-with-all.test': { txt: ['v=spf1 ip4:192.0.2.11 redirect=_spf.target.test ~all'] },
  '_spf.target.test': {
    txt: ['v=spf1 a mx -all'],
    a: ['203.0.113.5'],
    aaaa: ['2001:db8:5::5'],
    mx: [{ exchange: 'mx1.target.test', priority: 10 }],
  },
  'mx1.target.test': { a: ['203.0.113.25'] },

  // Include loops.
  'loop-a.test': { txt: ['v=spf1 ip4:192.0.2.20 include:loop-b.test -all'] },
  'loop-b.test': { txt: ['v=spf1 ip4:192.0.2.21 include:loop-a.test -all'] },
  'self.test': { txt: ['v=spf1 include:self.test ip4:192.0.2.30 -all'] },
  // A diamond: two branches include the same record.
  'diamond.test': { txt: ['v=spf1 include:left.diamond.test include:right.diamond.test -all'] },
  'left.diamond.test': { txt: ['v=spf1 include:shared.diamond.test ip4:192.0.2.31 -all'] },
  'right.diamond.test': { txt: ['v=spf1 include:shared.diamond.test ip4:192.0.2.32 -all'] },
  'shared.diamond.test': { txt: ['v=spf1 ip4:192.0.2.33 -all'] },

  // Eleven includes: with the domain's own TXT that is twelve lookups.
  'many.test': {
    txt: [`v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:i${i + 1}.many.test`).join(' ')} -all`],
  },
  ...Object.fromEntries(
    Array.from({ length: 11 }, (_, i) => [`i${i + 1}.many.test`, { txt: [`v=spf1 ip4:203.0.113.${i + 1} -all`] }]),
  ),
  // MX hosts listed out of preference order.
  'mx-many.test': {
    txt: ['v=spf1 mx -all'],
    mx: [
      { exchange: 'backup2.mx-many.test', priority: 30 },
      { exchange: 'primary.mx-many.test', priority: 10 },
      { exchange: 'backup1.mx-many.test', priority: 20 },
    ],
  },
  'primary.mx-many.test': { a: ['192.0.2.101'] },
  'backup1.mx-many.test': { a: ['192.0.2.102'] },
  'backup2.mx-many.test': { a: ['192.0.2.103'] },

  // Failures.
  'dead.test': { fail: 'timeout' },
  'partly-dead.test': { txt: ['v=spf1 ip4:192.0.2.40 include:dead.test ip4:192.0.2.41 -all'] },
  'servfail.test': { fail: 'servfail' },
  'include-servfail.test': { txt: ['v=spf1 include:servfail.test ip4:192.0.2.50 -all'] },
  'half-broken.test': { txt: ['v=spf1 a:host.half-broken.test -all'] },
  'host.half-broken.test': { a: ['192.0.2.55'], fail: { AAAA: 'servfail' } },
  'refused.test': { fail: 'refused' },
  'nx-include.test': { txt: ['v=spf1 include:missing.test ip4:192.0.2.60 -all'] },
  'two-records.test': { txt: ['v=spf1 ip4:192.0.2.150 -all', 'v=spf1 ip4:192.0.2.151 -all'] },

  // IPv6 literals, AAAA for a and mx, and the /NN //NN forms.
  'v6.test': {
    txt: ['v=spf1 ip6:2001:DB8:00AB:0:0:0:0:1 ip6:2001:db8:ab:cd:0:0:0:0/64 a:dual.v6.test a:dual.v6.test/28//56 mx//64 -all'],
    mx: [{ exchange: 'mx.v6.test', priority: 5 }],
  },
  'dual.v6.test': { a: ['198.51.100.77'], aaaa: ['2001:db8:ab:1::77'] },
  'mx.v6.test': { a: ['203.0.113.99'], aaaa: ['2001:db8:ff:1::99'] },

  // No SPF record: fall back to the MX hosts.
  'no-spf.test': {
    txt: ['google-site-verification=abc', 'v=spf10 ip4:192.0.2.250'],
    mx: [
      { exchange: 'mx2.no-spf.test', priority: 20 },
      { exchange: 'mx1.no-spf.test', priority: 10 },
    ],
  },
  'mx1.no-spf.test': { a: ['192.0.2.70'], aaaa: ['2001:DB8:70:0::1'] },
  'mx2.no-spf.test': { a: ['192.0.2.71'] },
  'null-mx.test': { mx: [{ exchange: '', priority: 0 }] },

  // Chunked TXT: a term split across chunks, and a chunk that starts with a space.
  'split.test': { txt: [['v=spf1 ip4:192.0.2.', '80 ip4:192.0', '.2.81', ' -all']] },
  'big.test': { txt: [chunk(BIG_RECORD, 255)] },

  // Qualifiers: only + or none authorise; nothing after `all` is reached.
  'qualifiers.test': {
    txt: [
      'v=spf1 -ip4:192.0.2.90 ~ip4:192.0.2.91 ?ip4:192.0.2.92 +ip4:192.0.2.93 ip4:192.0.2.94 ' +
        '-include:other.qualifiers.test ~a:host.qualifiers.test -all ip4:192.0.2.95',
    ],
  },
  'other.qualifiers.test': { txt: ['v=spf1 ip4:192.0.2.96 -all'] },
  'host.qualifiers.test': { a: ['192.0.2.97'] },

  // Host bits, invalid literals and whole-Internet networks.
  'hostbits.test': {
    txt: [
      'v=spf1 ip4:192.0.2.130/25 ip4:198.51.100.7/32 ip4:203.0.113.0/24 ip6:2001:db8::1:2:3/96 ' +
        'ip4:192.0.2.300 ip4:192.0.2.1/33 ip4:10.1 ip4:192.0.2.1/024 ip6:2001:db8::g ip6:2001:db8::/129 ip4:0.0.0.0/0 -all',
    ],
  },

  // Terms this job cannot or will not use.
  'misc.test': {
    txt: [
      'v=spf1 ptr ptr:misc.test exists:%{i}.rbl.misc.test include:%{d}.spf.misc.test a:%{l}.misc.test ' +
        'ip4:192.0.2.140 foo:bar exp=explain.misc.test +all',
    ],
  },

  // Case does not matter in the record or the names it points to.
  'case.test': { txt: ['V=SPF1 IP4:192.0.2.160 Include:Case-Target.TEST A:HOST.CASE.TEST -ALL'] },
  'case-target.test': { txt: ['v=spf1 ip6:2001:DB8:CAFE::1 -all'] },
  'host.case.test': { a: ['192.0.2.161'] },
};

describe('resolveSpfWhitelist against a loopback DNS server', () => {
  let server: TestDnsServer;
  const clients: DnsClient[] = [];

  before(async () => {
    server = await startDnsServer(ZONE);
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  const resolve = async (domain: string, maxLookups?: number): Promise<SpfResult> => {
    // One client per run, as the Lambda does.
    const dns = createDnsClient({ servers: [server.address], timeoutMs: TIMEOUT_MS, tries: 1 });
    clients.push(dns);
    return resolveSpfWhitelist(domain, maxLookups === undefined ? { dns } : { dns, maxLookups });
  };

  it('follows three levels of include and joins their addresses', async () => {
    const result = await resolve('nested.test');
    assert.deepEqual(result, {
      domain: 'nested.test',
      addresses: ['192.0.2.1', '192.0.2.2', '198.51.100.0/24', '2001:db8::10', '2001:db8:1::/48'],
      senders: [],
      lookups: 4,
      errors: [],
      complete: true,
    });
  });

  it('follows redirect= when the record has no all, evaluating a and mx for the target', async () => {
    const result = await resolve('redirect.test');
    assert.deepEqual(result.addresses, ['192.0.2.10', '203.0.113.5', '203.0.113.25', '2001:db8:5::5']);
    // TXT, redirect, a, mx, one MX host.
    assert.equal(result.lookups, 5);
    assert.deepEqual(result.errors, []);
    assert.equal(result.complete, true);
  });

  it('ignores redirect= when the record has an all mechanism', async () => {
    server.clearLog();
    const result = await resolve('redirect-with-all.test');
    assert.deepEqual(result.addresses, ['192.0.2.11']);
    assert.equal(result.lookups, 1);
    assert.equal(result.complete, true);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!, /redirect=_spf\.target\.test ignored because the record has an "all" mechanism/);
    assert.equal(server.count('_spf.target.test'), 0);
  });

  it('stops an include loop (a includes b includes a) without querying a twice', async () => {
    server.clearLog();
    const result = await resolve('loop-a.test');
    assert.deepEqual(result.addresses, ['192.0.2.20', '192.0.2.21']);
    assert.equal(result.lookups, 2);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, ['loop-b.test: include:loop-a.test loops back to loop-a.test -> loop-b.test; not followed']);
    assert.equal(server.count('loop-a.test', 'TXT'), 1);
    assert.equal(server.count('loop-b.test', 'TXT'), 1);
  });

  it('stops a record that includes itself', async () => {
    server.clearLog();
    const result = await resolve('self.test');
    assert.deepEqual(result.addresses, ['192.0.2.30']);
    assert.equal(result.lookups, 1);
    assert.equal(result.complete, true);
    assert.match(result.errors[0]!, /include:self\.test loops back/);
    assert.equal(server.count('self.test'), 1);
  });

  it('evaluates a record reached twice (diamond) only once', async () => {
    server.clearLog();
    const result = await resolve('diamond.test');
    assert.deepEqual(result.addresses, ['192.0.2.31', '192.0.2.32', '192.0.2.33']);
    assert.equal(result.lookups, 4);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, ['right.diamond.test: include:shared.diamond.test already evaluated in this run; not repeated']);
    assert.equal(server.count('shared.diamond.test'), 1);
  });

  it('stops at the lookup limit (default 10, top-level TXT included) and marks the result incomplete', async () => {
    server.clearLog();
    const result = await resolve('many.test');
    // TXT + i1..i9 = 10 lookups; i10 and i11 are never queried.
    assert.deepEqual(
      result.addresses,
      Array.from({ length: 9 }, (_, i) => `203.0.113.${i + 1}`),
    );
    assert.equal(result.lookups, 10);
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, [
      'many.test: include:i10.many.test: DNS lookup limit (10) reached; this and later DNS-based terms skipped',
    ]);
    assert.equal(server.count('i10.many.test'), 0);
    assert.equal(server.count('i11.many.test'), 0);
  });

  it('resolves the same record completely with a larger budget', async () => {
    const result = await resolve('many.test', 20);
    assert.equal(result.addresses.length, 11);
    assert.equal(result.addresses.at(-1), '203.0.113.11');
    assert.equal(result.lookups, 12);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, []);
  });

  it('counts MX host lookups and drops the least preferred hosts first', async () => {
    const full = await resolve('mx-many.test');
    assert.deepEqual(full.addresses, ['192.0.2.101', '192.0.2.102', '192.0.2.103']);
    assert.equal(full.lookups, 5); // TXT, MX, three hosts
    assert.equal(full.complete, true);

    const cut = await resolve('mx-many.test', 4);
    assert.deepEqual(cut.addresses, ['192.0.2.101', '192.0.2.102']);
    assert.equal(cut.lookups, 4);
    assert.equal(cut.complete, false);
    assert.deepEqual(cut.errors, [
      'mx-many.test: mx: MX host backup2.mx-many.test: DNS lookup limit (4) reached; this and later DNS-based terms skipped',
    ]);
  });

  it('gives up on a server that never answers within the timeout', async () => {
    const started = performance.now();
    const result = await resolve('dead.test');
    const elapsed = performance.now() - started;
    assert.deepEqual(result.addresses, []);
    assert.equal(result.lookups, 1);
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, ['dead.test: TXT dead.test: ETIMEOUT (no answer in time)']);
    // No MX fallback: a timeout is not "no SPF record".
    assert.ok(elapsed >= TIMEOUT_MS - 20 && elapsed < TIMEOUT_MS + 250, `took ${Math.round(elapsed)} ms`);
  });

  it('keeps the rest of a record when one include times out, but marks it incomplete', async () => {
    const result = await resolve('partly-dead.test');
    assert.deepEqual(result.addresses, ['192.0.2.40', '192.0.2.41']);
    assert.equal(result.lookups, 2);
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, ['partly-dead.test: include:dead.test: TXT dead.test: ETIMEOUT (no answer in time)']);
  });

  it('reports SERVFAIL as a failure, not as an empty answer', async () => {
    const top = await resolve('servfail.test');
    assert.deepEqual(top.addresses, []);
    assert.equal(top.complete, false);
    assert.deepEqual(top.errors, ['servfail.test: TXT servfail.test: ESERVFAIL (server failure)']);

    const nested = await resolve('include-servfail.test');
    assert.deepEqual(nested.addresses, ['192.0.2.50']);
    assert.equal(nested.lookups, 2);
    assert.equal(nested.complete, false);
    assert.deepEqual(nested.errors, ['include-servfail.test: include:servfail.test: TXT servfail.test: ESERVFAIL (server failure)']);
  });

  it('keeps the A answer when only the AAAA lookup fails', async () => {
    const result = await resolve('half-broken.test');
    assert.deepEqual(result.addresses, ['192.0.2.55']);
    assert.equal(result.lookups, 2);
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, [
      'half-broken.test: a:host.half-broken.test: AAAA host.half-broken.test: ESERVFAIL (server failure)',
    ]);
  });

  it('reports REFUSED as a failure', async () => {
    const result = await resolve('refused.test');
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, ['refused.test: TXT refused.test: EREFUSED (query refused)']);
  });

  it('treats an include of a missing domain (NXDOMAIN) as an answer: noted, still complete', async () => {
    const result = await resolve('nx-include.test');
    assert.deepEqual(result.addresses, ['192.0.2.60']);
    assert.equal(result.lookups, 2);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, ['nx-include.test: include:missing.test has no SPF record (permerror); contributes nothing']);
  });

  it('uses neither of two SPF records (permerror)', async () => {
    const result = await resolve('two-records.test');
    assert.deepEqual(result.addresses, []);
    assert.equal(result.lookups, 1);
    assert.deepEqual(result.errors, ['two-records.test: 2 SPF records published (permerror); none used']);
  });

  it('handles ip6, AAAA for a and mx, and the /NN and //NN forms', async () => {
    const result = await resolve('v6.test');
    assert.deepEqual(result.addresses, [
      '198.51.100.64/28', // a:dual.v6.test/28 masks 198.51.100.77
      '198.51.100.77',
      '203.0.113.99', // mx//64 leaves IPv4 alone
      '2001:db8:ab::/56', // a:…//56 masks 2001:db8:ab:1::77
      '2001:db8:ab::1', // written out in full and upper case in the record
      '2001:db8:ab:1::77',
      '2001:db8:ab:cd::/64',
      '2001:db8:ff:1::/64', // mx//64 on 2001:db8:ff:1::99
    ]);
    assert.equal(result.lookups, 5); // TXT, a, a, mx, one MX host
    assert.deepEqual(result.errors, []);
    assert.equal(result.complete, true);
  });

  it('falls back to the MX hosts (A and AAAA) of a domain without SPF', async () => {
    const result = await resolve('no-spf.test');
    assert.deepEqual(result.addresses, ['192.0.2.70', '192.0.2.71', '2001:db8:70::1']);
    assert.equal(result.lookups, 4); // TXT, MX, two hosts
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, ['no-spf.test: no SPF record; using its MX hosts']);
  });

  it('returns nothing, but complete, for a domain that does not exist or has a null MX', async () => {
    const missing = await resolve('does-not-exist.test');
    assert.deepEqual(missing.addresses, []);
    assert.equal(missing.lookups, 2);
    assert.equal(missing.complete, true);
    assert.deepEqual(missing.errors, [
      'does-not-exist.test: no SPF record; using its MX hosts',
      'does-not-exist.test: MX fallback: does-not-exist.test has no MX hosts',
    ]);

    const nullMx = await resolve('null-mx.test');
    assert.deepEqual(nullMx.addresses, []);
    assert.equal(nullMx.complete, true);
    assert.deepEqual(nullMx.errors, [
      'null-mx.test: no SPF record; using its MX hosts',
      'null-mx.test: MX fallback: null-mx.test publishes a null MX (sends and accepts no mail)',
    ]);
  });

  it('joins TXT chunks with nothing in between', async () => {
    const result = await resolve('split.test');
    assert.deepEqual(result.addresses, ['192.0.2.80', '192.0.2.81']);
    assert.deepEqual(result.errors, []);
  });

  it('reads a record too big for UDP over TCP', async () => {
    server.clearLog();
    const result = await resolve('big.test');
    assert.equal(result.addresses.length, 80);
    assert.deepEqual(result.addresses.slice(0, 3), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    assert.equal(result.addresses.at(-1), '198.51.100.80');
    assert.equal(result.complete, true);
    assert.deepEqual(
      server.queries.map((q) => q.transport),
      ['udp', 'tcp'],
    );
  });

  it('whitelists only + and unqualified terms, and nothing after all', async () => {
    server.clearLog();
    const result = await resolve('qualifiers.test');
    assert.deepEqual(result.addresses, ['192.0.2.93', '192.0.2.94']);
    assert.equal(result.lookups, 1);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, ['qualifiers.test: ignored 1 mechanism(s) after "all", which receivers never evaluate']);
    assert.equal(server.count('other.qualifiers.test'), 0);
    assert.equal(server.count('host.qualifiers.test'), 0);
  });

  it('masks host bits, drops invalid literals and refuses /0', async () => {
    const result = await resolve('hostbits.test');
    assert.deepEqual(result.addresses, ['192.0.2.128/25', '198.51.100.7', '203.0.113.0/24', '2001:db8::1:0:0/96']);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, [
      'hostbits.test: "ip4:192.0.2.300" is not a valid IPv4 address or network; dropped',
      'hostbits.test: "ip4:192.0.2.1/33" is not a valid IPv4 address or network; dropped',
      'hostbits.test: "ip4:10.1" is not a valid IPv4 address or network; dropped',
      'hostbits.test: "ip4:192.0.2.1/024" is not a valid IPv4 address or network; dropped',
      'hostbits.test: "ip6:2001:db8::g" is not a valid IPv6 address or network; dropped',
      'hostbits.test: "ip6:2001:db8::/129" is not a valid IPv6 address or network; dropped',
      'hostbits.test: ip4:0.0.0.0/0: a /0 network covers every host; not whitelisted',
    ]);
  });

  it('drops ptr (no @domain senders), exists, macros, unknown mechanisms and +all, with notes', async () => {
    server.clearLog();
    const result = await resolve('misc.test');
    assert.deepEqual(result.addresses, ['192.0.2.140']);
    assert.deepEqual(result.senders, []);
    assert.equal(result.lookups, 1);
    assert.equal(result.complete, true);
    assert.deepEqual(result.errors, [
      'misc.test: "ptr" ignored (ptr is deprecated and a sender-domain entry is forgeable)',
      'misc.test: "ptr:misc.test" ignored (ptr is deprecated and a sender-domain entry is forgeable)',
      'misc.test: "exists:%{i}.rbl.misc.test" ignored (exists: depends on the connecting client)',
      'misc.test: "include:%{d}.spf.misc.test" uses a macro, which needs the connecting client; ignored',
      'misc.test: "a:%{l}.misc.test" uses a macro, which needs the connecting client; ignored',
      'misc.test: unknown mechanism "foo:bar" (permerror); ignored',
      'misc.test: "+all" authorises every host; not whitelisting the whole Internet',
    ]);
    assert.deepEqual(server.queries, [{ name: 'misc.test', type: 'TXT', transport: 'udp' }]);
  });

  it('ignores case in the record and in names', async () => {
    const result = await resolve('CASE.test.');
    assert.equal(result.domain, 'case.test');
    assert.deepEqual(result.addresses, ['192.0.2.160', '192.0.2.161', '2001:db8:cafe::1']);
    assert.equal(result.lookups, 3);
    assert.deepEqual(result.errors, []);
  });

  it('rejects a name that is not a domain without querying', async () => {
    server.clearLog();
    const result = await resolve('not a domain');
    assert.equal(result.lookups, 0);
    assert.equal(result.complete, false);
    assert.deepEqual(result.errors, ['not a domain: not a valid domain name']);
    assert.equal(server.queries.length, 0);
  });
});

describe('createDnsClient', () => {
  let server: TestDnsServer;
  let dns: DnsClient;

  before(async () => {
    server = await startDnsServer(ZONE);
    dns = createDnsClient({ servers: [server.address], timeoutMs: TIMEOUT_MS, tries: 1 });
  });
  after(async () => {
    dns.close();
    await server.close();
  });

  it('returns the TXT chunks unjoined', async () => {
    assert.deepEqual(await dns.txt('split.test'), [['v=spf1 ip4:192.0.2.', '80 ip4:192.0', '.2.81', ' -all']]);
  });

  it('turns NXDOMAIN and NODATA into empty lists', async () => {
    assert.deepEqual(await dns.txt('does-not-exist.test'), []); // NXDOMAIN
    assert.deepEqual(await dns.aaaa('mx2.no-spf.test'), []); // NODATA
    assert.deepEqual(await dns.mx('mx2.no-spf.test'), []);
  });

  it('throws DnsLookupError for SERVFAIL and timeouts', async () => {
    await assert.rejects(dns.a('servfail.test'), (error: unknown) => {
      assert.ok(error instanceof DnsLookupError);
      assert.equal(error.code, 'ESERVFAIL');
      assert.equal(error.type, 'A');
      assert.equal(error.hostname, 'servfail.test');
      return true;
    });
    const started = performance.now();
    await assert.rejects(dns.mx('dead.test'), { name: 'DnsLookupError', code: 'ETIMEOUT', message: 'MX dead.test: ETIMEOUT (no answer in time)' });
    assert.ok(performance.now() - started < TIMEOUT_MS + 250);
  });

  it('normalises AAAA answers to lower-case compressed form', async () => {
    assert.deepEqual(await dns.aaaa('mx1.no-spf.test'), ['2001:db8:70::1']);
  });
});
