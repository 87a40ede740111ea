// Opens the SQL databases behind the store: MySQL/MariaDB (mysql2), PostgreSQL (pg) or an
// embedded PGlite database, all exposed as Kysely instances with the same value shapes:
// BIGINT/INT8 -> number, DATE -> 'YYYY-MM-DD', DATETIME/TIMESTAMP -> 'YYYY-MM-DD HH:MM:SS',
// binary -> Buffer. Drivers are imported lazily, on first use, so a Lambda bundle for one
// engine never loads the others (PGlite's WASM alone costs hundreds of milliseconds).

import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { mkdirSync } from 'node:fs';
import { ensureSchema, type DatabaseName, type Engine } from '#lib/storage/sql/schema';

export type { Engine } from '#lib/storage/sql/schema';

export interface OpenedDatabase {
  db: Kysely<any>;
  engine: Engine;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Connections per pool (mysql2 connectionLimit / pg max), overriding `?pool=` in the URL. */
  poolSize?: number;
  /** Pool size when neither `poolSize` nor the URL gives one (config.dbPoolSize); default 4. */
  defaultPoolSize?: number;
}

const DEFAULT_POOL_SIZE = 4;
/** URL query parameters this module consumes (the rest go to the driver where it understands them). */
const POOL_PARAMS = ['pool', 'connectionLimit', 'max'];

function poolSizeOf(url: URL, options: OpenOptions): number {
  if (options.poolSize !== undefined) return options.poolSize;
  for (const name of POOL_PARAMS) {
    const value = url.searchParams.get(name);
    if (value !== null) {
      const size = Number.parseInt(value, 10);
      if (!Number.isInteger(size) || size < 1) throw new Error(`database URL: ${name} must be a positive integer`);
      return size;
    }
  }
  return options.defaultPoolSize ?? DEFAULT_POOL_SIZE;
}

/** DATETIME/TIMESTAMP text without fractional seconds (PG's NOW() defaults carry microseconds). */
function timestampText(value: string): string {
  return value.length > 19 && value[19] === '.' ? value.slice(0, 19) : value;
}

/** INT8 as a JS number: ids, limits and byte counts all stay below 2^53. */
function int8(value: string): number {
  return Number(value);
}

// Driver loaders. Literal specifiers so esbuild bundles them; `require` first because the CJS
// bundles and tsx both run this file as CommonJS, and tsx evaluates it from a data: URL when an
// ES module imports it, where `import('pg')` cannot resolve bare names. Native ESM has no
// `require` and takes the import() branch.
type Mysql2Module = typeof import('mysql2');
type PgModule = typeof import('pg');
type PgliteModule = typeof import('@electric-sql/pglite');

async function loadMysql2(): Promise<Mysql2Module> {
  return typeof require === 'function' ? (require('mysql2') as Mysql2Module) : import('mysql2');
}

async function loadPg(): Promise<PgModule> {
  const loaded: PgModule & { default?: PgModule } = typeof require === 'function' ? require('pg') : await import('pg');
  return loaded.default ?? loaded;
}

async function loadPglite(): Promise<PgliteModule> {
  return typeof require === 'function' ? (require('@electric-sql/pglite') as PgliteModule) : import('@electric-sql/pglite');
}

const PG_INT8 = 20;
const PG_BYTEA = 17;
const PG_DATE = 1082;
const PG_TIMESTAMP = 1114;

/**
 * `mysql://user:pass@host:port/name`, `postgres://…` or `postgresql://…`. The pool is created on
 * the first query, not here, so opening costs nothing until the database is really needed.
 */
export function openDatabase(url: string, options: OpenOptions = {}): OpenedDatabase {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the URL: it carries the password.
    throw new Error('database URL is not a valid URL');
  }
  switch (parsed.protocol) {
    case 'mysql:':
    case 'mariadb:':
      return openMysql(parsed, poolSizeOf(parsed, options));
    case 'postgres:':
    case 'postgresql:':
      return openPostgres(parsed, poolSizeOf(parsed, options));
    default:
      throw new Error(`unsupported database URL scheme '${parsed.protocol}' (use mysql://, postgres:// or postgresql://)`);
  }
}

function openMysql(url: URL, connectionLimit: number): OpenedDatabase {
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('database URL: the path must name the database');
  const ssl = url.searchParams.get('ssl');
  const dialect = new MysqlDialect({
    pool: async () => {
      const { createPool } = await loadMysql2();
      const pool = createPool({
        host: url.hostname || '127.0.0.1',
        port: url.port ? Number(url.port) : 3306,
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database,
        connectionLimit,
        maxIdle: connectionLimit,
        idleTimeout: 60_000,
        enableKeepAlive: true,
        // Kysely sends text queries, never prepared statements; mysql2's default cache of 16,000
        // statements preallocates its arrays in every new connection (milliseconds per cold start).
        maxPreparedStatements: 1,
        charset: 'utf8mb4_general_ci',
        // Strings for DATE/DATETIME/TIMESTAMP, as iRedMail writes them; no local-time conversion.
        dateStrings: true,
        timezone: 'Z',
        // BIGINT as number while it fits (it always does for ids, limits and byte counts).
        supportBigNumbers: true,
        bigNumberStrings: false,
        ...(ssl && ssl !== 'false' ? { ssl: {} } : {}),
      });
      // The session time zone is left at the server's: iRedAdmin writes its UTC strings the same
      // way, so TIMESTAMP columns (log.timestamp, ...) read back identically for both of us.
      return pool;
    },
  });
  const db = new Kysely<any>({ dialect });
  return { db, engine: 'mysql', close: () => db.destroy() };
}

function openPostgres(url: URL, max: number): OpenedDatabase {
  const connection = new URL(url.toString());
  for (const name of POOL_PARAMS) connection.searchParams.delete(name);
  const dialect = new PostgresDialect({
    pool: async () => {
      const { Pool, types } = await loadPg();
      // Per-pool parsers (not the process-wide pg.types) so other pg users are unaffected.
      const parsers = {
        getTypeParser(oid: number, format?: 'text' | 'binary') {
          if (oid === PG_INT8) return int8;
          if (oid === PG_TIMESTAMP) return timestampText;
          if (oid === PG_DATE) return (value: string) => value;
          return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
        },
      };
      const pool = new Pool({
        connectionString: connection.toString(),
        max,
        idleTimeoutMillis: 60_000,
        connectionTimeoutMillis: 10_000,
        types: parsers as never,
        // NOW() defaults and TIMESTAMP casts in UTC, like the UTC strings we write.
        options: '-c TimeZone=UTC',
      });
      // A connection that drops while no query is running is reported as an 'error' event (on
      // the pool when idle, on the client when checked out): unheard, Node would end the
      // process. pg has already discarded it; the next query opens a new one.
      const dropped = () => undefined;
      pool.on('error', dropped);
      pool.on('connect', (client) => client.on('error', dropped));
      return pool;
    },
  });
  const db = new Kysely<any>({ dialect });
  return { db, engine: 'postgres', close: () => db.destroy() };
}

// ---------------------------------------------------------------------------------------
// Embedded PGlite

/** A FIFO lock: each holder runs alone, later callers wait their turn. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let unlock!: () => void;
    const held = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const ready = this.#tail.then(() => unlock);
    this.#tail = this.#tail.then(() => held);
    return ready;
  }
}

interface PGliteLike {
  query<T>(query: string, params?: unknown[], options?: object): Promise<{
    rows: T[];
    rowCount?: number;
    affectedRows?: number;
    command?: string;
    fields: Array<{ name: string; dataTypeID: number }>;
  }>;
  exec(query: string): Promise<unknown>;
  close(): Promise<void>;
}

/** PGlite hands parsers the text form; bytea's is '\x' + hex. */
function byteaFromText(value: string): Buffer {
  return Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex');
}

/** PGlite's own bytea serializer refuses strings; pg accepts them, so accept them here too. */
function byteaToText(value: unknown): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value as Uint8Array);
  return '\\x' + bytes.toString('hex');
}

const PGLITE_QUERY_OPTIONS = {
  parsers: {
    [PG_INT8]: int8,
    [PG_TIMESTAMP]: timestampText,
    [PG_DATE]: (value: string) => value,
    [PG_BYTEA]: byteaFromText,
  },
  serializers: { [PG_BYTEA]: byteaToText },
};

/**
 * Presents one PGlite instance as a pg Pool for Kysely's PostgresDialect. PGlite is a single
 * connection: a transaction's statements would interleave with anyone else's, so a "client"
 * holds a lock from connect() until release(), and everybody else queues. Consequence: inside
 * `db.transaction().execute(trx => …)` use `trx` only — a query through `db` would wait for
 * the transaction that is waiting for it.
 */
function pgliteAsPool(pglite: PGliteLike): PostgresPool {
  const mutex = new Mutex();
  let ended = false;
  return {
    async connect(): Promise<PostgresPoolClient> {
      if (ended) throw new Error('the embedded database is closed');
      const unlock = await mutex.lock();
      let released = false;
      const client = {
        async query(text: string, parameters: ReadonlyArray<unknown>) {
          if (released) throw new Error('embedded database client used after release');
          const result = await pglite.query<unknown>(text, [...parameters], PGLITE_QUERY_OPTIONS);
          return {
            command: (result.command ?? 'SELECT') as PostgresQueryResult<unknown>['command'],
            rowCount: result.rowCount ?? result.affectedRows ?? 0,
            rows: result.rows,
            fields: result.fields,
          };
        },
        release(destroy?: boolean) {
          if (released) return;
          released = true;
          if (!destroy) {
            unlock();
            return;
          }
          // Kysely discards a client whose ROLLBACK failed: make sure no transaction is left
          // open for the next holder.
          pglite.exec('ROLLBACK').catch(() => undefined).finally(unlock);
        },
      };
      return client as unknown as PostgresPoolClient; // no cursor support: streaming is not used
    },
    async end() {
      if (ended) return;
      ended = true;
      const unlock = await mutex.lock();
      try {
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}

export interface EmbeddedOptions {
  /** Create missing tables of all four databases on open (default true). */
  ensureSchema?: boolean;
}

const ALL_DATABASES: readonly DatabaseName[] = ['vmail', 'amavisd', 'iredapd', 'iredadmin'];

/**
 * A PGlite database persisted in `dataDir`, holding the vmail, amavisd, iredapd and iredadmin
 * table sets together (their names never clash). One instance per process and directory:
 * PGlite does not lock its data directory against a second process.
 */
export async function openEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<OpenedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const { PGlite } = await loadPglite();
  const pglite = await PGlite.create(dataDir);
  try {
    // PGlite keeps its settings for the life of the instance (one session).
    await pglite.exec("SET TIME ZONE 'UTC'");
  } catch (error) {
    await pglite.close();
    throw error;
  }
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: pgliteAsPool(pglite) }) });
  const opened: OpenedDatabase = { db, engine: 'postgres', close: () => db.destroy() };
  if (options.ensureSchema ?? true) {
    try {
      for (const database of ALL_DATABASES) await ensureSchema(db, 'postgres', database);
    } catch (error) {
      await opened.close();
      throw error;
    }
  }
  return opened;
}
