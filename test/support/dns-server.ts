// A tiny authoritative DNS server on loopback for tests, built on dns2.
//
// It serves a zone given as a plain object, answers over UDP and TCP on the same
// ephemeral port (node's resolver retries a truncated UDP answer over TCP on the port
// it was given, so both must match), and logs every question it receives so tests can
// check what really went over the wire. Names can be told to misbehave: never answer
// (a dead server), SERVFAIL or REFUSED.

import { createTCPServer, createUDPServer, Packet, type DnsHandler, type Resource, type TCPServer, type UDPServer } from 'dns2';
import type { AddressInfo, Socket } from 'node:net';

export type RrType = 'TXT' | 'A' | 'AAAA' | 'MX';
export type FailMode = 'timeout' | 'servfail' | 'refused';

export interface ZoneEntry {
  /** One item per TXT record; an array is sent as separate <character-string> chunks. */
  txt?: Array<string | string[]>;
  a?: string[];
  aaaa?: string[];
  mx?: Array<{ exchange: string; priority: number }>;
  /** Misbehave for every type, or only for the listed types. */
  fail?: FailMode | Partial<Record<RrType, FailMode>>;
}

/** Keys are owner names (case-insensitive, no trailing dot). */
export type Zone = Record<string, ZoneEntry>;

export interface QueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface TestDnsServer {
  port: number;
  /** `127.0.0.1:<port>`, ready for `Resolver#setServers`. */
  address: string;
  queries: QueryLogEntry[];
  /** How many questions arrived, optionally for one name and/or type. */
  count(name?: string, type?: RrType): number;
  clearLog(): void;
  close(): Promise<void>;
}

// RFC 1035 §4.1.1 response codes (dns2 has them at runtime but not in its types).
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(Packet.TYPE).map(([k, v]) => [v, k]));
const HOST = '127.0.0.1';

const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function failModeFor(entry: ZoneEntry | undefined, type: string): FailMode | undefined {
  const fail = entry?.fail;
  if (fail === undefined) return undefined;
  if (typeof fail === 'string') return fail;
  return fail[type as RrType];
}

export async function startDnsServer(zone: Zone): Promise<TestDnsServer> {
  const records = new Map<string, ZoneEntry>();
  for (const [name, entry] of Object.entries(zone)) records.set(normalise(name), entry);
  const queries: QueryLogEntry[] = [];

  const answer =
    (transport: 'udp' | 'tcp'): DnsHandler =>
    (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      response.header.aa = 1;
      const question = request.questions[0];
      if (!question) {
        response.header.rcode = RCODE.FORMERR;
        void send(response);
        return;
      }
      const name = normalise(question.name);
      const type = TYPE_NAMES.get(question.type) ?? String(question.type);
      queries.push({ name, type, transport });

      const entry = records.get(name);
      const fail = failModeFor(entry, type);
      // A dead server: drop the question on the floor.
      if (fail === 'timeout') return;
      if (fail === 'servfail' || fail === 'refused') {
        response.header.rcode = fail === 'servfail' ? RCODE.SERVFAIL : RCODE.REFUSED;
        void send(response);
        return;
      }
      if (!entry) {
        response.header.rcode = RCODE.NXDOMAIN;
        void send(response);
        return;
      }
      // TTL 0 so c-ares's query cache never hides a second question from the log.
      const base = { name: question.name, class: Packet.CLASS.IN, ttl: 0 };
      switch (type) {
        case 'TXT':
          for (const data of entry.txt ?? []) response.answers.push({ ...base, type: Packet.TYPE.TXT, data } as Resource);
          break;
        case 'A':
          for (const address of entry.a ?? []) response.answers.push({ ...base, type: Packet.TYPE.A, address } as Resource);
          break;
        case 'AAAA':
          for (const address of entry.aaaa ?? []) response.answers.push({ ...base, type: Packet.TYPE.AAAA, address } as Resource);
          break;
        case 'MX':
          for (const { exchange, priority } of entry.mx ?? []) {
            response.answers.push({ ...base, type: Packet.TYPE.MX, exchange, priority } as Resource);
          }
          break;
      }
      // No answers for an existing name is NODATA (NOERROR, empty answer section).
      void send(response);
    };

  const { udp, tcp, port } = await listenOnSamePort(answer('udp'), answer('tcp'));
  // c-ares keeps its TCP connections open for reuse and dns2 only drops idle ones
  // after 10 s, so close() has to cut them or it would wait that long.
  const connections = new Set<Socket>();
  tcp.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });

  return {
    port,
    address: `${HOST}:${port}`,
    queries,
    count(name?: string, type?: RrType): number {
      const wanted = name === undefined ? undefined : normalise(name);
      return queries.filter((q) => (wanted === undefined || q.name === wanted) && (type === undefined || q.type === type)).length;
    },
    clearLog(): void {
      queries.length = 0;
    },
    async close(): Promise<void> {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

// UDP first on an ephemeral port, then TCP on the same number. If something else
// already holds that TCP port, throw both away and try a new port (a dgram socket
// cannot be bound twice).
async function listenOnSamePort(
  onUdp: DnsHandler,
  onTcp: DnsHandler,
): Promise<{ udp: UDPServer; tcp: TCPServer; port: number }> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const udp = createUDPServer(onUdp);
    const tcp = createTCPServer(onTcp);
    // Parse failures would otherwise vanish; show them in the test output.
    udp.on('requestError', (error: Error) => console.error('dns-server (udp):', error));
    tcp.on('requestError', (error: Error) => console.error('dns-server (tcp):', error));

    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, HOST, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const { port } = udp.address();
    const listening = await new Promise<boolean>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        tcp.off('listening', onListening);
        if (error.code === 'EADDRINUSE') resolve(false);
        else reject(error);
      };
      const onListening = (): void => {
        tcp.off('error', onError);
        resolve(true);
      };
      tcp.once('error', onError);
      tcp.once('listening', onListening);
      tcp.listen(port, HOST);
    });
    if (listening) return { udp, tcp, port: (tcp.address() as AddressInfo).port };
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  throw new Error('dns-server: could not get the same UDP and TCP port on loopback');
}
