/**
 * A mail user's LDAP entry <-> the SQL-shaped MailUser the API replies with (pro-api-behaviour
 * §1.14: GET keeps the SQL shape). The entry is the one iRedAdmin writes (storage.md §6.3):
 *
 *   mail=<u>,ou=Users,domainName=<d>,o=domains,<suffix>
 *     objectClass inetOrgPerson, mailUser, shadowAccount, amavisAccount
 *     mail, uid = sn = local part, cn (the name; the local part when none is given: inetOrgPerson
 *     needs one), userPassword, homeDirectory (absolute), accountStatus, enabledService (below),
 *     preferredLanguage, mailQuota (bytes; absent = unlimited), shadowLastChange (days),
 *     amavisLocal TRUE, mailboxFormat / mailboxFolder (only when not Dovecot's defaults),
 *     employeeNumber, mtaTransport, domainStatus=disabled while the domain is disabled.
 *
 * Mapping to the SQL columns: quota MB = mailQuota / 1048576; active = accountStatus active;
 * enable<service> = enabledService holds <service> (the column name minus `enable`; SOGo's
 * columns as y/n); isadmin = enabledService domainadmin; isglobaladmin = domainGlobalAdmin yes;
 * passwordlastchange = shadowLastChange's day at 00:00; storagebasedirectory / storagenode /
 * maildir = homeDirectory split after its second and third segment (the depth of iRedMail's
 * /var/vmail/vmail1).
 */
import { posix } from 'node:path';
import { CHAR_COLUMNS, FLAG_COLUMNS, type ServiceColumn, type ServiceValue } from '#lib/model/mail-services';
import type { MailUser, NewMailbox } from '#lib/model/users';
import { domainOf, localPartOf } from '#lib/model/addresses';
import type { LdapEntry } from '#lib/storage/ldap/client';
import { daysSinceEpoch, isoFromGeneralizedTime } from '#lib/storage/ldap/context';

export const MB = 1024 * 1024;
export const USER_CLASSES = ['inetOrgPerson', 'mailUser', 'shadowAccount', 'amavisAccount'];
export const DEFAULT_MAILBOX_FORMAT = 'maildir';
export const DEFAULT_MAILBOX_FOLDER = 'Maildir';
const NEVER_EXPIRES = '9999-12-31T00:00:00';

/** enabledService of a new user, in iRedAdmin's order (storage.md §6.3). */
export const DEFAULT_USER_SERVICES = [
  'internal', 'doveadm', 'lib-storage', 'indexer-worker', 'dsync', 'quota-status', 'mail',
  'smtp', 'smtpsecured', 'smtptls', 'pop3', 'pop3secured', 'pop3tls', 'imap', 'imapsecured', 'imaptls',
  'managesieve', 'managesievesecured', 'managesievetls', 'sieve', 'sievesecured', 'sievetls',
  'deliver', 'lda', 'lmtp', 'recipientbcc', 'senderbcc', 'forward', 'shadowaddress',
  'displayedInGlobalAddressBook', 'sogo', 'sogowebmail', 'sogocalendar', 'sogoactivesync',
];

/** Attributes a GET reads (userPassword never). */
export const USER_ATTRIBUTES = [
  'mail', 'cn', 'givenName', 'sn', 'preferredLanguage', 'mobile', 'telephoneNumber', 'recoveryEmail', 'birthday',
  'mailboxFormat', 'mailboxFolder', 'homeDirectory', 'mailQuota', 'mtaTransport', 'departmentNumber', 'employeeNumber',
  'enabledService', 'domainGlobalAdmin', 'allowNets', 'disclaimer', 'accountSetting', 'shadowLastChange',
  'accountStatus', 'expiredDate', 'createTimestamp', 'modifyTimestamp',
];

/** `enablesmtp` -> `smtp`: the service name Dovecot and Postfix look for. */
export function serviceOf(column: ServiceColumn): string {
  return column.slice('enable'.length);
}

export function isOn(value: ServiceValue): boolean {
  return value === 1 || value === 'y';
}

export function homeDirectory(location: { storagebasedirectory: string; storagenode: string; maildir: string }): string {
  return posix.join(location.storagebasedirectory || '/', location.storagenode, location.maildir);
}

/** See the header: `/var/vmail/vmail1/d/u/s/user-…/` -> `/var/vmail`, `vmail1`, `d/u/s/user-…/`. */
export function splitHomeDirectory(home: string): { storagebasedirectory: string; storagenode: string; maildir: string } {
  const parts = home.split('/').filter(Boolean);
  if (parts.length < 4) return { storagebasedirectory: '', storagenode: '', maildir: home };
  return { storagebasedirectory: '/' + parts.slice(0, 2).join('/'), storagenode: parts[2]!, maildir: parts.slice(3).join('/') + '/' };
}

/** GeneralizedTime-free dates: shadowLastChange days -> `YYYY-MM-DDT00:00:00`. */
function isoFromDays(days: string | undefined): string {
  const n = Number.parseInt(days ?? '', 10);
  if (!Number.isFinite(n)) return '1970-01-01T00:00:00';
  return new Date(n * 86_400_000).toISOString().slice(0, 19);
}

function decodeSettings(values: string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const raw of values) {
    const colon = raw.indexOf(':');
    if (colon > 0) settings[raw.slice(0, colon)] = raw.slice(colon + 1);
  }
  return settings;
}

export function isActiveEntry(entry: LdapEntry): boolean {
  return (entry.first('accountStatus') ?? '').toLowerCase() === 'active';
}

export function isGlobalAdminEntry(entry: LdapEntry): boolean {
  return (entry.first('domainGlobalAdmin') ?? '').toLowerCase() === 'yes';
}

/** The mailbox row a GET shows, with the SQL columns in the SQL order. */
export function toMailUser(entry: LdapEntry): MailUser {
  const username = (entry.first('mail') ?? '').toLowerCase();
  const location = splitHomeDirectory(entry.first('homeDirectory') ?? '');
  const services: Record<string, unknown> = {};
  for (const column of FLAG_COLUMNS) services[column] = entry.includes('enabledService', serviceOf(column)) ? 1 : 0;
  for (const column of CHAR_COLUMNS) services[column] = entry.includes('enabledService', serviceOf(column)) ? 'y' : 'n';
  return {
    username,
    name: entry.first('cn') ?? '',
    language: entry.first('preferredLanguage') ?? '',
    first_name: entry.first('givenName') ?? '',
    last_name: '',
    mobile: entry.first('mobile') ?? '',
    telephone: entry.first('telephoneNumber') ?? '',
    recovery_email: entry.first('recoveryEmail') ?? '',
    birthday: entry.first('birthday') ?? '0001-01-01',
    mailboxformat: entry.first('mailboxFormat') ?? DEFAULT_MAILBOX_FORMAT,
    mailboxfolder: entry.first('mailboxFolder') ?? DEFAULT_MAILBOX_FOLDER,
    ...location,
    quota: Math.round((Number.parseInt(entry.first('mailQuota') ?? '0', 10) || 0) / MB),
    domain: domainOf(username),
    transport: entry.first('mtaTransport') ?? '',
    department: entry.first('departmentNumber') ?? '',
    rank: 'normal',
    employeeid: entry.first('employeeNumber') ?? '',
    isadmin: entry.includes('enabledService', 'domainadmin') ? 1 : 0,
    isglobaladmin: isGlobalAdminEntry(entry) ? 1 : 0,
    ...services,
    allow_nets: entry.first('allowNets') ?? null,
    disclaimer: entry.first('disclaimer') ?? '',
    settings: decodeSettings(entry.values('accountSetting')),
    passwordlastchange: isoFromDays(entry.first('shadowLastChange')),
    created: isoFromGeneralizedTime(entry.first('createTimestamp')),
    modified: isoFromGeneralizedTime(entry.first('modifyTimestamp')),
    expired: isoFromGeneralizedTime(entry.first('expiredDate')) || NEVER_EXPIRES,
    active: isActiveEntry(entry) ? 1 : 0,
  };
}

/** The entry of a new user (storage.md §6.3); `extra` adds shadowAddress and domainStatus. */
export function newUserEntry(user: NewMailbox, extra: { shadowAddresses: string[]; domainDisabled: boolean }): Record<string, string[]> {
  const local = localPartOf(user.username);
  const off = new Set(Object.entries(user.services).filter(([, value]) => !isOn(value as ServiceValue)).map(([column]) => serviceOf(column as ServiceColumn)));
  const attributes: Record<string, string[]> = {
    objectClass: USER_CLASSES,
    mail: [user.username],
    uid: [local],
    sn: [local],
    cn: [user.name || local],
    userPassword: [user.passwordHash],
    homeDirectory: [homeDirectory(user)],
    accountStatus: ['active'],
    enabledService: DEFAULT_USER_SERVICES.filter((service) => !off.has(service)),
    shadowLastChange: [String(daysSinceEpoch())],
    amavisLocal: ['TRUE'],
  };
  if (user.language) attributes.preferredLanguage = [user.language];
  if (user.quota > 0) attributes.mailQuota = [String(user.quota * MB)];
  if (user.mailboxformat && user.mailboxformat !== DEFAULT_MAILBOX_FORMAT) attributes.mailboxFormat = [user.mailboxformat];
  if (user.mailboxfolder && user.mailboxfolder !== DEFAULT_MAILBOX_FOLDER) attributes.mailboxFolder = [user.mailboxfolder];
  if (extra.shadowAddresses.length > 0) attributes.shadowAddress = extra.shadowAddresses;
  if (extra.domainDisabled) attributes.domainStatus = ['disabled'];
  return attributes;
}
