/**
 * The multi-valued `accountSetting` attribute (reference/storage.md §2.2): one `key:value`
 * per value, split on the first `:`. The model keeps the SQL names (`settings` of
 * lib/model/types.ts, storage.md §2.1), so this module translates between the two
 * vocabularies. Keys it does not know are kept as they are, both ways, so settings written by
 * iRedAdmin itself (e.g. `defaultStorageBaseDirectory`) survive our updates.
 */
import type { Settings, SettingValue } from '#lib/model/settings-codec';

type Kind = 'int' | 'text' | 'each' | 'csv';

/** SQL name -> LDAP name. `each`: one value per item (`disabledDomainProfile:bcc`); `csv`: one comma list. */
const KEYS: readonly (readonly [sql: string, ldap: string, kind: Kind])[] = [
  ['default_user_quota', 'defaultQuota', 'int'],
  ['max_user_quota', 'maxUserQuota', 'int'],
  ['min_passwd_length', 'minPasswordLength', 'int'],
  ['max_passwd_length', 'maxPasswordLength', 'int'],
  ['default_language', 'defaultLanguage', 'text'],
  ['timezone', 'timezone', 'text'],
  ['disabled_mail_services', 'disabledMailService', 'each'],
  ['disabled_domain_profiles', 'disabledDomainProfile', 'each'],
  ['disabled_user_profiles', 'disabledUserProfile', 'each'],
  ['disabled_user_preferences', 'disabledUserPreference', 'each'],
  ['default_mailing_lists', 'defaultList', 'csv'],
  // Admin limits have the same names on both backends (storage.md §2.2).
  ['create_new_domains', 'create_new_domains', 'text'],
  ['create_max_domains', 'create_max_domains', 'int'],
  ['create_max_users', 'create_max_users', 'int'],
  ['create_max_aliases', 'create_max_aliases', 'int'],
  ['create_max_lists', 'create_max_lists', 'int'],
  ['create_max_quota', 'create_max_quota', 'int'],
];

const BY_SQL = new Map(KEYS.map(([sql, ldap, kind]) => [sql, { ldap, kind }]));
const BY_LDAP = new Map(KEYS.map(([sql, ldap, kind]) => [ldap.toLowerCase(), { sql, kind }]));

/** Domain columns that LDAP keeps in accountSetting (storage.md §2.2). */
export interface DomainLimits {
  mailboxes: number;
  aliases: number;
  maillists: number;
  /** MB; 0 unlimited. */
  maxquota: number;
}

const LIMIT_KEYS = { numberofusers: 'mailboxes', numberofaliases: 'aliases', numberoflists: 'maillists' } as const;

/** `domainQuota:<n>:<UNIT>` -> MB (storage.md §2.2; the form iRedAdmin-Pro synced in 2020). */
function domainQuotaMb(value: string): number | undefined {
  const match = /^(\d+)(?::(MB|GB|TB))?$/i.exec(value.trim());
  if (!match) return undefined;
  const factor = { MB: 1, GB: 1024, TB: 1024 * 1024 }[(match[2] ?? 'MB').toUpperCase() as 'MB' | 'GB' | 'TB'];
  return Number(match[1]) * factor;
}

function split(raw: string): [string, string] | undefined {
  const colon = raw.indexOf(':');
  if (colon <= 0) return undefined;
  const value = raw.slice(colon + 1).trim();
  return value ? [raw.slice(0, colon).trim(), value] : undefined;
}

function append(settings: Settings, key: string, item: string): void {
  const current = settings[key];
  if (current === undefined) settings[key] = [item];
  else if (Array.isArray(current)) current.push(item);
  else settings[key] = [String(current), item];
}

/** accountSetting values -> model settings (+ the domain limits, when present). */
export function decodeAccountSetting(values: readonly string[]): { settings: Settings; limits: DomainLimits } {
  const settings: Settings = {};
  const limits: DomainLimits = { mailboxes: 0, aliases: 0, maillists: 0, maxquota: 0 };
  const unknownMulti = new Set<string>();
  for (const raw of values) {
    const pair = split(raw);
    if (!pair) continue;
    const [key, value] = pair;
    const lower = key.toLowerCase();
    if (lower in LIMIT_KEYS) {
      const number = Number.parseInt(value, 10);
      if (Number.isFinite(number)) limits[LIMIT_KEYS[lower as keyof typeof LIMIT_KEYS]] = number;
      continue;
    }
    if (lower === 'domainquota') {
      limits.maxquota = domainQuotaMb(value) ?? 0;
      continue;
    }
    const known = BY_LDAP.get(lower);
    if (!known) {
      // Unknown keys: a single value stays a string, repeated keys become a list.
      if (key in settings || unknownMulti.has(key)) {
        unknownMulti.add(key);
        append(settings, key, value);
      } else {
        settings[key] = value;
      }
      continue;
    }
    switch (known.kind) {
      case 'int': {
        const number = Number.parseInt(value, 10);
        if (Number.isFinite(number)) settings[known.sql] = number;
        break;
      }
      case 'text':
        settings[known.sql] = value;
        break;
      case 'each':
        append(settings, known.sql, value.toLowerCase());
        break;
      case 'csv':
        settings[known.sql] = value.split(',').map((item) => item.trim()).filter(Boolean);
        break;
    }
  }
  for (const [key, value] of Object.entries(settings)) {
    if (Array.isArray(value)) settings[key] = [...new Set(value)].sort();
  }
  return { settings, limits };
}

function empty(value: SettingValue | undefined): boolean {
  return value === undefined || value === '' || value === 0 || (Array.isArray(value) && value.length === 0);
}

/**
 * Model settings (+ domain limits) -> accountSetting values, sorted. As the SQL serializer,
 * empty values and zeros are left out (0 means "no limit" / "default"). `enabled_services` is
 * not a setting on LDAP (it is the enabledService attribute) and is skipped here.
 */
export function encodeAccountSetting(settings: Settings, limits?: DomainLimits): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'enabled_services' || empty(value)) continue;
    const known = BY_SQL.get(key);
    const ldapKey = known?.ldap ?? key;
    const kind = known?.kind ?? (Array.isArray(value) ? 'each' : 'text');
    if (kind === 'each') {
      for (const item of Array.isArray(value) ? value : [String(value)]) out.push(`${ldapKey}:${item}`);
    } else if (kind === 'csv') {
      out.push(`${ldapKey}:${(Array.isArray(value) ? [...value].sort() : [String(value)]).join(',')}`);
    } else {
      out.push(`${ldapKey}:${Array.isArray(value) ? value.join(',') : String(value)}`);
    }
  }
  if (limits) {
    if (limits.mailboxes !== 0) out.push(`numberOfUsers:${limits.mailboxes}`);
    if (limits.aliases !== 0) out.push(`numberOfAliases:${limits.aliases}`);
    if (limits.maillists !== 0) out.push(`numberOfLists:${limits.maillists}`);
    if (limits.maxquota > 0) out.push(`domainQuota:${limits.maxquota}:MB`);
  }
  return [...new Set(out)].sort();
}
