/** GET /api/health */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/meta';
import type { Operations } from '#lib/http/context';
import { fail, ok } from '#lib/http/reply';
import { describeError, log } from '#lib/log';

export const operations: Operations = {
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
