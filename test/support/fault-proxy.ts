/**
 * A TCP proxy on loopback between the API and a real server (MariaDB, PostgreSQL or slapd)
 * that cuts every connection at a chosen moment, for the fault-injection suite.
 *
 * It reads the client->server byte stream just far enough to split it into protocol
 * messages and counts *requests* — the messages after which the server acts:
 *
 * - mysql:    command packets (3-byte length, sequence id 0: COM_QUERY, COM_PING, …); the
 *             handshake's packets carry sequence ids >= 1 and are not counted.
 * - postgres: Sync and simple Query messages (type byte + int32 length). The Parse/Bind/
 *             Execute before a Sync are one request; the untyped startup message and the
 *             password messages ('p') are not counted.
 * - ldap:     BER LDAPMessage SEQUENCEs, except bind, unbind and abandon (so a reconnect's
 *             bind does not shift the count).
 *
 * `arm(n, how)` counts requests from zero over all connections; at the n-th:
 * - 'drop-request': the request never reaches the server; every connection is cut;
 * - 'drop-reply': the request is delivered (the server runs it), every connection is cut
 *   before any answer comes back — "applied, but the client never heard".
 * Messages are forwarded whole, so a cut never hands the server half a message.
 * `stayDown` refuses new connections after the cut until `heal()` (an outage, not a blip).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type WireProtocol = 'mysql' | 'postgres' | 'ldap';
export type CutMode = 'drop-request' | 'drop-reply';

interface Frame {
  bytes: Buffer;
  /** A request in the sense above (counted). */
  request: boolean;
}

/** Splits complete messages off the front of `buffer`; returns them and the rest. */
type Framer = (buffer: Buffer) => { frames: Frame[]; rest: Buffer };

function mysqlFramer(): Framer {
  return (buffer) => {
    const frames: Frame[] = [];
    let at = 0;
    while (buffer.length - at >= 4) {
      const size = 4 + buffer.readUIntLE(at, 3);
      if (buffer.length - at < size) break;
      frames.push({ bytes: buffer.subarray(at, at + size), request: buffer[at + 3] === 0 });
      at += size;
    }
    return { frames, rest: buffer.subarray(at) };
  };
}

const PG_SSL_REQUEST = 80877103;
const PG_GSSENC_REQUEST = 80877104;

function postgresFramer(): Framer {
  let startup = true; // the first message (and one after an SSL/GSS request) has no type byte
  return (buffer) => {
    const frames: Frame[] = [];
    let at = 0;
    for (;;) {
      if (startup) {
        if (buffer.length - at < 8) break;
        const size = buffer.readInt32BE(at);
        if (buffer.length - at < size) break;
        const code = buffer.readInt32BE(at + 4);
        startup = code === PG_SSL_REQUEST || code === PG_GSSENC_REQUEST;
        frames.push({ bytes: buffer.subarray(at, at + size), request: false });
        at += size;
      } else {
        if (buffer.length - at < 5) break;
        const size = 1 + buffer.readInt32BE(at + 1);
        if (buffer.length - at < size) break;
        const type = String.fromCharCode(buffer[at]!);
        frames.push({ bytes: buffer.subarray(at, at + size), request: type === 'S' || type === 'Q' });
        at += size;
      }
    }
    return { frames, rest: buffer.subarray(at) };
  };
}

/** BER length at `at`: [value, bytes used], or undefined when incomplete. */
function berLength(buffer: Buffer, at: number): [number, number] | undefined {
  if (at >= buffer.length) return undefined;
  const first = buffer[at]!;
  if (first < 0x80) return [first, 1];
  const count = first & 0x7f;
  if (at + 1 + count > buffer.length) return undefined;
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 256 + buffer[at + 1 + i]!;
  return [value, 1 + count];
}

const LDAP_BIND_REQUEST = 0x60;
const LDAP_UNBIND_REQUEST = 0x42;
const LDAP_ABANDON_REQUEST = 0x50;

function ldapFramer(): Framer {
  return (buffer) => {
    const frames: Frame[] = [];
    let at = 0;
    while (buffer.length - at >= 2) {
      const length = berLength(buffer, at + 1);
      if (!length) break;
      const size = 1 + length[1] + length[0];
      if (buffer.length - at < size) break;
      // LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE (application tag), … }
      const idAt = at + 1 + length[1];
      const idLength = berLength(buffer, idAt + 1)!;
      const op = buffer[idAt + 1 + idLength[1] + idLength[0]];
      const request = op !== LDAP_BIND_REQUEST && op !== LDAP_UNBIND_REQUEST && op !== LDAP_ABANDON_REQUEST;
      frames.push({ bytes: buffer.subarray(at, at + size), request });
      at += size;
    }
    return { frames, rest: buffer.subarray(at) };
  };
}

const FRAMERS: Record<WireProtocol, () => Framer> = { mysql: mysqlFramer, postgres: postgresFramer, ldap: ldapFramer };

interface Pair {
  client: Socket;
  server: Socket;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  /** Server sides of 'drop-reply' cuts, until the server has run the request and closed. */
  private readonly draining = new Set<Promise<void>>();
  private armedAt: number | undefined;
  private mode: CutMode = 'drop-request';
  private down = false;
  private stayDown = false;
  /** Requests counted since the last arm() or count(). */
  requests = 0;
  /** Whether the armed cut has happened. */
  fired = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly protocol: WireProtocol,
  ) {}

  private target?: { host: string; port: number };

  /** Listens on a free loopback port; the server behind it is named by the first via(). */
  static async start(protocol: WireProtocol): Promise<FaultProxy> {
    let proxy!: FaultProxy;
    const server = createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('fault proxy: no port');
    proxy = new FaultProxy(server, address.port, protocol);
    return proxy;
  }

  /** The same URL pointed at the proxy, which forwards to the server the URL named. */
  via(url: string): string {
    const parsed = new URL(url);
    const port = Number(parsed.port) || ({ 'mysql:': 3306, 'postgres:': 5432, 'postgresql:': 5432, 'ldap:': 389 } as Record<string, number>)[parsed.protocol];
    if (!port) throw new Error(`fault proxy: no port in ${parsed.protocol} URL`);
    this.target = { host: parsed.hostname, port };
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Counts requests without cutting. */
  count(): void {
    this.requests = 0;
    this.armedAt = undefined;
    this.fired = false;
  }

  /** Cuts every connection at the n-th request from now (1 = the next one). */
  arm(at: number, mode: CutMode, options: { stayDown?: boolean } = {}): void {
    this.count();
    this.armedAt = at;
    this.mode = mode;
    this.stayDown = options.stayDown ?? false;
  }

  /** Stops cutting; returns the requests counted since arm()/count(). */
  disarm(): number {
    this.armedAt = undefined;
    return this.requests;
  }

  /** Cuts every connection now (e.g. idle pooled ones, no request running). */
  cutNow(): void {
    this.cutAll();
  }

  /**
   * Resolves once the server has finished a request delivered by a 'drop-reply' cut (it closes
   * the connection after running it): a check made earlier could see a COMMIT half-way.
   */
  async settled(): Promise<void> {
    await Promise.all([...this.draining]);
  }

  /** Ends an outage started by a `stayDown` cut. */
  heal(): void {
    this.down = false;
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.down || !this.target) {
      client.destroy();
      return;
    }
    const server = connect(this.target.port, this.target.host);
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    const frame = FRAMERS[this.protocol]();
    let pending = Buffer.alloc(0);
    const drop = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      server.destroy();
    };
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
    server.on('data', (chunk) => {
      if (this.pairs.has(pair)) client.write(chunk);
    });
    client.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const { frames, rest } = frame(pending);
      pending = Buffer.from(rest);
      for (const { bytes, request } of frames) {
        if (!this.pairs.has(pair)) return;
        if (request) this.requests++;
        const cutHere = request && this.armedAt !== undefined && this.requests === this.armedAt;
        if (cutHere && this.mode === 'drop-request') return this.fire();
        server.write(bytes);
        if (cutHere) return this.fire(pair);
      }
    });
  }

  /** Cuts every connection; `delivered` gets its last message to the server before closing. */
  private fire(delivered?: Pair): void {
    this.fired = true;
    this.armedAt = undefined;
    if (this.stayDown) this.down = true;
    if (delivered) {
      this.pairs.delete(delivered);
      delivered.client.destroy();
      // end() flushes what was written, then closes: the server runs the request, its reply is lost.
      delivered.server.removeAllListeners('data');
      delivered.server.resume();
      const drained = new Promise<void>((resolve) => {
        delivered.server.once('close', () => resolve());
        setTimeout(() => {
          delivered.server.destroy();
          resolve();
        }, 2_000).unref();
      });
      this.draining.add(drained);
      void drained.then(() => this.draining.delete(drained));
      delivered.server.end();
    }
    this.cutAll();
  }

  private cutAll(): void {
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      pair.client.destroy();
      pair.server.destroy();
    }
  }
}
