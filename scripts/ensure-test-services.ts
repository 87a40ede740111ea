/** Starts MariaDB and PostgreSQL when they are installed but stopped (a fresh CI machine). */
import { ensureServers } from '../test/support/databases';

ensureServers().then(
  () => process.stdout.write('test services: MariaDB and PostgreSQL answer\n'),
  (error: unknown) => {
    process.stderr.write(`test services unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
