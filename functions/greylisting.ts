/**
 * /api/greylisting/all, /api/greylisting/whitelist_spf_domains,
 * /api/greylisting/{global|<domain>|<mail>}, /api/greylisting/{global|<domain>|<mail>}/whitelists
 */
import { createHandler } from '#lib/http/dispatch';
import { validators } from '#lib/model/generated/greylisting';
import type { Operations } from '#lib/http/context';
import { ok } from '#lib/http/reply';
import {
  deleteGreylistingStatus, getGreylistingStatus, getGreylistingWhitelists, getSpfDomains, listGreylistingSettings,
  setGreylistingStatus, updateGreylistingWhitelists, updateSpfDomains,
} from '#lib/services/greylisting';

export const operations: Operations = {
  async all(ctx) {
    return ok(await listGreylistingSettings(ctx));
  },
  async getStatus(ctx) {
    return ok(await getGreylistingStatus(ctx));
  },
  async setStatus(ctx) {
    await setGreylistingStatus(ctx);
    return ok();
  },
  async deleteStatus(ctx) {
    await deleteGreylistingStatus(ctx);
    return ok();
  },
  async getWhitelists(ctx) {
    return ok(await getGreylistingWhitelists(ctx));
  },
  async updateWhitelists(ctx) {
    await updateGreylistingWhitelists(ctx);
    return ok();
  },
  async getSpfDomains(ctx) {
    return ok(await getSpfDomains(ctx));
  },
  async updateSpfDomains(ctx) {
    await updateSpfDomains(ctx);
    return ok();
  },
};

export { validators };
export const handler = createHandler('greylisting', { operations, validators });
