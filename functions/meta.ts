/** GET /api/health, GET /api/openapi.json, GET /api/docs */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/meta';
import type { Operations } from '#lib/http/context';
import { document, fail, ok } from '#lib/http/reply';
import { describeError, log } from '#lib/log';
import { servedFile } from '#lib/docs/served';

/** The docs page runs only its own inline script and fetches nothing. */
const DOCS_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const operations: Operations = {
  // Both are built at build time (scripts/build-openapi.ts) and read from files on first call
  // only, so they cost health checks and cold starts nothing.
  async openapi() {
    return document(await servedFile('openapi.json'), 'application/json');
  },
  async docs() {
    const reply = document(await servedFile('docs.html'), 'text/html; charset=utf-8');
    reply.headers = { ...reply.headers, 'Content-Security-Policy': DOCS_POLICY, 'X-Content-Type-Options': 'nosniff' };
    return reply;
  },
  async health(ctx) {
    const checks: Record<string, string> = {};
    const probes: [string, () => Promise<void>][] = [
      ['accounts', () => ctx.store.accounts.ping()],
      ['policy', () => ctx.store.policy.ping()],
      ['iredadmin', () => ctx.store.admin.ping()],
    ];
    for (const [name, probe] of probes) {
      try {
        await probe();
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = 'unreachable';
        log('error', 'health check failed', { requestId: ctx.req.requestId, check: name, ...describeError(error) });
      }
    }
    const healthy = Object.values(checks).every((state) => state === 'ok');
    if (healthy) return ok({ backend: ctx.config.backend, checks });
    const reply = fail('STORAGE_UNAVAILABLE', 503);
    reply.body._data = { backend: ctx.config.backend, checks };
    return reply;
  },
};

export { validators };
export const handler = createHandler('meta', { operations, validators });
