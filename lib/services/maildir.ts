import { ApiError } from '#lib/http/errors';
import { domainOf, localPartOf } from '#lib/model/addresses';

/**
 * Where a new user's mail lives (storage.md §5): iRedAdmin's defaults, hashed by the first
 * three characters of the local part, under the domain, with a creation timestamp that
 * iRedAdmin's `delete_mailboxes.py` later relies on. The API never creates directories;
 * Dovecot does at first delivery or login.
 */

export interface MaildirLocation {
  storagebasedirectory: string;
  storagenode: string;
  /** Relative to storagebasedirectory/storagenode, with a trailing `/`. */
  maildir: string;
}

/** `-YYYY.MM.DD.HH.MM.SS`. iRedAdmin uses the server's local time; a Lambda's is UTC, and so is ours. */
function timestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `-${now.getUTCFullYear()}.${two(now.getUTCMonth() + 1)}.${two(now.getUTCDate())}.${two(now.getUTCHours())}.${two(now.getUTCMinutes())}.${two(now.getUTCSeconds())}`;
}

/** One hash level: a missing character, `.` and `~` become `_`. */
function level(local: string, index: number): string {
  const char = local[index];
  return char === undefined || char === '.' || char === '~' ? '_' : char;
}

/** `john@example.com` -> `example.com/j/o/h/john-2024.01.31.10.20.30/`. */
export function maildirPath(email: string, now: Date = new Date()): string {
  const local = localPartOf(email).toLowerCase();
  const domain = domainOf(email).toLowerCase();
  return `${domain}/${level(local, 0)}/${level(local, 1)}/${level(local, 2)}/${local}${timestamp(now)}/`;
}

/** STORAGE_BASE_DIRECTORY split at its last `/`: `/var/vmail/vmail1` -> `/var/vmail` + `vmail1`. */
export function splitStorageBase(base: string): { storagebasedirectory: string; storagenode: string } {
  const clean = base.replace(/\/+$/, '');
  const cut = clean.lastIndexOf('/');
  return { storagebasedirectory: clean.slice(0, cut) || '/', storagenode: clean.slice(cut + 1) };
}

export function newMaildir(email: string, storageBase: string, now: Date = new Date()): MaildirLocation {
  return { ...splitStorageBase(storageBase), maildir: maildirPath(email, now) };
}

const SEGMENT = /^[a-z0-9_.+=&#@~-]+$/;

/**
 * The `maildir` parameter: an absolute path, lower-cased (Dovecot lower-cases the home),
 * split into the three columns Dovecot joins back together. A path under the configured
 * storage base keeps that base and node; any other path is split at the same depth (for
 * `/var/vmail/vmail1` as base, `/srv/mail/node2/x/y` gives `/srv/mail`, `node2`, `x/y/`).
 * The original mis-split the leading `/` (storage.md §10.3). Refused: relative paths, `.`
 * and `..`, characters outside an address's, anything too long for the columns.
 */
export function parseMaildirParam(value: string, storageBase: string): MaildirLocation {
  const text = value.trim().toLowerCase();
  if (!text.startsWith('/')) throw new ApiError('INVALID_PARAMETER');
  const segments = text.split('/').filter(Boolean);
  if (segments.some((segment) => segment === '.' || segment === '..' || !SEGMENT.test(segment))) throw new ApiError('INVALID_PARAMETER');
  const base = storageBase.toLowerCase().split('/').filter(Boolean);
  if (segments.length <= base.length) throw new ApiError('INVALID_PARAMETER');
  const underBase = base.every((segment, i) => segments[i] === segment);
  const head = underBase ? base : segments.slice(0, base.length);
  const location = {
    storagebasedirectory: '/' + head.slice(0, -1).join('/'),
    storagenode: head[head.length - 1]!,
    maildir: segments.slice(base.length).join('/') + '/',
  };
  if (Object.values(location).some((part) => part.length > 255)) throw new ApiError('INVALID_PARAMETER');
  return location;
}

/** Dovecot's mailbox drivers iRedAdmin offers (storage.md §1.6). */
export const MAILBOX_FORMATS = ['maildir', 'mdbox', 'sdbox'] as const;

export function readMailboxFormat(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const format = value.trim().toLowerCase();
  if (!(MAILBOX_FORMATS as readonly string[]).includes(format)) throw new ApiError('INVALID_PARAMETER');
  return format;
}

/** 1-20 ASCII letters and digits; case is kept (the folder name is case-sensitive on disk). */
export function readMailboxFolder(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const folder = value.trim();
  if (!/^[A-Za-z0-9]{1,20}$/.test(folder)) throw new ApiError('INVALID_PARAMETER');
  return folder;
}
