// A private, throw-away OpenLDAP server for integration tests.
//
// Each call starts its own slapd (Debian package, installed on demand) on a free
// loopback port with a static slapd.conf in a fresh temp directory, loads the genuine
// iRedMail schemas from ../shared/iredmail/ldap/ and the base tree the iRedMail
// installer creates. slapd runs in the foreground as our child, so it ends with us.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Client, type Entry, type SearchOptions } from 'ldapts';

const execFileAsync = promisify(execFile);

const SLAPD = '/usr/sbin/slapd';
const SLAPPASSWD = '/usr/sbin/slappasswd';
const LDAPSEARCH = '/usr/bin/ldapsearch';
const SETPRIV = '/usr/bin/setpriv';
const READY_TIMEOUT_MS = 20_000;

// The genuine schemas are reference data outside the project; they are loaded in
// place, never copied. Path: <project>/test/support -> <project>/../shared/...
const IREDMAIL_SCHEMA_DIR = fileURLToPath(new URL('../../../shared/iredmail/ldap/', import.meta.url));

const SCHEMA_FILES = [
  '/etc/ldap/schema/core.schema',
  '/etc/ldap/schema/cosine.schema',
  '/etc/ldap/schema/inetorgperson.schema',
  '/etc/ldap/schema/nis.schema',
  // iredmail.schema's mailUser users also carry amavisAccount, so both are needed.
  join(IREDMAIL_SCHEMA_DIR, 'amavisd.schema'),
  join(IREDMAIL_SCHEMA_DIR, 'iredmail.schema'),
];

// Indexes named in storage.md §6.1 plus the ones every Postfix/Dovecot filter
// touches. `sub` only where the attribute has a SUBSTR rule, or slapd refuses.
const INDEXES: ReadonlyArray<readonly [attrs: string, kinds: string]> = [
  ['objectClass', 'eq'],
  [
    'domainName,mtaTransport,accountStatus,domainStatus,enabledService,disabledService,' +
      'domainAliasName,domainPendingAliasName,domainAdmin,domainGlobalAdmin,domainBackupMX',
    'eq,pres,sub',
  ],
  ['domainSenderBccAddress,domainRecipientBccAddress,userSenderBccAddress,userRecipientBccAddress', 'eq,pres,sub'],
  ['accessPolicy,hasMember,listAllowedUser,listModerator,listOwner,mailingListID', 'eq,pres,sub'],
  ['mailForwardingAddress,shadowAddress,backupMailAddress,memberOfGroup', 'eq,pres,sub'],
  ['mail,cn,sn,givenName,uid,ou,employeeNumber,mobile,telephoneNumber', 'eq,pres,sub'],
  ['homeDirectory,uidNumber,gidNumber,shadowLastChange', 'eq,pres'],
];

export interface SlapdOptions {
  /** Directory suffix; default `dc=example,dc=com`. */
  suffix?: string;
}

export interface SlapdInstance {
  /** `ldap://127.0.0.1:<port>` */
  url: string;
  suffix: string;
  /** rootdn (`cn=Manager,<suffix>`): not an entry, bypasses ACLs. */
  rootDn: string;
  rootPassword: string;
  /** `cn=vmailadmin,<suffix>`: read-write bind DN used by iRedAdmin. */
  adminDn: string;
  adminPassword: string;
  /** `cn=vmail,<suffix>`: read-only bind DN used by Postfix/Dovecot. */
  readerDn: string;
  readerPassword: string;
  stop(): Promise<void>;
  /** Deletes everything below o=domains and o=domainAdmins; the base tree stays. */
  reset(): Promise<void>;
}

// One install at a time per process; apt's own lock timeout covers other processes.
let installing: Promise<void> | undefined;

function toolsPresent(): boolean {
  return existsSync(SLAPD) && existsSync(SLAPPASSWD) && existsSync(LDAPSEARCH);
}

async function ensureInstalled(): Promise<void> {
  if (toolsPresent()) return;
  installing ??= installPackages().finally(() => {
    installing = undefined;
  });
  await installing;
}

async function installPackages(): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = () =>
    execFileAsync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'slapd', 'ldap-utils'], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  try {
    await install();
  } catch (first) {
    // Another process may have finished the install meanwhile.
    if (toolsPresent()) return;
    // Fresh containers have no package lists yet ("Unable to locate package").
    try {
      await execFileAsync('apt-get', [...lock, 'update'], { env, maxBuffer: 64 * 1024 * 1024 });
      await install();
    } catch (second) {
      if (toolsPresent()) return;
      throw new Error(`installing slapd/ldap-utils failed: ${errorText(second) || errorText(first)}`);
    }
  }
  if (!toolsPresent()) throw new Error('apt-get reported success but slapd/ldap-utils are still missing');
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { stderr?: unknown; message?: unknown };
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
    return stderr || String(e.message ?? err);
  }
  return String(err);
}

async function slappasswd(secret: string): Promise<string> {
  // -n: no trailing newline; -s: secret on the command line is fine for a test server.
  const { stdout } = await execFileAsync(SLAPPASSWD, ['-n', '-h', '{SSHA}', '-s', secret]);
  return stdout.trim();
}

function randomSecret(): string {
  return randomBytes(16).toString('hex');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function quote(value: string): string {
  // slapd.conf values with spaces or commas must be double-quoted.
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function buildConfig(dir: string, suffix: string, rootDn: string, rootHash: string): string {
  const admin = `cn=vmailadmin,${suffix}`;
  const reader = `cn=vmail,${suffix}`;
  const lines = [
    ...SCHEMA_FILES.map((f) => `include ${quote(f)}`),
    `pidfile ${quote(join(dir, 'slapd.pid'))}`,
    `argsfile ${quote(join(dir, 'slapd.args'))}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    // pw-sha2 lets simple binds verify {SSHA512}, the scheme iRedAdmin writes.
    'moduleload pw-sha2',
    'loglevel 0',
    // Frontend: clients discover naming contexts and schema anonymously.
    'access to dn.base="" by * read',
    'access to dn.base="cn=Subschema" by * read',
    '',
    'database mdb',
    `suffix ${quote(suffix)}`,
    `rootdn ${quote(rootDn)}`,
    `rootpw ${rootHash}`,
    `directory ${quote(join(dir, 'data'))}`,
    // Sparse file; tests write little, but 10 MiB (the default) is easy to outgrow.
    'maxsize 1073741824',
    // Durability is worthless for a throw-away directory; skipping fsync is much faster.
    'dbnosync',
    ...INDEXES.map(([attrs, kinds]) => `index ${attrs} ${kinds}`),
    // Service accounts list whole domains; the default limit (500) would truncate.
    `limits dn.exact=${quote(admin)} size=unlimited time=unlimited`,
    `limits dn.exact=${quote(reader)} size=unlimited time=unlimited`,
    // Same effect as iRedMail's ACLs: vmailadmin writes everything, vmail reads,
    // users bind and see themselves (and may change their own password),
    // anonymous may only authenticate.
    'access to attrs=userPassword',
    `  by dn.exact=${quote(admin)} write`,
    `  by dn.exact=${quote(reader)} read`,
    '  by self write',
    '  by anonymous auth',
    '  by * none',
    'access to *',
    `  by dn.exact=${quote(admin)} write`,
    `  by dn.exact=${quote(reader)} read`,
    '  by self read',
    '  by anonymous auth',
    '  by * none',
    '',
  ];
  return lines.join('\n');
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(dir: string, confPath: string, url: string): Running {
  // `-d` keeps slapd in the foreground; level "none" still prints fatal config and
  // bind errors to stderr (level 0 silently exits 1), and nothing per operation.
  const args = ['-h', `${url}/`, '-f', confPath, '-d', 'none'];
  // setpriv --pdeathsig makes the kernel kill slapd even if the test process is
  // SIGKILLed; without it an orphaned slapd would outlive the run.
  const [cmd, argv]: [string, string[]] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', SLAPD, ...args]]
    : [SLAPD, args];
  const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (err.length < 64 * 1024) err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.once('error', (e) => {
      err += String(e);
      resolve(-1);
    });
  });
  // A forgotten stop() must not keep the test process alive; the exit hook kills slapd.
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { child, stderr: () => err.trim(), exited };
}

async function probe(url: string): Promise<boolean> {
  // Same question as `ldapsearch -x -H <url> -b '' -s base`, without a process spawn.
  const client = new Client({ url, connectTimeout: 500, timeout: 1000 });
  try {
    await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] });
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function waitReady(url: string, run: Running): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void run.exited.then((c) => {
    exitCode = c;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new SlapdStartError(`slapd exited (code ${exitCode}) before answering`, run.stderr());
    }
    if (await probe(url)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new SlapdStartError(`slapd did not answer on ${url} within ${READY_TIMEOUT_MS} ms`, run.stderr());
}

class SlapdStartError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr ? `${message}\n--- slapd stderr ---\n${stderr}` : message);
    this.name = 'SlapdStartError';
  }
}

function rdnValue(dn: string): string {
  const first = dn.split(',')[0] ?? '';
  return first.slice(first.indexOf('=') + 1);
}

async function loadBaseTree(
  url: string,
  suffix: string,
  rootDn: string,
  rootPassword: string,
  readerHash: string,
  adminHash: string,
): Promise<void> {
  const client = new Client({ url });
  try {
    await client.bind(rootDn, rootPassword);
    const top = rdnValue(suffix);
    await client.add(suffix, { objectClass: ['top', 'dcObject', 'organization'], dc: top, o: top });
    const today = String(Math.floor(Date.now() / 86_400_000));
    for (const [cn, hash] of [
      ['vmail', readerHash],
      ['vmailadmin', adminHash],
    ] as const) {
      await client.add(`cn=${cn},${suffix}`, {
        objectClass: ['person', 'shadowAccount', 'top'],
        cn,
        sn: cn,
        uid: cn,
        userPassword: hash,
        shadowLastChange: today,
      });
    }
    await client.add(`o=domains,${suffix}`, { objectClass: ['organization', 'top'], o: 'domains' });
    await client.add(`o=domainAdmins,${suffix}`, { objectClass: ['organization', 'top'], o: 'domainAdmins' });
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function wipeBelow(url: string, rootDn: string, rootPassword: string, bases: string[]): Promise<void> {
  const client = new Client({ url });
  try {
    await client.bind(rootDn, rootPassword);
    let remaining: string[] = [];
    for (const base of bases) {
      const { searchEntries } = await client.search(base, {
        scope: 'sub',
        filter: '(objectClass=*)',
        attributes: ['1.1'],
      });
      const keep = base.toLowerCase();
      for (const e of searchEntries) if (e.dn.toLowerCase() !== keep) remaining.push(e.dn);
    }
    // slapd refuses to delete non-leaf entries: delete in waves of current leaves,
    // each wave in parallel. A DN is a leaf if no remaining DN ends with ",<it>".
    while (remaining.length > 0) {
      const lower = remaining.map((dn) => dn.toLowerCase());
      const isLeaf = (i: number) => !lower.some((other) => other.endsWith(`,${lower[i]}`));
      const leaves = remaining.filter((_, i) => isLeaf(i));
      await Promise.all(leaves.map((dn) => client.del(dn)));
      remaining = remaining.filter((_, i) => !isLeaf(i));
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

// Waiting on a child's exit event alone does not keep Node's event loop alive
// (the child is unref'ed), so a ref'ed timer holds it until slapd is gone.
async function terminate(run: Running, signal: NodeJS.Signals): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 3000);
  await run.exited;
  clearTimeout(timer);
}

const DIR_PREFIX = 'iredadmin-slapd-';

// A SIGKILLed test run takes slapd with it (pdeathsig) but leaves its directory.
// Only directories whose pidfile names a dead process are removed: slapd deletes
// the pidfile on clean shutdown and writes it once started, so a directory that is
// starting up or stopping elsewhere is never touched.
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  // Containers often lack an init that reaps orphans: a zombie counts as dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function removeStaleDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      const pid = Number.parseInt(readFileSync(join(dir, 'slapd.pid'), 'utf8'), 10);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      if (processAlive(pid)) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // no pidfile or unreadable: not ours to judge
    }
  }
}

export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdInstance> {
  const suffix = options.suffix ?? 'dc=example,dc=com';
  if (!/^dc=[^,=]+/i.test(suffix)) throw new Error(`suffix must start with a dc= RDN: ${suffix}`);
  await ensureInstalled();
  for (const f of SCHEMA_FILES) if (!existsSync(f)) throw new Error(`schema file missing: ${f}`);

  const rootDn = `cn=Manager,${suffix}`;
  const adminDn = `cn=vmailadmin,${suffix}`;
  const readerDn = `cn=vmail,${suffix}`;
  const rootPassword = randomSecret();
  const adminPassword = randomSecret();
  const readerPassword = randomSecret();
  const [rootHash, adminHash, readerHash] = await Promise.all(
    [rootPassword, adminPassword, readerPassword].map(slappasswd),
  );

  removeStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'));
  const confPath = join(dir, 'slapd.conf');
  writeFileSync(confPath, buildConfig(dir, suffix, rootDn, rootHash ?? ''));

  let run: Running | undefined;
  let url = '';
  // The port can be grabbed between probing and slapd's bind; retry on that race only.
  for (let attempt = 1; ; attempt++) {
    url = `ldap://127.0.0.1:${await freePort()}`;
    run = launch(dir, confPath, url);
    try {
      await waitReady(url, run);
      break;
    } catch (err) {
      await terminate(run, 'SIGKILL');
      const inUse = err instanceof SlapdStartError && /address already in use|errno=98/i.test(err.stderr);
      if (!inUse || attempt >= 3) {
        cleanupDir();
        throw err;
      }
    }
  }
  const running = run;

  // Safety net when a test forgets stop(): kill slapd and drop its files on exit.
  const onExit = () => {
    running.child.kill('SIGKILL');
    cleanupDir();
  };
  process.once('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    await terminate(running, 'SIGTERM');
    cleanupDir();
  };

  try {
    await loadBaseTree(url, suffix, rootDn, rootPassword, readerHash ?? '', adminHash ?? '');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    suffix,
    rootDn,
    rootPassword,
    adminDn,
    adminPassword,
    readerDn,
    readerPassword,
    stop,
    reset: () => wipeBelow(url, rootDn, rootPassword, [`o=domains,${suffix}`, `o=domainAdmins,${suffix}`]),
  };
}

/** Runs `work` with a fresh client bound as the rootdn (sees and writes everything); test side only. */
export async function withRootClient<T>(slapd: SlapdInstance, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: slapd.url, timeout: 10_000 });
  try {
    await client.bind(slapd.rootDn, slapd.rootPassword);
    return await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** An attribute's values as text (attribute names match case-insensitively, as LDAP's do); [] when absent. */
export function entryValues(entry: Entry | undefined, name: string): string[] {
  if (!entry) return [];
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key ? entry[key] : undefined;
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

/** The attribute's first value as text, if any. */
export function firstValue(entry: Entry | undefined, name: string): string | undefined {
  return entryValues(entry, name)[0];
}

/** An entry as attribute name -> values as text, without the dn and the requested names it did not carry. */
export function entryRecord(entry: Entry, options: { lowerCaseNames?: boolean } = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(entry)) {
    if (name === 'dn') continue;
    const found = entryValues(entry, name);
    if (found.length > 0) out[options.lowerCaseNames ? name.toLowerCase() : name] = found;
  }
  return out;
}

/** A search bound as the rootdn; [] when the base itself does not exist (noSuchObject, 32). */
export function searchOrNone(slapd: SlapdInstance, base: string, options: SearchOptions): Promise<Entry[]> {
  return withRootClient(slapd, async (client) => {
    try {
      return (await client.search(base, options)).searchEntries;
    } catch (error) {
      if ((error as { code?: number }).code === 32) return [];
      throw error;
    }
  });
}

/** The entry at dn (bound as the rootdn), or undefined when there is none. */
export async function readEntryOrNone(slapd: SlapdInstance, dn: string, attributes: string[] = ['*']): Promise<Entry | undefined> {
  return (await searchOrNone(slapd, dn, { scope: 'base', attributes }))[0];
}
