/**
 * `npm start`: the API on HOST:PORT (127.0.0.1:8080 by default). With the default
 * BACKEND=embedded it needs no database server: PGlite keeps iRedMail-compatible tables in
 * DATA_DIR (.data/), created on first start.
 */
import { configFromEnv, setConfig } from '#lib/config';
import { getStore } from '#lib/storage/open-store';
import { createLocalServer } from '#lib/http/local-server';
import { ensureGlobalAdmin, localJwtSecret, lockDataDir } from '#lib/services/bootstrap';
import { loadFamily } from '../functions/registry';
import { log } from '#lib/log';

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  config.jwtSecret ??= await localJwtSecret(config.dataDir);
  setConfig(config);
  const unlock = config.backend === 'embedded' ? await lockDataDir(config.dataDir) : () => {};
  process.on('exit', unlock);
  const store = await getStore(config);
  await store.migrate();
  await ensureGlobalAdmin(config, store);
  const server = createLocalServer(loadFamily);
  server.listen(config.port, config.host, () => {
    log('info', 'listening', { url: `http://${config.host}:${config.port}/api`, backend: config.backend });
  });
  const stop = () => server.close(() => void store.close().then(() => process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Written whatever LOG_LEVEL says: whoever typed `npm start` must learn why it stopped.
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'start failed', reason: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
