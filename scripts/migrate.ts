/** `npm run migrate`: creates missing tables in the configured databases (idempotent); run once before a deploy. */
import { configFromEnv } from '#lib/config';
import { getStore } from '#lib/storage/open-store';

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  const store = await getStore(config);
  await store.migrate();
  await store.close();
  process.stdout.write(`tables ensured for BACKEND=${config.backend}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
