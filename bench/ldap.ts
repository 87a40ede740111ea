/**
 * LDAP backend figures: median and p99 of create domain and get domain through the local HTTP
 * server (the Lambdas' dispatcher) with BACKEND=ldap, beside raw ldapts doing the same LDAP
 * work — add the domain entry and its four OUs; read the domain entry — on the same private
 * slapd (test/support/slapd.ts), and the store alone in between, so each layer's cost shows. amavisd/iredapd/iredadmin
 * are on the local MariaDB. Not part of the test run.
 *   npx tsx bench/ldap.ts
 */
import { Client } from 'ldapts';
import { BENCH_ADMIN, ldapMachineLine, printStatsTable, readEntry, startBenchApi, stats, time } from './support';

const CREATES = 200;
const GETS = 500;


async function main(): Promise<void> {
  const api = await startBenchApi('ldap');
  const slapd = api.slapd!;
  const { base, store } = api;
  const raw = new Client({ url: slapd.url });
  try {
    const results: Record<string, ReturnType<typeof stats>> = {};
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams(BENCH_ADMIN) });
    const token = ((await login.json()) as any)._data.token as string;
    const auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 20; i++) await fetch(`${base}/domains`, { headers: auth }); // warm up

    const creates: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      creates.push(await time(() => fetch(`${base}/domain/bench${i}.test`, { method: 'POST', headers: auth, body: new URLSearchParams({ name: `Bench ${i}`, quota: '1024' }) })));
    }
    results['API: create domain'] = stats(creates);
    const gets: number[] = [];
    for (let i = 0; i < GETS; i++) gets.push(await time(() => fetch(`${base}/domain/bench${i % CREATES}.test`, { headers: auth })));
    results['API: get domain'] = stats(gets);

    // The store alone (what the service calls inside its transaction), without HTTP, token check and admin log.
    const storeCreates: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      storeCreates.push(await time(() => store.accounts.transaction(async (tx) => {
        if (await tx.domains.isLocal(`store${i}.test`)) throw new Error('exists');
        await tx.domains.create({ domain: `store${i}.test`, description: `Store ${i}`, transport: 'dovecot', maxquota: 1024, mailboxes: 0, aliases: 0, maillists: 0, settings: {} });
      })));
    }
    results['store: create domain (transaction)'] = stats(storeCreates);
    const storeGets: number[] = [];
    for (let i = 0; i < GETS; i++) {
      storeGets.push(await time(() => Promise.all([store.accounts.domains.get(`store${i % CREATES}.test`), store.accounts.domains.extras(`store${i % CREATES}.test`)])));
    }
    results['store: get + extras'] = stats(storeGets);

    // The same LDAP work by hand: one bound client, no HTTP, no rules, no admin log.
    await raw.bind(slapd.adminDn, slapd.adminPassword);
    const rawAdds: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const dn = `domainName=raw${i}.test,o=domains,${slapd.suffix}`;
      rawAdds.push(await time(async () => {
        await raw.add(dn, {
          objectClass: ['mailDomain'], domainName: [`raw${i}.test`], cn: [`Raw ${i}`], mtaTransport: ['dovecot'],
          accountStatus: ['active'], enabledService: ['mail'], accountSetting: ['domainQuota:1024:MB'],
        });
        for (const ou of ['Users', 'Groups', 'Aliases', 'Externals']) await raw.add(`ou=${ou},${dn}`, { objectClass: ['organizationalUnit'], ou: [ou] });
      }));
    }
    results['ldapts: add domain + 4 OUs'] = stats(rawAdds);
    const rawGets: number[] = [];
    for (let i = 0; i < GETS; i++) {
      rawGets.push(await time(() => readEntry(raw, `domainName=raw${i % CREATES}.test,o=domains,${slapd.suffix}`, 'mailDomain')));
    }
    results['ldapts: read domain entry'] = stats(rawGets);

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
