/**
 * Structured JSON log lines (one per request, plus warnings and errors). Never pass
 * passwords, hashes or tokens here: callers log outcomes and identities only.
 * LOG_LEVEL=silent keeps tests quiet.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function threshold(): number {
  const level = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as Level | 'silent';
  return ORDER[level] ?? ORDER.info;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === 'error' || level === 'warn') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}

/** Only the class and code of an error reach the logs: driver messages may quote the SQL and its values. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.name, code: typeof code === 'string' || typeof code === 'number' ? code : undefined, stack: error.stack?.split('\n').slice(1, 4).join(' | ') };
  }
  return { error: typeof error };
}
