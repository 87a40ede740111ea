// The real mail stack, for interoperability tests: Debian's Dovecot (IMAP) and Postfix's
// lookup tables, configured with iRedMail's own map and auth files.
//
// Nothing system-wide is used or changed apart from installing the Debian packages when
// they are missing: Dovecot runs as our child (`dovecot -F -c <private conf>`) with its
// base_dir, state, logs and maildirs in a fresh temp directory and IMAP on a free loopback
// port; Postfix is never started — `postmap -q <key> <type>:<map.cf>` asks a map exactly
// what the running daemon would ask it, with a private config directory.
//
// The genuine iRedMail files are reference data in ../shared/iredmail/ (resolved from this
// file), read at test time: their PH_* placeholders are filled into the temp directory and
// the files are otherwise used as shipped (the one option: dovecot-ldap.conf's auth_bind,
// see MailStackOptions.ldapAuthBind). They are never copied into the project.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

export type { ImapFlow };
import { MYSQL, PGSQL } from './databases';

const execFileAsync = promisify(execFile);

/** <project>/test/support -> <project>/../shared/iredmail/ */
export const GENUINE_DIR = fileURLToPath(new URL('../../../shared/iredmail/', import.meta.url));

export type MailStackBackend = 'mysql' | 'pgsql' | 'ldap';

const DOVECOT = '/usr/sbin/dovecot';
const POSTMAP = '/usr/sbin/postmap';
const POSTCONF = '/usr/sbin/postconf';
const SETPRIV = '/usr/bin/setpriv';
const READY_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------
// Packages

/**
 * Debian packages per backend: Dovecot's IMAP server and auth driver, Postfix and its map type.
 * On LDAP, Dovecot's last-login and used-quota dictionaries still write to MariaDB (iredadmin),
 * so that profile needs Dovecot's MySQL driver as well.
 */
const PACKAGES: Record<MailStackBackend, string[]> = {
  mysql: ['dovecot-core', 'dovecot-imapd', 'dovecot-mysql', 'postfix', 'postfix-mysql'],
  pgsql: ['dovecot-core', 'dovecot-imapd', 'dovecot-pgsql', 'postfix', 'postfix-pgsql'],
  ldap: ['dovecot-core', 'dovecot-imapd', 'dovecot-ldap', 'dovecot-mysql', 'postfix', 'postfix-ldap'],
};

function installed(pkg: string): boolean {
  try {
    const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return status.trim() === 'install ok installed';
  } catch {
    return false;
  }
}

function missingPackages(backend: MailStackBackend): string[] {
  return PACKAGES[backend].filter((pkg) => !installed(pkg));
}

let installing: Promise<void> | undefined;

/**
 * Installs the Debian packages the backend needs when any is missing. Postfix is preseeded
 * with "No configuration" so its postinst neither asks questions nor writes a main.cf.
 * Other processes may be running apt: dpkg's lock timeout makes us wait for them.
 */
export async function ensureMailStackInstalled(backend: MailStackBackend): Promise<void> {
  // One install at a time within this process.
  while (installing) await installing.catch(() => undefined);
  if (missingPackages(backend).length === 0) return;
  installing = installPackages(backend).finally(() => {
    installing = undefined;
  });
  await installing;
}

async function installPackages(backend: MailStackBackend): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const options = { env, maxBuffer: 64 * 1024 * 1024 };
  const missing = missingPackages(backend);
  if (missing.includes('postfix')) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('debconf-set-selections', [], { stdio: ['pipe', 'ignore', 'pipe'], env });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`debconf-set-selections failed: ${stderr}`))));
      child.stdin.end('postfix postfix/main_mailer_type select No configuration\n');
    });
  }
  const install = (pkgs: string[]) => execFileAsync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...pkgs], options);
  try {
    await install(missing);
  } catch (first) {
    const left = missingPackages(backend);
    if (left.length === 0) return; // another process finished the same install meanwhile
    // A fresh container has no package lists yet ("Unable to locate package").
    try {
      await execFileAsync('apt-get', [...lock, 'update'], options);
      await install(left);
    } catch (second) {
      if (missingPackages(backend).length === 0) return;
      throw new Error(`installing ${left.join(' ')} failed: ${errorText(second) || errorText(first)}`);
    }
  }
  const left = missingPackages(backend);
  if (left.length > 0) throw new Error(`apt-get reported success but ${left.join(' ')} are still missing`);
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { stderr?: unknown; message?: unknown };
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
    return stderr || String(e.message ?? err);
  }
  return String(err);
}

/** The versions the suite runs against, e.g. `{ dovecot: '2.3.19.1 (9b53102964)', postfix: '3.7.11' }`. */
export function daemonVersions(): { dovecot: string; postfix: string } {
  const dovecot = execFileSync(DOVECOT, ['--version']).toString().trim();
  const postfix = execFileSync(POSTCONF, ['-d', '-h', 'mail_version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  return { dovecot, postfix };
}

// ---------------------------------------------------------------------------------------
// A read-only database account, as iRedMail's `vmail` bind user

export interface BindAccount {
  user: string;
  password: string;
  /** Removes the account; call after the database itself was dropped (or it is revoked first). */
  drop(): Promise<void>;
}

async function mysqlCli(sqlText: string): Promise<void> {
  await execFileAsync('mariadb', ['-h', MYSQL.host, '-P', String(MYSQL.port), '-u', MYSQL.user, '-e', sqlText]);
}

async function psqlCli(sqlText: string, database = 'postgres'): Promise<string> {
  const { stdout } = await execFileAsync('psql', ['-h', PGSQL.host, '-p', String(PGSQL.port), '-U', PGSQL.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t', '-c', sqlText]);
  return stdout;
}

/**
 * Creates a login that may only SELECT from the vmail database — what iRedMail gives Postfix
 * and Dovecot 2.3 — so a lookup needing more than that fails here as it would on a server.
 * `write: true` makes iRedMail's `vmailadmin` instead (SELECT, INSERT, UPDATE, DELETE), the
 * account Dovecot's last-login and used-quota dictionaries write with.
 */
export async function createBindAccount(engine: 'mysql' | 'pgsql', database: string, options: { write?: boolean } = {}): Promise<BindAccount> {
  const user = `t${process.pid}${randomBytes(3).toString('hex')}_${options.write ? 'vmailadmin' : 'vmail'}`;
  const password = randomBytes(12).toString('hex');
  const rights = options.write ? 'SELECT, INSERT, UPDATE, DELETE' : 'SELECT';
  if (engine === 'mysql') {
    const hosts = ['127.0.0.1', 'localhost'];
    for (const host of hosts) {
      await mysqlCli(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'; GRANT ${rights} ON \`${database}\`.* TO '${user}'@'${host}'`);
    }
    return {
      user,
      password,
      drop: async () => {
        for (const host of hosts) await mysqlCli(`DROP USER IF EXISTS '${user}'@'${host}'`);
      },
    };
  }
  await psqlCli(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
  await psqlCli(`GRANT CONNECT ON DATABASE "${database}" TO "${user}"`);
  await psqlCli(`GRANT USAGE ON SCHEMA public TO "${user}"; GRANT ${rights} ON ALL TABLES IN SCHEMA public TO "${user}"`, database);
  return {
    user,
    password,
    drop: async () => {
      const exists = (await psqlCli(`SELECT 1 FROM pg_database WHERE datname = '${database}'`)).trim() === '1';
      if (exists) await psqlCli(`DROP OWNED BY "${user}"`, database).catch(() => undefined);
      await psqlCli(`DROP ROLE IF EXISTS "${user}"`);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Configuration from the genuine files

export interface SqlTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface LdapTarget {
  host: string;
  port: number;
  /** The directory suffix, e.g. dc=example,dc=com; the maps search o=domains below it. */
  suffix: string;
  /** Read-only bind (cn=vmail,<suffix>), as Postfix and Dovecot use. */
  bindDn: string;
  bindPassword: string;
}

export type MailStackTarget = { backend: 'mysql' | 'pgsql'; sql: SqlTarget } | { backend: 'ldap'; ldap: LdapTarget };

/**
 * Where Dovecot's dictionaries write (genuine dovecot-used-quota.conf and
 * dovecot-last-login.conf): the vmail database for SQL backends, iredadmin for LDAP, with
 * an account that may write.
 */
export interface DictTarget extends SqlTarget {
  driver: 'mysql' | 'pgsql';
}

export interface MailStackOptions {
  /** Enables the quota_clone (used_quota) and last_login plugins, writing there. */
  dicts?: DictTarget;
  /**
   * LDAP only. iRedMail's dovecot-ldap.conf ships `auth_bind = yes`: slapd verifies the
   * password by a bind as the user, so only hashes slapd knows work ({SSHA}, {SSHA512},
   * {SHA512}, {CRYPT}…). `false` sets `auth_bind = no`: Dovecot reads userPassword
   * (pass_attrs userPassword=password, as the file has it) and verifies every scheme it
   * knows itself. Default: the file as shipped.
   */
  ldapAuthBind?: boolean;
}

/** dovecot-ldap.conf with its auth_bind line set; the file must have exactly one. */
function withAuthBind(text: string, authBind: boolean): string {
  const line = /^auth_bind[ \t]*=.*$/m;
  if (!line.test(text)) throw new Error('dovecot-ldap.conf has no auth_bind line to set');
  return text.replace(line, `auth_bind       = ${authBind ? 'yes' : 'no'}`);
}

function dictPlaceholders(dicts: DictTarget): Record<string, string> {
  return {
    PH_SQL_SERVER_ADDRESS: dicts.host,
    PH_SQL_SERVER_PORT: String(dicts.port),
    PH_REALTIME_QUOTA_DB_NAME: dicts.database,
    PH_REALTIME_QUOTA_DB_USER: dicts.user,
    PH_REALTIME_QUOTA_DB_PASSWORD: dicts.password,
    PH_DOVECOT_REALTIME_QUOTA_TABLE: 'used_quota',
    PH_LAST_LOGIN_DB_NAME: dicts.database,
    PH_LAST_LOGIN_DB_USER: dicts.user,
    PH_LAST_LOGIN_DB_PASSWORD: dicts.password,
  };
}

/** PH_* placeholder values the iRedMail installer would substitute, for one backend. */
function placeholders(target: MailStackTarget): Record<string, string> {
  if (target.backend === 'ldap') {
    const { host, port, suffix, bindDn, bindPassword } = target.ldap;
    return {
      PH_LDAP_SERVER_HOST: host,
      PH_LDAP_SERVER_PORT: String(port),
      PH_LDAP_BIND_VERSION: '3',
      PH_LDAP_BINDDN: bindDn,
      PH_LDAP_BINDPW: bindPassword,
      PH_LDAP_BASEDN: `o=domains,${suffix}`,
      PH_LDAP_ATTR_GROUP_USERS: 'Users',
    };
  }
  const { host, port, database, user, password } = target.sql;
  return {
    PH_SQL_DRIVER: target.backend,
    PH_SQL_SERVER_ADDRESS: host,
    PH_SQL_SERVER_PORT: String(port),
    PH_VMAIL_DB_NAME: database,
    PH_VMAIL_DB_BIND_USER: user,
    PH_VMAIL_DB_BIND_PASSWD: password,
  };
}

/** Replaces every PH_* token; one left unfilled is an error (the file would not work). */
function fill(text: string, values: Record<string, string>, source: string): string {
  // Longest names first: PH_LDAP_BINDDN must not be matched as a prefix of something else.
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = text;
  for (const name of names) out = out.replaceAll(name, values[name]!);
  const left = out.match(/PH_[A-Z0-9_]+/g);
  if (left) throw new Error(`${source}: placeholders left unfilled: ${[...new Set(left)].join(', ')}`);
  return out;
}

// ---------------------------------------------------------------------------------------
// Ports and processes

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when an IMAP greeting (`* OK`) arrives on host:port. */
function greets(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('* OK'));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(confPath: string, dir: string): Running {
  const args = ['-F', '-c', confPath];
  // --pdeathsig: the kernel kills Dovecot's master if the test process dies abruptly.
  const [cmd, argv]: [string, string[]] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', DOVECOT, ...args]] : [DOVECOT, args];
  const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer) => {
    if (out.length < 64 * 1024) out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.once('error', (e) => {
      out += String(e);
      resolve(-1);
    });
  });
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { child, output: () => out.trim(), exited };
}

async function terminate(run: Running): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 5000);
  await run.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// The stack

export interface PostmapResult {
  /** What Postfix gets back (several values comma-joined), undefined when the key is not found. */
  result: string | undefined;
  stderr: string;
  /** The command, for failure messages. */
  command: string;
}

export interface ImapLoginOptions {
  /**
   * Source address of the connection. Dovecot 2.3 counts a connection whose source and
   * destination addresses are equal (127.0.0.1 -> 127.0.0.1, the default) as secured, like
   * TLS, so its passdb query asks for `enableimapsecured`; from another loopback address such
   * as 127.0.0.2 the connection is plain and the query asks for `enableimap`.
   */
  localAddress?: string;
}

export interface MailStack {
  backend: MailStackBackend;
  /** Temp directory with the configs, Dovecot's run dir, its log, and the maildirs. */
  dir: string;
  /** Give this to the API as STORAGE_BASE_DIRECTORY: homes there are inside `dir` (all lower case). */
  storageBaseDirectory: string;
  imap: { host: string; port: number };
  /** Names of the map files available for this backend (`virtual_alias_maps.cf`, ...). */
  maps: string[];
  /**
   * Logs in over IMAP (imapflow, plain text, no TLS): true when the login is accepted and
   * INBOX can be opened, false when the server refuses the credentials. A login that is
   * accepted but cannot open INBOX (a broken userdb answer) throws, with Dovecot's log.
   */
  imapLogin(user: string, password: string, options?: ImapLoginOptions): Promise<boolean>;
  /**
   * Logs in and hands the session (INBOX selected) to `fn`, then logs out. Refused
   * credentials throw, with Dovecot's log.
   */
  withImap<T>(user: string, password: string, fn: (client: ImapFlow) => Promise<T>, options?: ImapLoginOptions): Promise<T>;
  /** `postmap -q <key> <type>:<filled map file>` with a private config directory. */
  postmapQuery(mapFile: string, key: string): Promise<PostmapResult>;
  /** Several keys against one map in one process (`postmap -q - <map>`, keys on stdin). */
  postmapQueryMany(mapFile: string, keys: string[]): Promise<Map<string, PostmapResult>>;
  /** postmap processes run so far and their summed wall time, for the run's summary. */
  postmapStats(): { processes: number; ms: number };
  /** The last lines of Dovecot's log, for failure messages. */
  dovecotLog(lines?: number): string;
  stop(): Promise<void>;
}

/** nobody/nogroup as root (any unprivileged ids do); our own ids otherwise. */
function mailOwner(): { user: string; group: string; uid: number; gid: number } {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    const group = execFileSync('id', ['-gn']).toString().trim();
    return { user: me.username, group, uid: me.uid, gid: me.gid };
  }
  const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const gid = Number(execFileSync('getent', ['group', 'nogroup']).toString().split(':')[2]);
  return { user: 'nobody', group: 'nogroup', uid, gid };
}

function dovecotConf(dir: string, port: number, authDriver: 'sql' | 'ldap', authFile: string, owner: ReturnType<typeof mailOwner>, dicts: DictTarget | undefined): string {
  const root = process.getuid?.() === 0;
  const me = userInfo().username;
  const lines = [
    '# Private test instance; written by test/support/mailstack.ts',
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    `instance_name = mailstack-${port}`,
    'protocols = imap',
    'listen = 127.0.0.1',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    // No delay on failed logins (the default sleeps ~2 s), no cache: every login asks the database.
    'auth_failure_delay = 0',
    'auth_cache_size = 0',
    'auth_verbose = yes',
    'auth_verbose_passwords = no',
    `mail_uid = ${owner.uid}`,
    `mail_gid = ${owner.gid}`,
    `first_valid_uid = ${Math.min(owner.uid, 500)}`,
    `first_valid_gid = ${Math.min(owner.gid, 500)}`,
    'last_valid_uid = 0',
    // The userdb answers home and mail; this is the fallback, inside the temp dir as well.
    `mail_location = maildir:${dir}/vmail/%Ld/%Ln/Maildir`,
    'namespace inbox {',
    '  inbox = yes',
    '}',
    // Quota as iRedMail runs it, so the userdb's quota_rule (mailbox.quota in MB) is enforced
    // and visible over IMAP (GETQUOTAROOT); with dicts, Dovecot also writes the usage and
    // the last login time into SQL, where the API reads them.
    `mail_plugins = quota${dicts ? ' quota_clone' : ''}`,
    'protocol imap {',
    `  mail_plugins = $mail_plugins imap_quota${dicts ? ' last_login' : ''}`,
    '}',
    'plugin {',
    '  quota = count:User quota',
    '  quota_vsizes = yes',
    ...(dicts
      ? ['  quota_clone_dict = proxy::quotaclone', '  last_login_dict = proxy::lastlogin', '  last_login_key = last-login/%{service}/%{user}/%{domain}']
      : []),
    '}',
    ...(dicts
      ? [
          'dict {',
          `  quotaclone = ${dicts.driver}:${dir}/dovecot-used-quota.conf`,
          `  lastlogin = ${dicts.driver}:${dir}/dovecot-last-login.conf`,
          '}',
          // Mail processes run as the mail user and must reach the dict socket.
          'service dict {',
          '  unix_listener dict {',
          '    mode = 0666',
          '  }',
          '}',
        ]
      : []),
    ...(root ? [] : [`default_internal_user = ${me}`, `default_login_user = ${me}`]),
    'service imap-login {',
    // chroot needs root; without it the login process runs in place.
    ...(root ? [] : ['  chroot =']),
    '  inet_listener imap {',
    `    address = 127.0.0.1`,
    `    port = ${port}`,
    '  }',
    '  inet_listener imaps {',
    '    port = 0',
    '  }',
    '}',
    // No growing delay after failed logins from one address (Dovecot's auth penalty): the
    // auth process cannot reach this socket and then skips the penalty.
    'service anvil {',
    '  unix_listener anvil-auth-penalty {',
    '    mode = 0',
    '  }',
    '}',
    'passdb {',
    `  driver = ${authDriver}`,
    `  args = ${authFile}`,
    '}',
    'userdb {',
    `  driver = ${authDriver}`,
    `  args = ${authFile}`,
    '}',
    '',
  ];
  return lines.join('\n');
}

const MAP_TYPE: Record<MailStackBackend, string> = { mysql: 'mysql', pgsql: 'pgsql', ldap: 'ldap' };

/**
 * Starts Dovecot and prepares the Postfix maps for one backend. The target names the
 * database (or directory) and a read-only account on it; nothing is written there.
 */
export async function startMailStack(target: MailStackTarget, options: MailStackOptions = {}): Promise<MailStack> {
  const backend = target.backend;
  await ensureMailStackInstalled(backend);

  // Lower-case only: Dovecot lower-cases the home path the userdb returns.
  const dir = join(tmpdir(), `iredadmin-mailstack-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const values = placeholders(target);
    const owner = mailOwner();
    for (const sub of ['run', 'state', 'postfix', 'maps']) mkdirSync(join(dir, sub), { mode: 0o755 });
    const vmail = join(dir, 'vmail');
    mkdirSync(vmail, { mode: 0o755 });
    if (process.getuid?.() === 0) chownSync(vmail, owner.uid, owner.gid);

    // Dovecot's auth file, as shipped with its placeholders filled (LDAP: auth_bind as asked).
    const authName = backend === 'ldap' ? 'dovecot-ldap.conf' : 'dovecot-sql.conf';
    const authFile = join(dir, authName);
    let authText = fill(readFileSync(join(GENUINE_DIR, 'dovecot', authName), 'utf8'), values, authName);
    if (backend === 'ldap' && options.ldapAuthBind !== undefined) authText = withAuthBind(authText, options.ldapAuthBind);
    writeFileSync(authFile, authText, { mode: 0o644 });
    if (options.dicts) {
      for (const name of ['dovecot-used-quota.conf', 'dovecot-last-login.conf']) {
        writeFileSync(join(dir, name), fill(readFileSync(join(GENUINE_DIR, 'dovecot', name), 'utf8'), dictPlaceholders(options.dicts), name), { mode: 0o644 });
      }
    }

    // Postfix: the genuine map files, and a main.cf so postmap never reads /etc/postfix/main.cf.
    const mapSource = join(GENUINE_DIR, 'postfix', backend);
    const maps = readdirSync(mapSource).filter((name) => name.endsWith('.cf')).sort();
    for (const name of maps) {
      writeFileSync(join(dir, 'maps', name), fill(readFileSync(join(mapSource, name), 'utf8'), values, `postfix/${backend}/${name}`), { mode: 0o644 });
    }
    // Fixed names: postmap then never asks the resolver who this host is.
    writeFileSync(join(dir, 'postfix', 'main.cf'), ['compatibility_level = 3.6', 'myhostname = mailstack.test', 'mydomain = test', 'inet_protocols = ipv4', ''].join('\n'), { mode: 0o644 });

    let run: Running | undefined;
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort('127.0.0.1');
      const confPath = join(dir, 'dovecot.conf');
      writeFileSync(confPath, dovecotConf(dir, port, backend === 'ldap' ? 'ldap' : 'sql', authFile, owner, options.dicts), { mode: 0o644 });
      run = launch(confPath, dir);
      const ready = await waitReady(port, run);
      if (ready === true) break;
      await terminate(run);
      const log = readLog(dir);
      if (!/address already in use/i.test(ready + log) || attempt >= 3) {
        throw new Error(`dovecot did not start: ${ready}\n--- dovecot output ---\n${run.output()}\n--- dovecot.log ---\n${log}`);
      }
    }
    const running = run;

    const onExit = () => {
      running.child.kill('SIGKILL');
      cleanupDir();
    };
    process.once('exit', onExit);
    let stopped = false;

    const mapName = (mapFile: string) => {
      const name = mapFile.endsWith('.cf') ? mapFile : `${mapFile}.cf`;
      if (!maps.includes(name)) throw new Error(`no map ${name} for ${backend} (have: ${maps.join(', ')})`);
      return name;
    };
    const mapTable = (name: string) => `${MAP_TYPE[backend]}:${join(dir, 'maps', name)}`;
    /** stdout undefined: nothing found (exit status 1 without a fatal error). */
    const stats = { processes: 0, ms: 0 };
    const postmap = (args: string[], input: string | undefined, command: string) =>
      new Promise<{ stdout: string | undefined; stderr: string }>((resolve, reject) => {
        const started = performance.now();
        stats.processes++;
        const child = execFile(POSTMAP, ['-c', join(dir, 'postfix'), ...args], (error, stdout, stderr) => {
          stats.ms += performance.now() - started;
          const err = String(stderr).trim();
          if (!error) return resolve({ stdout: String(stdout), stderr: err });
          const code = (error as { code?: number }).code;
          if (code === 1 && !/\bfatal:/.test(err)) return resolve({ stdout: undefined, stderr: err });
          reject(new Error(`${command} failed (${code}): ${err || error.message}`));
        });
        // postmap -q <key> never reads stdin and may be gone before a write lands (EPIPE);
        // the exit status above decides, so stdin errors are not the verdict.
        child.stdin?.on('error', () => undefined);
        if (input === undefined) child.stdin?.end();
        else child.stdin?.end(input);
      });

    const stack: MailStack = {
      backend,
      dir,
      storageBaseDirectory: join(vmail, 'vmail1'),
      imap: { host: '127.0.0.1', port },
      maps,
      imapLogin: async (user, password, options) => (await imapSession(stack, user, password, async () => true, options)) === true,
      async withImap(user, password, fn, options) {
        const result = await imapSession(stack, user, password, fn, options);
        if (result === REFUSED) throw new Error(`IMAP login of ${user} refused\n--- dovecot.log ---\n${stack.dovecotLog()}`);
        return result;
      },
      async postmapQuery(mapFile, key) {
        const name = mapName(mapFile);
        const command = `postmap -q '${key}' ${MAP_TYPE[backend]}:${name}`;
        const { stdout, stderr } = await postmap(['-q', key, mapTable(name)], undefined, command);
        return { result: stdout === undefined ? undefined : stdout.replace(/\n$/, ''), stderr, command };
      },
      async postmapQueryMany(mapFile, keys) {
        const name = mapName(mapFile);
        if (keys.some((key) => /[\s]/.test(key) || key === '')) throw new Error(`keys for postmap -q - must be non-empty without white space: ${JSON.stringify(keys)}`);
        const command = `postmap -q - ${MAP_TYPE[backend]}:${name} <<< '${keys.join(' ')}'`;
        const { stdout, stderr } = await postmap(['-q', '-', mapTable(name)], keys.join('\n') + '\n', command);
        // One `key<TAB>value` line per key found.
        const found = new Map<string, string>();
        for (const line of (stdout ?? '').split('\n')) {
          const tab = line.indexOf('\t');
          if (tab > 0) found.set(line.slice(0, tab), line.slice(tab + 1));
        }
        return new Map(keys.map((key) => [key, { result: found.get(key), stderr, command: `postmap -q '${key}' ${MAP_TYPE[backend]}:${name}` }]));
      },
      postmapStats: () => ({ ...stats, ms: Math.round(stats.ms) }),
      dovecotLog: (lines = 30) => readLog(dir).split('\n').slice(-lines).join('\n'),
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', onExit);
        await terminate(running);
        cleanupDir();
      },
    };
    return stack;
  } catch (error) {
    cleanupDir();
    throw error;
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** true when the greeting arrives; otherwise why not. */
async function waitReady(port: number, run: Running): Promise<true | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void run.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) return `dovecot exited (code ${exitCode}) before answering`;
    if (await greets('127.0.0.1', port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return `dovecot did not greet on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`;
}

const REFUSED = Symbol('refused');

async function imapSession<T>(stack: MailStack, user: string, password: string, fn: (client: ImapFlow) => Promise<T>, options: ImapLoginOptions = {}): Promise<T | typeof REFUSED> {
  const { localAddress } = options;
  const client = new ImapFlow({
    host: stack.imap.host,
    port: stack.imap.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // A plain TCP socket from the chosen source address.
    ...(localAddress ? { transport: { connect: (_opts: unknown, onConnect: () => void) => createConnection({ host: stack.imap.host, port: stack.imap.port, localAddress }, onConnect) } } : {}),
  });
  // imapflow reports a dropped socket as an 'error' event as well; the promise below decides.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const e = error as { authenticationFailed?: boolean; responseText?: string; message?: string };
    if (e.authenticationFailed) return REFUSED;
    throw new Error(`IMAP login of ${user} failed without an answer to the credentials: ${e.responseText ?? e.message}\n--- dovecot.log ---\n${stack.dovecotLog()}`);
  }
  try {
    try {
      await client.mailboxOpen('INBOX');
    } catch (error) {
      throw new Error(`IMAP login of ${user} was accepted but INBOX could not be opened: ${(error as Error).message}\n--- dovecot.log ---\n${stack.dovecotLog()}`);
    }
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}
