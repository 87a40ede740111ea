/**
 * Standalone admins on OpenLDAP (storage.md §6.3), read back in the SQL shape of GET
 * /api/admin (pro-api-behaviour §1.14):
 *
 *   mail=<admin>,o=domainAdmins,<suffix>    objectClass mailAdmin
 *     mail, userPassword, accountStatus active|disabled, cn (the API's `name`; none when empty),
 *     preferredLanguage, domainGlobalAdmin yes|no (`no` as iRedAdmin writes for normal admins),
 *     accountSetting (the create_* limits, storage.md §2.2), disabledService (view_mail_log,
 *     manage_quarantined_mails: LDAP's form of the two disable_* settings), shadowLastChange
 *
 * The domains an admin manages are the domainAdmin values on the domain entries (the
 * domain store writes them); deleting an admin removes its address from all of them.
 * passwordlastchange is shadowLastChange (whole days), shown as midnight UTC of that day.
 */
import type { AdminStore } from '#lib/storage/store';
import type { AdminChanges, AdminProfile, NewAdmin, StandaloneAdmin } from '#lib/model/admins';
import type { Settings } from '#lib/model/settings-codec';
import { ApiError } from '#lib/http/errors';
import { LDAP_RESULT, resultCode, type LdapEntry } from '#lib/storage/ldap/client';
import { objectClass } from '#lib/storage/ldap/filter';
import { decodeAccountSetting, encodeAccountSetting } from '#lib/storage/ldap/account-setting';
import { daysSinceEpoch, isoFromGeneralizedTime, type LdapContext } from '#lib/storage/ldap/context';
import { LdapDomainStore } from '#lib/storage/ldap/domains';
import { domainsAdministeredBy } from '#lib/storage/ldap/domain-admins';
import { directoryPasswordForm } from '#lib/storage/ldap/password-form';

const ADMIN_ATTRIBUTES = ['cn', 'preferredLanguage', 'accountStatus', 'domainGlobalAdmin', 'accountSetting', 'disabledService', 'shadowLastChange', 'expiredDate', 'createTimestamp', 'modifyTimestamp'];
const NEVER_EXPIRES = '9999-12-31T00:00:00';

/** Admin settings that LDAP keeps as disabledService values instead (storage.md §2.2). */
const DISABLED_SERVICE_SETTINGS: Record<string, string> = {
  disable_viewing_mail_log: 'view_mail_log',
  disable_managing_quarantined_mails: 'manage_quarantined_mails',
};

function isGlobal(entry: LdapEntry): boolean {
  return (entry.first('domainGlobalAdmin') ?? '').toLowerCase() === 'yes';
}

function dateFromDays(days: string | undefined): string {
  const n = Number.parseInt(days ?? '', 10);
  if (!Number.isFinite(n) || n <= 0) return '';
  return new Date(n * 86_400_000).toISOString().slice(0, 19);
}

/** Model settings -> accountSetting values and the disabledService values that stand for settings. */
function splitSettings(settings: Settings): { accountSetting: string[]; disabledService: string[] } {
  const rest: Settings = {};
  const disabledService: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const service = DISABLED_SERVICE_SETTINGS[key];
    if (!service) rest[key] = value;
    else if (value) disabledService.push(service);
  }
  return { accountSetting: encodeAccountSetting(rest), disabledService };
}

function toAdmin(entry: LdapEntry, username: string): StandaloneAdmin {
  const { settings } = decodeAccountSetting(entry.values('accountSetting'));
  for (const [key, service] of Object.entries(DISABLED_SERVICE_SETTINGS)) {
    if (entry.includes('disabledService', service)) settings[key] = 'yes';
  }
  return {
    username,
    name: entry.first('cn') ?? '',
    language: entry.first('preferredLanguage') ?? '',
    passwordlastchange: dateFromDays(entry.first('shadowLastChange')),
    settings,
    created: isoFromGeneralizedTime(entry.first('createTimestamp')),
    modified: isoFromGeneralizedTime(entry.first('modifyTimestamp')),
    expired: isoFromGeneralizedTime(entry.first('expiredDate')) || NEVER_EXPIRES,
    active: (entry.first('accountStatus') ?? '').toLowerCase() === 'active' ? 1 : 0,
  };
}

export class LdapAdminStore implements AdminStore {
  constructor(private readonly ctx: LdapContext) {}

  private read(username: string, attributes: string[]): Promise<LdapEntry | undefined> {
    return this.ctx.session.connection.read(this.ctx.dit.adminDn(username), attributes, objectClass('mailAdmin'));
  }

  async get(username: string): Promise<AdminProfile | undefined> {
    const entry = await this.read(username, ADMIN_ATTRIBUTES);
    if (!entry) return undefined;
    return { ...toAdmin(entry, username), isglobaladmin: isGlobal(entry) ? 1 : 0, managed_domains: await domainsAdministeredBy(this.ctx, username) };
  }

  /** LDAP cannot lock an entry: this reads it (transactions of one container are serialised, transaction.ts). */
  async lock(username: string) {
    const entry = await this.read(username, ADMIN_ATTRIBUTES);
    return entry ? { ...toAdmin(entry, username), isGlobalAdmin: isGlobal(entry) } : undefined;
  }

  async create(admin: NewAdmin): Promise<void> {
    const { accountSetting, disabledService } = splitSettings(admin.settings);
    const attributes: Record<string, string[]> = {
      objectClass: ['mailAdmin'],
      mail: [admin.username],
      // Throws INVALID_PASSWORD_SCHEME before the write for a hash slapd cannot verify.
      userPassword: [directoryPasswordForm(admin.passwordHash)],
      accountStatus: [admin.active ? 'active' : 'disabled'],
      // iRedAdmin writes `no` for admins that are not global (libs/ldaplib/iredldif.py).
      domainGlobalAdmin: [admin.isGlobalAdmin ? 'yes' : 'no'],
      shadowLastChange: [String(daysSinceEpoch())],
    };
    // No cn for an empty name (the schema does not require one), so GET shows '' as on SQL.
    if (admin.name) attributes.cn = [admin.name];
    if (admin.language) attributes.preferredLanguage = [admin.language];
    if (accountSetting.length > 0) attributes.accountSetting = accountSetting;
    if (disabledService.length > 0) attributes.disabledService = disabledService;
    await this.ctx.session.write(async (writer) => {
      try {
        await writer.add(this.ctx.dit.adminDn(admin.username), attributes);
      } catch (error) {
        if (resultCode(error) === LDAP_RESULT.alreadyExists) throw new ApiError('ALREADY_EXISTS');
        throw error;
      }
    });
  }

  async update(username: string, changes: AdminChanges): Promise<void> {
    // Converted (or refused) before anything is read or written.
    const userPassword = changes.passwordHash === undefined ? undefined : directoryPasswordForm(changes.passwordHash);
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, [...ADMIN_ATTRIBUTES, 'userPassword']);
      if (!entry) return;
      const replace: Record<string, string[]> = {};
      if (changes.name !== undefined && (changes.name || entry.has('cn'))) replace.cn = changes.name ? [changes.name] : [];
      if (changes.language !== undefined && (changes.language || entry.has('preferredLanguage'))) replace.preferredLanguage = changes.language ? [changes.language] : [];
      if (changes.active !== undefined) replace.accountStatus = [changes.active ? 'active' : 'disabled'];
      if (changes.settings !== undefined) {
        const { accountSetting, disabledService } = splitSettings(changes.settings);
        replace.accountSetting = accountSetting;
        // disabledService values that are not settings (set by other tools) stay.
        const mapped = new Set(Object.values(DISABLED_SERVICE_SETTINGS));
        replace.disabledService = [...entry.values('disabledService').filter((value) => !mapped.has(value.toLowerCase())), ...disabledService];
      }
      if (userPassword !== undefined) {
        replace.userPassword = [userPassword];
        replace.shadowLastChange = [String(daysSinceEpoch())];
      }
      await writer.modify(entry.dn, { replace }, entry);
    });
  }

  async setGlobalAdmin(username: string, global: boolean): Promise<void> {
    await this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, ['domainGlobalAdmin']);
      if (entry) await writer.modify(entry.dn, { replace: { domainGlobalAdmin: [global ? 'yes' : 'no'] } }, entry);
    });
  }

  async delete(username: string): Promise<boolean> {
    return this.ctx.session.write(async (writer) => {
      const entry = await this.read(username, ['*']);
      if (!entry) return false;
      await writer.delete(entry);
      // The domain store's own revocation. AdminService calls this inside a transaction, so its
      // writes join the same undo log (outside one, each domain's change is undone on its own).
      const domains = new LdapDomainStore(this.ctx);
      for (const domain of await domainsAdministeredBy(this.ctx, username)) {
        await domains.setAdmins(domain, { add: [], remove: [username], removeAll: false });
      }
      return true;
    });
  }
}
