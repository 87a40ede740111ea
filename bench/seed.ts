/** Bulk seeding with multi-row INSERTs, for the benchmarks that need large domains. */
import type { Kysely } from 'kysely';
import { maildirPath } from '#lib/services/maildir';

export const now = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

/** The row POST /api/user writes, for the raw-SQL comparison and the seed. */
export function mailboxRow(username: string, domain: string, hash: string) {
  const stamp = now();
  return {
    username, password: hash, name: username, language: '', mailboxformat: 'maildir', mailboxfolder: 'Maildir',
    storagebasedirectory: '/var/vmail', storagenode: 'vmail1', maildir: maildirPath(username), quota: 0, domain,
    transport: '', disclaimer: '', settings: '', passwordlastchange: stamp, created: stamp, modified: stamp, active: 1,
  };
}

export const selfRow = (username: string, domain: string) => ({ address: username, forwarding: username, domain, dest_domain: domain, is_forwarding: 1, active: 1 });

/** `count` users in `domain` (mailbox + self forwarding; used_quota for every third). Returns ms. */
export async function seedUsers(db: Kysely<any>, domain: string, count: number, hash: string): Promise<number> {
  const started = performance.now();
  const batch = 2000;
  for (let offset = 0; offset < count; offset += batch) {
    const users = Array.from({ length: Math.min(batch, count - offset) }, (_, i) => `user${String(offset + i).padStart(6, '0')}@${domain}`);
    await db.insertInto('mailbox').values(users.map((u) => mailboxRow(u, domain, hash))).execute();
    await db.insertInto('forwardings').values(users.map((u) => selfRow(u, domain))).execute();
    await db.insertInto('used_quota').values(users.filter((_, i) => i % 3 === 0).map((u) => ({ username: u, bytes: 1024, messages: 1 }))).execute();
  }
  return performance.now() - started;
}

/** `count` domain rows named d00000.<suffix> …, as POST /api/domain writes them. Returns ms. */
export async function seedDomains(db: Kysely<any>, suffix: string, count: number): Promise<number> {
  const started = performance.now();
  const stamp = now();
  const batch = 2000;
  for (let offset = 0; offset < count; offset += batch) {
    const rows = Array.from({ length: Math.min(batch, count - offset) }, (_, i) => ({
      domain: `d${String(offset + i).padStart(5, '0')}.${suffix}`, description: `Domain ${offset + i}`, disclaimer: '', transport: 'dovecot',
      maxquota: 0, quota: 0, mailboxes: 0, aliases: 0, maillists: 0, backupmx: 0, settings: '', created: stamp, modified: stamp, active: 1,
    }));
    await db.insertInto('domain').values(rows).execute();
  }
  return performance.now() - started;
}
