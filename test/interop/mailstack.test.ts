// Proof against the real mail stack: what the API writes is what Dovecot and Postfix read.
//
// For the backend chosen by TEST_BACKEND (mysql, pgsql — and mysql-genuine/pgsql-genuine,
// the databases loaded from iRedMail's own schema files — and ldap, the harness's private
// slapd), accounts are created through the API, then Dovecot 2.3 authenticates IMAP logins
// with iRedMail's genuine dovecot-sql.conf / dovecot-ldap.conf, and `postmap -q` asks
// iRedMail's genuine Postfix map files what Postfix would ask them. Both run with a
// read-only account, as iRedMail's `vmail` bind user (cn=vmail on LDAP).
//
//   TEST_BACKEND=mysql node --import tsx --test test/interop/mailstack.test.ts
//   TEST_BACKEND=ldap node --import tsx --test test/interop/mailstack.test.ts

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { join } from 'node:path';
import { ROUTES } from '#lib/http/routes';
import { tableStatements, tablesOf } from '#lib/storage/sql/schema';
import { hashPassword, WRITABLE_PASSWORD_SCHEMES, type PasswordScheme } from '#lib/auth/passwords';
import { LDAP_UNSUPPORTED_WRITE_SCHEMES, LDAP_WRITABLE_PASSWORD_SCHEMES } from '#lib/auth/password-schemes';
import { BACKEND, startHarness, type ApiClient, type Harness } from '../support/api';
import { createBindAccount, daemonVersions, startMailStack, type MailStack, type MailStackTarget, type PostmapResult } from '../support/mailstack';
import { describeLdapEntries, ldapDirectUsers, ldapMailAccount } from '../support/mailstack-ldap';

// ---------------------------------------------------------------------------------------
// Backends: how to point the mail stack at the harness's storage, and the map files of each
// Postfix parameter in the order iRedMail's main.cf lists them (storage.md §3.1, §3.3).

type Param =
  | 'virtual_mailbox_domains'
  | 'relay_domains'
  | 'virtual_mailbox_maps'
  | 'virtual_alias_maps'
  | 'transport_maps'
  | 'smtpd_sender_login_maps'
  | 'sender_dependent_relayhost_maps'
  | 'sender_bcc_maps'
  | 'recipient_bcc_maps';

interface StackProfile {
  /** SQL map files can also be asked one by one to pin a failure on one table (expectTable). */
  kind: 'sql' | 'ldap';
  /** Starts the mail stack against the harness's storage; returns it with its cleanup. */
  start(h: Harness): Promise<{ stack: MailStack; cleanup: () => Promise<void> }>;
  maps: Record<Param, string[]>;
  /** Read straight from storage, to check what the daemons see against what was written: */
  account(h: Harness, mail: string): Promise<{
    /** The stored hash (shown in failure messages). */
    hash: string;
    /** What virtual_mailbox_maps answers for the mailbox. */
    mailboxPath: string;
    /** The home directory Dovecot's userdb returns (lower-cased, as Dovecot does). */
    home: string;
  }>;
  /** The rows Dovecot's last_login and quota_clone dictionaries wrote for the user. */
  dictRows(h: Harness, mail: string): Promise<{ usage: Record<string, unknown> | undefined; login: Record<string, unknown> | undefined }>;
}

const SQL_MAPS: Record<Param, string[]> = {
  virtual_mailbox_domains: ['virtual_mailbox_domains'],
  relay_domains: ['relay_domains'],
  virtual_mailbox_maps: ['virtual_mailbox_maps'],
  virtual_alias_maps: ['virtual_alias_maps', 'domain_alias_maps', 'catchall_maps', 'domain_alias_catchall_maps'],
  transport_maps: ['transport_maps_user', 'transport_maps_maillist', 'transport_maps_domain'],
  smtpd_sender_login_maps: ['sender_login_maps'],
  sender_dependent_relayhost_maps: ['sender_dependent_relayhost_maps'],
  sender_bcc_maps: ['sender_bcc_maps_user', 'sender_bcc_maps_domain'],
  recipient_bcc_maps: ['recipient_bcc_maps_user', 'recipient_bcc_maps_domain'],
};

function sqlProfile(engine: 'mysql' | 'pgsql'): StackProfile {
  return {
    kind: 'sql',
    maps: SQL_MAPS,
    async account(h, mail) {
      const row = await h.vmail.selectFrom('mailbox').select(['password', 'storagebasedirectory', 'storagenode', 'maildir']).where('username', '=', mail).executeTakeFirstOrThrow();
      return {
        hash: String(row.password),
        // The queries of virtual_mailbox_maps.cf and dovecot-sql.conf, in TypeScript.
        mailboxPath: `${row.storagenode}/${row.maildir}/Maildir/`,
        home: `${row.storagebasedirectory}/${row.storagenode}/${row.maildir}`.toLowerCase(),
      };
    },
    async dictRows(h, mail) {
      return {
        usage: await h.vmail.selectFrom('used_quota').selectAll().where('username', '=', mail).executeTakeFirst(),
        login: await h.vmail.selectFrom('last_login').selectAll().where('username', '=', mail).executeTakeFirst(),
      };
    },
    async start(h) {
      const url = new URL(h.config.vmailDbUrl!);
      const database = decodeURIComponent(url.pathname.slice(1));
      const host = url.hostname;
      const port = Number(url.port || (engine === 'mysql' ? 3306 : 5432));
      // Postfix and Dovecot's auth read as `vmail`; Dovecot's dictionaries write as `vmailadmin`.
      const reader = await createBindAccount(engine, database);
      const writer = await createBindAccount(engine, database, { write: true }).catch(async (error) => {
        await reader.drop().catch(() => undefined);
        throw error;
      });
      const drop = async () => {
        await reader.drop();
        await writer.drop();
      };
      const target: MailStackTarget = { backend: engine, sql: { host, port, database, user: reader.user, password: reader.password } };
      try {
        const stack = await startMailStack(target, { dicts: { driver: engine, host, port, database, user: writer.user, password: writer.password } });
        return { stack, cleanup: drop };
      } catch (error) {
        await drop().catch(() => undefined);
        throw error;
      }
    },
  };
}

/** iRedMail's main.cf for OpenLDAP (storage.md §3.3): the map files of each parameter, in order. */
const LDAP_MAPS: Record<Param, string[]> = {
  virtual_mailbox_domains: ['virtual_mailbox_domains'],
  relay_domains: ['relay_domains'],
  virtual_mailbox_maps: ['virtual_mailbox_maps'],
  virtual_alias_maps: ['virtual_alias_maps', 'virtual_group_maps', 'virtual_group_members_maps', 'catchall_maps'],
  transport_maps: ['transport_maps_user', 'transport_maps_domain'],
  smtpd_sender_login_maps: ['sender_login_maps'],
  sender_dependent_relayhost_maps: ['sender_dependent_relayhost_maps_user', 'sender_dependent_relayhost_maps_domain'],
  sender_bcc_maps: ['sender_bcc_maps_user', 'sender_bcc_maps_domain'],
  recipient_bcc_maps: ['recipient_bcc_maps_user', 'recipient_bcc_maps_domain'],
};

/** MAILSTACK_LDAP_AUTH_BIND=no: Dovecot verifies userPassword itself instead of binding as the user. */
const LDAP_AUTH_BIND_OFF = process.env.MAILSTACK_LDAP_AUTH_BIND === 'no';

/**
 * OpenLDAP: the harness's private slapd, read by Dovecot and Postfix as iRedMail's read-only
 * `cn=vmail`; Dovecot's dictionaries write into the iredadmin database (MariaDB), where an
 * iRedMail LDAP server keeps used_quota and last_login.
 */
function ldapProfile(): StackProfile {
  return {
    kind: 'ldap',
    maps: LDAP_MAPS,
    account: (h, mail) => ldapMailAccount(h.ldap!, mail),
    async dictRows(h, mail) {
      return {
        usage: await h.iredadmin.selectFrom('used_quota').selectAll().where('username', '=', mail).executeTakeFirst(),
        login: await h.iredadmin.selectFrom('last_login').selectAll().where('username', '=', mail).executeTakeFirst(),
      };
    },
    async start(h) {
      const slapd = h.ldap!;
      const ldapUrl = new URL(slapd.url);
      const url = new URL(h.config.iredadminDbUrl!);
      const database = decodeURIComponent(url.pathname.slice(1));
      const host = url.hostname;
      const port = Number(url.port || 3306);
      // The Dovecot tables iRedMail's LDAP installer adds to iredadmin, unless the store made them.
      const present = new Set((await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${database}`.execute(h.iredadmin)).rows.map((row) => row.name));
      for (const table of tablesOf('mysql', 'vmail').filter((t) => (t.name === 'used_quota' || t.name === 'last_login') && !present.has(t.name))) {
        for (const statement of tableStatements(table, 'mysql')) await sql.raw(statement).execute(h.iredadmin);
      }
      const writer = await createBindAccount('mysql', database, { write: true });
      const target: MailStackTarget = {
        backend: 'ldap',
        ldap: { host: ldapUrl.hostname, port: Number(ldapUrl.port), suffix: slapd.suffix, bindDn: slapd.readerDn, bindPassword: slapd.readerPassword },
      };
      try {
        // The file as shipped: auth_bind = yes, slapd verifies the password by a bind as the user.
        // MAILSTACK_LDAP_AUTH_BIND=no sets auth_bind = no (Dovecot verifies userPassword itself).
        const ldapAuthBind = LDAP_AUTH_BIND_OFF ? false : undefined;
        console.log(`# dovecot-ldap.conf: auth_bind = ${LDAP_AUTH_BIND_OFF ? 'no (MAILSTACK_LDAP_AUTH_BIND=no)' : 'yes (as shipped)'}`);
        const stack = await startMailStack(target, { ldapAuthBind, dicts: { driver: 'mysql', host, port, database, user: writer.user, password: writer.password } });
        return { stack, cleanup: () => writer.drop() };
      } catch (error) {
        await writer.drop().catch(() => undefined);
        throw error;
      }
    },
  };
}

const PROFILES: Partial<Record<typeof BACKEND, StackProfile>> = {
  ldap: ldapProfile(),
  mysql: sqlProfile('mysql'),
  'mysql-genuine': sqlProfile('mysql'),
  pgsql: sqlProfile('pgsql'),
  'pgsql-genuine': sqlProfile('pgsql'),
};

const profile = PROFILES[BACKEND];

// ---------------------------------------------------------------------------------------
// Mail users. ===== THE SWITCH POINT =====
// When the API has the `user` family (POST /api/user/<mail> ...), users are created and
// changed through it. Otherwise the rows iRedAdmin writes (storage.md §1.3/§1.4) are put
// straight into SQL here, so the Dovecot/Postfix checks still run. Force the SQL path with
// MAILSTACK_USERS=sql. On LDAP, MAILSTACK_USERS=direct writes the entries iRedAdmin writes
// (storage.md §6.3) straight into slapd (test/support/mailstack-ldap.ts) instead.

interface UserOps {
  via: 'api' | 'sql' | 'ldap';
  create(mail: string, password: string, scheme: PasswordScheme, extra?: UserExtras): Promise<void>;
  setPassword(mail: string, password: string): Promise<void>;
  setActive(mail: string, active: boolean): Promise<void>;
  /** Turns API services off (`removeService`), e.g. imap or imapsecured. */
  removeServices(mail: string, services: string[]): Promise<void>;
  /** Forwarding targets (reset); the user's own address among them keeps a copy. */
  setForwarding(mail: string, targets: string[]): Promise<void>;
  /** Per-user alias addresses (reset). */
  setAliases(mail: string, aliases: string[]): Promise<void>;
  setBcc(mail: string, bcc: { sender?: string; recipient?: string }): Promise<void>;
  setTransport(mail: string, transport: string): Promise<void>;
  delete(mail: string): Promise<void>;
}

/** Optional profile values at creation (API names). */
interface UserExtras {
  quota?: number;
  mailboxFormat?: string;
  mailboxFolder?: string;
}

/** Mail users through the API, unless forced off. */
const USER_API =
  process.env.MAILSTACK_USERS !== 'sql' &&
  process.env.MAILSTACK_USERS !== 'direct' &&
  ROUTES.some((route) => route.family === 'user' && route.method === 'POST' && route.pattern === '/user/:mail');

async function expectOk(what: string, call: Promise<{ body: Record<string, any> }>): Promise<void> {
  const res = await call;
  assert.deepEqual(res.body, { _success: true }, `${what}: ${JSON.stringify(res.body)}`);
}

function apiUsers(h: Harness, admin: ApiClient): UserOps {
  return {
    via: 'api',
    async create(mail, password, scheme, extra = {}) {
      // The deployment's DEFAULT_PASSWORD_SCHEME, changed per user (the harness shares its config).
      const previous = h.config.defaultPasswordScheme;
      h.config.defaultPasswordScheme = scheme;
      const params: Record<string, string> = { password, name: mail };
      if (extra.quota !== undefined) params.quota = String(extra.quota);
      if (extra.mailboxFormat !== undefined) params.mailboxFormat = extra.mailboxFormat;
      if (extra.mailboxFolder !== undefined) params.mailboxFolder = extra.mailboxFolder;
      try {
        await expectOk(`POST /api/user/${mail}`, admin.post(`/api/user/${mail}`, params));
      } finally {
        h.config.defaultPasswordScheme = previous;
      }
    },
    setPassword: (mail, password) => expectOk(`PUT /api/user/${mail} password`, admin.put(`/api/user/${mail}`, { password })),
    setActive: (mail, active) => expectOk(`PUT /api/user/${mail} accountStatus`, admin.put(`/api/user/${mail}`, { accountStatus: active ? 'active' : 'disabled' })),
    removeServices: (mail, services) => expectOk(`PUT /api/user/${mail} removeService`, admin.put(`/api/user/${mail}`, { removeService: services.join(',') })),
    setForwarding: (mail, targets) => expectOk(`PUT /api/user/${mail} forwarding`, admin.put(`/api/user/${mail}`, { forwarding: targets.join(',') })),
    setAliases: (mail, aliases) => expectOk(`PUT /api/user/${mail} aliases`, admin.put(`/api/user/${mail}`, { aliases: aliases.join(',') })),
    async setBcc(mail, bcc) {
      const params: Record<string, string> = {};
      if (bcc.sender !== undefined) params.senderBcc = bcc.sender;
      if (bcc.recipient !== undefined) params.recipientBcc = bcc.recipient;
      await expectOk(`PUT /api/user/${mail} bcc`, admin.put(`/api/user/${mail}`, params));
    },
    setTransport: (mail, transport) => expectOk(`PUT /api/user/${mail} transport`, admin.put(`/api/user/${mail}`, { transport })),
    delete: (mail) => expectOk(`DELETE /api/user/${mail}`, admin.delete(`/api/user/${mail}`)),
  };
}

/** The rows iRedAdmin writes, straight into vmail (used only while the API lacks users). */
function sqlUsers(h: Harness, storageBaseDirectory: string): UserOps {
  const now = () => new Date().toISOString().slice(0, 19).replace('T', ' ');
  const split = storageBaseDirectory.lastIndexOf('/');
  const domainOf = (mail: string) => mail.slice(mail.indexOf('@') + 1);
  const SERVICE_COLUMNS: Record<string, string[]> = {
    imap: ['enableimap'],
    imapsecured: ['enableimapsecured', 'enableimaptls'],
    smtp: ['enablesmtp'],
    deliver: ['enabledeliver', 'enablelda', 'enablelmtp'],
  };
  return {
    via: 'sql',
    async create(mail, password, scheme, extra = {}) {
      const domain = domainOf(mail);
      const local = mail.slice(0, mail.indexOf('@'));
      const hashed = [local[0], local[1] ?? '_', local[2] ?? '_'].map((c) => (c === '.' || c === '~' ? '_' : c));
      await h.vmail.insertInto('mailbox').values({
        username: mail, password: await hashPassword(password, scheme), name: mail, domain, quota: extra.quota ?? 0, language: '',
        storagebasedirectory: storageBaseDirectory.slice(0, split), storagenode: storageBaseDirectory.slice(split + 1),
        maildir: `${domain}/${hashed.join('/')}/${local}-2026.01.01.00.00.00/`, mailboxformat: extra.mailboxFormat ?? 'maildir', mailboxfolder: extra.mailboxFolder ?? 'Maildir',
        created: now(), modified: now(), passwordlastchange: now(), active: 1,
      }).execute();
      await h.vmail.insertInto('forwardings').values({ address: mail, forwarding: mail, domain, dest_domain: domain, is_forwarding: 1, active: 1 }).execute();
    },
    async setPassword(mail, password) {
      await h.vmail.updateTable('mailbox').set({ password: await hashPassword(password, 'SSHA512'), passwordlastchange: now() }).where('username', '=', mail).execute();
    },
    async setActive(mail, active) {
      await h.vmail.updateTable('mailbox').set({ active: active ? 1 : 0 }).where('username', '=', mail).execute();
      await h.vmail.updateTable('forwardings').set({ active: active ? 1 : 0 }).where('address', '=', mail).execute();
    },
    async removeServices(mail, services) {
      const unknown = services.filter((service) => !SERVICE_COLUMNS[service]);
      if (unknown.length > 0) throw new Error(`sqlUsers knows no columns for ${unknown.join(', ')}`);
      const values = Object.fromEntries(services.flatMap((service) => SERVICE_COLUMNS[service]!).map((column) => [column, 0]));
      await h.vmail.updateTable('mailbox').set(values).where('username', '=', mail).execute();
    },
    async setForwarding(mail, targets) {
      await h.vmail.deleteFrom('forwardings').where('address', '=', mail).where('is_forwarding', '=', 1).execute();
      const list = targets.length > 0 ? targets : [mail];
      await h.vmail.insertInto('forwardings').values(list.map((t) => ({ address: mail, forwarding: t, domain: domainOf(mail), dest_domain: domainOf(t), is_forwarding: 1, active: 1 }))).execute();
    },
    async setAliases(mail, aliases) {
      await h.vmail.deleteFrom('forwardings').where('forwarding', '=', mail).where('is_alias', '=', 1).execute();
      if (aliases.length === 0) return;
      await h.vmail.insertInto('forwardings').values(aliases.map((a) => ({ address: a, forwarding: mail, domain: domainOf(mail), dest_domain: domainOf(mail), is_alias: 1, active: 1 }))).execute();
    },
    async setBcc(mail, bcc) {
      for (const [kind, address] of [['sender', bcc.sender], ['recipient', bcc.recipient]] as const) {
        if (address === undefined) continue;
        const table = `${kind}_bcc_user`;
        await h.vmail.deleteFrom(table).where('username', '=', mail).execute();
        if (address) await h.vmail.insertInto(table).values({ username: mail, bcc_address: address, domain: domainOf(mail), created: now(), modified: now(), active: 1 }).execute();
      }
    },
    async setTransport(mail, transport) {
      await h.vmail.updateTable('mailbox').set({ transport }).where('username', '=', mail).execute();
    },
    async delete(mail) {
      await h.vmail.deleteFrom('mailbox').where('username', '=', mail).execute();
      await h.vmail.deleteFrom('forwardings').where((eb) => eb.or([eb('address', '=', mail), eb('forwarding', '=', mail)])).execute();
      for (const table of ['sender_bcc_user', 'recipient_bcc_user']) await h.vmail.deleteFrom(table).where('username', '=', mail).execute();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Postfix lookups with Postfix's own search order

const MAP_OF: Record<Param, 'domain' | 'address' | 'transport'> = {
  virtual_mailbox_domains: 'domain',
  relay_domains: 'domain',
  virtual_mailbox_maps: 'address',
  virtual_alias_maps: 'address',
  transport_maps: 'transport',
  smtpd_sender_login_maps: 'address',
  sender_dependent_relayhost_maps: 'address',
  sender_bcc_maps: 'address',
  recipient_bcc_maps: 'address',
};

/**
 * The keys Postfix tries, in order: user+ext@domain, user@domain (recipient_delimiter = +,
 * as iRedMail sets it), then @domain — for transport_maps the bare domain instead.
 */
function keysFor(param: Param, key: string): string[] {
  const at = key.lastIndexOf('@');
  if (MAP_OF[param] === 'domain' || at < 0) return [key];
  const domain = key.slice(at + 1);
  const local = key.slice(0, at);
  const plus = local.indexOf('+');
  const keys = plus > 0 ? [key, `${local.slice(0, plus)}@${domain}`] : [key];
  return [...keys, MAP_OF[param] === 'transport' ? domain : `@${domain}`];
}

interface Lookup {
  result: string | undefined;
  trace: string[];
}

let stack: MailStack;

function show(r: PostmapResult): string {
  return `${r.command} -> ${r.result === undefined ? '(not found)' : JSON.stringify(r.result)}${r.stderr ? ` [stderr: ${r.stderr}]` : ''}`;
}

async function query(map: string, key: string): Promise<PostmapResult> {
  const r = await stack.postmapQuery(map, key);
  // A map that warns or fails is a broken map, whatever it answered.
  assert.equal(r.stderr, '', `${show(r)}: postmap wrote to stderr`);
  return r;
}

/**
 * One Postfix parameter: each key variant against every table in order; the first answer
 * wins. One postmap process per table answers every key variant. The first table is asked
 * alone (it usually answers: a user's self row), the others together when it does not.
 */
async function lookup(param: Param, key: string): Promise<Lookup> {
  const variants = keysFor(param, key);
  const [first, ...rest] = profile!.maps[param];
  const head = await stack.postmapQueryMany(first!, variants);
  const perMap = head.get(variants[0]!)!.result !== undefined ? [head] : [head, ...(await Promise.all(rest.map((map) => stack.postmapQueryMany(map, variants))))];
  const trace: string[] = [];
  for (const variant of variants) {
    for (const answers of perMap) {
      const r = answers.get(variant)!;
      trace.push(show(r));
      assert.equal(r.stderr, '', `${show(r)}: postmap wrote to stderr`);
      if (r.result !== undefined) return { result: r.result, trace };
    }
  }
  return { result: undefined, trace };
}

const values = (text: string | undefined) => (text === undefined ? [] : text.split(',').map((v) => v.trim()).filter(Boolean).sort());

/** LDAP map files with the same name and meaning as the SQL one (one key, one answer). */
const SAME_ON_LDAP = new Set(['sender_bcc_maps_user', 'recipient_bcc_maps_user', 'transport_maps_user']);

/**
 * One SQL map file asked one key: the result must be exactly these values (any order). It
 * pins a failure on one table; the parameter-level checks (expectParam, expectDelivery)
 * carry the proof on every backend. LDAP's tables differ: its virtual_alias_maps answers
 * through four files (the whole parameter is asked instead), a few files match the SQL ones,
 * the rest have no counterpart and are skipped.
 */
async function expectTable(map: string, key: string, expected: string[] | undefined): Promise<void> {
  if (profile!.kind === 'ldap') {
    if (map === 'virtual_alias_maps') return expectParam('virtual_alias_maps', key, expected);
    if (!SAME_ON_LDAP.has(map)) return;
  }
  const r = await query(map, key);
  if (expected === undefined) assert.equal(r.result, undefined, `expected no answer: ${show(r)}`);
  else assert.deepEqual(values(r.result), [...expected].sort(), `expected ${JSON.stringify(expected)}: ${show(r)}`);
}

/** A Postfix parameter (all its tables, Postfix's key order): the first answer must be exactly these values. */
async function expectParam(param: Param, key: string, expected: string[] | undefined): Promise<void> {
  const { result, trace } = await lookup(param, key);
  const matches = expected === undefined ? result === undefined : JSON.stringify(values(result)) === JSON.stringify([...expected].sort());
  if (matches) return;
  const message = `${param} for '${key}': expected ${expected === undefined ? '(not found)' : JSON.stringify(expected)}\n  ${trace.join('\n  ')}${await storedFor(key)}`;
  if (expected === undefined) assert.equal(result, undefined, message);
  else assert.deepEqual(values(result), [...expected].sort(), message);
}

/** LDAP: the entries behind an address (and its `@domain`), for failure messages. */
async function storedFor(key: string): Promise<string> {
  if (profile!.kind !== 'ldap' || !key.includes('@')) return '';
  const catchall = key.slice(key.lastIndexOf('@'));
  const described = await Promise.all([...new Set([key, catchall])].map((address) => describeLdapEntries(h.ldap!, address)));
  return `\n  stored (LDAP):\n  ${described.join('\n  ')}`;
}

/**
 * Where mail to an address ends up: virtual_alias_maps applied recursively as Postfix's
 * cleanup does (an address that maps to itself stops; one no table knows is final), then
 * every final address of a hosted domain must pass virtual_mailbox_maps.
 */
async function expand(address: string, trace: string[] = [], depth = 0): Promise<string[]> {
  if (depth > 10) throw new Error(`alias loop at ${address}:\n  ${trace.join('\n  ')}`);
  const found = await lookup('virtual_alias_maps', address);
  trace.push(...found.trace);
  if (found.result === undefined) return [address];
  const out = new Set<string>();
  for (const target of values(found.result)) {
    if (target === address) out.add(target);
    else for (const final of await expand(target, trace, depth + 1)) out.add(final);
  }
  return [...out].sort();
}

async function expectDelivery(address: string, expected: string[]): Promise<void> {
  const trace: string[] = [];
  const finals = await expand(address, trace);
  if (JSON.stringify(finals) !== JSON.stringify([...expected].sort())) {
    assert.deepEqual(finals, [...expected].sort(), `mail to ${address} should reach ${JSON.stringify(expected)}, resolves to ${JSON.stringify(finals)}\n  ${trace.join('\n  ')}${await storedFor(address)}`);
  }
  for (const final of finals) {
    if (!final.endsWith(`@${HOSTED}`)) continue;
    const box = await lookup('virtual_mailbox_maps', final);
    assert.ok(box.result?.endsWith('/Maildir/'), `${final} (final recipient of ${address}) has no mailbox:\n  ${box.trace.join('\n  ')}`);
  }
}

// ---------------------------------------------------------------------------------------

const HOSTED = 'stack.test';
const ALIAS_DOMAIN = 'stack-alias.test';
const EXTERNAL = 'elsewhere.test';
const PASSWORD = 'Interop#Pass1';

/**
 * Schemes the API writes, all of which Dovecot verifies (passwords.ts leaves NTLM out for that
 * reason). On LDAP slapd verifies them (auth_bind = yes), and the backend refuses the two it
 * cannot verify, PLAIN and CRAM-MD5 (lib/storage/ldap/password-form.ts).
 */
const SCHEMES: PasswordScheme[] = BACKEND === 'ldap' ? [...LDAP_WRITABLE_PASSWORD_SCHEMES] : [...WRITABLE_PASSWORD_SCHEMES];

let h: Harness;
let admin: ApiClient;
let users: UserOps;
let cleanup: (() => Promise<void>) | undefined;

async function imap(user: string, password: string, from?: string): Promise<boolean> {
  return stack.imapLogin(user, password, from ? { localAddress: from } : undefined);
}

async function expectLogin(user: string, password: string, expected: boolean, why: string, from?: string): Promise<void> {
  const ok = await imap(user, password, from);
  assert.equal(ok, expected, `IMAP login of ${user}${from ? ` from ${from}` : ''} ${expected ? 'refused' : 'accepted'} (${why})\n--- dovecot.log ---\n${stack.dovecotLog(15)}`);
}

describe(`mail stack interop (${BACKEND})`, { skip: profile ? false : `no mail-stack profile for TEST_BACKEND=${BACKEND} (mysql, pgsql, mysql-genuine, pgsql-genuine, ldap)` }, () => {
  before(async () => {
    const t0 = performance.now();
    h = await startHarness();
    admin = await h.loggedIn();
    const started = await profile!.start(h);
    stack = started.stack;
    cleanup = started.cleanup;
    // New maildirs go below the stack's temp dir, where Dovecot (as an unprivileged user) creates them.
    h.config.storageBaseDirectory = stack.storageBaseDirectory;
    users = USER_API ? apiUsers(h, admin) : profile!.kind === 'ldap' ? ldapDirectUsers(h.ldap!, stack.storageBaseDirectory) : sqlUsers(h, stack.storageBaseDirectory);
    const v = daemonVersions();
    console.log(`# mail stack: Dovecot ${v.dovecot}, Postfix ${v.postfix} (postmap); backend ${BACKEND}; users via ${users.via}; ready in ${Math.round(performance.now() - t0)} ms`);
  });

  after(async () => {
    if (stack) {
      const { processes, ms } = stack.postmapStats();
      console.log(`# postmap: ${processes} processes, ${ms} ms summed (they run in parallel per lookup)`);
    }
    // Each step runs even if an earlier one fails, so no database, account or daemon is left.
    const steps = [() => stack?.stop(), () => h?.close(), () => cleanup?.()];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });

  test('domains: virtual_mailbox_domains, alias domains, transport, backup MX in relay_domains', async () => {
    await expectOk('POST domain', admin.post(`/api/domain/${HOSTED}`, { name: 'Interop', senderBcc: `sbcc-domain@${EXTERNAL}`, recipientBcc: `rbcc-domain@${EXTERNAL}` }));
    await expectParam('virtual_mailbox_domains', HOSTED, [HOSTED]);
    await expectParam('relay_domains', HOSTED, undefined);
    await expectParam('transport_maps', `anyone@${HOSTED}`, ['dovecot']);
    await expectParam('virtual_mailbox_domains', 'unknown.test', undefined);

    await expectOk('PUT aliasDomains', admin.put(`/api/domain/${HOSTED}`, { aliasDomains: ALIAS_DOMAIN }));
    // Postfix only asks whether the domain is listed; LDAP's map answers with the primary domainName.
    await expectParam('virtual_mailbox_domains', ALIAS_DOMAIN, [profile!.kind === 'ldap' ? HOSTED : ALIAS_DOMAIN]);

    await expectOk('POST transport domain', admin.post('/api/domain/lmtp.test', { transport: 'lmtp:unix:private/dovecot-lmtp' }));
    await expectParam('transport_maps', 'lmtp.test', ['lmtp:unix:private/dovecot-lmtp']);
    await expectOk('PUT transport', admin.put('/api/domain/lmtp.test', { transport: 'smtp:[192.0.2.30]:25' }));
    await expectParam('transport_maps', 'someone@lmtp.test', ['smtp:[192.0.2.30]:25']);

    await expectOk('POST backup domain', admin.post('/api/domain/backup.test', {}));
    await expectOk('PUT is_backupmx', admin.put('/api/domain/backup.test', { is_backupmx: 'yes', primarymx: '192.0.2.10' }));
    await expectParam('relay_domains', 'backup.test', ['backup.test']);
    await expectParam('virtual_mailbox_domains', 'backup.test', undefined);
    const { result, trace } = await lookup('transport_maps', 'someone@backup.test');
    assert.match(result ?? '', /^relay:\[192\.0\.2\.10\](:25)?$/, `backup MX transport should relay to the primary MX\n  ${trace.join('\n  ')}`);
    await expectOk('PUT is_backupmx=no', admin.put('/api/domain/backup.test', { is_backupmx: 'no' }));
    await expectParam('relay_domains', 'backup.test', undefined);
    await expectParam('virtual_mailbox_domains', 'backup.test', ['backup.test']);
    await expectParam('transport_maps', 'backup.test', ['dovecot']);
  });

  test(`IMAP login for every password scheme the API writes (${SCHEMES.join(', ')}); a wrong password fails`, async () => {
    // Every scheme is tried before the verdict, so one run names all that fail.
    const wrong: string[] = [];
    for (const scheme of SCHEMES) {
      const mail = `pw-${scheme.toLowerCase()}@${HOSTED}`;
      await users.create(mail, PASSWORD, scheme);
      const stored = `${scheme}, stored as ${(await profile!.account(h, mail)).hash.slice(0, 24)}…`;
      if (!(await imap(mail, PASSWORD))) wrong.push(`${mail} (${stored}): the right password is refused`);
      if (await imap(mail, PASSWORD + 'x')) wrong.push(`${mail} (${stored}): a wrong password is accepted`);
    }
    assert.deepEqual(wrong, [], `IMAP logins per scheme:\n  ${wrong.join('\n  ')}\n--- dovecot.log ---\n${stack.dovecotLog(15)}`);
  });

  test(`LDAP refuses the schemes slapd cannot verify (${LDAP_UNSUPPORTED_WRITE_SCHEMES.join(', ')}): INVALID_PASSWORD_SCHEME, no account`, { skip: profile?.kind === 'ldap' && USER_API ? false : 'LDAP through the API only' }, async () => {
    const refused = { _success: false, _msg: 'INVALID_PASSWORD_SCHEME' };
    const previous = h.config.defaultPasswordScheme;
    for (const scheme of LDAP_UNSUPPORTED_WRITE_SCHEMES) {
      const mail = `refused-${scheme.toLowerCase()}@${HOSTED}`;
      const hash = await hashPassword(PASSWORD, scheme);
      assert.deepEqual((await admin.post(`/api/user/${mail}`, { password_hash: hash })).body, refused, `password_hash ${scheme}`);
      h.config.defaultPasswordScheme = scheme;
      try {
        assert.deepEqual((await admin.post(`/api/user/${mail}`, { password: PASSWORD })).body, refused, `DEFAULT_PASSWORD_SCHEME=${scheme}`);
      } finally {
        h.config.defaultPasswordScheme = previous;
      }
      assert.equal((await admin.get(`/api/user/${mail}`)).body._success, false, `${mail} must not exist`);
      await expectParam('virtual_mailbox_maps', mail, undefined);
      assert.equal(await imap(mail, PASSWORD), false, `${mail} must not log in`);
    }
  });

  test('password change: the old password stops working, the new one works', async () => {
    const mail = `alice@${HOSTED}`;
    await users.create(mail, PASSWORD, 'SSHA512');
    await expectLogin(mail, PASSWORD, true, 'before the change');
    await users.setPassword(mail, 'Changed#Pass2');
    await expectLogin(mail, PASSWORD, false, 'old password after the change');
    await expectLogin(mail, 'Changed#Pass2', true, 'new password after the change');
  });

  test('a disabled user cannot log in, and can again once enabled', async () => {
    const mail = `dave@${HOSTED}`;
    await users.create(mail, PASSWORD, 'SSHA512');
    await expectLogin(mail, PASSWORD, true, 'enabled');
    await users.setActive(mail, false);
    await expectLogin(mail, PASSWORD, false, 'disabled (active=0)');
    await expectParam('virtual_mailbox_maps', mail, undefined);
    await expectParam('virtual_alias_maps', mail, undefined);
    await expectParam('smtpd_sender_login_maps', mail, undefined);
    await users.setActive(mail, true);
    await expectLogin(mail, PASSWORD, true, 'enabled again');
    await expectParam('virtual_mailbox_maps', mail, [await maildirOf(mail)]);
    await expectTable('virtual_alias_maps', mail, [mail]);
  });

  test('imap service off: no IMAP login (enableimap on a plain connection, enableimapsecured on a secured one)', async () => {
    const mail = `erin@${HOSTED}`;
    await users.create(mail, PASSWORD, 'SSHA512');
    // Dovecot 2.3 asks for column enable%Ls%Lc: a connection from another address is plain
    // (%c empty -> enableimap); one from the server's own address counts as secured
    // (-> enableimapsecured), as TLS connections do.
    await expectLogin(mail, PASSWORD, true, 'imap enabled, plain connection', '127.0.0.2');
    await expectLogin(mail, PASSWORD, true, 'imap enabled, secured connection');
    await users.removeServices(mail, ['imap']);
    await expectLogin(mail, PASSWORD, false, 'enableimap=0, plain connection', '127.0.0.2');
    await users.removeServices(mail, ['imapsecured']);
    await expectLogin(mail, PASSWORD, false, 'enableimap=0 and imapsecured removed, secured connection');
  });

  test('quota and mailbox format from the API are what Dovecot applies', async () => {
    const quoted = `quota@${HOSTED}`;
    await users.create(quoted, PASSWORD, 'SSHA512', { quota: 100 });
    const quota = await stack.withImap(quoted, PASSWORD, (client) => client.getQuota('INBOX'));
    assert.ok(quota && quota.storage, `GETQUOTAROOT INBOX of ${quoted} (quota=100 MB) has no storage limit: ${JSON.stringify(quota)}`);
    assert.equal(quota.storage.limit, 100 * 1024 * 1024, `storage limit of ${quoted}: ${JSON.stringify(quota)}`);
    const unlimited = await stack.withImap(`alice@${HOSTED}`, 'Changed#Pass2', (client) => client.getQuota('INBOX'));
    assert.ok(!unlimited || !unlimited.storage?.limit, `quota=0 should be unlimited: ${JSON.stringify(unlimited)}`);

    const boxed = `ivan@${HOSTED}`;
    await users.create(boxed, PASSWORD, 'SSHA512', { mailboxFormat: 'sdbox', mailboxFolder: 'Mail' });
    await stack.withImap(boxed, PASSWORD, (client) => client.append('INBOX', 'Subject: sdbox\r\n\r\nhello\r\n'));
    const { home } = await profile!.account(h, boxed);
    assert.ok(home.startsWith(stack.dir), `home ${home} should be below the stack's directory ${stack.dir}`);
    assert.ok(existsSync(join(home, 'Mail', 'mailboxes', 'INBOX', 'dbox-Mails')), `sdbox:~/Mail should have made ${home}Mail/mailboxes/INBOX/dbox-Mails\n--- dovecot.log ---\n${stack.dovecotLog(10)}`);

    if (USER_API) {
      // An explicit maildir (absolute) becomes the user's home.
      const placed = `kate@${HOSTED}`;
      const path = `${stack.storageBaseDirectory}/custom/Kate-Box/`;
      await expectOk(`POST /api/user/${placed} maildir`, admin.post(`/api/user/${placed}`, { password: PASSWORD, maildir: path }));
      await stack.withImap(placed, PASSWORD, (client) => client.append('INBOX', 'Subject: placed\r\n\r\nhello\r\n'));
      const expected = join(path.toLowerCase(), 'Maildir', 'cur');
      assert.ok(existsSync(expected), `maildir=${path} should put the mail in ${expected}\n--- dovecot.log ---\n${stack.dovecotLog(10)}`);
    }
  });

  test('Dovecot writes what the API reads back: last login and used quota', { skip: USER_API || BACKEND !== 'ldap' ? false : 'needs GET /api/user/<mail> on ldap' }, async () => {
    const mail = `quota@${HOSTED}`;
    const before = (await admin.get(`/api/user/${mail}`)).body._data ?? {};
    await stack.withImap(mail, PASSWORD, (client) => client.append('INBOX', `Subject: usage\r\n\r\n${'x'.repeat(5000)}\r\n`));
    // Dovecot's dict writes are asynchronous: wait for the rows.
    const deadline = Date.now() + 10_000;
    let data: Record<string, any> = {};
    for (;;) {
      const res = await admin.get(`/api/user/${mail}`);
      assert.equal(res.body._success, true, JSON.stringify(res.body));
      data = res.body._data;
      if ((Number(data.stored_bytes) > 0 && data.last_login) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { usage, login } = await profile!.dictRows(h, mail);
    const context = `GET /api/user/${mail} before: last_login=${JSON.stringify(before.last_login)} stored_bytes=${before.stored_bytes}; after: last_login=${JSON.stringify(data.last_login)} stored_bytes=${data.stored_bytes} stored_messages=${data.stored_messages}; used_quota row ${JSON.stringify(usage)}; last_login row ${JSON.stringify(login)}\n--- dovecot.log ---\n${stack.dovecotLog(10)}`;
    assert.ok(Number(data.stored_bytes) > 5000, `stored_bytes: ${context}`);
    assert.equal(Number(data.stored_messages), 1, `stored_messages: ${context}`);
    assert.equal(usage?.domain, HOSTED, `used_quota.domain (the trigger fills it): ${context}`);
    assert.match(String(data.last_login), /\d{4} \d\d:\d\d:\d\d GMT$/, `last_login: ${context}`);
    assert.equal(login?.domain, HOSTED, `last_login.domain: ${context}`);
  });

  test('deliver and smtp services off: no mailbox for Postfix, no sender login', async () => {
    const mail = `erin@${HOSTED}`;
    await expectParam('virtual_mailbox_maps', mail, [await maildirOf(mail)]);
    await expectParam('smtpd_sender_login_maps', mail, [mail]);
    await users.removeServices(mail, ['deliver', 'smtp']);
    await expectParam('virtual_mailbox_maps', mail, undefined);
    await expectParam('smtpd_sender_login_maps', mail, undefined);
  });

  test('a user of a disabled domain cannot log in, and its domain leaves virtual_mailbox_domains', async () => {
    const mail = `frank@off.test`;
    await expectOk('POST off.test', admin.post('/api/domain/off.test', {}));
    await users.create(mail, PASSWORD, 'SSHA512');
    await expectLogin(mail, PASSWORD, true, 'domain active');
    await expectParam('virtual_mailbox_maps', mail, [await maildirOf(mail)]);
    await expectOk('PUT off.test disabled', admin.put('/api/domain/off.test', { accountStatus: 'disabled' }));
    await expectLogin(mail, PASSWORD, false, 'domain disabled');
    await expectParam('virtual_mailbox_domains', 'off.test', undefined);
    await expectParam('virtual_mailbox_maps', mail, undefined);
    await expectParam('virtual_alias_maps', mail, undefined);
    await expectParam('smtpd_sender_login_maps', mail, undefined);
  });

  test('mailbox, self row and sender login: a user resolves to itself', async () => {
    const mail = `alice@${HOSTED}`;
    await expectParam('virtual_mailbox_maps', mail, [await maildirOf(mail)]);
    await expectTable('virtual_alias_maps', mail, [mail]);
    await expectParam('smtpd_sender_login_maps', mail, [mail]);
    await expectDelivery(mail, [mail]);
    // No catch-all yet: an unknown address is known to no table (Postfix rejects it).
    await expectParam('virtual_alias_maps', `nobody@${HOSTED}`, undefined);
    await expectParam('virtual_mailbox_maps', `nobody@${HOSTED}`, undefined);
  });

  test('forwardings: without a kept copy only the target, with a copy the user too', async () => {
    const bob = `bob@${HOSTED}`;
    const carol = `carol@${HOSTED}`;
    await users.create(bob, PASSWORD, 'SSHA512');
    await users.create(carol, PASSWORD, 'SSHA512');
    await users.setForwarding(bob, [`bob-ext@${EXTERNAL}`]);
    await users.setForwarding(carol, [carol, `carol-ext@${EXTERNAL}`]);
    await expectTable('virtual_alias_maps', bob, [`bob-ext@${EXTERNAL}`]);
    await expectDelivery(bob, [`bob-ext@${EXTERNAL}`]);
    await expectTable('virtual_alias_maps', carol, [carol, `carol-ext@${EXTERNAL}`]);
    await expectDelivery(carol, [carol, `carol-ext@${EXTERNAL}`]);
    // Forwarding to another local user follows that user's own rows.
    await users.setForwarding(bob, [carol]);
    await expectDelivery(bob, [carol, `carol-ext@${EXTERNAL}`]);
    // Back to plain delivery: the self row is there again.
    await users.setForwarding(bob, []);
    await expectTable('virtual_alias_maps', bob, [bob]);
    await expectDelivery(bob, [bob]);
  });

  test('per-user aliases, also under an alias domain', async () => {
    const alice = `alice@${HOSTED}`;
    await users.setAliases(alice, [`sales@${HOSTED}`, `info@${ALIAS_DOMAIN}`]);
    await expectTable('virtual_alias_maps', `sales@${HOSTED}`, [alice]);
    await expectDelivery(`sales@${HOSTED}`, [alice]);
    // Asked of the first table alone, so that no catch-all can make up for a wrong row.
    await expectTable('virtual_alias_maps', `info@${ALIAS_DOMAIN}`, [alice]);
    await expectDelivery(`info@${ALIAS_DOMAIN}`, [alice]);
    // SQL: a per-user alias is not a login name for sending (iRedAPD decides that, not Postfix).
    // LDAP: per-user aliases are shadowAddress values, which iRedMail's sender_login_maps.cf
    // maps to the user, so the user may send as them.
    await expectParam('smtpd_sender_login_maps', `sales@${HOSTED}`, profile!.kind === 'ldap' ? [alice] : undefined);
  });

  test('mail alias accounts: members (local and external)', async () => {
    const team = `team@${HOSTED}`;
    await expectOk('POST alias', admin.post(`/api/alias/${team}`, { name: 'Team', members: `alice@${HOSTED},carol@${HOSTED},member@${EXTERNAL}` }));
    await expectTable('virtual_alias_maps', team, [`alice@${HOSTED}`, `carol@${HOSTED}`, `member@${EXTERNAL}`]);
    await expectDelivery(team, [`alice@${HOSTED}`, `carol@${HOSTED}`, `carol-ext@${EXTERNAL}`, `member@${EXTERNAL}`]);
    await expectOk('PUT alias removeMember', admin.put(`/api/alias/${team}`, { removeMember: `carol@${HOSTED}` }));
    await expectTable('virtual_alias_maps', team, [`alice@${HOSTED}`, `member@${EXTERNAL}`]);
    await expectOk('PUT alias disabled', admin.put(`/api/alias/${team}`, { accountStatus: 'disabled' }));
    await expectParam('virtual_alias_maps', team, undefined);
    await expectOk('PUT alias active', admin.put(`/api/alias/${team}`, { accountStatus: 'active' }));
    await expectTable('virtual_alias_maps', team, [`alice@${HOSTED}`, `member@${EXTERNAL}`]);
    // Renamed: the new address expands, the old one is gone.
    await expectOk('POST alias', admin.post(`/api/alias/crew@${HOSTED}`, { members: `carol@${HOSTED}` }));
    await expectOk('alias change_email', admin.post(`/api/alias/crew@${HOSTED}/change_email/staff@${HOSTED}`));
    await expectParam('virtual_alias_maps', `crew@${HOSTED}`, undefined);
    await expectTable('virtual_alias_maps', `staff@${HOSTED}`, [`carol@${HOSTED}`]);
  });

  test('mixed-case input is stored the way Postfix (keys folded to lower case) and Dovecot (%Lu) look it up', { skip: USER_API ? false : 'needs the user API' }, async () => {
    const mail = `Mixed.Case@${HOSTED.toUpperCase()}`;
    const lower = mail.toLowerCase();
    await users.create(mail, PASSWORD, 'SSHA512');
    await users.setAliases(mail, [`Sales.Mixed@${HOSTED.toUpperCase()}`]);
    await users.setForwarding(mail, [mail, `Copy.Mixed@${EXTERNAL.toUpperCase()}`]);
    await expectOk('POST alias', admin.post(`/api/alias/Group.Mixed@${HOSTED.toUpperCase()}`, { members: `${mail},Outside@${EXTERNAL.toUpperCase()}` }));
    await expectLogin(mail, PASSWORD, true, 'mixed-case login name');
    await expectLogin(lower, PASSWORD, true, 'lower-case login name');
    await expectParam('virtual_mailbox_maps', lower, [await maildirOf(lower)]);
    await expectParam('smtpd_sender_login_maps', lower, [lower]);
    await expectDelivery(lower, [lower, `copy.mixed@${EXTERNAL}`]);
    await expectDelivery(`sales.mixed@${HOSTED}`, [lower, `copy.mixed@${EXTERNAL}`]);
    await expectTable('virtual_alias_maps', `group.mixed@${HOSTED}`, [lower, `outside@${EXTERNAL}`]);
  });

  test('PUT /api/users/<domain>: one password and one status for every user', { skip: ROUTES.some((r) => r.method === 'PUT' && r.pattern === '/users/:domain') && USER_API ? false : 'needs PUT /api/users/<domain>' }, async () => {
    const domain = 'bulk.test';
    await expectOk('POST bulk.test', admin.post(`/api/domain/${domain}`, {}));
    const members = [`one@${domain}`, `two@${domain}`];
    for (const mail of members) await users.create(mail, PASSWORD, 'SSHA512');
    await expectOk('PUT users password', admin.put(`/api/users/${domain}`, { password: 'Bulk#Pass3' }));
    for (const mail of members) {
      await expectLogin(mail, PASSWORD, false, 'old password after the bulk change');
      await expectLogin(mail, 'Bulk#Pass3', true, 'bulk password');
    }
    await expectOk('PUT users disabled', admin.put(`/api/users/${domain}`, { accountStatus: 'disabled' }));
    for (const mail of members) {
      await expectLogin(mail, 'Bulk#Pass3', false, 'all users disabled');
      await expectParam('virtual_mailbox_maps', mail, undefined);
      await expectParam('virtual_alias_maps', mail, undefined);
    }
    await expectOk('PUT users active', admin.put(`/api/users/${domain}`, { accountStatus: 'active' }));
    for (const mail of members) {
      await expectLogin(mail, 'Bulk#Pass3', true, 'all users enabled again');
      await expectDelivery(mail, [mail]);
    }
  });

  test('catch-all takes unknown addresses only; alias domains map users and the catch-all', async () => {
    const alice = `alice@${HOSTED}`;
    const bob = `bob@${HOSTED}`;
    await expectOk('PUT catchall', admin.put(`/api/domain/${HOSTED}`, { catchall: `${alice},catch@${EXTERNAL}` }));
    try {
      await expectTable('catchall_maps', `nobody@${HOSTED}`, [alice, `catch@${EXTERNAL}`]);
      await expectDelivery(`nobody@${HOSTED}`, [alice, `catch@${EXTERNAL}`]);
      // Existing addresses keep their mail: the user's self row answers before the catch-all,
      // also with an address extension (the catch-all map skips local parts with a +).
      await expectDelivery(bob, [bob]);
      await expectDelivery(alice, [alice]);
      await expectTable('catchall_maps', `bob+news@${HOSTED}`, undefined);
      await expectDelivery(`bob+news@${HOSTED}`, [bob]);
      await expectDelivery(`team@${HOSTED}`, [alice, `member@${EXTERNAL}`]);
      // Alias domain: users map to the target domain, unknown addresses to its catch-all.
      await expectTable('domain_alias_maps', `bob@${ALIAS_DOMAIN}`, [bob]);
      await expectDelivery(`bob@${ALIAS_DOMAIN}`, [bob]);
      await expectTable('domain_alias_catchall_maps', `nobody@${ALIAS_DOMAIN}`, [alice, `catch@${EXTERNAL}`]);
      await expectDelivery(`nobody@${ALIAS_DOMAIN}`, [alice, `catch@${EXTERNAL}`]);
    } finally {
      // Catch-all off again, also after a failed check: later tests must not see it.
      await expectOk('PUT catchall=', admin.put(`/api/domain/${HOSTED}`, { catchall: '' }));
    }
    await expectParam('virtual_alias_maps', `nobody@${HOSTED}`, undefined);
    await expectParam('virtual_alias_maps', `nobody@${ALIAS_DOMAIN}`, undefined);
  });

  test('an alias domain added later maps the existing users; removed, it is no longer hosted and maps nowhere', async () => {
    const bob = `bob@${HOSTED}`;
    await expectOk('PUT addAliasDomain', admin.put(`/api/domain/${HOSTED}`, { addAliasDomain: 'stack-extra.test' }));
    try {
      await expectParam('virtual_mailbox_domains', 'stack-extra.test', [profile!.kind === 'ldap' ? HOSTED : 'stack-extra.test']);
      await expectDelivery(`bob@stack-extra.test`, [bob]);
    } finally {
      await expectOk('PUT removeAliasDomain', admin.put(`/api/domain/${HOSTED}`, { removeAliasDomain: 'stack-extra.test' }));
    }
    await expectParam('virtual_mailbox_domains', 'stack-extra.test', undefined);
    await expectParam('virtual_alias_maps', `bob@stack-extra.test`, undefined);
  });

  test('change_email: the new address logs in and resolves, the old one is gone', { skip: USER_API ? false : 'needs POST /api/user/<mail>/change_email/<new_mail>' }, async () => {
    const old = `henry@${HOSTED}`;
    const renamed = `henri@${HOSTED}`;
    await users.create(old, PASSWORD, 'SSHA512');
    await users.setAliases(old, [`hr@${HOSTED}`]);
    await users.setForwarding(old, [old, `henry-ext@${EXTERNAL}`]);
    await expectOk('change_email', admin.post(`/api/user/${old}/change_email/${renamed}`));
    await expectLogin(old, PASSWORD, false, 'old address after change_email');
    await expectLogin(renamed, PASSWORD, true, 'new address after change_email');
    await expectParam('virtual_mailbox_maps', old, undefined);
    await expectParam('virtual_alias_maps', old, undefined);
    await expectParam('smtpd_sender_login_maps', old, undefined);
    await expectParam('virtual_mailbox_maps', renamed, [await maildirOf(renamed)]);
    await expectParam('smtpd_sender_login_maps', renamed, [renamed]);
    await expectDelivery(renamed, [renamed, `henry-ext@${EXTERNAL}`]);
    await expectDelivery(`hr@${HOSTED}`, [renamed, `henry-ext@${EXTERNAL}`]);
  });

  test('sender and recipient BCC: per domain, and per user before the domain', async () => {
    const alice = `alice@${HOSTED}`;
    const carol = `carol@${HOSTED}`;
    await expectParam('sender_bcc_maps', carol, [`sbcc-domain@${EXTERNAL}`]);
    await expectParam('recipient_bcc_maps', carol, [`rbcc-domain@${EXTERNAL}`]);
    await users.setBcc(alice, { sender: `sbcc-alice@${EXTERNAL}`, recipient: `rbcc-alice@${EXTERNAL}` });
    await expectTable('sender_bcc_maps_user', alice, [`sbcc-alice@${EXTERNAL}`]);
    await expectTable('recipient_bcc_maps_user', alice, [`rbcc-alice@${EXTERNAL}`]);
    await expectParam('sender_bcc_maps', alice, [`sbcc-alice@${EXTERNAL}`]);
    await expectParam('recipient_bcc_maps', alice, [`rbcc-alice@${EXTERNAL}`]);
    await expectOk('PUT domain bcc off', admin.put(`/api/domain/${HOSTED}`, { senderBcc: '', recipientBcc: '' }));
    await expectParam('sender_bcc_maps', carol, undefined);
    await expectParam('recipient_bcc_maps', carol, undefined);
    await expectParam('sender_bcc_maps', alice, [`sbcc-alice@${EXTERNAL}`]);
    await users.setBcc(alice, { sender: '', recipient: '' });
    await expectParam('sender_bcc_maps', alice, undefined);
    await expectParam('recipient_bcc_maps', alice, undefined);
  });

  test('sender-dependent relay host of the domain; per-user transport before the domain transport', async () => {
    const alice = `alice@${HOSTED}`;
    await expectOk('PUT outboundRelay', admin.put(`/api/domain/${HOSTED}`, { outboundRelay: '[smtp.relay.test]:587' }));
    await expectTable('sender_dependent_relayhost_maps', `@${HOSTED}`, ['[smtp.relay.test]:587']);
    await expectParam('sender_dependent_relayhost_maps', alice, ['[smtp.relay.test]:587']);
    await expectOk('PUT outboundRelay=', admin.put(`/api/domain/${HOSTED}`, { outboundRelay: '' }));
    await expectParam('sender_dependent_relayhost_maps', alice, undefined);

    await users.setTransport(alice, 'smtp:[192.0.2.20]:25');
    await expectTable('transport_maps_user', alice, ['smtp:[192.0.2.20]:25']);
    await expectParam('transport_maps', alice, ['smtp:[192.0.2.20]:25']);
    await expectParam('transport_maps', `carol@${HOSTED}`, ['dovecot']);
    await users.setTransport(alice, '');
    await expectParam('transport_maps', alice, ['dovecot']);
  });

  test('after a delete the old address no longer resolves', async () => {
    const gone = `gone@${HOSTED}`;
    await users.create(gone, PASSWORD, 'SSHA512');
    await users.setAliases(gone, [`gone-alias@${HOSTED}`]);
    await users.setForwarding(gone, [gone, `gone-ext@${EXTERNAL}`]);
    await expectOk('PUT team addMember', admin.put(`/api/alias/team@${HOSTED}`, { addMember: gone }));
    await expectDelivery(`gone-alias@${HOSTED}`, [gone, `gone-ext@${EXTERNAL}`]);
    await expectLogin(gone, PASSWORD, true, 'before the delete');

    await users.delete(gone);
    await expectLogin(gone, PASSWORD, false, 'deleted');
    await expectParam('virtual_mailbox_maps', gone, undefined);
    await expectParam('virtual_alias_maps', gone, undefined);
    await expectParam('virtual_alias_maps', `gone-alias@${HOSTED}`, undefined);
    await expectParam('virtual_alias_maps', `gone@${ALIAS_DOMAIN}`, undefined);
    await expectParam('smtpd_sender_login_maps', gone, undefined);
    await expectTable('virtual_alias_maps', `team@${HOSTED}`, [`alice@${HOSTED}`, `member@${EXTERNAL}`]);
    await expectOk('DELETE alias', admin.delete(`/api/alias/team@${HOSTED}`));
    await expectParam('virtual_alias_maps', `team@${HOSTED}`, undefined);

    await expectOk('DELETE domain', admin.delete('/api/domain/lmtp.test'));
    await expectParam('virtual_mailbox_domains', 'lmtp.test', undefined);
    await expectParam('transport_maps', 'lmtp.test', undefined);

    // Deleting the domain with its users, alias domain and relay host.
    await expectOk('PUT outboundRelay', admin.put(`/api/domain/${HOSTED}`, { outboundRelay: '[smtp.relay.test]:587' }));
    await expectOk('DELETE hosted domain', admin.delete(`/api/domain/${HOSTED}`));
    await expectLogin(`alice@${HOSTED}`, 'Changed#Pass2', false, 'domain deleted');
    await Promise.all([
      expectParam('virtual_mailbox_domains', HOSTED, undefined),
      expectParam('transport_maps', HOSTED, undefined),
      expectParam('virtual_mailbox_domains', ALIAS_DOMAIN, undefined),
      ...(['virtual_mailbox_maps', 'virtual_alias_maps', 'smtpd_sender_login_maps', 'sender_dependent_relayhost_maps', 'sender_bcc_maps', 'recipient_bcc_maps'] as const)
        .map((param) => expectParam(param, `alice@${HOSTED}`, undefined)),
      expectParam('virtual_alias_maps', `bob@${ALIAS_DOMAIN}`, undefined),
      expectParam('virtual_alias_maps', `info@${ALIAS_DOMAIN}`, undefined),
    ]);
  });
});

/** What virtual_mailbox_maps answers for a mailbox, computed from what is stored. */
async function maildirOf(mail: string): Promise<string> {
  return (await profile!.account(h, mail)).mailboxPath;
}
