/**
 * `npm run events`: writes one sample API Gateway event per route of the route table into
 * events/<family>/ (lib/docs/sample-events.ts) and removes files of routes that no longer
 * exist. The output is committed; test/integration/events.test.ts checks it is current.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ROUTES } from '#lib/http/routes';
import { eventFile, sampleEvent } from '#lib/docs/sample-events';

const eventsDir = join(__dirname, '..', 'events');

async function existing(dir: string, base = ''): Promise<string[]> {
  const entries = await readdir(join(dir, base), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const name = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await existing(dir, name)));
    else if (entry.name.endsWith('.json')) files.push(name);
  }
  return files;
}

async function main(): Promise<void> {
  const wanted = new Map(ROUTES.map((route) => [eventFile(route), sampleEvent(route)]));
  for (const file of await existing(eventsDir)) {
    if (!wanted.has(file)) await rm(join(eventsDir, file));
  }
  for (const [file, event] of wanted) {
    await mkdir(dirname(join(eventsDir, file)), { recursive: true });
    await writeFile(join(eventsDir, file), JSON.stringify(event, null, 2) + '\n');
  }
  for (const entry of await readdir(eventsDir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await readdir(join(eventsDir, entry.name))).length === 0) await rm(join(eventsDir, entry.name), { recursive: true });
  }
  process.stdout.write(`events: ${wanted.size} sample events -> ${eventsDir}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
