/**
 * Who may log in, on OpenLDAP (storage.md §6.3, §6.4):
 *
 * - standalone admins: `mail=<a>,o=domainAdmins,<suffix>`, objectClass mailAdmin, with
 *   userPassword, accountStatus, cn, preferredLanguage, domainGlobalAdmin (`yes` for global
 *   admins), accountSetting, disabledService, shadowLastChange;
 * - mail users with admin rights: `domainGlobalAdmin=yes` (global), or named in some domain's
 *   `domainAdmin` (normal; iRedAdmin also marks them with enabledService=domainadmin, which
 *   counts like SQL's isadmin). They must be active and their domain active to log in.
 *
 * A normal admin manages the domains whose domainAdmin holds its address. Passwords are checked
 * by verifyPassword on the stored userPassword, as iRedAdmin does, never by binding as the user.
 */
import type { IdentityStore } from '#lib/storage/store';
import type { AdminIdentity } from '#lib/model/types';
import type { Settings } from '#lib/model/settings-codec';
import { domainOf } from '#lib/model/addresses';
import type { LdapEntry } from '#lib/storage/ldap/client';
import { and, eq, objectClass } from '#lib/storage/ldap/filter';
import type { LdapContext } from '#lib/storage/ldap/context';
import { domainsAdministeredBy } from '#lib/storage/ldap/domain-admins';
import { LdapAdminStore } from '#lib/storage/ldap/admins';

const IDENTITY_ATTRIBUTES = ['userPassword', 'accountStatus', 'domainGlobalAdmin', 'enabledService'];

function yes(value: string | undefined): boolean {
  return (value ?? '').toLowerCase() === 'yes';
}

function active(entry: LdapEntry | undefined): boolean {
  return (entry?.first('accountStatus') ?? '').toLowerCase() === 'active';
}

/** Only addresses with a local part name accounts (`@d` is a catch-all entry, not a user). */
function isAddress(username: string): boolean {
  const at = username.indexOf('@');
  return at > 0 && at === username.lastIndexOf('@') && at < username.length - 1;
}

export class LdapIdentityStore implements IdentityStore {
  constructor(private readonly ctx: LdapContext) {}

  private get connection() {
    return this.ctx.session.connection;
  }

  private managedDomains(username: string): Promise<string[]> {
    return domainsAdministeredBy(this.ctx, username);
  }

  private readStandalone(username: string, attributes: string[]) {
    return this.connection.read(this.ctx.dit.adminDn(username), attributes, objectClass('mailAdmin'));
  }

  private readMailUser(username: string, attributes: string[]) {
    return this.connection.read(this.ctx.dit.userDn(username), attributes, objectClass('mailUser'));
  }

  async findAdmin(username: string): Promise<AdminIdentity | undefined> {
    if (!isAddress(username)) return undefined;
    const admin = await this.readStandalone(username, IDENTITY_ATTRIBUTES);
    if (admin) {
      return {
        username,
        kind: 'admin',
        passwordHash: admin.first('userPassword') ?? '',
        active: active(admin),
        isGlobalAdmin: yes(admin.first('domainGlobalAdmin')),
        hasAdminRights: true,
        domainActive: true,
        managedDomains: await this.managedDomains(username),
      };
    }
    const user = await this.readMailUser(username, IDENTITY_ATTRIBUTES);
    if (!user) return undefined;
    const [domain, managedDomains] = await Promise.all([
      this.connection.read(this.ctx.dit.domainDn(domainOf(username)), ['accountStatus'], objectClass('mailDomain')),
      this.managedDomains(username),
    ]);
    const isGlobalAdmin = yes(user.first('domainGlobalAdmin'));
    return {
      username,
      kind: 'mailuser',
      passwordHash: user.first('userPassword') ?? '',
      active: active(user),
      isGlobalAdmin,
      hasAdminRights: isGlobalAdmin || managedDomains.length > 0 || user.includes('enabledService', 'domainadmin'),
      domainActive: active(domain),
      managedDomains,
    };
  }

  async isMailUser(username: string): Promise<boolean> {
    return isAddress(username) && (await this.readMailUser(username, ['1.1'])) !== undefined;
  }

  async isStandaloneAdmin(username: string): Promise<boolean> {
    return isAddress(username) && (await this.readStandalone(username, ['1.1'])) !== undefined;
  }

  async hasGlobalAdmin(): Promise<boolean> {
    const { dit } = this.ctx;
    const globalActive = (cls: string) => and(objectClass(cls), eq('domainGlobalAdmin', 'yes'), eq('accountStatus', 'active'));
    const admins = await this.connection.search(dit.adminsBase, { scope: 'one', filter: globalActive('mailAdmin'), attributes: ['1.1'], sizeLimit: 1 });
    if (admins.length > 0) return true;
    const users = await this.connection.search(dit.domainsBase, { scope: 'sub', filter: globalActive('mailUser'), attributes: ['1.1'], sizeLimit: 1 });
    return users.length > 0;
  }

  /** The entry AdminStore.create writes (POST /api/admin); here for the start-up bootstrap and test seeding. */
  createStandaloneAdmin(admin: { username: string; passwordHash: string; name: string; language: string; isGlobalAdmin: boolean; active: boolean; settings: Settings }): Promise<void> {
    return new LdapAdminStore(this.ctx).create(admin);
  }
}
