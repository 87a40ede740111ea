/**
 * LDAP has no multi-entry transactions, so AccountStore.transaction on LDAP is:
 *
 * 1. an in-process mutex per store: the transactions of one container run one after the
 *    other, so a limit checked inside a transaction still holds when the write happens —
 *    within this container. Other containers (other Lambdas) are not excluded: two of them
 *    can still pass the same limit at the same moment, or create the same entry (the second
 *    add then fails with entryAlreadyExists and is undone). `DomainStore.lock` therefore
 *    only reads on LDAP.
 * 2. an undo log: every write records its compensation (add -> delete; modify -> put the
 *    touched attributes back as they were read just before; delete -> add the entry back with
 *    the attributes read just before). When the work throws, the compensations run in reverse
 *    order and the error is rethrown. Operational attributes (entryUUID, createTimestamp) of a
 *    re-added entry are new; a compensation that fails is logged and the others still run.
 * 3. compensations that failed because the directory was unreachable (the connection dropped
 *    mid-write and stayed down) are kept, per connection, and run before the next operation
 *    of this container (LdapConnection.whenBack), reads included. A container that ends
 *    first loses them: the log names each postponed step's DN, to check by hand.
 *
 * Store methods that write several entries outside a transaction use the same machinery for
 * their own steps, so each method is all-or-nothing on its own. The mutex is re-entrant within
 * one async flow, so code inside a transaction that reaches for the store directly (not through
 * `tx`) does not wait for itself; such writes are then not part of the transaction's undo log.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Attribute, Change } from 'ldapts';
import { describeError, log } from '#lib/log';
import { isConnectionFailure, type LdapConnection, type LdapEntry } from '#lib/storage/ldap/client';
import { StorageUnavailableError } from '#lib/http/errors';

/** Which mutexes the current async flow holds, so a store used inside a transaction does not wait for itself. */
const holding = new AsyncLocalStorage<ReadonlySet<Mutex>>();

/** Runs work one at a time, in call order; re-entrant within the async flow that holds it. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const held = holding.getStore();
    if (held?.has(this)) return work();
    const result = this.tail.then(() => holding.run(new Set([...(held ?? []), this]), work));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

interface Compensation {
  what: string;
  undo: () => Promise<void>;
}

export class UndoLog {
  private steps: Compensation[] = [];

  record(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs the compensations, newest first; returns those the unreachable directory kept from running, in the order still to run. */
  async rollback(): Promise<Compensation[]> {
    const steps = this.steps.reverse();
    this.steps = [];
    return runCompensations(steps);
  }
}

async function runCompensations(steps: Compensation[]): Promise<Compensation[]> {
  const unreachable: Compensation[] = [];
  for (const step of steps) {
    try {
      await step.undo();
    } catch (error) {
      if (error instanceof StorageUnavailableError || isConnectionFailure(error)) {
        unreachable.push(step);
        log('error', 'LDAP rollback step postponed: the directory is unreachable; retried before the next write', { step: step.what, ...describeError(error) });
      } else {
        log('error', 'LDAP rollback step failed; the directory may need a manual fix', { step: step.what, ...describeError(error) });
      }
    }
  }
  return unreachable;
}

/** Compensations postponed by an unreachable directory, per connection (one per container). */
const postponed = new WeakMap<LdapConnection, Compensation[]>();

function postpone(connection: LdapConnection, steps: Compensation[]): void {
  postponed.set(connection, [...steps, ...(postponed.get(connection) ?? [])]);
  connection.whenBack(() => finishPostponed(connection));
}

/** Runs what earlier rollbacks could not; throws STORAGE_UNAVAILABLE while the directory is still unreachable. */
async function finishPostponed(connection: LdapConnection): Promise<void> {
  const steps = postponed.get(connection);
  if (!steps) return;
  postponed.delete(connection);
  const left = await runCompensations(steps);
  if (left.length === 0) return;
  postpone(connection, left);
  throw new StorageUnavailableError(new Error('LDAP rollback still pending'));
}

/** Attribute changes of one modify, by attribute name. `replace` with [] removes the attribute. */
export interface AttributeChanges {
  replace?: Record<string, string[]>;
  add?: Record<string, string[]>;
  delete?: Record<string, string[]>;
}

function toChanges(changes: AttributeChanges): Change[] {
  const out: Change[] = [];
  for (const operation of ['replace', 'add', 'delete'] as const) {
    for (const [type, values] of Object.entries(changes[operation] ?? {})) {
      if (operation !== 'replace' && values.length === 0) continue;
      out.push(new Change({ operation, modification: new Attribute({ type, values }) }));
    }
  }
  return out;
}

/** The directory became unreachable during the write (and stayed so): slapd may or may not have applied it. */
function outcomeUnknown(error: unknown): boolean {
  return error instanceof StorageUnavailableError;
}

/** Writes through a connection, recording how to undo each write. */
export class LdapWriter {
  constructor(
    readonly connection: LdapConnection,
    private readonly undo: UndoLog,
  ) {}

  async add(dn: string, attributes: Record<string, string[] | Buffer[]>): Promise<void> {
    try {
      await this.connection.add(dn, attributes);
    } catch (error) {
      // Maybe applied: undone only if the entry is there as sent (not one someone else made).
      if (outcomeUnknown(error)) this.undo.record(`add ${dn} (outcome unknown)`, async () => {
        if (await this.connection.holds(dn, attributes)) await this.connection.del(dn);
      });
      throw error;
    }
    this.undo.record(`add ${dn}`, () => this.connection.del(dn));
  }

  /**
   * Applies the changes. The attributes they touch are read first, to be put back on undo,
   * unless the caller passes the entry as it just read it (with those attributes).
   */
  async modify(dn: string, changes: AttributeChanges, known?: LdapEntry): Promise<void> {
    const list = toChanges(changes);
    if (list.length === 0) return;
    const touched = [...new Set(list.map((change) => change.modification.type))];
    const before = known ?? (await this.connection.read(dn, touched));
    const restore: Record<string, string[]> = {};
    for (const type of touched) restore[type] = before?.values(type) ?? [];
    const record = () => this.undo.record(`modify ${dn}`, () => this.connection.modify(dn, toChanges({ replace: restore })));
    try {
      await this.connection.modify(dn, list);
    } catch (error) {
      // Maybe applied: putting the values read before back is right either way.
      if (before && outcomeUnknown(error)) record();
      throw error;
    }
    if (before) record(); // the modify above succeeded, so `before` was there
  }

  /** Deletes a leaf entry that was read beforehand with all its user attributes (`*`). */
  async delete(entry: LdapEntry): Promise<void> {
    const attributes = entry.attributes();
    try {
      await this.connection.del(entry.dn);
    } catch (error) {
      // Maybe applied: added back only if it is gone.
      if (outcomeUnknown(error)) this.undo.record(`delete ${entry.dn} (outcome unknown)`, async () => {
        if (!(await this.connection.read(entry.dn, ['1.1']))) await this.connection.add(entry.dn, attributes);
      });
      throw error;
    }
    this.undo.record(`delete ${entry.dn}`, () => this.connection.add(entry.dn, attributes));
  }

  /** Records a compensation for a write made elsewhere (e.g. a SQL row in iredadmin). */
  record(what: string, undo: () => Promise<void>): void {
    this.undo.record(what, undo);
  }
}

/**
 * How a store reaches the directory: the connection, the per-store mutex, and — inside a
 * transaction — the transaction's undo log.
 */
export class LdapSession {
  constructor(
    readonly connection: LdapConnection,
    readonly mutex: Mutex,
    readonly undo?: UndoLog,
  ) {}

  get inTransaction(): boolean {
    return this.undo !== undefined;
  }

  /**
   * Runs the writes of one store method: inside a transaction with its writer; otherwise
   * under the mutex with a log of its own, undone if the method fails half-way.
   */
  async write<T>(work: (writer: LdapWriter) => Promise<T>): Promise<T> {
    if (this.undo) return work(new LdapWriter(this.connection, this.undo));
    return this.mutex.run(() => runUndoable(this.connection, work));
  }
}

export async function runUndoable<T>(connection: LdapConnection, work: (writer: LdapWriter) => Promise<T>, undo = new UndoLog()): Promise<T> {
  try {
    return await work(new LdapWriter(connection, undo));
  } catch (error) {
    const left = await undo.rollback();
    if (left.length > 0) postpone(connection, left);
    throw error;
  }
}
