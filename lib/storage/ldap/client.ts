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
 * may already have been applied by slapd: before repeating it, the new connection looks whether
 * it landed (the entry is there with the values sent; gone; the attributes already as asked),
 * so a retry never answers entryAlreadyExists or noSuchObject to our own write.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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

/** Text of attribute values, folded for comparison (the directory's matching rules are mostly case-insensitive). */
function folded(values: readonly (string | Buffer)[]): Set<string> {
  return new Set(values.map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value).toLowerCase()));
}

function sameValues(stored: readonly (string | Buffer)[], wanted: readonly (string | Buffer)[]): boolean {
  const a = folded(stored);
  const b = folded(wanted);
  return a.size === b.size && [...a].every((value) => b.has(value));
}

/** The values of one attribute once `changes` are applied to `current` (for "did it land?"). */
function afterChanges(current: readonly string[], type: string, changes: Change[]): string[] {
  let values = new Set(folded(current));
  for (const change of changes) {
    if (change.modification.type !== type) continue;
    const given = folded(change.modification.values as (string | Buffer)[]);
    if (change.operation === 'replace') values = given;
    else if (change.operation === 'add') for (const value of given) values.add(value);
    else if (given.size === 0) values.clear();
    else for (const value of given) values.delete(value);
  }
  return [...values];
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
  /** Work due before the next operation (a rollback the unreachable directory postponed). */
  private due?: () => Promise<void>;
  private settling?: Promise<void>;
  private readonly settlingFlow = new AsyncLocalStorage<true>();

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

  /**
   * Runs one operation; on a dropped connection, once more on a new one. A write passes
   * `landed`, asked on the new connection first: true means slapd applied it before the drop.
   */
  async run<T>(operation: (client: Client) => Promise<T>, landed?: () => Promise<boolean>): Promise<T> {
    await this.settle();
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
      if (landed && (await landed())) return undefined as T;
    }
  }

  /**
   * Runs `work` before the next operation (of any request), once; its own operations pass.
   * Operations wait for it, so nobody reads a half-undone change once the directory is back.
   */
  whenBack(work: () => Promise<void>): void {
    this.due = work;
  }

  private async settle(): Promise<void> {
    if (this.settlingFlow.getStore()) return;
    if (!this.settling && this.due) {
      const work = this.due;
      this.due = undefined;
      this.settling = this.settlingFlow.run(true, work).finally(() => {
        this.settling = undefined;
      });
    }
    await this.settling;
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
    return this.run((client) => client.add(dn, list), () => this.holds(dn, attributes));
  }

  /** True when the entry at `dn` exists with exactly these values of these attributes. */
  async holds(dn: string, attributes: Record<string, string[] | Buffer[]>): Promise<boolean> {
    const entry = await this.read(dn, Object.keys(attributes));
    return entry !== undefined && Object.entries(attributes).every(([type, values]) => sameValues(entry.values(type), values));
  }

  modify(dn: string, changes: Change[]): Promise<void> {
    return this.run((client) => client.modify(dn, changes), async () => {
      const touched = [...new Set(changes.map((change) => change.modification.type))];
      const entry = await this.read(dn, touched);
      return entry !== undefined && touched.every((type) => sameValues(entry.values(type), afterChanges(entry.values(type), type, changes)));
    });
  }

  del(dn: string): Promise<void> {
    return this.run((client) => client.del(dn), async () => (await this.read(dn, ['1.1'])) === undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    if (current) await current.then((client) => client.unbind(), () => undefined).catch(() => undefined);
  }
}
