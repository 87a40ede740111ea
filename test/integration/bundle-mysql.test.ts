/**
 * The built Lambda bundle, not the TypeScript sources, against a real MariaDB: the bundles
 * swap some of mysql2's dependencies for stubs (scripts/build-functions.ts), and a stub that
 * mysql2 needs in its handshake once left every bundle unable to connect while the suites,
 * which run the sources, stayed green.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

test('the mysql meta bundle answers GET /api/health against MariaDB', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
  const dbs = await createTestDatabases('mysql', 'project');
  try {
    await run('npx', ['tsx', 'scripts/build-functions.ts'], { cwd: root, env: { ...process.env, BUNDLE_BACKEND: 'mysql', BUNDLE_FUNCTIONS: 'meta', BUNDLE_OUT_DIR: outDir } });
    const env = { BACKEND: 'mysql', JWT_SECRET: randomBytes(32).toString('hex'), VMAIL_DB_URL: dbs.urls!.vmail, AMAVISD_DB_URL: dbs.urls!.amavisd, IREDAPD_DB_URL: dbs.urls!.iredapd, IREDADMIN_DB_URL: dbs.urls!.iredadmin, LOG_LEVEL: 'silent' };
    configFromEnv(env); // the same environment the function would get is a valid one
    const event = await readFile(join(root, 'events', 'meta', 'get-health.json'), 'utf8');
    const { stdout } = await run(process.execPath, ['-e', CHILD], { cwd: outDir, env: { ...env, PATH: process.env.PATH ?? '', BUNDLE: join(outDir, 'meta', 'index.js'), EVENT: event } });
    const body = JSON.parse(stdout);
    assert.deepEqual(body, { _success: true, _data: { backend: 'mysql', checks: { accounts: 'ok', policy: 'ok', iredadmin: 'ok' } } });
  } finally {
    await dbs.dropAll();
    await rm(outDir, { recursive: true, force: true });
  }
});
