/**
 * The four callers of the role matrices: anonymous, the admin of another domain, the
 * domain's own admin and a global admin, over two domains (`mine.test` owned by
 * owner@admins.test, `theirs.test` by other@admins.test).
 */
import { startHarness, type ApiClient, type Harness } from './api';

export type Role = 'anonymous' | 'other' | 'owner' | 'global';

export interface RoleFixture {
  h: Harness;
  /** The global admin's client (also clients.global). */
  admin: ApiClient;
  clients: Record<Role, ApiClient>;
}

export async function startRoleFixture(): Promise<RoleFixture> {
  const h = await startHarness();
  const admin = await h.loggedIn();
  for (const d of ['mine.test', 'theirs.test']) await admin.post(`/api/domain/${d}`, { name: d });
  await h.seedAdmin('owner@admins.test', 'Owner1!Pw', { domains: ['mine.test'] });
  await h.seedAdmin('other@admins.test', 'Other1!Pw', { domains: ['theirs.test'] });
  const clients: Record<Role, ApiClient> = {
    anonymous: h.client(),
    other: await h.loggedIn('other@admins.test', 'Other1!Pw'),
    owner: await h.loggedIn('owner@admins.test', 'Owner1!Pw'),
    global: admin,
  };
  return { h, admin, clients };
}
