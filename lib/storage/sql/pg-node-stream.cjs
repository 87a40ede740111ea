// Bundles replace pg's lib/stream.js with this. pg asks at load time whether it runs in a
// Cloudflare Worker; where Node has no global `navigator` (Node 20) it finds out by building
// a fetch Response, which loads undici: 30-50 ms of every PostgreSQL cold start. Bundles run
// on Node only, so the Node sockets are given directly (the same two functions pg defines).
'use strict';

module.exports = {
  getStream() {
    const net = require('node:net');
    return new net.Socket();
  },
  getSecureStream(options) {
    const tls = require('node:tls');
    return tls.connect(options);
  },
};
