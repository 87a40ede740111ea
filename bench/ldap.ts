/**
 * LDAP backend figures: median and p99 of create domain and get domain through the local HTTP
 * server (the Lambdas' dispatcher) with BACKEND=ldap, beside raw ldapts doing the same LDAP
 * work — add the domain entry and its four OUs; read the domain entry — on the same private
 * slapd (test/support/slapd.ts), and the store alone in between, so each layer's cost shows. amavisd/iredapd/iredadmin
 * are on the local MariaDB. Not part of the test run.
 *   npx tsx bench/ldap.ts
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Client, EqualityFilter } from 'ldapts';
import { configFromEnv, setConfig } from '#lib/config';
import { closeStore, getStore } from '#lib/storage/open-store';
import { createLocalServer } from '#lib/http/local-server';
import { hashPassword } from '#lib/auth/passwords';
import { loadFamily } from '../functions/registry';
import { createTestDatabases } from '../test/support/databases';
import { startSlapd } from '../test/support/slapd';
import { freePort, stats, time } from './support';

const CREATES = 200;
const GETS = 500;


async function main(): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const slapd = await startSlapd();
  const dbs = await createTestDatabases('mysql', 'project');
  const config = configFromEnv({
    BACKEND: 'ldap', JWT_SECRET: randomBytes(32).toString('hex'), DATA_DIR: '/tmp/unused',
    LDAP_URL: slapd.url, LDAP_SUFFIX: slapd.suffix, LDAP_BIND_DN: slapd.adminDn, LDAP_BIND_PASSWORD: slapd.adminPassword,
    AMAVISD_DB_URL: dbs.urls!.amavisd, IREDAPD_DB_URL: dbs.urls!.iredapd, IREDADMIN_DB_URL: dbs.urls!.iredadmin,
  });
  setConfig(config);
  const store = await getStore(config);
  await store.migrate();
  await store.accounts.identities.createStandaloneAdmin({ username: 'bench@admins.test', passwordHash: await hashPassword('Bench1!Pw', 'SSHA512'), name: 'bench', language: 'en_US', isGlobalAdmin: true, active: true, settings: {} });
  const port = await freePort();
  const server = createLocalServer(loadFamily).listen(port, '127.0.0.1');
  const base = `http://127.0.0.1:${port}/api`;
  const raw = new Client({ url: slapd.url });
  try {
    const results: Record<string, ReturnType<typeof stats>> = {};
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'bench@admins.test', password: 'Bench1!Pw' }) });
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
      rawGets.push(await time(() => raw.search(`domainName=raw${i % CREATES}.test,o=domains,${slapd.suffix}`, {
        scope: 'base', filter: new EqualityFilter({ attribute: 'objectClass', value: 'mailDomain' }), attributes: ['*', 'createTimestamp', 'modifyTimestamp'],
      })));
    }
    results['ldapts: read domain entry'] = stats(rawGets);

    process.stdout.write(`backend=ldap (slapd ${slapd.url}, MariaDB for iredadmin) node=${process.version} cpus=${cpus().length}x ${cpus()[0]?.model}\n`);
    process.stdout.write(`| operation | n | median ms | p99 ms |\n|---|---|---|---|\n`);
    for (const [name, s] of Object.entries(results)) process.stdout.write(`| ${name} | ${s.n} | ${s.median.toFixed(2)} | ${s.p99.toFixed(2)} |\n`);
  } finally {
    await raw.unbind().catch(() => undefined);
    server.close();
    await closeStore();
    await dbs.dropAll();
    await slapd.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
