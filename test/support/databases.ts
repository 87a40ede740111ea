// Throw-away iRedMail databases for integration tests.
//
// 'project' databases are created by our own ensureSchema; 'genuine' ones load iRedMail's
// own schema files from ../shared/iredmail/sql/ (reference data, read in place, never
// copied) the way the installer does, seed what an installed server holds (the global spam
// policy, global greylisting, the greylisting whitelist domains), then let ensureSchema add
// the project's extra iredadmin tables on top.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, openEmbedded } from '#lib/storage/sql/connect';
import { ensureSchema, type DatabaseName } from '#lib/storage/sql/schema';

const execFileAsync = promisify(execFile);

/** <project>/test/support -> <project>/../shared/iredmail/sql/ */
export const GENUINE_SQL_DIR = fileURLToPath(new URL('../../../shared/iredmail/sql/', import.meta.url));

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root' };
export const PGSQL = { host: '127.0.0.1', port: 5432, user: 'postgres' };

export type TestEngine = 'mysql' | 'pgsql' | 'embedded';
export type Flavour = 'project' | 'genuine';

export const DATABASES: readonly DatabaseName[] = ['vmail', 'amavisd', 'iredapd', 'iredadmin'];

export interface TestDatabases {
  /** Connection URLs on the real servers; undefined for embedded. */
  urls: Record<DatabaseName, string> | undefined;
  /** The PGlite data directory (embedded only). */
  dataDir?: string;
  /** Real database names (mysql/pgsql). */
  names?: Record<DatabaseName, string>;
  dropAll(): Promise<void>;
}

export interface CreateOptions {
  /** Genuine flavour only: also run ensureSchema (adds login_failures / api_keys). Default true. */
  projectTables?: boolean;
}

/** Which genuine files make up each database, in load order, and the seeds an install adds. */
const GENUINE_FILES: Record<'mysql' | 'pgsql', Record<DatabaseName, string[]>> = {
  mysql: {
    vmail: ['iredmail.mysql'],
    amavisd: ['amavisd.mysql', 'default_spam_policy.sql'],
    iredapd: ['iredapd.mysql', 'enable_global_greylisting.sql', 'greylisting_whitelist_domains.sql'],
    iredadmin: ['iredadmin.mysql'],
  },
  pgsql: {
    // iredmail.pgsql leaves the used_quota trigger to a Dovecot-version-specific file.
    vmail: ['iredmail.pgsql', 'used_quota_triggers_dovecot_2.3.pgsql'],
    amavisd: ['amavisd.pgsql', 'default_spam_policy.sql'],
    iredapd: ['iredapd.pgsql', 'enable_global_greylisting.sql', 'greylisting_whitelist_domains.sql'],
    iredadmin: ['iredadmin.pgsql'],
  },
};

function uniquePrefix(): string {
  return `t${process.pid}${randomBytes(3).toString('hex')}`;
}

async function mysqlCli(sqlText: string, database?: string): Promise<string> {
  const args = ['-h', MYSQL.host, '-P', String(MYSQL.port), '-u', MYSQL.user, '--batch', '--skip-column-names'];
  if (database) args.push(database);
  args.push('-e', sqlText);
  const { stdout } = await execFileAsync('mariadb', args);
  return stdout;
}

async function psqlCli(sqlText: string, database = 'postgres'): Promise<string> {
  const { stdout } = await execFileAsync('psql', [
    '-h', PGSQL.host, '-p', String(PGSQL.port), '-U', PGSQL.user, '-d', database,
    '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t', '-c', sqlText,
  ]);
  return stdout;
}

/** Feeds a file to a CLI on stdin (the mariadb CLI understands iRedMail's DELIMITER blocks). */
function runWithFile(command: string, args: string[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} < ${file} failed (${code}): ${stderr.trim()}`));
    });
    createReadStream(file).pipe(child.stdin);
  });
}

async function loadGenuineMysql(database: string, file: string): Promise<void> {
  await runWithFile('mariadb', ['-h', MYSQL.host, '-P', String(MYSQL.port), '-u', MYSQL.user, database], join(GENUINE_SQL_DIR, file));
}

async function loadGenuinePgsql(database: string, file: string): Promise<void> {
  const path = join(GENUINE_SQL_DIR, file);
  await execFileAsync('psql', [
    '-h', PGSQL.host, '-p', String(PGSQL.port), '-U', PGSQL.user, '-d', database,
    '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-f', path,
  ]).catch((error: { stderr?: string }) => {
    throw new Error(`psql -f ${file} into ${database} failed: ${error.stderr?.trim() ?? String(error)}`);
  });
}

/** The genuine used_quota trigger file uses CREATE OR REPLACE TRIGGER (PostgreSQL 14+). */
async function assertPgVersionForGenuine(): Promise<void> {
  const version = Number((await psqlCli('show server_version_num')).trim());
  if (!(version >= 140000)) {
    throw new Error(`PostgreSQL ${version} is too old for iRedMail's used_quota trigger file (needs 14+)`);
  }
}

async function runEnsureSchema(url: string, database: DatabaseName): Promise<void> {
  const opened = openDatabase(url, { poolSize: 1 });
  try {
    await ensureSchema(opened.db, opened.engine, database);
  } finally {
    await opened.close();
  }
}

/**
 * Creates uniquely named vmail/amavisd/iredapd/iredadmin databases on the local MariaDB or
 * PostgreSQL server (or a PGlite directory for 'embedded') with either schema flavour.
 */
export async function createTestDatabases(
  engine: TestEngine,
  flavour: Flavour,
  options: CreateOptions = {},
): Promise<TestDatabases> {
  const projectTables = flavour === 'project' || (options.projectTables ?? true);
  if (engine === 'embedded') return createEmbedded(flavour, projectTables);
  await ensureServers();

  const prefix = uniquePrefix();
  const names = Object.fromEntries(DATABASES.map((name) => [name, `${prefix}_${name}`])) as Record<DatabaseName, string>;
  const created: string[] = [];

  const dropAll = async () => {
    for (const name of created.splice(0).reverse()) {
      if (engine === 'mysql') await mysqlCli(`DROP DATABASE IF EXISTS \`${name}\``);
      else await psqlCli(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  };

  const urls = Object.fromEntries(
    DATABASES.map((name) => [
      name,
      engine === 'mysql'
        ? `mysql://${MYSQL.user}@${MYSQL.host}:${MYSQL.port}/${names[name]}`
        : `postgres://${PGSQL.user}@${PGSQL.host}:${PGSQL.port}/${names[name]}`,
    ]),
  ) as Record<DatabaseName, string>;

  try {
    if (engine === 'pgsql' && flavour === 'genuine') await assertPgVersionForGenuine();
    for (const database of DATABASES) {
      const name = names[database];
      if (engine === 'mysql') {
        await mysqlCli(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      } else {
        await psqlCli(`CREATE DATABASE "${name}" ENCODING 'UTF8' TEMPLATE template0`);
      }
      created.push(name);
      if (flavour === 'genuine') {
        for (const file of GENUINE_FILES[engine][database]) {
          if (engine === 'mysql') await loadGenuineMysql(name, file);
          else await loadGenuinePgsql(name, file);
        }
      }
      if (projectTables) await runEnsureSchema(urls[database], database);
    }
  } catch (error) {
    await dropAll().catch(() => undefined);
    throw error;
  }
  return { urls, names, dropAll };
}

async function createEmbedded(flavour: Flavour, projectTables: boolean): Promise<TestDatabases> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iredadmin-pglite-'));
  const dropAll = async () => {
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (flavour === 'genuine') {
      // All four genuine PG files into the one embedded database, as embedded mode lays it out.
      const pglite = await PGlite.create(dataDir);
      try {
        for (const database of DATABASES) {
          for (const file of GENUINE_FILES.pgsql[database]) await pglite.exec(readFileSync(join(GENUINE_SQL_DIR, file), 'utf8'));
        }
      } finally {
        await pglite.close();
      }
    }
    // Open once so the schema exists before the caller opens the directory itself.
    const opened = await openEmbedded(dataDir, { ensureSchema: projectTables });
    await opened.close();
  } catch (error) {
    await dropAll();
    throw error;
  }
  return { urls: undefined, dataDir, dropAll };
}

// ---------------------------------------------------------------------------------------

async function answers(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args, { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

const mariadbAnswers = () =>
  answers('mariadb', ['-h', MYSQL.host, '-P', String(MYSQL.port), '-u', MYSQL.user, '-e', 'select 1']);
const postgresAnswers = () =>
  answers('psql', ['-h', PGSQL.host, '-p', String(PGSQL.port), '-U', PGSQL.user, '-d', 'postgres', '-X', '-c', 'select 1']);

let serversChecked: Promise<void> | undefined;

/**
 * Makes sure MariaDB and PostgreSQL answer, starting them if they do not (containers without
 * an init system), and waits up to 30 s for both.
 */
export function ensureServers(): Promise<void> {
  serversChecked ??= (async () => {
    const [mariadbUp, postgresUp] = await Promise.all([mariadbAnswers(), postgresAnswers()]);
    if (!mariadbUp) {
      await execFileAsync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'])
        .catch(() => undefined);
    }
    if (!postgresUp) {
      const { stdout } = await execFileAsync('ls', ['/etc/postgresql']).catch(() => ({ stdout: '' }));
      const version = stdout.split(/\s+/).filter(Boolean).sort().pop();
      if (version) {
        await execFileAsync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']).catch(() => undefined);
      }
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [m, p] = await Promise.all([mariadbAnswers(), postgresAnswers()]);
      if (m && p) return;
      if (Date.now() > deadline) {
        throw new Error(`database servers not answering after 30 s: MariaDB ${m ? 'up' : 'down'}, PostgreSQL ${p ? 'up' : 'down'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  serversChecked.catch(() => {
    serversChecked = undefined;
  });
  return serversChecked;
}
