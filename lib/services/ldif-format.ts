/**
 * LDIF content records (RFC 2849). A value that is not a SAFE-STRING — a NUL, CR or LF
 * anywhere, a byte above 0x7F (non-ASCII UTF-8), a leading space, colon or `<`, or (as the
 * RFC recommends) a trailing space — is written base64-encoded after `::`. Lines longer
 * than 76 characters are folded: the rest continues on the next line after one space.
 * Everything written is then ASCII, so a fold never splits a character.
 */
import type { DirectoryEntry } from '#lib/model/ldif';

const LINE_WIDTH = 76;

/** RFC 2849 SAFE-STRING, plus no trailing space. */
function isSafe(bytes: Buffer): boolean {
  if (bytes.length === 0) return true;
  const first = bytes[0]!;
  if (first === 0x20 || first === 0x3a || first === 0x3c) return false;
  if (bytes[bytes.length - 1] === 0x20) return false;
  for (const byte of bytes) {
    if (byte === 0x00 || byte === 0x0a || byte === 0x0d || byte > 0x7f) return false;
  }
  return true;
}

function fold(line: string): string {
  if (line.length <= LINE_WIDTH) return line;
  const parts = [line.slice(0, LINE_WIDTH)];
  for (let at = LINE_WIDTH; at < line.length; at += LINE_WIDTH - 1) parts.push(' ' + line.slice(at, at + LINE_WIDTH - 1));
  return parts.join('\n');
}

function field(name: string, value: string | Buffer): string {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return fold(isSafe(bytes) ? `${name}: ${bytes.toString('latin1')}` : `${name}:: ${bytes.toString('base64')}`);
}

/** One record: the dn line, then one line per value. */
export function ldifRecord(entry: DirectoryEntry): string {
  const lines = [field('dn', entry.dn)];
  for (const [name, values] of entry.attributes) for (const value of values) lines.push(field(name, value));
  return lines.join('\n') + '\n';
}

/** A whole LDIF file: the version line, then the records separated by empty lines. */
export function toLdif(entries: readonly DirectoryEntry[]): string {
  return ['version: 1\n', ...entries.map(ldifRecord)].join('\n');
}
