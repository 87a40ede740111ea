import { randomUUID } from 'node:crypto';
import type { GatewayEvent, GatewayResult } from '#lib/http/aws-event';
import type { Family } from '#lib/http/routes';
import type { FamilyModule, ParamValidator } from '#lib/http/context';
import type { ApiRequest } from '#lib/http/request';
import { parseCookies } from '#lib/http/request';
import { fail, type Reply } from '#lib/http/reply';
import { ApiError, StorageUnavailableError } from '#lib/http/errors';
import { matchRoute, normalizePath, type RouteMatch } from '#lib/http/match';
import { assertSaneParams, parseBody } from '#lib/http/body';
import { isAllowedClient } from '#lib/http/allow-list';
import { sessionCookie, tokenFromRequest } from '#lib/http/session-cookie';
import { cookieName, getConfig, type Config } from '#lib/config';
import { getStore } from '#lib/storage/open-store';
import { actorOf, resolveCaller, type Caller } from '#lib/auth/caller';
import { authorizeRoute } from '#lib/auth/access';
import { issueToken } from '#lib/auth/token';
import { isConnectionError } from '#lib/storage/sql/sql-helpers';
import { describeError, log } from '#lib/log';

function lowerCaseHeaders(event: GatewayEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 0) headers[name.toLowerCase()] = name.toLowerCase() === 'cookie' ? values.join('; ') : values[values.length - 1]!;
  }
  return headers;
}

function queryParams(event: GatewayEvent): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) params[name] = value;
  // A repeated key keeps its last value, the same rule as a body value overriding the query.
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values && values.length > 0) params[name] = values[values.length - 1]!;
  }
  return params;
}

async function buildRequest(event: GatewayEvent, apiPath: string, match: RouteMatch): Promise<ApiRequest> {
  const headers = lowerCaseHeaders(event);
  const method = event.httpMethod.toUpperCase();
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  const params = { ...queryParams(event), ...(await parseBody(method, headers, body)) };
  assertSaneParams(params);
  return {
    method,
    path: apiPath,
    params,
    route: match.captures,
    headers,
    cookies: parseCookies(headers.cookie),
    sourceIp: event.requestContext?.identity?.sourceIp ?? '',
    requestId: event.requestContext?.requestId ?? randomUUID(),
  };
}

function toResult(reply: Reply, requestId: string): GatewayResult {
  const result: GatewayResult = {
    statusCode: reply.status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': requestId, 'Cache-Control': 'no-store', ...reply.headers },
    body: reply.rawBody ?? JSON.stringify(reply.body),
  };
  if (reply.cookies && reply.cookies.length > 0) result.multiValueHeaders = { 'Set-Cookie': reply.cookies };
  return result;
}

/**
 * Cookie-jar clients never see their login expire while they keep using it (the original's
 * session timeout slides): past half its life, a cookie token is re-issued. Bearer tokens
 * are left alone; their owners manage them.
 */
async function renewal(config: Config, req: ApiRequest, caller: Caller | undefined): Promise<string | undefined> {
  const claims = caller?.claims; // login tokens only: API keys are never renewed
  if (!caller || !claims || req.headers.authorization) return undefined;
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp - now > config.tokenTtlSeconds / 2) return undefined;
  const { token } = await issueToken(config, { username: caller.username, kind: caller.kind, pwf: claims.pwf }, now);
  return sessionCookie(cookieName(config.backend), token, config.tokenTtlSeconds, config.cookieSecure);
}

/**
 * The Lambda handler of one route family. It re-matches the path itself (the gateway
 * routes `/api/<family>/{proxy+}` here), so `//`, trailing slashes and the `/iredadmin`
 * prefix behave the same on AWS and on the local server.
 */
/** The refusal code of a failed parameter check: the `x-msg` of the schema that failed. */
function validationCode(validate: ParamValidator): string {
  const code = validate.errors?.[0]?.parentSchema?.['x-msg'];
  return typeof code === 'string' ? code : 'INVALID_PARAMETER';
}

export function createHandler(family: Family | '*', load: FamilyModule | ((family: Family) => Promise<FamilyModule>)) {
  return async function handler(event: GatewayEvent): Promise<GatewayResult> {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const method = (event.httpMethod ?? '').toUpperCase();
    let outcome = 'ok';
    let routeName = '';
    let callerName: string | undefined;
    let reply: Reply;
    try {
      const apiPath = normalizePath(event.path ?? '');
      if (apiPath === undefined) throw new ApiError('NOT_FOUND', 404);
      const match = matchRoute(method, apiPath);
      routeName = `${match.route.method} ${match.route.pattern}`;
      if (family !== '*' && match.route.family !== family) throw new ApiError('NOT_FOUND', 404);
      const config = await getConfig();
      const req = await buildRequest(event, apiPath, match);
      if (!isAllowedClient(config.apiClients, req.sourceIp)) throw new ApiError('NOT_AUTHORIZED');
      const store = await getStore(config);
      let caller: Caller | undefined;
      if (match.route.access.kind !== 'public') {
        const token = tokenFromRequest(req, cookieName(config.backend));
        caller = token ? await resolveCaller(config, store, token, req.sourceIp) : undefined;
        callerName = caller && actorOf(caller);
      }
      authorizeRoute(caller, match.route, match.captures);
      const module = typeof load === 'function' ? await load(match.route.family) : load;
      const validate = module.validators[`${match.route.method} ${match.route.pattern}`];
      if (validate && !validate(req.params)) throw new ApiError(validationCode(validate));
      const operation = module.operations[match.route.operation];
      if (!operation) throw new ApiError('NOT_FOUND', 404);
      reply = await operation({ req, route: match.route, config, store, caller });
      const renewed = await renewal(config, req, caller);
      if (renewed) reply.cookies = [...(reply.cookies ?? []), renewed];
      if (reply.body._success === false) outcome = String(reply.body._msg ?? 'refused');
    } catch (error) {
      if (error instanceof ApiError) {
        reply = fail(error.code, error.status);
        outcome = error.code;
        if (error instanceof StorageUnavailableError) log('error', 'storage unavailable', { requestId, ...describeError(error.reason) });
      } else if (isConnectionError(error)) {
        reply = fail('STORAGE_UNAVAILABLE', 503);
        outcome = 'STORAGE_UNAVAILABLE';
        log('error', 'storage unavailable', { requestId, route: routeName, ...describeError(error) });
      } else {
        reply = fail('INTERNAL_ERROR', 500);
        outcome = 'INTERNAL_ERROR';
        log('error', 'unhandled error', { requestId, route: routeName, ...describeError(error) });
      }
    }
    log('info', 'request', { requestId, method, route: routeName || event.path, caller: callerName, outcome, status: reply.status, ms: Math.round(performance.now() - started) });
    return toResult(reply, requestId);
  };
}

