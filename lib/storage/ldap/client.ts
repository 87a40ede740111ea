/**
 * The container's one LDAP connection (an ldapts Client), opened and bound as LDAP_BIND_DN on
 * first use and then shared by every request the container serves (the store that owns it is
 * itself made once per container, lib/storage/open-store.ts); ldapts multiplexes concurrent
 * operations over it by message id.
 *
 * A dropped connection (slapd restarted, an idle connection closed by slapd or a NAT while the
 * Lambda was frozen, a reset socket, `busy`/`unavailable` answers) is replaced once: the
 * operation runs again on a fresh, freshly bound connection. If that fails too, the request
 * fails with STORAGE_UNAVAILABLE (HTTP 503). A write whose answer was lost with the connection
 * may already have been applied when it is retried; the retry then answers as a second write
 * would (e.g. entryAlreadyExists), which the stores treat like any other conflict.
 */
import { Attribute, Client, type Change, type Filter } from 'ldapts';
import { present } from '#lib/storage/ldap/filter';
import { StorageUnavailableError } from '#lib/http/errors';

export const LDAP_RESULT = {
  noSuchAttribute: 16,
  attributeOrValueExists: 20,
  noSuchObject: 32,
  invalidDnSyntax: 34,
  busy: 51,
  unavailable: 52,
  notAllowedOnNonLeaf: 66,
  alreadyExists: 68,
} as const;

export interface LdapConnectionOptions {
  url: string;
  bindDn: string;
  bindPassword: string;
  /** Milliseconds to establish the TCP (or TLS) connection. */
  connectTimeoutMs?: number;
  /** Milliseconds an operation may take before its connection is dropped and the operation fails. */
  operationTimeoutMs?: number;
}

/** Two attempts (connect, bind, operation) stay well inside the functions' 29 s timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 8_000;

/** One search result entry, attribute names folded to lower case. */
export class LdapEntry {
  private readonly byName = new Map<string, { name: string; values: (string | Buffer)[] }>();

  constructor(
    readonly dn: string,
    raw: Record<string, unknown>,
  ) {
    for (const [name, value] of Object.entries(raw)) {
      if (name === 'dn') continue;
      const values = (Array.isArray(value) ? value : [value]) as (string | Buffer)[];
      this.byName.set(name.toLowerCase(), { name, values });
    }
  }

  /** Text values of an attribute (empty when absent). */
  values(name: string): string[] {
    return (this.byName.get(name.toLowerCase())?.values ?? []).map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value));
  }

  first(name: string): string | undefined {
    return this.values(name)[0];
  }

  has(name: string): boolean {
    return this.values(name).length > 0;
  }

  /** True when the attribute holds the value (IA5 attributes compare case-insensitively). */
  includes(name: string, value: string): boolean {
    const wanted = value.toLowerCase();
    return this.values(name).some((item) => item.toLowerCase() === wanted);
  }

  names(): string[] {
    return [...this.byName.values()].map((entry) => entry.name);
  }

  /** The entry as an add request would carry it (values kept byte for byte). */
  attributes(): Record<string, string[] | Buffer[]> {
    const out: Record<string, string[] | Buffer[]> = {};
    for (const { name, values } of this.byName.values()) {
      if (values.length === 0) continue;
      out[name] = values.some((value) => Buffer.isBuffer(value))
        ? values.map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)))
        : (values as string[]);
    }
    return out;
  }
}

export interface SearchSpec {
  scope: 'base' | 'one' | 'sub';
  filter: Filter;
  attributes: string[];
  /** Stop after this many entries (0: no limit). */
  sizeLimit?: number;
  /** Ask slapd for pages (RFC 2696), for searches that may return many entries. */
  paged?: boolean;
}

/** Errors that mean "no usable connection", as opposed to an LDAP answer about the operation. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code === LDAP_RESULT.busy || code === LDAP_RESULT.unavailable;
  if (typeof code === 'string') {
    return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'].includes(code);
  }
  return /socket error|connection closed|socket connection not established|connection timeout|operation timed out|socket hang up|write after end/i.test(error.message);
}

export function resultCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

class BindFailedError extends Error {
  override name = 'LdapBindFailedError';
  constructor(readonly code: number | string | undefined) {
    super('binding as LDAP_BIND_DN failed');
  }
}

export class LdapConnection {
  private current?: Promise<Client>;
  private closed = false;

  constructor(private readonly options: LdapConnectionOptions) {}

  private async open(): Promise<Client> {
    const client = new Client({
      url: this.options.url,
      connectTimeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      timeout: this.options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
      strictDN: true,
      // Should ldapts reconnect by itself between our checks, it binds again before sending.
      autoRebind: true,
    });
    try {
      await client.bind(this.options.bindDn, this.options.bindPassword);
    } catch (error) {
      await client.unbind().catch(() => undefined);
      if (isConnectionFailure(error)) throw error;
      // Wrong credentials or DN: nothing a retry can fix. Only the code reaches the logs.
      throw new StorageUnavailableError(new BindFailedError(resultCode(error)));
    }
    return client;
  }

  private connection(): Promise<Client> {
    if (this.closed) return Promise.reject(new StorageUnavailableError(new Error('LDAP connection closed')));
    if (!this.current) {
      const opening = this.open();
      this.current = opening;
      opening.catch(() => {
        if (this.current === opening) this.current = undefined;
      });
    }
    return this.current;
  }

  private discard(connection: Promise<Client>): void {
    if (this.current === connection) this.current = undefined;
    connection.then((client) => client.unbind().catch(() => undefined), () => undefined);
  }

  /** Runs one operation; on a dropped connection, once more on a new one. */
  async run<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connection = this.connection();
      try {
        const client = await connection;
        // A connection ldapts saw close has lost its bind: replace it rather than reuse it.
        if (!client.isBound) throw new Error('Socket connection not established');
        return await operation(client);
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        this.discard(connection);
        if (attempt >= 2) throw new StorageUnavailableError(error);
      }
    }
  }

  async search(base: string, spec: SearchSpec): Promise<LdapEntry[]> {
    const result = await this.run((client) =>
      client.search(base, {
        scope: spec.scope,
        filter: spec.filter,
        attributes: spec.attributes,
        sizeLimit: spec.sizeLimit ?? 0,
        paged: spec.paged ? { pageSize: 500 } : false,
      }),
    );
    return result.searchEntries.map((entry) => new LdapEntry(entry.dn, entry));
  }

  /** The entry at `dn`, or undefined when there is none (or the DN cannot exist). */
  async read(dn: string, attributes: string[], filter?: Filter): Promise<LdapEntry | undefined> {
    try {
      const entries = await this.search(dn, { scope: 'base', filter: filter ?? present('objectClass'), attributes });
      return entries[0];
    } catch (error) {
      const code = resultCode(error);
      if (code === LDAP_RESULT.noSuchObject || code === LDAP_RESULT.invalidDnSyntax) return undefined;
      throw error;
    }
  }

  add(dn: string, attributes: Record<string, string[] | Buffer[]>): Promise<void> {
    const list = Object.entries(attributes).map(([type, values]) => new Attribute({ type, values }));
    return this.run((client) => client.add(dn, list));
  }

  modify(dn: string, changes: Change[]): Promise<void> {
    return this.run((client) => client.modify(dn, changes));
  }

  del(dn: string): Promise<void> {
    return this.run((client) => client.del(dn));
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    if (current) await current.then((client) => client.unbind(), () => undefined).catch(() => undefined);
  }
}
