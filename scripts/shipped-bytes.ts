import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of the JavaScript one built function ships: its index.js and the driver files beside it (drivers/*.js). */
export async function shippedBytes(functionDir: string): Promise<{ index: number; drivers: number; total: number }> {
  const index = (await stat(join(functionDir, 'index.js'))).size;
  let drivers = 0;
  for (const file of await readdir(join(functionDir, 'drivers')).catch(() => [] as string[])) {
    if (file.endsWith('.js')) drivers += (await stat(join(functionDir, 'drivers', file))).size;
  }
  return { index, drivers, total: index + drivers };
}
