/**
 * The `settings` column of vmail.domain, mailbox and admin: `k:v;k2:v2;`
 * (reference/storage.md §2.1). The parser tolerates what the reference parser chokes on
 * (a second ':' stays in the value); the serializer writes what it expects: sorted,
 * comma-joined lists and no empty values.
 */
export type SettingValue = string | number | string[];
export type Settings = Record<string, SettingValue>;

const INTEGER_KEYS = new Set([
  'default_user_quota',
  'max_user_quota',
  'min_passwd_length',
  'max_passwd_length',
  'create_max_domains',
  'create_max_users',
  'create_max_aliases',
  'create_max_lists',
  'create_max_quota',
]);

const LIST_KEYS = new Set([
  'enabled_services',
  'disabled_mail_services',
  'default_groups',
  'default_mailing_lists',
  'disabled_domain_profiles',
  'disabled_user_profiles',
  'disabled_user_preferences',
]);

export function parseSettings(raw: string | null | undefined): Settings {
  const settings: Settings = {};
  if (!raw) return settings;
  for (const pair of raw.split(';')) {
    const colon = pair.indexOf(':');
    if (colon <= 0) continue;
    const key = pair.slice(0, colon).trim();
    const value = pair.slice(colon + 1).trim();
    if (!value) continue;
    if (INTEGER_KEYS.has(key)) {
      const number = Number.parseInt(value, 10);
      if (Number.isFinite(number)) settings[key] = number;
    } else if (LIST_KEYS.has(key)) {
      settings[key] = value.split(',').map((item) => item.trim()).filter(Boolean);
    } else {
      settings[key] = value;
    }
  }
  return settings;
}

export function serializeSettings(settings: Settings): string {
  let out = '';
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    if (value === undefined || value === '' || value === 0) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      out += `${key}:${[...value].sort().join(',')};`;
    } else {
      out += `${key}:${String(value)};`;
    }
  }
  return out;
}

/** Values must not carry the separators, or the next reader mis-splits the string. */
export function isSafeSettingValue(value: string): boolean {
  return !/[;:,\u0000-\u001f]/.test(value);
}
