/**
 * events/: one committed sample API Gateway event per route (npm run events). Each is
 * current (the route table and schemas would produce the same file) and, dispatched through
 * its own family's Lambda handler on an embedded backend, resolves to its route: no 5xx,
 * anonymous calls get LOGIN_REQUIRED, public routes answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES, type Family } from '#lib/http/routes';
import { eventFile, sampleEvent } from '#lib/docs/sample-events';
import type { GatewayEvent, GatewayResult } from '#lib/http/aws-event';
import { startHarness, type Harness } from '../support/api';

const eventsDir = join(__dirname, '..', '..', 'events');
let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

function filesUnder(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base)).flatMap((name) => {
    const rel = base ? `${base}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : rel.endsWith('.json') ? [rel] : [];
  });
}

async function familyHandler(family: Family): Promise<(event: GatewayEvent) => Promise<GatewayResult>> {
  const module = (await import(`../../functions/${family}`)) as { handler: (event: GatewayEvent) => Promise<GatewayResult> };
  return module.handler;
}

describe('events/', () => {
  test('there is exactly one event per route, and each is current (else: npm run events)', () => {
    const expected = ROUTES.map(eventFile).sort();
    assert.deepEqual(filesUnder(eventsDir).sort(), expected, 'events/ does not match the route table: run `npm run events`');
    for (const route of ROUTES) {
      const committed = JSON.parse(readFileSync(join(eventsDir, eventFile(route)), 'utf8'));
      assert.deepEqual(committed, sampleEvent(route), `${eventFile(route)} is stale: run \`npm run events\``);
    }
  });

  for (const route of ROUTES) {
    test(`${route.method} ${route.pattern} -> functions/${route.family}.ts`, async () => {
      const event = JSON.parse(readFileSync(join(eventsDir, eventFile(route)), 'utf8')) as GatewayEvent;
      const result = await (await familyHandler(route.family))(event);
      assert.ok(result.statusCode < 500, `HTTP ${result.statusCode}: ${result.body}`);
      assert.notEqual(result.statusCode, 404, `the route did not resolve: ${result.body}`);
      const type = result.headers['Content-Type'] ?? '';
      if (route.access.kind !== 'public') {
        assert.deepEqual(JSON.parse(result.body), { _success: false, _msg: 'LOGIN_REQUIRED' });
      } else if (type.startsWith('text/html')) {
        assert.match(result.body, /^<!doctype html>/i);
      } else {
        const body = JSON.parse(result.body);
        // The envelope (health, login: refused for want of a password), or the OpenAPI document.
        assert.ok(typeof body._success === 'boolean' || body.openapi === '3.1.0', result.body.slice(0, 200));
        if (body._success === false) assert.notEqual(body._msg, 'LOGIN_REQUIRED');
      }
    });
  }

  test('a family handler refuses the routes of other families (NOT_FOUND)', async () => {
    const route = ROUTES.find((r) => r.family !== 'meta')!;
    const event = JSON.parse(readFileSync(join(eventsDir, eventFile(route)), 'utf8')) as GatewayEvent;
    const result = await (await familyHandler('meta'))(event);
    assert.equal(result.statusCode, 404);
  });
});
