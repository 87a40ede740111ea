import { readFileSync } from 'node:fs';

/**
 * One line per `_msg` code for the documentation. The project's own codes are described by
 * their comments in lib/model/codes.ts (read from the source at build time, so a new code
 * is documented where it is declared); the original iRedAdmin-Pro codes carry no comment
 * there and are described here.
 */
export const ORIGINAL_CODE_NOTES: Record<string, string> = {
  LOGIN_REQUIRED: 'No valid login token, cookie or API key, or it has expired or been revoked.',
  NOT_AUTHORIZED: 'The client address is not allowed (API_CLIENTS, or the API key\'s allowed_ips).',
  PERMISSION_DENIED: 'The caller may not do this: not a global admin where one is required, not an admin of the target domain, or a read-only API key writing.',
  INVALID_HTTP_METHOD: 'The path exists, but not with this HTTP method (e.g. GET /api/login).',
  INVALID_USERNAME: 'Login: the username is not an e-mail address.',
  EMPTY_PASSWORD: 'An empty password (login, PUT /api/users/<domain>).',
  EMPTY_PASSSWORD: 'verify_password with an empty password (three S: the original spelling, kept for clients).',
  INVALID_CREDENTIALS: 'Login refused: wrong password, unknown or disabled admin, or too many attempts.',
  INVALID_MAIL: 'An e-mail address that fails the address rules.',
  INVALID_DOMAIN_NAME: 'An invalid domain name, or a domain that does not exist.',
  INVALID_DOMAIN: 'The domain part of a new admin\'s address is invalid.',
  ALREADY_EXISTS: 'The domain, account or address already exists.',
  CAN_NOT_BE_LOCAL_DOMAIN: 'A standalone admin\'s address may not be in a locally hosted domain.',
  NO_SUCH_ACCOUNT: 'The account does not exist.',
  NOT_ALLOWED: 'The domain allows none of these accounts (its limit is -1).',
  EXCEEDED_DOMAIN_ACCOUNT_LIMIT: 'The domain has reached its limit of users, aliases or lists.',
  EXCEEDED_DOMAIN_QUOTA_SIZE: 'Not enough unallocated domain quota left.',
  INVALID_QUOTA_SIZE: 'A quota or quota unit that is not a number / MB, GB, TB.',
  INVALID_PASSWORD_SCHEME: 'A password_hash with an unknown {SCHEME} prefix.',
  PW_EMPTY: 'Password policy: no password given.',
  PW_MISMATCH: 'Password policy: the two passwords differ.',
  PW_NON_ASCII: 'Password policy: non-ASCII characters.',
  PW_SHORTER_THAN_MIN_LENGTH: 'Password policy: too short.',
  PW_GREATER_THAN_MAX_LENGTH: 'Password policy: too long.',
  PW_NO_LETTER: 'Password policy: needs a letter.',
  PW_NO_UPPERCASE: 'Password policy: needs an upper-case letter.',
  PW_NO_DIGIT_NUMBER: 'Password policy: needs a digit.',
  PW_NO_SPECIAL_CHAR: 'Password policy: needs a special character. Several PW_ codes may come joined by commas in one `_msg`.',
  INVALID_OLD_EMAIL: 'change_email: the current address is invalid.',
  INVALID_NEW_EMAIL: 'change_email: the new address is invalid.',
  OLD_EMAIL_NOT_EXIST: 'change_email: the current address does not exist.',
  NEW_EMAIL_ALREADY_EXISTS: 'change_email: the new address is already in use.',
  INVALID_ACCOUNT: 'A spam-policy, throttle or greylisting target that is not `global`, a domain or an address.',
  INVALID_SPAM_SCORE: 'A spam score that is not a number.',
  MISS_PERIOD: 'Throttle: `period` is missing.',
  MISS_THROTTLE_SETTING: 'Throttle: none of msg_size, max_msgs, max_quota given.',
};

/** `/** comment *\/` followed by `'CODE',` in lib/model/codes.ts -> { CODE: comment }. */
export function codeCommentsFrom(source: string): Record<string, string> {
  const notes: Record<string, string> = {};
  const pattern = /\/\*\*([\s\S]*?)\*\/\s*'([A-Z_]+)'/g;
  for (const match of source.matchAll(pattern)) {
    notes[match[2]!] = match[1]!.replace(/^\s*\*\s?/gm, '').replace(/\s+/g, ' ').trim();
  }
  return notes;
}

export function readCodeNotes(codesFile: string): Record<string, string> {
  return { ...ORIGINAL_CODE_NOTES, ...codeCommentsFrom(readFileSync(codesFile, 'utf8')) };
}
