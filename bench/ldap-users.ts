/**
 * Mail users on the LDAP backend: median and p99 of create user (POST /api/user) and get user
 * (GET /api/user) through the local HTTP server (the Lambdas' dispatcher) with BACKEND=ldap,
 * beside raw ldapts doing the LDAP work alone — add the same user entry (storage.md §6.3);
 * read it back — on the same private slapd (test/support/slapd.ts). amavisd/iredapd/iredadmin
 * are on the local MariaDB. Not part of the test run.
 *   npx tsx bench/ldap-users.ts
 */
import { Client } from 'ldapts';
import { hashPassword } from '#lib/auth/passwords';
import { USER_SERVICES } from '../test/support/mailstack-ldap';
import { BENCH_ADMIN, ldapMachineLine, printStatsTable, readEntry, startBenchApi, stats, time } from './support';

const CREATES = 300;
const GETS = 600;
const PASSWORD = 'Bench!User1';

/** The entry POST /api/user writes, minus what only the API computes (a fixed hash and path here). */
function rawUserEntry(mail: string, hash: string): Record<string, string[]> {
  const [local, domain] = mail.split('@') as [string, string];
  return {
    objectClass: ['inetOrgPerson', 'mailUser', 'shadowAccount', 'amavisAccount'],
    mail: [mail], uid: [local], sn: [local], cn: [local], userPassword: [hash],
    homeDirectory: [`/var/vmail/vmail1/${domain}/${local[0]}/${local[1] ?? '_'}/${local[2] ?? '_'}/${local}-2026.01.01.00.00.00/`],
    accountStatus: ['active'],
    enabledService: USER_SERVICES,
    shadowLastChange: [String(Math.floor(Date.now() / 86_400_000))], amavisLocal: ['TRUE'], mailQuota: [String(100 * 1048576)],
  };
}

async function main(): Promise<void> {
  const api = await startBenchApi('ldap');
  const slapd = api.slapd!;
  const { base } = api;
  const raw = new Client({ url: slapd.url });
  try {
    const results: Record<string, ReturnType<typeof stats>> = {};
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams(BENCH_ADMIN) });
    const token = ((await login.json()) as any)._data.token as string;
    const auth = { authorization: `Bearer ${token}` };
    for (const domain of ['api.test', 'raw.test']) {
      const res = (await (await fetch(`${base}/domain/${domain}`, { method: 'POST', headers: auth, body: new URLSearchParams({ name: domain, quota: '1000000' }) })).json()) as any;
      if (!res._success) throw new Error(`create ${domain}: ${JSON.stringify(res)}`);
    }
    for (let i = 0; i < 20; i++) await fetch(`${base}/domain/api.test`, { headers: auth }); // warm up

    const creates: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      creates.push(await time(async () => {
        const res = (await (await fetch(`${base}/user/u${i}@api.test`, { method: 'POST', headers: auth, body: new URLSearchParams({ password: PASSWORD, name: `User ${i}`, quota: '100' }) })).json()) as any;
        if (!res._success) throw new Error(`create u${i}: ${JSON.stringify(res)}`);
      }));
    }
    results['API: create user'] = stats(creates);
    const gets: number[] = [];
    for (let i = 0; i < GETS; i++) {
      gets.push(await time(async () => {
        const res = (await (await fetch(`${base}/user/u${i % CREATES}@api.test`, { headers: auth })).json()) as any;
        if (!res._success) throw new Error(`get: ${JSON.stringify(res)}`);
      }));
    }
    results['API: get user'] = stats(gets);

    // The same LDAP work by hand: one bound client, no HTTP, no rules, no limits, no admin log.
    await raw.bind(slapd.adminDn, slapd.adminPassword);
    const hash = await hashPassword(PASSWORD, 'SSHA512');
    const rawAdds: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const mail = `u${i}@raw.test`;
      rawAdds.push(await time(() => raw.add(`mail=${mail},ou=Users,domainName=raw.test,o=domains,${slapd.suffix}`, rawUserEntry(mail, hash))));
    }
    results['ldapts: add user entry'] = stats(rawAdds);
    const rawGets: number[] = [];
    for (let i = 0; i < GETS; i++) {
      rawGets.push(await time(() => readEntry(raw, `mail=u${i % CREATES}@raw.test,ou=Users,domainName=raw.test,o=domains,${slapd.suffix}`, 'mailUser')));
    }
    results['ldapts: read user entry'] = stats(rawGets);

    process.stdout.write(ldapMachineLine(slapd.url));
    printStatsTable(results);
  } finally {
    await raw.unbind().catch(() => undefined);
    await api.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
