import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES, FAMILIES } from '#lib/http/routes';
import { matchRoute, normalizePath } from '#lib/http/match';
import { EXTRA_FUNCTIONS } from '../../infra/extra-functions';

// The same module serverless.yml reads its functions and resource policy from.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const infra = require('../../infra/serverless-functions.js');

function gatewayServes(functions: Record<string, any>, family: string, path: string): boolean {
  const segments = path.split('/').filter(Boolean);
  return (functions[family]?.events ?? []).some((event: any) => {
    const parts = String(event.http.path).split('/');
    if (parts.at(-1) === '{proxy+}') return segments.length > parts.length - 1 && parts.slice(0, -1).every((p, i) => p === segments[i]);
    return parts.length === segments.length && parts.every((p, i) => p === segments[i]);
  });
}

test('every route of the router is served by its family function under /api and /iredadmin/api', () => {
  const functions = infra.functions();
  assert.deepEqual(Object.keys(functions).sort(), [...FAMILIES, ...EXTRA_FUNCTIONS.map((extra) => extra.name)].sort());
  for (const route of ROUTES) {
    const concrete = route.pattern.replace(/:domain|:new_mail|:mail/g, (m) => (m === ':domain' ? 'example.com' : 'a@example.com')).replace(':days', '7').replace(':account', 'example.com').replace(':direction', 'inbound').replace(':id', '0f8e2c5a-3b1d-4e6f-9a7b-1c2d3e4f5a6b');
    for (const base of ['/api', '/iredadmin/api']) {
      assert.ok(gatewayServes(functions, route.family, base + concrete), `${route.method} ${base}${concrete} -> ${route.family}`);
      const matched = matchRoute(route.method, normalizePath(base + concrete)!);
      assert.equal(matched.route.family, route.family);
    }
    assert.match(functions[route.family].handler, new RegExp(`^\\.build/functions/${route.family}/index\\.handler$`));
  }
});

test('the resource policy denies every address outside infra/allowed-ips.json, and nothing when it is empty', () => {
  const statements = infra.resourcePolicy();
  const allowed = require('../../infra/allowed-ips.json') as string[];
  const deny = statements.find((s: any) => s.Effect === 'Deny');
  if (allowed.length === 0) assert.equal(deny, undefined);
  else assert.deepEqual(deny.Condition.NotIpAddress['aws:SourceIp'], allowed);
});

test('scheduled functions are declared with their events and bundled handler', () => {
  const functions = infra.functions();
  const refresh = functions['spf-refresh'];
  assert.ok(refresh, 'the SPF whitelist refresh is a function');
  assert.equal(refresh.handler, '.build/functions/spf-refresh/index.handler');
  assert.deepEqual(refresh.events, [{ schedule: 'rate(1 hour)' }]);
  assert.ok(refresh.timeout > 29);
});
