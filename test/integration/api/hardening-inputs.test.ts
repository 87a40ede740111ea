import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../../support/api';
import { probe, seedMailbox, type Probe } from '../../support/probe';
import { capturesOf, pathOf, ROUTES, sweepBatch, type RawRequest, type SweepCase } from '../../support/hardening';
import { PARAM_SCHEMAS, routeKey } from '#lib/model/schemas/index';
import type { Route } from '#lib/http/routes';

/**
 * Issue 8.1, the bad-input sweep: every route and method of the route table (so a route
 * added later is swept too) gets hostile values in its path captures, in every parameter its
 * schema declares, and broken bodies. Every reply must be a JSON envelope below HTTP 500 with
 * a documented code, and refused requests must leave all storage as it was.
 * Requests are made as the global admin so that permission checks do not hide the inputs.
 */
let h: Harness;
let p: Probe;
let auth: Record<string, string>;

before(async () => {
  h = await startHarness();
  p = probe(h);
  const admin = await h.loggedIn();
  assert.equal((await admin.post('/api/domain/mine.test', { name: 'mine' })).body._success, true);
  await seedMailbox(h, 'user@mine.test');
  const login = await h.client().login('admin@admins.test', 'Adm1n!Secret#');
  auth = { authorization: `Bearer ${login.body._data.token}` };
});
after(async () => { await h?.close(); });

/** Valid-looking targets per capture name; DELETE routes aim at a domain that does not exist, so the fixture survives. */
function baseCaptures(route: Route): Record<string, string> {
  const domain = route.method === 'DELETE' ? 'absent.test' : 'mine.test';
  return { domain, mail: `nobody@${domain}`, new_mail: `nobody2@${domain}`, account: domain, direction: 'inbound', days: '30', id: '00000000-0000-4000-8000-000000000000' };
}

const LONG = 'x'.repeat(70_000);
const MEGABYTE = 'x'.repeat(1024 * 1024);

/** Hostile values, each named for the failure message. */
const VALUES: Record<string, string> = {
  'malformed address': 'user@@mine..test',
  'address without domain': 'user@',
  'malformed domain': '-bad_domain-.test',
  'sql injection': "x' OR '1'='1'; DROP TABLE mailbox; --",
  'sql in an address': "u'--@mine.test",
  'ldap filter injection': '*)(objectClass=*))(|(mail=*',
  'ldap wildcard address': '*@mine.test',
  'ldap filter in an address': 'u)(uid=*@mine.test',
  'ldap dn injection': 'x,ou=Users,domainName=mine.test,o=domains',
  'nul byte': 'a\u0000b',
  'escape sequence': 'a\u001b[31mb',
  'crlf': 'a\r\nSet-Cookie: x=y',
  'replacement char (invalid utf-8 decoded)': 'a\ufffdb',
  'unicode': 'Ünïcødé ✉ 𝔘',
  'idn address': 'müller@bücher.test',
  'punycode domain': 'xn--bcher-kva.test',
  'rtl override': 'a\u202eb@mine.test',
  negative: '-1',
  'huge number': '99999999999999999999999999',
  'float overflow': '1e309',
  empty: '',
  spaces: '   ',
  '70 kB': LONG,
  html: '<script>alert(1)</script>',
  'path traversal': '../../etc/passwd',
  'json-looking': '{"$ne":null}',
  'list with holes': 'a,,b, ,',
};
const VALUE_NAMES = Object.keys(VALUES);

/** Path segments sent as they are (already percent-encoded), for what encodeURIComponent cannot produce. */
const RAW_SEGMENTS: Record<string, string> = {
  'invalid utf-8 (%C3%28)': '%C3%28@mine.test',
  'broken percent escape': '%E0%A4%A',
  'encoded NUL': 'a%00@mine.test',
  'encoded slash': 'a%2Fb@mine.test',
  '1 MB segment': MEGABYTE,
};

const paramNames = (route: Route): string[] => Object.keys(PARAM_SCHEMAS[routeKey(route)]?.properties ?? {});
const hasBody = (route: Route) => route.method === 'POST' || route.method === 'PUT';

function withParams(route: Route, path: string, params: Record<string, string>, as: 'form' | 'json' | 'query'): RawRequest {
  if (as === 'query' || !hasBody(route)) {
    return { method: route.method, path, headers: auth, query: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [v]])) };
  }
  if (as === 'json') return { method: route.method, path, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(params) };
  return { method: route.method, path, headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() };
}

/** Every hostile request for one route. */
function casesFor(route: Route): SweepCase[] {
  const cases: SweepCase[] = [];
  const add = (labelText: string, req: RawRequest) => cases.push({ route, req: { ...req, label: `[${labelText}]` } });
  const base = baseCaptures(route);
  const path = pathOf(route, base);
  const names = paramNames(route);

  add('no parameters', { method: route.method, path, headers: auth });

  for (const capture of capturesOf(route)) {
    for (const [name, value] of Object.entries(VALUES)) add(`:${capture} ${name}`, { method: route.method, path: pathOf(route, { ...base, [capture]: encodeURIComponent(value) }), headers: auth });
    for (const [name, value] of Object.entries(RAW_SEGMENTS)) add(`:${capture} ${name}`, { method: route.method, path: pathOf(route, { ...base, [capture]: value }), headers: auth });
  }

  // Every declared parameter at once set to each hostile value (form, JSON and query in turn),
  // then each parameter alone with two values in rotation, so every value meets many parameters.
  const targets = names.length > 0 ? names : ['name', 'domain'];
  VALUE_NAMES.forEach((name, i) => {
    const as = (['form', 'json', 'query'] as const)[i % 3]!;
    add(`all params ${name} (${as})`, withParams(route, path, Object.fromEntries(targets.map((t) => [t, VALUES[name]!])), as));
  });
  add('all params 1 MB', withParams(route, path, Object.fromEntries(targets.slice(0, 1).map((t) => [t, MEGABYTE])), 'query'));
  names.forEach((param, i) => {
    for (let j = 0; j < 2; j++) {
      const name = VALUE_NAMES[(i * 2 + j) % VALUE_NAMES.length]!;
      add(`${param}=${name}`, withParams(route, path, { [param]: VALUES[name]! }, j === 1 ? 'json' : 'form'));
    }
  });

  // Repeated keys: the last value wins in the query; in a form body, too.
  const first = targets[0]!;
  add('repeated query key', { method: route.method, path, headers: auth, query: { [first]: ['a', "x' OR 1=1 --", '*'] } });

  if (hasBody(route)) {
    const bodies: [string, string | undefined, string | Buffer][] = [
      ['malformed JSON', 'application/json', `{"${first}": "x"`],
      ['JSON array', 'application/json', '[1,2,3]'],
      ['JSON null', 'application/json', 'null'],
      ['JSON string', 'application/json', '"x"'],
      ['JSON nested object', 'application/json', JSON.stringify({ [first]: { $gt: '' } })],
      ['JSON array value', 'application/json', JSON.stringify({ [first]: ['a', 'b'] })],
      ['JSON number and bool values', 'application/json', JSON.stringify({ [first]: 1e308, other: true })],
      ['JSON repeated key', 'application/json', `{"${first}": "a", "${first}": "*"}`],
      ['JSON __proto__', 'application/json', `{"__proto__": {"isGlobalAdmin": "yes"}, "constructor": {"prototype": {"x": 1}}}`],
      ['JSON with form content type', 'application/x-www-form-urlencoded', JSON.stringify({ [first]: 'x' })],
      ['form with JSON content type', 'application/json', `${first}=x`],
      ['text/plain', 'text/plain', `${first}=x`],
      ['application/xml', 'application/xml', `<${first}>x</${first}>`],
      ['no content type', undefined, `${first}=x&${first}=y`],
      ['multipart without boundary', 'multipart/form-data', `--b\r\nContent-Disposition: form-data; name="${first}"\r\n\r\nx\r\n--b--\r\n`],
      ['multipart truncated', 'multipart/form-data; boundary=b', `--b\r\nContent-Disposition: form-data; name="${first}"\r\n\r\nx`],
      ['multipart with a file', 'multipart/form-data; boundary=b', `--b\r\nContent-Disposition: form-data; name="${first}"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n`],
      ['invalid utf-8 in form', 'application/x-www-form-urlencoded', Buffer.concat([Buffer.from(`${first}=a`), Buffer.from([0xc3, 0x28, 0xff])])],
      ['invalid utf-8 in JSON', 'application/json', Buffer.concat([Buffer.from(`{"${first}": "a`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
      ['broken percent escape in form', 'application/x-www-form-urlencoded', `${first}=%E0%A4%A`],
      ['encoded NUL in form', 'application/x-www-form-urlencoded', `${first}=a%00b`],
      ['body over 1 MB', 'application/x-www-form-urlencoded', `${first}=${'y'.repeat(1024 * 1024 + 10)}`],
      ['many keys', 'application/x-www-form-urlencoded', Array.from({ length: 2000 }, (_v, k) => `k${k}=v`).join('&')],
      ['very long key', 'application/x-www-form-urlencoded', `${'k'.repeat(5000)}=v`],
    ];
    for (const [name, type, body] of bodies) add(name, { method: route.method, path, headers: type ? { ...auth, 'content-type': type } : auth, body });
  }
  return cases;
}

describe(`hardening: bad input on every route (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('every route has test values for its captures', () => {
    for (const route of ROUTES) assert.doesNotThrow(() => pathOf(route, baseCaptures(route)), `${route.method} ${route.pattern}`);
  });

  const families = [...new Set(ROUTES.map((r) => r.family))];
  for (const family of families) {
    test(`${family}: hostile captures, parameters and bodies are refused with an envelope below 500, and refusals change nothing`, async () => {
      // One snapshot pair around each batch of a few hundred requests (a snapshot costs ~0.2 s;
      // most refusals ~0.2 ms); sweepBatch names the request when a batch changed storage.
      const cases = ROUTES.filter((r) => r.family === family).flatMap(casesFor);
      for (let i = 0; i < cases.length; i += 500) await sweepBatch(h, p, cases.slice(i, i + 500));
    });
  }

});
