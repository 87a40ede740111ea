// Our DDL (lib/storage/sql/schema.ts) against iRedMail's genuine schema files, catalog against
// catalog, on MariaDB, PostgreSQL and PGlite; plus the used_quota / maddr triggers, the value
// shapes connect.ts promises, and the embedded adapter's transaction queueing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { openDatabase, openEmbedded, type OpenedDatabase } from '#lib/storage/sql/connect';
import { ensureSchema, PROJECT_TABLES, type DatabaseName, type Engine } from '#lib/storage/sql/schema';
import { createTestDatabases, DATABASES, ensureServers, type TestDatabases } from '../support/databases.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------
// Catalog snapshots

interface ColumnInfo {
  type: string;
  nullable: string;
  default: string | null;
  extra: string;
}

interface TableInfo {
  options: string;
  columns: Map<string, ColumnInfo>;
  primaryKey: string | null;
  /** Unique indexes (MySQL UNIQUE KEYs; PG unique indexes and unique constraints), by column list. */
  uniques: string[];
  /** PG only: which of those are declared as constraints. */
  uniqueConstraints: string[];
  indexes: string[];
  foreignKeys: string[];
  checks: string[];
  /** `BEFORE INSERT`-style descriptors; trigger names differ legitimately. */
  triggers: string[];
}

type Catalog = Map<string, TableInfo>;

function table(catalog: Catalog, name: string): TableInfo {
  let info = catalog.get(name);
  if (!info) {
    info = { options: '', columns: new Map(), primaryKey: null, uniques: [], uniqueConstraints: [], indexes: [], foreignKeys: [], checks: [], triggers: [] };
    catalog.set(name, info);
  }
  return info;
}

const sorted = (catalog: Catalog): Catalog => {
  for (const info of catalog.values()) {
    for (const list of [info.uniques, info.uniqueConstraints, info.indexes, info.foreignKeys, info.checks, info.triggers]) list.sort();
  }
  return catalog;
};

async function mysqlCatalog(db: Kysely<any>): Promise<Catalog> {
  const catalog: Catalog = new Map();
  const tables = await sql<{ t: string; engine: string; co: string }>`
    select table_name as t, engine as engine, table_collation as co
    from information_schema.tables where table_schema = database()`.execute(db);
  for (const row of tables.rows) table(catalog, row.t).options = `${row.engine} ${row.co}`;

  const columns = await sql<{ t: string; c: string; type: string; n: string; d: string | null; e: string; cs: string | null; co: string | null }>`
    select table_name as t, column_name as c, column_type as type, is_nullable as n, column_default as d,
           extra as e, character_set_name as cs, collation_name as co
    from information_schema.columns where table_schema = database()`.execute(db);
  for (const row of columns.rows) {
    table(catalog, row.t).columns.set(row.c, {
      type: row.cs ? `${row.type} ${row.cs}/${row.co}` : row.type,
      nullable: row.n,
      default: row.d,
      extra: row.e,
    });
  }

  const stats = await sql<{ t: string; i: string; nu: number; c: string; sp: number | null }>`
    select table_name as t, index_name as i, non_unique as nu, column_name as c, sub_part as sp
    from information_schema.statistics where table_schema = database()
    order by table_name, index_name, seq_in_index`.execute(db);
  const grouped = new Map<string, { t: string; i: string; unique: boolean; cols: string[] }>();
  for (const row of stats.rows) {
    const key = `${row.t}\u0000${row.i}`;
    const entry = grouped.get(key) ?? { t: row.t, i: row.i, unique: Number(row.nu) === 0, cols: [] };
    entry.cols.push(row.sp ? `${row.c}(${row.sp})` : row.c);
    grouped.set(key, entry);
  }
  for (const entry of grouped.values()) {
    const info = table(catalog, entry.t);
    const cols = entry.cols.join(',');
    if (entry.i === 'PRIMARY') info.primaryKey = cols;
    else if (entry.unique) info.uniques.push(cols);
    else info.indexes.push(cols);
  }

  const fks = await sql<{ t: string; n: string; c: string; rt: string; rc: string; ur: string; dr: string }>`
    select k.table_name as t, k.constraint_name as n, k.column_name as c, k.referenced_table_name as rt,
           k.referenced_column_name as rc, r.update_rule as ur, r.delete_rule as dr
    from information_schema.key_column_usage k
    join information_schema.referential_constraints r
      on r.constraint_schema = k.constraint_schema and r.constraint_name = k.constraint_name and r.table_name = k.table_name
    where k.table_schema = database() and k.referenced_table_name is not null
    order by k.table_name, k.constraint_name, k.ordinal_position`.execute(db);
  for (const row of fks.rows) {
    table(catalog, row.t).foreignKeys.push(`(${row.c}) -> ${row.rt}(${row.rc}) on update ${row.ur} on delete ${row.dr}`);
  }

  const triggers = await sql<{ t: string; tm: string; ev: string }>`
    select event_object_table as t, action_timing as tm, event_manipulation as ev
    from information_schema.triggers where trigger_schema = database()`.execute(db);
  for (const row of triggers.rows) table(catalog, row.t).triggers.push(`${row.tm} ${row.ev}`);
  return sorted(catalog);
}

async function pgCatalog(db: Kysely<any>): Promise<Catalog> {
  const catalog: Catalog = new Map();
  const tables = await sql<{ t: string }>`
    select table_name as t from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  for (const row of tables.rows) table(catalog, row.t);

  const columns = await sql<{ t: string; c: string; udt: string; len: number | null; n: string; d: string | null }>`
    select table_name as t, column_name as c, udt_name as udt, character_maximum_length as len,
           is_nullable as n, column_default as d
    from information_schema.columns where table_schema = current_schema()`.execute(db);
  for (const row of columns.rows) {
    if (!catalog.has(row.t)) continue; // views
    table(catalog, row.t).columns.set(row.c, {
      type: row.len ? `${row.udt}(${row.len})` : row.udt,
      nullable: row.n,
      default: row.d,
      extra: '',
    });
  }

  const indexes = await sql<{ t: string; primary: boolean; unique: boolean; cols: string }>`
    select t.relname as t, ix.indisprimary as primary, ix.indisunique as unique,
           array_to_string(array(
             select a.attname from unnest(ix.indkey::int2[]) with ordinality as k(attnum, ord)
             join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
             order by k.ord), ',') as cols
    from pg_index ix
    join pg_class t on t.oid = ix.indrelid
    join pg_namespace ns on ns.oid = t.relnamespace
    where ns.nspname = current_schema()`.execute(db);
  for (const row of indexes.rows) {
    const info = table(catalog, row.t);
    if (row.primary) info.primaryKey = row.cols;
    else if (row.unique) info.uniques.push(row.cols);
    else info.indexes.push(row.cols);
  }

  const constraints = await sql<{ t: string; type: string; def: string }>`
    select t.relname as t, c.contype as type, pg_get_constraintdef(c.oid) as def
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join pg_namespace ns on ns.oid = t.relnamespace
    where ns.nspname = current_schema() and c.contype in ('u', 'f', 'c')`.execute(db);
  for (const row of constraints.rows) {
    const info = table(catalog, row.t);
    if (row.type === 'u') info.uniqueConstraints.push(row.def);
    else if (row.type === 'f') info.foreignKeys.push(row.def);
    else info.checks.push(row.def);
  }

  const triggers = await sql<{ t: string; tm: string; ev: string }>`
    select event_object_table as t, action_timing as tm, event_manipulation as ev
    from information_schema.triggers where trigger_schema = current_schema()`.execute(db);
  for (const row of triggers.rows) table(catalog, row.t).triggers.push(`${row.tm} ${row.ev}`);
  return sorted(catalog);
}

function catalogOf(db: Kysely<any>, engine: Engine): Promise<Catalog> {
  return engine === 'mysql' ? mysqlCatalog(db) : pgCatalog(db);
}

/**
 * Differences between the genuine catalog and ours, one readable line each. Tables only ours
 * has are allowed when they are the documented project tables.
 */
function compareCatalogs(label: string, genuine: Catalog, ours: Catalog, allowedExtraTables: readonly string[] = PROJECT_TABLES): string[] {
  const diffs: string[] = [];
  for (const [name, want] of genuine) {
    const have = ours.get(name);
    if (!have) {
      diffs.push(`${label}.${name}: table missing from ours`);
      continue;
    }
    const where = `${label}.${name}`;
    if (want.options !== have.options) diffs.push(`${where}: table options genuine '${want.options}' ours '${have.options}'`);
    for (const [column, w] of want.columns) {
      const h = have.columns.get(column);
      if (!h) {
        diffs.push(`${where}.${column}: column missing from ours`);
        continue;
      }
      for (const field of ['type', 'nullable', 'default', 'extra'] as const) {
        if (w[field] !== h[field]) diffs.push(`${where}.${column}: ${field} genuine ${JSON.stringify(w[field])} ours ${JSON.stringify(h[field])}`);
      }
    }
    for (const column of have.columns.keys()) {
      if (!want.columns.has(column)) diffs.push(`${where}.${column}: column only in ours`);
    }
    if (want.primaryKey !== have.primaryKey) diffs.push(`${where}: primary key genuine (${want.primaryKey}) ours (${have.primaryKey})`);
    for (const field of ['uniques', 'uniqueConstraints', 'indexes', 'foreignKeys', 'checks', 'triggers'] as const) {
      const w = JSON.stringify(want[field]);
      const h = JSON.stringify(have[field]);
      if (w !== h) diffs.push(`${where}: ${field} genuine ${w} ours ${h}`);
    }
  }
  for (const name of ours.keys()) {
    if (!genuine.has(name) && !allowedExtraTables.includes(name)) diffs.push(`${label}.${name}: table only in ours`);
  }
  return diffs;
}

function assertNoDiffs(diffs: string[]): void {
  assert.deepEqual(diffs, [], `schema differences:\n  ${diffs.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------
// Shared checks for the server engines

function openAll(dbs: TestDatabases): Record<DatabaseName, OpenedDatabase> {
  const urls = dbs.urls!;
  return Object.fromEntries(DATABASES.map((name) => [name, openDatabase(urls[name], { poolSize: 2 })])) as Record<DatabaseName, OpenedDatabase>;
}

async function closeAll(opened: Record<DatabaseName, OpenedDatabase> | undefined): Promise<void> {
  if (opened) await Promise.all(Object.values(opened).map((entry) => entry.close()));
}

/** Dovecot inserts (username, bytes, messages); the trigger must fill `domain`. */
async function checkUsedQuotaTrigger(db: Kysely<any>): Promise<void> {
  await db.insertInto('used_quota').values({ username: 'quota.user@trigger.example', bytes: 2048, messages: 3 }).execute();
  const row = await db.selectFrom('used_quota').selectAll().where('username', '=', 'quota.user@trigger.example').executeTakeFirstOrThrow();
  assert.equal(row.domain, 'trigger.example', 'used_quota trigger did not set domain');
  assert.equal(row.bytes, 2048);
  assert.equal(row.messages, 3);
  await db.deleteFrom('used_quota').where('username', '=', 'quota.user@trigger.example').execute();
}

/** Amavisd inserts maddr rows; the trigger stores the address without its +extension. */
async function checkMaddrTrigger(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.insertInto('maddr').values({ partition_tag: 0, email: Buffer.from('john+news@example.com'), domain: engine === 'mysql' ? 'com.example' : Buffer.from('com.example') }).execute();
  const row = await db.selectFrom('maddr').select('email_raw').where('email', '=', Buffer.from('john+news@example.com')).executeTakeFirstOrThrow();
  assert.equal(Buffer.from(row.email_raw).toString(), 'john@example.com', 'maddr trigger did not strip the +extension');
  await db.deleteFrom('maddr').execute();
}

/** What connect.ts promises every caller, whatever the engine. */
async function checkValueShapes(vmail: Kysely<any>, amavisd: Kysely<any>): Promise<void> {
  await vmail.insertInto('domain').values({ domain: 'shapes.example', maxquota: 2 ** 40, settings: '' }).execute();
  const domain = await vmail.selectFrom('domain').selectAll().where('domain', '=', 'shapes.example').executeTakeFirstOrThrow();
  assert.equal(domain.maxquota, 2 ** 40, 'BIGINT/INT8 must come back as a number');
  assert.equal(typeof domain.mailboxes, 'number');
  assert.equal(domain.active, 1);
  assert.match(String(domain.created), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'DATETIME/TIMESTAMP must come back as YYYY-MM-DD HH:MM:SS');
  assert.match(String(domain.expired), /^9999-12-31 0[01]:0[01]:0[01]$/);
  await vmail.updateTable('domain').set({ modified: '2024-02-29 23:59:58' }).where('domain', '=', 'shapes.example').execute();
  const modified = await vmail.selectFrom('domain').select('modified').where('domain', '=', 'shapes.example').executeTakeFirstOrThrow();
  assert.equal(modified.modified, '2024-02-29 23:59:58', 'written UTC strings must read back unchanged');
  await vmail.deleteFrom('domain').where('domain', '=', 'shapes.example').execute();

  await vmail.insertInto('mailbox').values({ username: 'u@shapes.example', domain: 'shapes.example' }).execute();
  const user = await vmail.selectFrom('mailbox').select(['birthday', 'quota', 'enablesogowebmail']).where('username', '=', 'u@shapes.example').executeTakeFirstOrThrow();
  assert.equal(user.birthday, '0001-01-01', 'DATE must come back as YYYY-MM-DD');
  assert.equal(user.quota, 0);
  assert.equal(user.enablesogowebmail, 'y');
  await vmail.deleteFrom('mailbox').where('username', '=', 'u@shapes.example').execute();

  // Binary addresses: written as string or Buffer, read back as Buffer.
  await amavisd.insertInto('users').values({ email: '@shapes.example', priority: 5, policy_id: 0 }).execute();
  const owner = await amavisd.selectFrom('users').selectAll().where('email', '=', Buffer.from('@shapes.example')).executeTakeFirstOrThrow();
  assert.ok(Buffer.isBuffer(owner.email), 'binary columns must come back as Buffer');
  assert.equal(owner.email.toString(), '@shapes.example');
  await amavisd.deleteFrom('users').where('id', '=', owner.id).execute();
}

for (const engine of ['mysql', 'pgsql'] as const) {
  const kind: Engine = engine === 'mysql' ? 'mysql' : 'postgres';
  describe(`${engine === 'mysql' ? 'MariaDB' : 'PostgreSQL'}: project schema vs genuine iRedMail schema`, () => {
    let project: TestDatabases | undefined;
    let genuine: TestDatabases | undefined;
    let ours: Record<DatabaseName, OpenedDatabase> | undefined;
    let theirs: Record<DatabaseName, OpenedDatabase> | undefined;

    before(async () => {
      await ensureServers();
      [project, genuine] = await Promise.all([
        createTestDatabases(engine, 'project'),
        // Pure genuine first; the test below adds the project tables itself.
        createTestDatabases(engine, 'genuine', { projectTables: false }),
      ]);
      ours = openAll(project);
      theirs = openAll(genuine);
    });

    after(async () => {
      await closeAll(ours);
      await closeAll(theirs);
      await project?.dropAll();
      await genuine?.dropAll();
    });

    for (const database of DATABASES) {
      test(`${database}: every genuine table, column, key, index and trigger exists in ours, and nothing else`, async () => {
        const want = await catalogOf(theirs![database].db, kind);
        const have = await catalogOf(ours![database].db, kind);
        assert.ok(want.size > 0, `genuine ${database} has no tables`);
        assertNoDiffs(compareCatalogs(database, want, have));
        const extra = [...have.keys()].filter((name) => !want.has(name)).sort();
        assert.deepEqual(extra, database === 'iredadmin' ? [...PROJECT_TABLES].sort() : []);
      });
    }

    test('ensureSchema on the genuine databases adds only the project tables, and is idempotent', async () => {
      for (const database of DATABASES) {
        const before = await catalogOf(theirs![database].db, kind);
        await ensureSchema(theirs![database].db, kind, database);
        const once = await catalogOf(theirs![database].db, kind);
        await ensureSchema(theirs![database].db, kind, database);
        const twice = await catalogOf(theirs![database].db, kind);
        // Nothing in a genuine table changed; the only additions are the documented tables.
        assertNoDiffs(compareCatalogs(`${database}(genuine+ensureSchema)`, before, once, database === 'iredadmin' ? PROJECT_TABLES : []));
        assertNoDiffs(compareCatalogs(`${database}(second run)`, once, twice, []));
        // The project tables it added are the same as in a project database.
        const project = await catalogOf(ours![database].db, kind);
        for (const name of database === 'iredadmin' ? PROJECT_TABLES : []) {
          assert.ok(once.has(name), `${name} not added to genuine ${database}`);
          assertNoDiffs(compareCatalogs(database, new Map([[name, project.get(name)!]]), new Map([[name, once.get(name)!]])));
        }
      }
    });

    test('ensureSchema is idempotent on the project databases', async () => {
      for (const database of DATABASES) {
        const before = await catalogOf(ours![database].db, kind);
        await ensureSchema(ours![database].db, kind, database);
        assertNoDiffs(compareCatalogs(database, before, await catalogOf(ours![database].db, kind), []));
      }
    });

    test('used_quota trigger fills domain (ours and genuine)', async () => {
      await checkUsedQuotaTrigger(ours!.vmail.db);
      await checkUsedQuotaTrigger(theirs!.vmail.db);
    });

    test('maddr trigger strips the address extension (ours and genuine)', async () => {
      await checkMaddrTrigger(ours!.amavisd.db, kind);
      await checkMaddrTrigger(theirs!.amavisd.db, kind);
    });

    test('genuine seeds are present (global spam policy, global greylisting, whitelist domains)', async () => {
      const policy = await theirs!.amavisd.db.selectFrom('policy').selectAll().where('policy_name', '=', '@.').executeTakeFirstOrThrow();
      const owner = await theirs!.amavisd.db.selectFrom('users').selectAll().where('email', '=', Buffer.from('@.')).executeTakeFirstOrThrow();
      assert.equal(owner.policy_id, policy.id);
      assert.equal(owner.priority, 0);
      const grey = await theirs!.iredapd.db.selectFrom('greylisting').selectAll().where('account', '=', '@.').executeTakeFirstOrThrow();
      assert.equal(grey.active, 1);
      const { count } = await theirs!.iredapd.db.selectFrom('greylisting_whitelist_domains').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      assert.ok(Number(count) > 10);
    });

    test('value shapes: numbers, date strings, Buffers (ours and genuine)', async () => {
      await checkValueShapes(ours!.vmail.db, ours!.amavisd.db);
      await checkValueShapes(theirs!.vmail.db, theirs!.amavisd.db);
    });

    test('throttle_tracking.tid references throttle.id without ON DELETE', async () => {
      for (const opened of [ours!, theirs!]) {
        const db = opened.iredapd.db;
        await db.insertInto('throttle').values({ account: '@fk.example', kind: 'outbound', priority: 60, period: 60 }).execute();
        const { id: tid } = await db.selectFrom('throttle').select('id').where('account', '=', '@fk.example').executeTakeFirstOrThrow();
        await db.insertInto('throttle_tracking').values({ tid, account: '@fk.example' }).execute();
        await assert.rejects(db.deleteFrom('throttle').where('id', '=', tid).execute(), 'deleting a tracked throttle must fail');
        await db.deleteFrom('throttle_tracking').where('tid', '=', tid).execute();
        await db.deleteFrom('throttle').where('id', '=', tid).execute();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------
// Cold start

test('connect.ts loads no driver until a database is used (a MySQL Lambda never loads PGlite)', async () => {
  const probe = `
    const { openDatabase } = require('#lib/storage/sql/connect');
    openDatabase('mysql://u@127.0.0.1:1/x');
    openDatabase('postgres://u@127.0.0.1:1/x');
    const drivers = Object.keys(require.cache).filter((k) => /node_modules\\/(pg|mysql2|@electric-sql\\/pglite)\\//.test(k));
    process.stdout.write(JSON.stringify(drivers));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--eval', probe], { cwd: PROJECT_ROOT });
  assert.deepEqual(JSON.parse(stdout), [], 'drivers loaded at import / open time');
});

// ---------------------------------------------------------------------------------------
// PGlite

describe('PGlite (embedded)', () => {
  const dirs: string[] = [];
  let embedded: OpenedDatabase | undefined;
  let genuine: TestDatabases | undefined;

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pglite-schema-'));
    dirs.push(dataDir);
    embedded = await openEmbedded(dataDir, { ensureSchema: false });
  });

  after(async () => {
    await embedded?.close();
    await genuine?.dropAll();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('plpgsql is available', async () => {
    const { rows } = await sql<{ lanname: string }>`select lanname from pg_language where lanname = 'plpgsql'`.execute(embedded!.db);
    assert.equal(rows.length, 1);
  });

  test('ensureSchema twice: all four table sets in one database, second run changes nothing', async () => {
    const db = embedded!.db;
    for (const database of DATABASES) await ensureSchema(db, 'postgres', database);
    const once = await pgCatalog(db);
    for (const database of DATABASES) await ensureSchema(db, 'postgres', database);
    assertNoDiffs(compareCatalogs('embedded', once, await pgCatalog(db), []));
    for (const name of ['domain', 'mailbox', 'used_quota', 'users', 'policy', 'throttle', 'greylisting', 'log', 'settings', ...PROJECT_TABLES]) {
      assert.ok(once.has(name), `${name} missing from the embedded database`);
    }
  });

  test('matches the genuine PostgreSQL files loaded into PGlite', async () => {
    genuine = await createTestDatabases('embedded', 'genuine', { projectTables: false });
    const other = await openEmbedded(genuine.dataDir!, { ensureSchema: false });
    try {
      const want = await pgCatalog(other.db);
      assertNoDiffs(compareCatalogs('embedded', want, await pgCatalog(embedded!.db)));
    } finally {
      await other.close();
    }
  });

  test('used_quota trigger fills domain', async () => {
    await checkUsedQuotaTrigger(embedded!.db);
  });

  test('maddr trigger strips the address extension', async () => {
    await checkMaddrTrigger(embedded!.db, 'postgres');
  });

  test('value shapes: numbers, date strings, Buffers', async () => {
    await checkValueShapes(embedded!.db, embedded!.db);
  });

  test('concurrent transactions queue instead of interleaving', async () => {
    const db = embedded!.db;
    await db.insertInto('tracking').values({ k: 'counter', v: '0' }).execute();
    const events: string[] = [];
    const runs = 6;
    await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        db.transaction().execute(async (trx) => {
          events.push(`begin ${i}`);
          const row = await trx.selectFrom('tracking').select('v').where('k', '=', 'counter').executeTakeFirstOrThrow();
          await new Promise((resolve) => setTimeout(resolve, 15));
          await trx.updateTable('tracking').set({ v: String(Number(row.v) + 1) }).where('k', '=', 'counter').execute();
          events.push(`end ${i}`);
        }),
      ),
    );
    const { v } = await db.selectFrom('tracking').select('v').where('k', '=', 'counter').executeTakeFirstOrThrow();
    assert.equal(v, String(runs), 'a lost update means two transactions interleaved');
    for (let i = 0; i < events.length; i += 2) {
      assert.equal(events[i]!.split(' ')[1], events[i + 1]!.split(' ')[1], `transactions interleaved: ${events.join(', ')}`);
    }
  });

  test('a failed transaction rolls back and frees the connection', async () => {
    const db = embedded!.db;
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('tracking').values({ k: 'rolled-back', v: '1' }).execute();
        await trx.insertInto('tracking').values({ k: 'rolled-back', v: '2' }).execute(); // UNIQUE(k)
      }),
    );
    const rows = await db.selectFrom('tracking').select('k').where('k', '=', 'rolled-back').execute();
    assert.equal(rows.length, 0);
  });

  test('data persists across close and reopen', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pglite-persist-'));
    dirs.push(dataDir);
    const first = await openEmbedded(dataDir);
    await first.db.insertInto('domain').values({ domain: 'persist.example' }).execute();
    await first.close();
    const second = await openEmbedded(dataDir);
    try {
      const row = await second.db.selectFrom('domain').select('domain').where('domain', '=', 'persist.example').executeTakeFirst();
      assert.equal(row?.domain, 'persist.example');
    } finally {
      await second.close();
    }
  });
});
