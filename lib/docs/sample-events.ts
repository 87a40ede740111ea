/**
 * Sample API Gateway (REST API, v1 proxy) events, one per route of the route table, as the
 * gateway built by serverless.yml delivers them: the family's greedy `{proxy+}` resource,
 * the stage prefix in requestContext.path, form-encoded bodies. Written to events/ by
 * `npm run events` (scripts/build-events.ts); used by tests and by `osls invoke local`.
 * Deterministic, so the committed files change only when a route or schema does.
 */
import { createHash } from 'node:crypto';
import type { Route } from '#lib/http/routes';
import { PARAM_SCHEMAS, routeKey } from '#lib/model/schemas/index';
import { samplePath } from '#lib/docs/samples';

const API_ID = 'abcdef1234';
const STAGE = 'prod';
const REQUEST_TIME_EPOCH = 1769860800000; // 2026-01-31T12:00:00Z

/** events/<family>/<method>-<path words>.json */
export function eventFile(route: Route): string {
  const words = route.pattern.split('/').filter(Boolean).map((part) => part.replace(/^:/, '').replace(/[^A-Za-z0-9_]+/g, '_'));
  return `${route.family}/${[route.method.toLowerCase(), ...words].join('-')}.json`;
}

/** Example values of the route's parameters (only those with an example in their schema). */
export function sampleParams(route: Route): Record<string, string> {
  const properties = (PARAM_SCHEMAS[routeKey(route)]?.properties ?? {}) as Record<string, { examples?: unknown[] }>;
  const params: Record<string, string> = {};
  for (const [name, schema] of Object.entries(properties)) {
    if (Array.isArray(schema.examples) && typeof schema.examples[0] === 'string') params[name] = schema.examples[0];
  }
  return params;
}

function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function sampleEvent(route: Route): Record<string, unknown> {
  const path = `/api${samplePath(route.pattern)}`;
  const [prefix, ...rest] = route.pattern.split('/').filter(Boolean);
  const resource = rest.length > 0 ? `/api/${prefix}/{proxy+}` : `/api/${prefix}`;
  const params = sampleParams(route);
  const hasBody = route.method === 'POST' || route.method === 'PUT';
  const query = !hasBody && Object.keys(params).length > 0 ? params : null;
  const body = hasBody && Object.keys(params).length > 0 ? new URLSearchParams(params).toString() : null;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Host: `${API_ID}.execute-api.eu-west-1.amazonaws.com`,
    'User-Agent': 'curl/8.5.0',
    'X-Forwarded-For': '198.51.100.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  if (body !== null) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const requestId = uuidFrom(routeKey(route));
  return {
    resource,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    pathParameters: rest.length > 0 ? { proxy: path.split('/').slice(3).join('/') } : null,
    stageVariables: null,
    requestContext: {
      resourceId: requestId.slice(0, 6),
      resourcePath: resource,
      httpMethod: route.method,
      extendedRequestId: requestId.replace(/-/g, '').slice(0, 16) + '=',
      requestTime: '31/Jan/2026:12:00:00 +0000',
      path: `/${STAGE}${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: STAGE,
      domainPrefix: API_ID,
      requestTimeEpoch: REQUEST_TIME_EPOCH,
      requestId,
      identity: { sourceIp: '198.51.100.7', userAgent: 'curl/8.5.0', accountId: null, caller: null, user: null, userArn: null, accessKey: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, cognitoAuthenticationType: null, cognitoAuthenticationProvider: null, principalOrgId: null },
      domainName: `${API_ID}.execute-api.eu-west-1.amazonaws.com`,
      apiId: API_ID,
    },
    body,
    isBase64Encoded: false,
  };
}
