/**
 * `npm start` as a new user runs it: the real start script in a child process, embedded
 * PGlite in a fresh DATA_DIR, spoken to over real HTTP with a cookie jar.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
let dataDir: string;
let port: number;
let child: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });
}

async function start(env: Record<string, string>): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', DATA_DIR: dataDir, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (output.includes('"listening"')) return;
    if (child.exitCode !== null) throw new Error(`start exited: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`start timed out: ${output}`);
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child!.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'iredadmin-start-'));
  port = await freePort();
});
after(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${port}${path}`;

test('npm start serves the API on an embedded database, with a cookie-jar login, and keeps data across restarts', async () => {
  await start({ ADMIN_EMAIL: 'boss@admins.test', ADMIN_PASSWORD: 'Boss1!Secret' });
  const login = await fetch(url('/iredadmin/api/login'), { method: 'POST', body: new URLSearchParams({ username: 'boss@admins.test', password: 'Boss1!Secret' }) });
  assert.equal(login.status, 200);
  assert.equal(((await login.json()) as any)._success, true);
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  assert.match(cookie, /^iRedAdmin-Pro-PGSQL=/);
  const created = await fetch(url('/api/domain/started.test'), { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Started' });
  assert.deepEqual(await created.json(), { _success: true });
  const missing = await fetch(url('/api/nothing-here'));
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { _success: false, _msg: 'NOT_FOUND' });
  // A second server on the same DATA_DIR would corrupt PGlite: it refuses to start.
  const second = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let secondOutput = '';
  second.stderr!.on('data', (chunk) => { secondOutput += chunk; });
  const code = await new Promise((resolve) => second.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(secondOutput, /is in use by process/);
  const secret = statSync(join(dataDir, 'jwt-secret'));
  assert.equal(secret.mode & 0o077, 0, 'the generated JWT secret is private to its owner');

  await stop();
  await start({});
  const again = await fetch(url('/api/domain/started.test'), { headers: { cookie } });
  const body = (await again.json()) as any;
  assert.equal(body._success, true, 'the token survives a restart and the domain is still there');
  assert.equal(body._data.description, 'Started');
});

test('without ADMIN_EMAIL a first start writes generated credentials to a private file, not to the log', async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
  dataDir = mkdtempSync(join(tmpdir(), 'iredadmin-start-'));
  await start({ ADMIN_EMAIL: '', ADMIN_PASSWORD: '' });
  const file = join(dataDir, 'initial-admin.txt');
  assert.equal(statSync(file).mode & 0o077, 0);
  const [, username] = /username=(.+)/.exec(readFileSync(file, 'utf8'))!;
  const [, password] = /password=(.+)/.exec(readFileSync(file, 'utf8'))!;
  const login = await fetch(url('/api/login'), { method: 'POST', body: new URLSearchParams({ username: username!, password: password! }) });
  assert.equal(((await login.json()) as any)._success, true);
});
