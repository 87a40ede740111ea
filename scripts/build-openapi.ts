/**
 * Builds the OpenAPI 3.1 document (lib/docs/openapi.ts) and the HTML docs page rendered
 * from it (lib/docs/html.ts) into lib/model/generated/openapi.json and docs.html, which
 * GET /api/openapi.json and GET /api/docs send as they are (lib/docs/served.ts; copied
 * beside the meta bundle by scripts/build-functions.ts). Built here, never at cold start.
 * Runs with build:validators (before start, test and build).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOpenApi, defaultInput } from '#lib/docs/openapi';
import { renderDocsHtml } from '#lib/docs/html';
import { readCodeNotes } from '#lib/docs/code-notes';

const root = join(__dirname, '..');
const outDir = join(root, 'lib', 'model', 'generated');

async function main(): Promise<void> {
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const doc = buildOpenApi(defaultInput(readCodeNotes(join(root, 'lib', 'model', 'codes.ts')), version));
  const json = JSON.stringify(doc);
  const html = renderDocsHtml(doc);
  await mkdir(outDir, { recursive: true });
  // Files, not modules: a 400 KB string literal in a bundle costs every cold start tens of
  // milliseconds of scanning; a file is read once, on the first request that wants it.
  await writeFile(join(outDir, 'openapi.json'), json);
  await writeFile(join(outDir, 'docs.html'), html);
  const operations = Object.values(doc.paths as Record<string, object>).reduce((n, item) => n + Object.keys(item).length, 0);
  process.stdout.write(`openapi: ${operations} operations, ${(json.length / 1024).toFixed(1)} KiB; docs page ${(html.length / 1024).toFixed(1)} KiB -> ${outDir}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
