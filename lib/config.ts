import { ApiError } from '#lib/http/errors';
import { LDAP_UNSUPPORTED_WRITE_SCHEMES, LDAP_WRITABLE_PASSWORD_SCHEMES } from '#lib/auth/password-schemes';

/**
 * Configuration from environment variables (names fixed by the README, the deployment and
 * outside checks). Read once per container; on AWS the secrets arrive through
 * Secrets Manager ARNs (see secrets.ts) and are merged in before first use.
 */
export type Backend = 'embedded' | 'mysql' | 'pgsql' | 'ldap';

export interface Config {
  backend: Backend;
  dataDir: string;
  vmailDbUrl?: string;
  amavisdDbUrl?: string;
  iredapdDbUrl?: string;
  iredadminDbUrl?: string;
  ldap: { url?: string; suffix: string; bindDn?: string; bindPassword?: string };
  jwtSecret?: string;
  apiClients: string[];
  host: string;
  port: number;
  defaultPasswordScheme: string;
  adminEmail?: string;
  adminPassword?: string;
  /** Seconds a login token lives; renewed on use past half its life (the original's sliding session). */
  tokenTtlSeconds: number;
  /** Where new maildirs live: split into storagebasedirectory + storagenode (storage.md §5). */
  storageBaseDirectory: string;
  defaultTransport: string;
  /** Mark the login cookie Secure (on by default on AWS, where the gateway is HTTPS only). */
  cookieSecure: boolean;
  /**
   * Age (seconds) at which a policy follow-up left in iredadmin.policy_followups is judged
   * abandoned and finished by another request (lib/services/policy-followups.ts); longer than
   * any request runs, so an in-flight request's row is never judged early.
   */
  policyFollowUpGraceSeconds: number;
  /**
   * Connections per SQL database (`?pool=` in a URL overrides it). 1 on Lambda, where a
   * container serves one request at a time: more would only multiply the server's connections
   * (and open several on a cold start, each a new PostgreSQL process); 4 for the local server.
   */
  dbPoolSize: number;
}

/** The API functions' Lambda timeout (serverless.yml `timeout: 29`) plus a wide margin. */
const DEFAULT_POLICY_FOLLOWUP_GRACE_SECONDS = 120;

const BACKENDS: readonly Backend[] = ['embedded', 'mysql', 'pgsql', 'ldap'];

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * BACKEND=ldap: accounts in OpenLDAP; amavisd, iredapd and iredadmin stay SQL — MariaDB/MySQL
 * on an iRedMail LDAP server (iredadmin's deleted_mailboxes exists only there) — each named by
 * its own URL, since there is no vmail database to derive them from.
 */
function checkLdapConfig(config: Config): void {
  const missing = [
    ['LDAP_URL', config.ldap.url],
    ['LDAP_BIND_DN', config.ldap.bindDn],
    ['LDAP_BIND_PASSWORD', config.ldap.bindPassword],
    ['AMAVISD_DB_URL', config.amavisdDbUrl],
    ['IREDAPD_DB_URL', config.iredapdDbUrl],
    ['IREDADMIN_DB_URL', config.iredadminDbUrl],
  ].filter(([, value]) => !value).map(([name]) => name);
  if (missing.length > 0) throw new ConfigError(`BACKEND=ldap needs ${missing.join(', ')}`);
  if (!/^ldaps?:\/\//i.test(config.ldap.url!)) throw new ConfigError('LDAP_URL must start with ldap:// or ldaps://');
  const sqlUrls = { AMAVISD_DB_URL: config.amavisdDbUrl, IREDAPD_DB_URL: config.iredapdDbUrl, IREDADMIN_DB_URL: config.iredadminDbUrl };
  for (const [name, url] of Object.entries(sqlUrls)) {
    if (!/^(mysql|mariadb):\/\//i.test(url!)) throw new ConfigError(`BACKEND=ldap keeps ${name} on MariaDB/MySQL, as iRedMail's LDAP edition does (mysql://…)`);
  }
  // Dovecot logs in by binding as the user (auth_bind = yes), so slapd must verify the hash.
  if ((LDAP_UNSUPPORTED_WRITE_SCHEMES as readonly string[]).includes(config.defaultPasswordScheme)) {
    throw new ConfigError(`DEFAULT_PASSWORD_SCHEME=${config.defaultPasswordScheme} cannot be used with BACKEND=ldap: OpenLDAP cannot verify such hashes, so mail logins would fail (use one of ${LDAP_WRITABLE_PASSWORD_SCHEMES.join(', ')})`);
  }
}

/** Pure: turns an environment into a Config, refusing values that cannot work. */
export function configFromEnv(env: Record<string, string | undefined>): Config {
  const backend = (nonEmpty(env.BACKEND) ?? 'embedded').toLowerCase() as Backend;
  if (!BACKENDS.includes(backend)) throw new ConfigError(`BACKEND must be one of ${BACKENDS.join(', ')}`);
  const port = Number.parseInt(env.PORT ?? '8080', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT must be a port number');
  const ttl = Number.parseInt(env.TOKEN_TTL_SECONDS ?? '3600', 10);
  if (!Number.isInteger(ttl) || ttl < 60) throw new ConfigError('TOKEN_TTL_SECONDS must be at least 60');
  const poolSize = Number(nonEmpty(env.DB_POOL_SIZE) ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 1 : 4));
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100) throw new ConfigError('DB_POOL_SIZE must be a whole number from 1 to 100');
  const grace = Number(nonEmpty(env.POLICY_FOLLOWUP_GRACE_SECONDS) ?? DEFAULT_POLICY_FOLLOWUP_GRACE_SECONDS);
  if (!Number.isInteger(grace) || grace < 0) throw new ConfigError('POLICY_FOLLOWUP_GRACE_SECONDS must be a whole number of seconds');
  const config: Config = {
    backend,
    dataDir: nonEmpty(env.DATA_DIR) ?? '.data',
    vmailDbUrl: nonEmpty(env.VMAIL_DB_URL),
    amavisdDbUrl: nonEmpty(env.AMAVISD_DB_URL),
    iredapdDbUrl: nonEmpty(env.IREDAPD_DB_URL),
    iredadminDbUrl: nonEmpty(env.IREDADMIN_DB_URL),
    ldap: {
      url: nonEmpty(env.LDAP_URL),
      suffix: nonEmpty(env.LDAP_SUFFIX) ?? 'dc=example,dc=com',
      bindDn: nonEmpty(env.LDAP_BIND_DN),
      bindPassword: env.LDAP_BIND_PASSWORD,
    },
    jwtSecret: nonEmpty(env.JWT_SECRET),
    apiClients: (env.API_CLIENTS ?? '').split(',').map((item) => item.trim()).filter(Boolean),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    port,
    defaultPasswordScheme: (nonEmpty(env.DEFAULT_PASSWORD_SCHEME) ?? 'SSHA512').toUpperCase(),
    adminEmail: nonEmpty(env.ADMIN_EMAIL)?.toLowerCase(),
    adminPassword: env.ADMIN_PASSWORD,
    tokenTtlSeconds: ttl,
    storageBaseDirectory: (nonEmpty(env.STORAGE_BASE_DIRECTORY) ?? '/var/vmail/vmail1').replace(/\/+$/, ''),
    defaultTransport: nonEmpty(env.DEFAULT_TRANSPORT) ?? 'dovecot',
    cookieSecure: (env.COOKIE_SECURE ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 'true' : 'false')) === 'true',
    policyFollowUpGraceSeconds: grace,
    dbPoolSize: poolSize,
  };
  if ((backend === 'mysql' || backend === 'pgsql') && !config.vmailDbUrl) {
    throw new ConfigError(`BACKEND=${backend} needs VMAIL_DB_URL`);
  }
  if (backend === 'ldap') checkLdapConfig(config);
  if (!config.storageBaseDirectory.startsWith('/') || config.storageBaseDirectory.split('/').length < 3) {
    throw new ConfigError('STORAGE_BASE_DIRECTORY must be an absolute path such as /var/vmail/vmail1');
  }
  return config;
}

/** The name iRedAdmin-Pro gives its session cookie: `iRedAdmin-Pro-` + the backend in upper case. */
export function cookieName(backend: Backend): string {
  const label = backend === 'embedded' || backend === 'pgsql' ? 'PGSQL' : backend.toUpperCase();
  return `iRedAdmin-Pro-${label}`;
}

let loaded: Promise<Config> | undefined;

/** The container's configuration, with secrets resolved; computed on first use, then cached. */
export function getConfig(): Promise<Config> {
  loaded ??= (async () => {
    const { resolveSecrets } = await import('#lib/secrets');
    return configFromEnv(await resolveSecrets(process.env));
  })().catch((error: unknown) => {
    loaded = undefined; // a transient Secrets Manager failure must not poison the container
    throw error instanceof ConfigError ? error : new ApiError('STORAGE_UNAVAILABLE', 503);
  });
  return loaded;
}

/** Tests and the local server inject a configuration directly. */
export function setConfig(config: Config): void {
  loaded = Promise.resolve(config);
}
