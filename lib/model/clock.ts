/** iRedAdmin writes UTC strings `YYYY-MM-DD HH:MM:SS`, not the database's NOW() (storage.md conventions). */
export function utcTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function utcDate(date: Date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

/** `deleted_mailboxes.delete_date`: today + n days, or NULL (keep forever) for 0. */
export function deleteDateAfter(days: number, now: Date = new Date()): string | null {
  if (days <= 0) return null;
  return utcDate(new Date(now.getTime() + days * 86_400_000));
}

/** Rows come back as Date (drivers) or strings; replies carry ISO-8601 without a zone, as the original. */
export function isoTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 19);
  if (typeof value === 'string') return value.replace(' ', 'T').slice(0, 19);
  return '';
}
