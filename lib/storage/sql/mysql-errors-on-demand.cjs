// Bundles replace mysql2's table of server error names (lib/constants/errors.js: 145 kB that
// took ~12 ms to compile and run at every cold start) with this. mysql2 only looks a name up
// when an error packet arrives, so the table is read then, from mysql-errors.json, which the
// build writes beside each bundle. The project itself tells errors apart by errno
// (sql-helpers.ts), so a missing file costs error names in logs, never a decision.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

let table;
function load() {
  if (table === undefined) {
    try {
      table = JSON.parse(readFileSync(join(__dirname, 'mysql-errors.json'), 'utf8'));
    } catch {
      table = {};
    }
  }
  return table;
}

module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(load(), key),
});
