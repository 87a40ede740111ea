/**
 * The built Lambda bundles, not the TypeScript sources, against real databases. The build
 * swaps parts of the drivers for leaner stand-ins (scripts/build-functions.ts: iconv-lite,
 * mysql2's error table, pg's socket factory) and moves the drivers into files of their own;
 * a stand-in that mysql2 needed in its handshake once left every bundle unable to connect
 * while the suites, which run the sources, stayed green.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configFromEnv } from '#lib/config';
import { createTestDatabases } from '../support/databases';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

const CHILD = `
const { handler } = require(process.env.BUNDLE);
handler(JSON.parse(process.env.EVENT)).then((result) => { process.stdout.write(result.body); process.exit(0); },
  (error) => { process.stderr.write(String(error)); process.exit(1); });
`;

/** A failing query through the bundled mysql2: its error still carries the server's error name. */
const MYSQL_ERROR_CHILD = `
const mysql = require(process.env.DRIVER);
const connection = mysql.createConnection(process.env.DB_URL);
connection.query('SELECT * FROM no_such_table', (error) => {
  process.stdout.write(JSON.stringify({ code: error && error.code, errno: error && error.errno }));
  connection.destroy();
});
`;

async function buildMeta(variant: string): Promise<{ outDir: string; functionDir: string }> {
  const outDir = await mkdtemp(join(tmpdir(), `bundle-test-${variant}-`));
  await run('npx', ['tsx', 'scripts/build-functions.ts'], { cwd: root, env: { ...process.env, BUNDLE_BACKEND: variant, BUNDLE_FUNCTIONS: 'meta', BUNDLE_OUT_DIR: outDir } });
  return { outDir, functionDir: join(outDir, 'meta') };
}

const CASES = [
  { variant: 'mysql', engine: 'mysql', drivers: ['mysql-errors.json', 'mysql2.js'] },
  { variant: 'pgsql', engine: 'pgsql', drivers: ['pg.js'] },
  { variant: 'all', engine: 'mysql', drivers: ['ldapts.js', 'mysql-errors.json', 'mysql2.js', 'pg.js'] },
] as const;

for (const { variant, engine, drivers } of CASES) {
  test(`the ${variant} meta bundle answers GET /api/health against ${engine === 'mysql' ? 'MariaDB' : 'PostgreSQL'}`, async () => {
    const { outDir, functionDir } = await buildMeta(variant);
    const dbs = await createTestDatabases(engine, 'project');
    try {
      assert.deepEqual((await readdir(join(functionDir, 'drivers'))).sort(), [...drivers]);
      const env = { BACKEND: engine, JWT_SECRET: randomBytes(32).toString('hex'), VMAIL_DB_URL: dbs.urls!.vmail, AMAVISD_DB_URL: dbs.urls!.amavisd, IREDAPD_DB_URL: dbs.urls!.iredapd, IREDADMIN_DB_URL: dbs.urls!.iredadmin, LOG_LEVEL: 'silent' };
      configFromEnv(env); // the same environment the function would get is a valid one
      const event = await readFile(join(root, 'events', 'meta', 'get-health.json'), 'utf8');
      const { stdout } = await run(process.execPath, ['-e', CHILD], { cwd: outDir, env: { ...env, PATH: process.env.PATH ?? '', BUNDLE: join(functionDir, 'index.js'), EVENT: event } });
      assert.deepEqual(JSON.parse(stdout), { _success: true, _data: { backend: engine, checks: { accounts: 'ok', policy: 'ok', iredadmin: 'ok' } } });
      if (engine === 'mysql') {
        const { stdout: failed } = await run(process.execPath, ['-e', MYSQL_ERROR_CHILD], { cwd: outDir, env: { PATH: process.env.PATH ?? '', DRIVER: join(functionDir, 'drivers', 'mysql2.js'), DB_URL: dbs.urls!.vmail } });
        assert.deepEqual(JSON.parse(failed), { code: 'ER_NO_SUCH_TABLE', errno: 1146 });
      }
    } finally {
      await dbs.dropAll();
      await rm(outDir, { recursive: true, force: true });
    }
  });
}
