// Bundles replace iconv-lite with this: mysql2 needs it only for character sets Node's Buffer
// cannot decode, and every connection here is utf8mb4. Dropping it saves ~480 KiB per bundle.
// One exception: mysql2 decodes the server's version string in the handshake as CESU-8, which
// is UTF-8 for every character outside the astral planes (a version string is ASCII), so it
// is decoded as UTF-8 here; without it no bundle could connect to MySQL/MariaDB at all.
'use strict';
const { StringDecoder } = require('node:string_decoder');

const AS_UTF8 = new Set(['cesu8', 'cesu-8']);

function unavailable(encoding) {
  throw new Error('character set ' + encoding + ' is not supported: connect with charset utf8mb4');
}

function known(encoding) {
  return AS_UTF8.has(String(encoding).toLowerCase());
}

module.exports = {
  getDecoder(encoding) {
    if (!known(encoding)) return unavailable(encoding);
    const decoder = new StringDecoder('utf8');
    return { write: (buffer) => decoder.write(buffer), end: () => decoder.end() };
  },
  getEncoder: unavailable,
  decode: (buffer, encoding) => (known(encoding) ? Buffer.from(buffer).toString('utf8') : unavailable(encoding)),
  encode: (_string, encoding) => unavailable(encoding),
  encodingExists: (encoding) => known(encoding),
};
