/**
 * Every family's operations, for the local server and the tests (on AWS each function
 * bundle holds only its own). Imported lazily so a family loads only when called.
 */
import type { Family } from '#lib/http/routes';
import type { FamilyModule } from '#lib/http/context';

const loaders: Record<Family, () => Promise<FamilyModule>> = {
  login: () => import('./login'),
  domains: () => import('./domains'),
  domain: () => import('./domain'),
  admin: () => import('./admin'),
  alias: () => import('./alias'),
  aliases: () => import('./aliases'),
  spampolicy: () => import('./spampolicy'),
  throttle: () => import('./throttle'),
  greylisting: () => import('./greylisting'),
  user: () => import('./user'),
  users: () => import('./users'),
  maillist: () => import('./maillist'),
  ldif: () => import('./ldif'),
  'verify-password': () => import('./verify-password'),
  apikey: () => import('./apikey'),
  log: () => import('./log'),
  meta: () => import('./meta'),
};

/** Loaded once: under tsx every import() goes through the loader hooks, ~0.2 ms a request. */
const loaded = new Map<Family, Promise<FamilyModule>>();

export function loadFamily(family: Family): Promise<FamilyModule> {
  let module = loaded.get(family);
  if (!module) {
    module = loaders[family]();
    loaded.set(family, module);
    module.catch(() => loaded.delete(family)); // a failed load is retried on the next request
  }
  return module;
}
