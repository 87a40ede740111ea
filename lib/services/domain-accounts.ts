/**
 * Rules every kind of account in a domain shares (users, aliases, mailing lists): the domain's
 * limit on how many it may hold, and edits of a member list.
 */
import { ApiError } from '#lib/http/errors';
import { isAccessPolicy, type AccessPolicy } from '#lib/model/aliases';

/** The domain limit on one kind of account: -1 none allowed, 0 unlimited, n at most n. `count` is read only when it matters. */
export async function assertAccountLimit(limit: number, count: () => Promise<number>): Promise<void> {
  if (limit < 0) throw new ApiError('NOT_ALLOWED');
  if (limit > 0 && (await count()) >= limit) throw new ApiError('EXCEEDED_DOMAIN_ACCOUNT_LIMIT');
}

/** Lower-cased; empty means public (iRedAPD reads a missing policy as public). */
export function readAccessPolicy(value: string | undefined): AccessPolicy | undefined {
  if (value === undefined) return undefined;
  const policy = value.trim().toLowerCase();
  if (policy === '') return 'public';
  if (!isAccessPolicy(policy)) throw new ApiError('INVALID_ACCESS_POLICY');
  return policy;
}

/**
 * What a PUT does to a member list: `reset` (the whole new list) replaces it; otherwise `add`
 * and `remove` apply, and an address in both stays a member.
 */
export function memberChanges(existing: readonly string[], edit: { reset?: string[]; add: string[]; remove: string[] }): { toAdd: string[]; toRemove: string[] } {
  const { reset, add, remove } = edit;
  const toRemove = reset ? existing.filter((member) => !reset.includes(member)) : remove.filter((member) => existing.includes(member) && !add.includes(member));
  const toAdd = (reset ?? add).filter((member) => !existing.includes(member));
  return { toAdd, toRemove };
}
