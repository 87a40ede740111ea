/**
 * Per-user mail services on SQL: the `enable<service>` columns of vmail.mailbox that Dovecot
 * (`enable%Ls%Lc`), Postfix (`enabledeliver`, `enablesmtp`) and SOGo (`enablesogo`) read
 * (storage.md §1.2, §3.1, §3.2). API service names map to one or more columns; names with
 * no column are ignored, as the API document says for SQL backends.
 */

/** Integer 0/1 columns (the SOGo character columns are separate below). */
export const FLAG_COLUMNS = [
  'enablesmtp', 'enablesmtpsecured', 'enablepop3', 'enablepop3secured', 'enablepop3tls', 'enableimap',
  'enableimapsecured', 'enableimaptls', 'enabledeliver', 'enablelda', 'enablemanagesieve',
  'enablemanagesievesecured', 'enablesieve', 'enablesievesecured', 'enablesievetls', 'enableinternal',
  'enabledoveadm', 'enablelib-storage', 'enablequota-status', 'enableindexer-worker', 'enablelmtp',
  'enabledsync', 'enablesogo',
] as const;

/** SOGo reads these as the characters `y` / `n`. */
export const CHAR_COLUMNS = ['enablesogowebmail', 'enablesogocalendar', 'enablesogoactivesync'] as const;

export type ServiceColumn = (typeof FLAG_COLUMNS)[number] | (typeof CHAR_COLUMNS)[number];
export type ServiceValue = 0 | 1 | 'y' | 'n';

/**
 * API name -> columns. A protocol's "secured" name also covers its `*tls` column (Dovecot 2.4
 * reports TLS there), and `managesieve` covers Dovecot's own `sieve` service name as well as
 * the legacy column, so that turning a service off really stops the login. `deliver` covers
 * the LDA/LMTP lookups Dovecot does when delivering.
 */
const SERVICE_COLUMNS: Record<string, readonly ServiceColumn[]> = {
  smtp: ['enablesmtp'],
  smtpsecured: ['enablesmtpsecured'],
  pop3: ['enablepop3'],
  pop3secured: ['enablepop3secured', 'enablepop3tls'],
  imap: ['enableimap'],
  imapsecured: ['enableimapsecured', 'enableimaptls'],
  managesieve: ['enablemanagesieve', 'enablesieve'],
  managesievesecured: ['enablemanagesievesecured', 'enablesievesecured', 'enablesievetls'],
  sieve: ['enablesieve'],
  sievesecured: ['enablesievesecured', 'enablesievetls'],
  deliver: ['enabledeliver', 'enablelda', 'enablelmtp'],
  sogo: ['enablesogo'],
  sogowebmail: ['enablesogowebmail'],
  sogocalendar: ['enablesogocalendar'],
  sogoactivesync: ['enablesogoactivesync'],
};

/**
 * The services `services=` resets: the ones the API document lists. Dovecot's internal
 * services (doveadm, quota-status, indexer-worker, lib-storage, dsync, internal) are never
 * touched: turning them off breaks quota and indexing.
 */
export const RESETTABLE_SERVICES = ['smtp', 'smtpsecured', 'pop3', 'pop3secured', 'imap', 'imapsecured', 'managesieve', 'managesievesecured', 'deliver', 'sogo'] as const;

function valueFor(column: ServiceColumn, on: boolean): ServiceValue {
  return (CHAR_COLUMNS as readonly string[]).includes(column) ? (on ? 'y' : 'n') : on ? 1 : 0;
}

export function columnsOf(service: string): readonly ServiceColumn[] {
  return Object.prototype.hasOwnProperty.call(SERVICE_COLUMNS, service) ? SERVICE_COLUMNS[service]! : [];
}

/**
 * Column values for a service change: `reset` first turns every resettable service off and
 * the listed ones on; `add` turns on, `remove` turns off (remove wins over add). Unknown
 * names contribute nothing.
 */
export function serviceColumns(change: { reset?: string[]; add?: string[]; remove?: string[] }): Partial<Record<ServiceColumn, ServiceValue>> {
  const values: Partial<Record<ServiceColumn, ServiceValue>> = {};
  const set = (services: readonly string[], on: boolean) => {
    for (const service of services) for (const column of columnsOf(service)) values[column] = valueFor(column, on);
  };
  if (change.reset) {
    set(RESETTABLE_SERVICES, false);
    set(change.reset, true);
  }
  if (change.add) set(change.add, true);
  if (change.remove) set(change.remove, false);
  return values;
}

export function isServiceColumn(name: string): name is ServiceColumn {
  return (FLAG_COLUMNS as readonly string[]).includes(name) || (CHAR_COLUMNS as readonly string[]).includes(name);
}
