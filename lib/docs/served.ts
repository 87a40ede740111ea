import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The prebuilt OpenAPI document and docs page (scripts/build-openapi.ts). A Lambda bundle
 * carries them beside its index.js (scripts/build-functions.ts); the local server and tests
 * read them from lib/model/generated/. Read on first use and kept for the container's life.
 */
export type ServedFile = 'openapi.json' | 'docs.html';

const cache = new Map<ServedFile, Promise<string>>();

async function read(name: ServedFile): Promise<string> {
  const places = [join(__dirname, name), join(__dirname, '..', 'model', 'generated', name)];
  for (const place of places) {
    try {
      return await readFile(place, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`${name} is missing: run npm run build:validators`);
}

export function servedFile(name: ServedFile): Promise<string> {
  let text = cache.get(name);
  if (!text) {
    text = read(name);
    text.catch(() => cache.delete(name));
    cache.set(name, text);
  }
  return text;
}
