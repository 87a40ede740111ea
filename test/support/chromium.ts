/**
 * Debian's Chromium for the browser tests, installed with apt-get when missing (the tests
 * run as root on a fresh Debian machine, as for slapd), driven through playwright-core.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const execFileAsync = promisify(execFile);
export const CHROMIUM = '/usr/bin/chromium';

async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = () => execFileAsync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'chromium'], { env, maxBuffer: 64 * 1024 * 1024 });
  try {
    await install();
  } catch {
    if (existsSync(CHROMIUM)) return;
    // Fresh machines have no package lists yet.
    await execFileAsync('apt-get', [...lock, 'update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await install();
  }
  if (!existsSync(CHROMIUM)) throw new Error('apt-get reported success but /usr/bin/chromium is missing');
}

export async function launchChromium(): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
