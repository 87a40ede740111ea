import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GatewayEvent } from '#lib/http/aws-event';
import type { FamilyModule } from '#lib/http/context';
import type { Family } from '#lib/http/routes';
import { createHandler } from '#lib/http/dispatch';
import { MAX_BODY_BYTES } from '#lib/http/body';

/**
 * `npm start`: a node:http server that turns each request into the same API Gateway event
 * the Lambdas receive and runs the same dispatcher, so local behaviour is AWS behaviour.
 */
function toEvent(req: IncomingMessage, body: Buffer): GatewayEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multiValueQueryStringParameters[name] ??= []).push(value);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  return {
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueQueryStringParameters,
    requestContext: { requestId: randomUUID(), identity: { sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '') } },
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: true,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES + 1) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function createLocalServer(loadFamily: (family: Family) => Promise<FamilyModule>): Server {
  const handler = createHandler('*', loadFamily);
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' }).end(JSON.stringify({ _success: false, _msg: 'REQUEST_TOO_LARGE' }));
        return;
      }
      const result = await handler(toEvent(req, body));
      const headers: Record<string, string | string[]> = { ...result.headers };
      for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values;
      res.writeHead(result.statusCode, headers).end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ _success: false, _msg: 'INTERNAL_ERROR' }));
    }
  });
}
