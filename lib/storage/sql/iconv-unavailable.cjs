// Bundles replace iconv-lite with this: mysql2 needs it only for character sets Node's Buffer
// cannot decode, and every connection here is utf8mb4. Dropping it saves ~480 KiB per bundle.
'use strict';
function unavailable(encoding) {
  throw new Error('character set ' + encoding + ' is not supported: connect with charset utf8mb4');
}
module.exports = {
  getDecoder: unavailable,
  getEncoder: unavailable,
  decode: (_buffer, encoding) => unavailable(encoding),
  encode: (_string, encoding) => unavailable(encoding),
  encodingExists: () => false,
};
