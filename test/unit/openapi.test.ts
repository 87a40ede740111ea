import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { Type } from '@sinclair/typebox';
import { ROUTES, FAMILIES, type Route } from '#lib/http/routes';
import { ORIGINAL_CODES, PROJECT_CODES } from '#lib/model/codes';
import { PARAM_SCHEMAS, routeKey } from '#lib/model/schemas/index';
import { RESPONSE_SCHEMAS } from '#lib/model/schemas/responses';
import { buildOpenApi, defaultInput, type Json } from '#lib/docs/openapi';
import { readCodeNotes } from '#lib/docs/code-notes';
import { capturesOf, openApiPath } from '#lib/docs/samples';

const root = join(__dirname, '..', '..');
const notes = readCodeNotes(join(root, 'lib', 'model', 'codes.ts'));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const doc = buildOpenApi(defaultInput(notes, version));
const VOCABULARY = new Set<string>([...ORIGINAL_CODES, ...PROJECT_CODES]);

function operation(route: Route): Json {
  return doc.paths[`/api${openApiPath(route.pattern)}`]?.[route.method.toLowerCase()];
}

function resolve(ref: string): Json | undefined {
  return ref.replace(/^#\//, '').split('/').reduce((node: Json | undefined, key) => node?.[key], doc);
}

test('the generated openapi.json is the document the sources describe (else: npm run build:validators)', () => {
  const built = JSON.parse(readFileSync(join(root, 'lib', 'model', 'generated', 'openapi.json'), 'utf8'));
  assert.deepEqual(built, doc);
});

test('every route is an operation under /api, its captures named path parameters', () => {
  assert.equal(doc.openapi, '3.1.0');
  let count = 0;
  for (const route of ROUTES) {
    const op = operation(route);
    assert.ok(op, `${route.method} ${route.pattern} is missing`);
    count++;
    assert.deepEqual(op.tags, [route.family]);
    assert.equal(op.summary, route.summary);
    const pathParams = op.parameters.filter((p: Json) => p.in === 'path');
    assert.deepEqual(pathParams.map((p: Json) => p.name), capturesOf(route.pattern));
    for (const p of pathParams) {
      assert.equal(p.required, true);
      assert.ok(p.description && !p.description.startsWith('The `'), `${route.pattern}: capture ${p.name} has a real description`);
    }
  }
  const operations = Object.values(doc.paths as Record<string, Json>).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.equal(operations, count, 'no operation without a route');
  assert.deepEqual(doc.tags.map((t: Json) => t.name), [...FAMILIES]);
  assert.ok(FAMILIES.includes('meta') && operation(ROUTES.find((r) => r.pattern === '/openapi.json')!) && operation(ROUTES.find((r) => r.pattern === '/docs')!));
});

test('every parameter schema property is a query parameter (GET, DELETE) or a form/JSON body field (POST, PUT)', () => {
  for (const route of ROUTES) {
    const schema = PARAM_SCHEMAS[routeKey(route)];
    const names = Object.keys(schema?.properties ?? {});
    const op = operation(route);
    if (route.method === 'POST' || route.method === 'PUT') {
      if (names.length === 0) continue;
      const content = op.requestBody.content;
      assert.deepEqual(Object.keys(content).sort(), ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      const body = resolve(content['application/x-www-form-urlencoded'].schema.$ref)!;
      assert.deepEqual(Object.keys(body.properties).sort(), [...names].sort(), routeKey(route));
      assert.match(op.description, /query string: both are merged, the body wins/);
    } else {
      assert.equal(op.requestBody, undefined);
      const query = op.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => p.name);
      assert.deepEqual(query.sort(), [...names].sort(), routeKey(route));
    }
  }
  const domainPut = resolve(operation(ROUTES.find((r) => routeKey(r) === 'PUT /domain/:domain')!).requestBody.content['application/json'].schema.$ref)!;
  assert.equal(domainPut.properties.quota['x-msg'], 'INVALID_QUOTA_SIZE');
});

test('every _msg a route answers is in the vocabulary; the vocabulary is complete and described', () => {
  assert.deepEqual(new Set(doc.components.schemas.MsgCode.enum), VOCABULARY);
  for (const code of VOCABULARY) assert.ok(doc.components.schemas.MsgCode['x-enum-descriptions'][code], `${code} has no description (comment it in lib/model/codes.ts)`);
  for (const route of ROUTES) {
    const codes: string[] = operation(route)['x-msg-codes'];
    for (const code of codes) assert.ok(VOCABULARY.has(code), `${routeKey(route)} answers ${code}, which lib/model/codes.ts does not list`);
    for (const property of Object.values((PARAM_SCHEMAS[routeKey(route)]?.properties ?? {}) as Record<string, Json>)) {
      assert.ok(codes.includes(property['x-msg']), `${routeKey(route)} lists its parameter code ${property['x-msg']}`);
    }
    if (route.access.kind === 'public') assert.ok(!codes.includes('LOGIN_REQUIRED'), routeKey(route));
    else assert.ok(codes.includes('LOGIN_REQUIRED'), routeKey(route));
    if (route.access.kind === 'globalAdmin' || route.access.kind === 'domainAdmin') assert.ok(codes.includes('PERMISSION_DENIED'), routeKey(route));
    assert.ok(codes.includes('NOT_AUTHORIZED') && codes.includes('STORAGE_UNAVAILABLE'));
  }
  const codesOf = (key: string) => operation(ROUTES.find((r) => routeKey(r) === key)!)['x-msg-codes'];
  assert.ok(codesOf('GET /domain/:domain').includes('INVALID_DOMAIN_NAME'));
  assert.ok(codesOf('POST /login').includes('INVALID_CREDENTIALS'));
  assert.ok(codesOf('DELETE /apikey/:id').includes('NO_SUCH_API_KEY'), 'capture codes come from the matcher');
  assert.ok(codesOf('POST /user/:mail/change_email/:new_mail').includes('INVALID_NEW_EMAIL'));
  assert.ok(codesOf('GET /throttle/:account/:direction').includes('INVALID_ACCOUNT'));
});

test('security: Bearer JWT, the iRedAdmin-Pro-<BACKEND> cookies and X-API-Key; public routes need none', () => {
  const schemes = doc.components.securitySchemes;
  assert.deepEqual(schemes.bearerAuth, { ...schemes.bearerAuth, type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  assert.deepEqual(schemes.apiKeyHeader, { ...schemes.apiKeyHeader, type: 'apiKey', in: 'header', name: 'X-API-Key' });
  const cookies = Object.values(schemes as Record<string, Json>).filter((s) => s.in === 'cookie').map((s) => s.name).sort();
  assert.deepEqual(cookies, ['iRedAdmin-Pro-LDAP', 'iRedAdmin-Pro-MYSQL', 'iRedAdmin-Pro-PGSQL']);
  for (const route of ROUTES) {
    const security = operation(route).security;
    if (route.access.kind === 'public') assert.deepEqual(security, []);
    else assert.deepEqual(security.map((s: Json) => Object.keys(s)[0]).sort(), Object.keys(schemes).sort());
  }
});

test('reply data: described routes carry their schema, others a generic _data; raw documents their media type', () => {
  const successOf = (key: string) => operation(ROUTES.find((r) => routeKey(r) === key)!).responses['200'].content['application/json'].schema.oneOf[0];
  assert.ok(successOf('GET /domain/:domain').properties._data.properties.allocated_quota);
  assert.equal(successOf('GET /domains').properties._total.type, 'integer');
  assert.ok(successOf('POST /login').properties._data.properties.token);
  assert.ok(successOf('GET /health').properties._data.properties.checks);
  assert.ok(successOf('GET /log').properties._data.items.properties.msg);
  assert.equal(successOf('POST /domain/:domain').properties._data, undefined, 'writes without _data');
  const docsPage = operation(ROUTES.find((r) => r.pattern === '/docs')!).responses['200'].content;
  assert.deepEqual(Object.keys(docsPage), ['text/html']);
  for (const route of ROUTES) {
    if (!RESPONSE_SCHEMAS[routeKey(route)]) assert.equal(successOf(routeKey(route)).properties._data['x-undocumented'], true);
  }
  // A route nobody described yet is still documented (tolerance for routes being added).
  const extra: Route = { method: 'GET', pattern: '/brand_new/:domain', family: 'meta', operation: 'x', access: { kind: 'domainAdmin', target: 'domain' }, summary: 'New' };
  const tolerant = buildOpenApi({ ...defaultInput(notes), routes: [extra], families: ['meta'], paramSchemas: { 'GET /brand_new/:domain': Type.Object({ q: Type.Optional(Type.String({ 'x-msg': 'INVALID_PARAMETER' })) }) }, responseSchemas: {} });
  const op = tolerant.paths['/api/brand_new/{domain}'].get;
  assert.equal(op.responses['200'].content['application/json'].schema.oneOf[0].properties._data['x-undocumented'], true);
  assert.deepEqual(op.parameters.map((p: Json) => p.name), ['domain', 'q']);
});

test('every schema in the document compiles as JSON Schema 2020-12, and every $ref resolves', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  // Local references (#/components/...) resolve against the document's components.
  const compile = (schema: object) => ajv.compile({ ...schema, components: doc.components });
  const refs: string[] = [];
  const walk = (node: unknown, inSchema: boolean): void => {
    if (Array.isArray(node)) return node.forEach((item) => walk(item, inSchema));
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') refs.push(String(value));
      else if (key === 'schema' && value && typeof value === 'object' && !(value as Json).$ref) compile(value as object);
      walk(value, inSchema);
    }
  };
  walk(doc.paths, false);
  for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, Json>)) assert.doesNotThrow(() => compile(schema), name);
  for (const ref of refs) assert.ok(resolve(ref), `${ref} resolves`);
});
