import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '#lib/config';
import type { Store } from '#lib/storage/store';
import { isAccountEmail, domainOf } from '#lib/model/addresses';
import { hashPassword, parsePasswordScheme } from '#lib/auth/passwords';
import { checkPasswordPolicy, DEFAULT_PASSWORD_POLICY, generateRandomPassword } from '#lib/auth/password-policy';
import { log } from '#lib/log';

/** A JWT secret kept in DATA_DIR, so local restarts keep logins valid; AWS passes JWT_SECRET instead. */
export async function localJwtSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'jwt-secret');
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret.length >= 32) return secret;
  } catch {
    // first start: fall through and create one
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/**
 * With no global admin yet, create one: from ADMIN_EMAIL/ADMIN_PASSWORD when given,
 * otherwise with a generated password written to DATA_DIR/initial-admin.txt (never to logs).
 */
export async function ensureGlobalAdmin(config: Config, store: Store): Promise<void> {
  if (await store.accounts.identities.hasGlobalAdmin()) return;
  let email = config.adminEmail;
  let password = config.adminPassword?.trim();
  let generated = false;
  if (!email) {
    email = 'postmaster@admin.localhost';
    generated = true;
  }
  if (!isAccountEmail(email)) throw new Error('ADMIN_EMAIL is not a valid e-mail address');
  if (await store.accounts.domains.isLocal(domainOf(email))) throw new Error('ADMIN_EMAIL must not be in a locally hosted mail domain (CAN_NOT_BE_LOCAL_DOMAIN)');
  if (!password) {
    password = generateRandomPassword(DEFAULT_PASSWORD_POLICY);
    generated = true;
  }
  const problems = checkPasswordPolicy(password, DEFAULT_PASSWORD_POLICY);
  if (problems.length > 0) throw new Error(`ADMIN_PASSWORD does not pass the password policy: ${problems.join(',')}`);
  const passwordHash = await hashPassword(password, parsePasswordScheme(config.defaultPasswordScheme));
  const username = email;
  await store.accounts.transaction((tx) =>
    tx.identities.createStandaloneAdmin({ username, passwordHash, name: 'Global admin', language: 'en_US', isGlobalAdmin: true, active: true, settings: {} }),
  );
  if (generated) {
    const file = join(config.dataDir, 'initial-admin.txt');
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `username=${email}\npassword=${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    log('warn', 'created a global admin; its credentials are in the file named here', { username: email, file });
  } else {
    log('info', 'created the global admin from ADMIN_EMAIL', { username: email });
  }
}

/**
 * PGlite does not lock its data directory, and two servers writing one directory corrupt
 * it. A pid file refuses a second `npm start` on the same DATA_DIR while the first runs.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const { openSync, closeSync, writeSync, readFileSync, rmSync } = await import('node:fs');
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'server.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new Error(`DATA_DIR ${dataDir} is in use by process ${pid}`);
      rmSync(file, { force: true }); // left by a process that died: take it over
    }
  }
  throw new Error(`cannot lock DATA_DIR ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
