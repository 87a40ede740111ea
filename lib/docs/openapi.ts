/**
 * The OpenAPI 3.1 document of the API, built from the route table (lib/http/routes.ts), the
 * parameter schemas that validate requests (lib/model/schemas), the response schemas
 * (lib/model/schemas/responses.ts) and the `_msg` vocabulary (lib/model/codes.ts). Run at
 * build time only (scripts/build-openapi.ts): the Lambdas serve the prebuilt text.
 *
 * The codes a route can answer are not listed by hand: the capture codes are found by
 * asking the path matcher about an invalid value, the access codes by asking the access
 * module about callers who may not pass, so the document follows the code it describes.
 */
import type { TSchema } from '@sinclair/typebox';
import { ROUTES, FAMILIES, type Route } from '#lib/http/routes';
import { matchRoute } from '#lib/http/match';
import { ApiError } from '#lib/http/errors';
import { authorizeRoute } from '#lib/auth/access';
import type { Caller } from '#lib/auth/caller';
import { cookieName, type Backend } from '#lib/config';
import { ORIGINAL_CODES, PROJECT_CODES } from '#lib/model/codes';
import { PARAM_SCHEMAS, routeKey } from '#lib/model/schemas/index';
import { RESPONSE_SCHEMAS, type ResponseSpec } from '#lib/model/schemas/responses';
import { captureInfo, capturesOf, openApiPath, samplePath } from '#lib/docs/samples';

export type Json = Record<string, any>;

export interface OpenApiInput {
  routes: readonly Route[];
  families: readonly string[];
  paramSchemas: Record<string, TSchema>;
  responseSchemas: Record<string, ResponseSpec>;
  codes: readonly string[];
  codeNotes: Record<string, string>;
  version: string;
}

export function defaultInput(codeNotes: Record<string, string> = {}, version = '0.0.0'): OpenApiInput {
  return {
    routes: ROUTES,
    families: FAMILIES,
    paramSchemas: PARAM_SCHEMAS,
    responseSchemas: RESPONSE_SCHEMAS,
    codes: [...ORIGINAL_CODES, ...PROJECT_CODES],
    codeNotes,
    version,
  };
}

/** Codes any request may get, whatever its route: the allow-list, sanity checks, storage, bugs. */
export const GENERAL_CODES = ['NOT_AUTHORIZED', 'INVALID_PARAMETER', 'REQUEST_TOO_LARGE', 'STORAGE_UNAVAILABLE', 'INTERNAL_ERROR'];
/** Codes of reading a body (POST and PUT only: GET and DELETE bodies are ignored). */
export const BODY_CODES = ['INVALID_REQUEST_BODY', 'UNSUPPORTED_CONTENT_TYPE'];

const BODY_METHODS = new Set(['POST', 'PUT']);
const SECURITY_BACKENDS: Backend[] = ['mysql', 'pgsql', 'ldap'];

/** TypeBox schemas carry symbol keys; the document is plain JSON. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof ApiError ? error.code : undefined;
}

/** The code the matcher answers when one capture holds an invalid value (`!`), per capture. */
export function captureCodes(route: Route): Record<string, string> {
  const codes: Record<string, string> = {};
  for (const name of capturesOf(route.pattern)) {
    try {
      matchRoute(route.method, samplePath(route.pattern, { [name]: '!' }));
    } catch (error) {
      const code = codeOf(error);
      if (code) codes[name] = code;
    }
  }
  return codes;
}

function persona(overrides: Partial<Caller>): Caller {
  return { username: 'probe@example.net', kind: 'admin', isGlobalAdmin: false, managedDomains: new Set(), via: 'login', readOnly: false, ...overrides };
}

/** The codes the access module answers on this route for callers who may not pass. */
export function accessCodes(route: Route): string[] {
  const captures: Record<string, string> = {};
  for (const name of capturesOf(route.pattern)) captures[name] = captureInfo(name).sample;
  // Public routes never resolve a caller (the dispatcher skips it), so only anonymous applies.
  if (route.access.kind === 'public') return [];
  const probes: [Caller | undefined, Record<string, string>][] = [
    [undefined, captures], // anonymous
    [persona({}), captures], // an admin of no domain
    [persona({ isGlobalAdmin: true, via: 'apikey', keyId: 'probe', readOnly: true }), captures], // a read-only key
  ];
  // `global` in place of a domain target is the server-wide setting (throttle, greylisting).
  if (route.access.kind === 'domainAdmin') probes.push([persona({ managedDomains: new Set([captureInfo('domain').sample]) }), { ...captures, [route.access.target]: 'global' }]);
  const codes = new Set<string>();
  for (const [caller, values] of probes) {
    try {
      authorizeRoute(caller, route, values);
    } catch (error) {
      const code = codeOf(error);
      if (code) codes.add(code);
    }
  }
  return [...codes];
}

function schemaCodes(schema: TSchema | undefined): string[] {
  const codes = new Set<string>();
  for (const property of Object.values((schema?.properties ?? {}) as Record<string, Json>)) {
    if (typeof property['x-msg'] === 'string') codes.add(property['x-msg']);
  }
  return [...codes];
}

/** Every `_msg` a route can answer, sorted. */
export function routeCodes(route: Route, input: Pick<OpenApiInput, 'paramSchemas' | 'responseSchemas'>): string[] {
  const key = routeKey(route);
  const codes = new Set<string>([
    ...GENERAL_CODES,
    ...(BODY_METHODS.has(route.method) ? BODY_CODES : []),
    ...Object.values(captureCodes(route)),
    ...accessCodes(route),
    ...schemaCodes(input.paramSchemas[key]),
    ...(input.responseSchemas[key]?.codes ?? []),
  ]);
  codes.delete('NOT_FOUND'); // answered with HTTP 404, documented as that response
  return [...codes].sort();
}

function accessText(route: Route): string {
  switch (route.access.kind) {
    case 'public':
      return 'Public: no login needed.';
    case 'anyAdmin':
      return 'Any logged-in admin (global or domain admin), or an API key.';
    case 'globalAdmin':
      return 'Global admins only.';
    case 'domainAdmin':
      return `Global admins, or admins of the domain named by \`${route.access.target}\`${route.access.target === 'account' ? ' (`global`: global admins only)' : ''}.`;
  }
}

function parameterFrom(name: string, schema: Json, where: 'query' | 'path', required: boolean): Json {
  const { description, examples, ...rest } = schema;
  const parameter: Json = { name, in: where, required, schema: rest };
  if (description) parameter.description = description;
  if (Array.isArray(examples) && examples.length > 0) parameter.example = examples[0];
  return parameter;
}

function successSchema(route: Route, spec: ResponseSpec | undefined): Json {
  const properties: Json = { _success: { const: true } };
  const required = ['_success'];
  if (spec?.data === null) {
    // no _data on success
  } else if (spec?.data) {
    properties._data = plain(spec.data);
    required.push('_data');
  } else {
    properties._data = { description: 'Reply data (not described yet for this route).', 'x-undocumented': true };
  }
  for (const [name, schema] of Object.entries(spec?.extra ?? {})) {
    properties[name] = plain(schema);
    required.push(name);
  }
  return { type: 'object', title: `${route.method} ${route.pattern} success`, properties, required };
}

function refusalSchema(codes: string[]): Json {
  const allowsJoined = codes.some((code) => code.startsWith('PW_'));
  const msg: Json = allowsJoined
    ? { type: 'string', anyOf: [{ enum: codes }, { pattern: '^PW_[A-Z_]+(,PW_[A-Z_]+)+$', description: 'Several password-policy codes joined by commas.' }] }
    : { type: 'string', enum: codes };
  return { type: 'object', properties: { _success: { const: false }, _msg: msg }, required: ['_success', '_msg'] };
}

function operationId(route: Route): string {
  const words = `${route.method.toLowerCase()} ${route.pattern}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
}

function operationFor(route: Route, input: OpenApiInput, schemas: Json): Json {
  const key = routeKey(route);
  const schema = input.paramSchemas[key] ? plain(input.paramSchemas[key]) as Json : undefined;
  const spec = input.responseSchemas[key];
  const codes = routeCodes(route, input);
  const captureCode = captureCodes(route);
  const parameters: Json[] = capturesOf(route.pattern).map((name) => {
    const info = captureInfo(name);
    const parameter = parameterFrom(name, { ...info.schema, description: info.description, examples: [info.sample] }, 'path', true);
    if (captureCode[name]) parameter['x-msg'] = captureCode[name];
    return parameter;
  });
  const properties = (schema?.properties ?? {}) as Record<string, Json>;
  const requiredNames = new Set<string>((schema?.required as string[] | undefined) ?? []);
  const hasBody = BODY_METHODS.has(route.method);
  if (!hasBody) {
    for (const [name, property] of Object.entries(properties)) parameters.push(parameterFrom(name, property, 'query', requiredNames.has(name)));
  }
  const notes = [accessText(route)];
  if (hasBody) notes.push('Parameters go in the body (form-encoded as the original; multipart and JSON also accepted) or in the query string: both are merged, the body wins.');
  else if (Object.keys(properties).length > 0) notes.push('Parameters go in the query string (a body is ignored).');
  if (schema && schema.additionalProperties !== false) notes.push('Unknown parameters are ignored.');
  const operation: Json = {
    operationId: operationId(route),
    tags: [route.family],
    summary: route.summary,
    description: notes.join('\n\n'),
    'x-family': route.family,
    'x-operation': route.operation,
    'x-access': route.access,
    'x-msg-codes': codes,
    parameters,
    security: route.access.kind === 'public' ? [] : securityRequirements(),
  };
  if (hasBody && Object.keys(properties).length > 0) {
    // One named schema per route body, referenced by the three media types.
    const name = `${operationId(route)[0]!.toUpperCase()}${operationId(route).slice(1)}Params`;
    schemas[name] = { type: 'object', properties, ...(requiredNames.size > 0 ? { required: [...requiredNames] } : {}), additionalProperties: true };
    const bodySchema = { $ref: `#/components/schemas/${name}` };
    operation.requestBody = {
      required: requiredNames.size > 0,
      description: 'Every value is a string (JSON numbers and booleans are turned into strings, JSON lists into comma-separated strings). Query-string parameters are merged in; the body wins.',
      content: {
        'application/x-www-form-urlencoded': { schema: bodySchema },
        'multipart/form-data': { schema: bodySchema },
        'application/json': { schema: bodySchema },
      },
    };
  }
  const ok: Json = spec?.raw
    ? { description: spec.raw.description, content: { [spec.raw.mediaType]: { schema: spec.raw.schema ? plain(spec.raw.schema) : { type: 'string' } } } }
    : {
        description: 'The envelope: `_success` true with the reply data, or false with a `_msg` code (HTTP 200 for refusals, as iRedAdmin-Pro).',
        content: { 'application/json': { schema: { oneOf: [successSchema(route, spec), refusalSchema(codes)] } } },
      };
  operation.responses = {
    '200': ok,
    '404': { $ref: '#/components/responses/NotFound' },
    '500': { $ref: '#/components/responses/InternalError' },
    '503': { $ref: '#/components/responses/StorageUnavailable' },
  };
  return operation;
}

function securityRequirements(): Json[] {
  return [{ bearerAuth: [] }, { apiKeyHeader: [] }, ...SECURITY_BACKENDS.map((backend) => ({ [cookieScheme(backend)]: [] }))];
}

function cookieScheme(backend: Backend): string {
  return `cookie${backend[0]!.toUpperCase()}${backend.slice(1)}`;
}

function securitySchemes(): Json {
  const schemes: Json = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The token from POST /api/login (`_data.token`) as `Authorization: Bearer <token>`. An API key (`ira_…`) is also accepted here.',
    },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key created with POST /api/apikey.' },
  };
  for (const backend of SECURITY_BACKENDS) {
    const name = cookieName(backend);
    schemes[cookieScheme(backend)] = {
      type: 'apiKey',
      in: 'cookie',
      name,
      description: `The session cookie set by POST /api/login when BACKEND=${backend}${backend === 'pgsql' ? ' or embedded' : ''} (iRedAdmin-Pro's name, \`iRedAdmin-Pro-<BACKEND>\`): what cookie-jar clients use.`,
    };
  }
  return schemes;
}

const ENVELOPE_TEXT = [
  'A TypeScript implementation of the iRedAdmin-Pro RESTful API for iRedMail servers.',
  '',
  'Every reply is the iRedAdmin-Pro envelope `{"_success": true, "_data": …}` or `{"_success": false, "_msg": "CODE"}`. Refusals use HTTP 200 (clients read `_msg`); only an unknown path (404), storage failures (503) and bugs (500) use other statuses.',
  '',
  'Paths are served under both `/api/…` and `/iredadmin/api/…`; `//` collapses and a trailing `/` is the same resource. Parameters are strings: POST and PUT take them form-encoded (as the original), multipart or JSON, and merge them with the query string (the body wins); GET and DELETE take them from the query string.',
  '',
  'Log in with POST /api/login, then send the token as `Authorization: Bearer`, keep the `iRedAdmin-Pro-<BACKEND>` cookie, or use an API key in `X-API-Key`.',
].join('\n');

export function buildOpenApi(input: OpenApiInput): Json {
  const paths: Json = {};
  const bodySchemas: Json = {};
  for (const route of input.routes) {
    const path = `/api${openApiPath(route.pattern)}`;
    (paths[path] ??= {})[route.method.toLowerCase()] = operationFor(route, input, bodySchemas);
  }
  const codes = [...input.codes];
  const notes: Json = {};
  for (const code of codes) if (input.codeNotes[code]) notes[code] = input.codeNotes[code];
  const envelopeRefusal = { type: 'object', properties: { _success: { const: false }, _msg: { $ref: '#/components/schemas/MsgCode' } }, required: ['_success', '_msg'] };
  return {
    openapi: '3.1.0',
    info: {
      title: 'iRedAdmin-Pro compatible RESTful API',
      version: input.version,
      description: ENVELOPE_TEXT,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      { url: '/', description: 'This server (npm start: http://127.0.0.1:8080)' },
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'AWS API Gateway (REST API) deployed with osls',
        variables: { restApiId: { default: 'abcdef1234' }, region: { default: 'eu-west-1' }, stage: { default: 'prod' } },
      },
    ],
    tags: input.families.map((family) => ({ name: family, description: `Routes served by functions/${family}.ts (one Lambda).` })),
    paths,
    components: {
      securitySchemes: securitySchemes(),
      schemas: {
        MsgCode: {
          type: 'string',
          description: 'Every `_msg` code of the API (lib/model/codes.ts): the original iRedAdmin-Pro vocabulary, then this implementation\'s own.',
          enum: codes,
          'x-original-codes': [...ORIGINAL_CODES].filter((code) => codes.includes(code)),
          'x-enum-descriptions': notes,
        },
        Refusal: envelopeRefusal,
        ...bodySchemas,
      },
      responses: {
        NotFound: { description: 'No route matches the path.', content: { 'application/json': { schema: { type: 'object', properties: { _success: { const: false }, _msg: { const: 'NOT_FOUND' } } } } } },
        InternalError: { description: 'An unexpected error, logged with the request id (X-Request-Id).', content: { 'application/json': { schema: { type: 'object', properties: { _success: { const: false }, _msg: { const: 'INTERNAL_ERROR' } } } } } },
        StorageUnavailable: { description: 'The database or LDAP server could not be reached; nothing was changed.', content: { 'application/json': { schema: { type: 'object', properties: { _success: { const: false }, _msg: { const: 'STORAGE_UNAVAILABLE' } } } } } },
      },
    },
  };
}
