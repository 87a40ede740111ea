/**
 * Every `_msg` code the API answers with. The first block is the original iRedAdmin-Pro
 * vocabulary (reference/pro-api-behaviour.md §1.8), kept verbatim because clients compare
 * `_msg` against these literals; the second block is ours, for refusals the original
 * answered with a 5xx, a redirect or a raw exception text.
 */
export const ORIGINAL_CODES = [
  'LOGIN_REQUIRED',
  'NOT_AUTHORIZED',
  'PERMISSION_DENIED',
  'INVALID_HTTP_METHOD',
  'INVALID_USERNAME',
  'EMPTY_PASSWORD',
  'EMPTY_PASSSWORD', // sic: three S, the real spelling of verify_password's reply
  'INVALID_CREDENTIALS',
  'INVALID_MAIL',
  'INVALID_DOMAIN_NAME',
  'INVALID_DOMAIN',
  'ALREADY_EXISTS',
  'CAN_NOT_BE_LOCAL_DOMAIN',
  'NO_SUCH_ACCOUNT',
  'NOT_ALLOWED',
  'EXCEEDED_DOMAIN_ACCOUNT_LIMIT',
  'EXCEEDED_DOMAIN_QUOTA_SIZE',
  'INVALID_QUOTA_SIZE',
  'INVALID_PASSWORD_SCHEME',
  'PW_EMPTY',
  'PW_MISMATCH',
  'PW_NON_ASCII',
  'PW_SHORTER_THAN_MIN_LENGTH',
  'PW_GREATER_THAN_MAX_LENGTH',
  'PW_NO_LETTER',
  'PW_NO_UPPERCASE',
  'PW_NO_DIGIT_NUMBER',
  'PW_NO_SPECIAL_CHAR',
  'INVALID_OLD_EMAIL',
  'INVALID_NEW_EMAIL',
  'OLD_EMAIL_NOT_EXIST',
  'NEW_EMAIL_ALREADY_EXISTS',
  'INVALID_ACCOUNT',
  'INVALID_SPAM_SCORE',
  'MISS_PERIOD',
  'MISS_THROTTLE_SETTING',
] as const;

export const PROJECT_CODES = [
  /** No route matches the path (HTTP 404). */
  'NOT_FOUND',
  /** A parameter has the wrong shape: too long, a NUL byte, not a number where one is required. */
  'INVALID_PARAMETER',
  /** The body cannot be read: malformed JSON, broken multipart, invalid UTF-8. */
  'INVALID_REQUEST_BODY',
  /** A body with a Content-Type that is neither form, multipart nor JSON. */
  'UNSUPPORTED_CONTENT_TYPE',
  /** Body or parameter larger than the API accepts. */
  'REQUEST_TOO_LARGE',
  /** Two parameters that cannot be combined, e.g. `members` with `addMember`. */
  'CONFLICTING_PARAMETERS',
  /** The feature exists only on another backend (e.g. mailing lists and LDIF on LDAP). */
  'NOT_SUPPORTED_BY_BACKEND',
  /** A global admin may not remove its own global rights or delete itself. */
  'CANNOT_CHANGE_OWN_ACCOUNT',
  /** An alias `accessPolicy` outside public, domain, subdomain, membersonly, moderatorsonly, allowedonly, membersandmoderatorsonly (the original stored anything on PUT). */
  'INVALID_ACCESS_POLICY',
  /** A greylisting whitelist entry that is not an IP, a CIDR network (host bits zero), user@domain, @domain or @.domain (the original dropped such entries silently). */
  'INVALID_SENDER',
  /** A per-user alias address outside the user's domain and its alias domains (the original dropped it silently). */
  'ADDRESS_OUTSIDE_DOMAIN',
  /** API key `expires` not an ISO date or date-time in the future (at most 10 years ahead), or `expires_in_days` not 1–3650. */
  'INVALID_EXPIRY',
  /** API key `access` other than `ro` (read-only) or `rw` (read-write). */
  'INVALID_ACCESS_MODE',
  /** An API key `allowed_ips` entry that is not an IPv4/IPv6 address or CIDR network. */
  'INVALID_IP_ADDRESS',
  /** DELETE /api/apikey/<id> with an id no key has. */
  'NO_SUCH_API_KEY',
  /** A `language` that is not a locale name such as en_US (the original stored anything). */
  'INVALID_LANGUAGE',
  /** A `timezone` that is not an Olson name such as Europe/Berlin. */
  'INVALID_TIMEZONE',
  /** A Postfix `transport` of the wrong shape (e.g. `dovecot`, `relay:[192.0.2.1]:25`). */
  'INVALID_TRANSPORT',
  /** A relay host / primary MX that is not `[host]`, host or IP with an optional transport and port. */
  'INVALID_RELAYHOST',
  /** A service, profile or preference name outside the known vocabulary. */
  'INVALID_SERVICE',
  /** Storage could not be reached or failed; nothing was changed. */
  'STORAGE_UNAVAILABLE',
  /** Anything unexpected; logged with the request id, never detailed to the client. */
  'INTERNAL_ERROR',
] as const;

export type OriginalCode = (typeof ORIGINAL_CODES)[number];
export type ProjectCode = (typeof PROJECT_CODES)[number];
export type MsgCode = OriginalCode | ProjectCode;
