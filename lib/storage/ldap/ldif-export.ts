/**
 * The entries GET /api/ldif/<kind>/<target> exports, read with their user attributes only
 * (`*`: no operational attributes such as entryUUID or createTimestamp, which ldapadd could
 * not write back). Values come back byte for byte: ldapts hands a value that is not valid
 * UTF-8 (a jpegPhoto, a certificate) over as a Buffer, and valid UTF-8 encodes back to the
 * same bytes.
 *
 *   domain    the mailDomain entry and everything below it, parents first
 *   catchall  mail=@<d>,ou=Users
 *   admin     mail=<admin>,o=domainAdmins (standalone admins)
 *   user      mail=<user>,ou=Users (mailUser)
 *   maillist  mail=<list>,ou=Groups (mailList) and the mailExternalUser entries holding its
 *             external members; internal members carry memberOfGroup on their own entries
 *   alias     mail=<alias>,ou=Aliases (mailAlias)
 */
import type { DirectoryExport } from '#lib/storage/store';
import type { DirectoryEntry, LdifTarget } from '#lib/model/ldif';
import { LDAP_RESULT, resultCode, type LdapEntry, type SearchSpec } from '#lib/storage/ldap/client';
import { and, eq, objectClass, present, type Filter } from '#lib/storage/ldap/filter';
import { rdnDepth, type LdapContext } from '#lib/storage/ldap/context';

function toExported(entry: LdapEntry): DirectoryEntry {
  const attributes = Object.entries(entry.attributes()) as [string, (string | Buffer)[]][];
  // objectClass first, as every LDIF writer does: a reader sees what the entry is at once.
  attributes.sort(([a], [b]) => Number(b.toLowerCase() === 'objectclass') - Number(a.toLowerCase() === 'objectclass'));
  return { dn: entry.dn, attributes };
}

export class LdapDirectoryExport implements DirectoryExport {
  readonly supported = true;

  constructor(private readonly ctx: LdapContext) {}

  private async search(base: string, scope: SearchSpec['scope'], filter: Filter): Promise<LdapEntry[]> {
    try {
      return await this.ctx.session.connection.search(base, { scope, filter, attributes: ['*'], paged: scope !== 'base' });
    } catch (error) {
      const code = resultCode(error);
      if (code === LDAP_RESULT.noSuchObject || code === LDAP_RESULT.invalidDnSyntax) return [];
      throw error;
    }
  }

  private async one(dn: string, cls: string): Promise<DirectoryEntry[] | undefined> {
    const found = await this.search(dn, 'base', objectClass(cls));
    return found.length > 0 ? found.map(toExported) : undefined;
  }

  async entries(target: LdifTarget): Promise<DirectoryEntry[] | undefined> {
    const { dit } = this.ctx;
    switch (target.kind) {
      case 'domain': {
        if (!(await this.one(dit.domainDn(target.domain), 'mailDomain'))) return undefined;
        const subtree = await this.search(dit.domainDn(target.domain), 'sub', present('objectClass'));
        subtree.sort((a, b) => rdnDepth(a.dn) - rdnDepth(b.dn) || (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
        return subtree.map(toExported);
      }
      case 'catchall':
        return this.one(dit.catchallDn(target.domain), 'mailUser');
      case 'admin':
        return this.one(dit.adminDn(target.mail), 'mailAdmin');
      case 'user':
        return this.one(dit.userDn(target.mail), 'mailUser');
      case 'alias':
        return this.one(dit.aliasDn(target.mail), 'mailAlias');
      case 'maillist': {
        const list = await this.one(dit.groupDn(target.mail), 'mailList');
        if (!list) return undefined;
        const domain = target.mail.slice(target.mail.lastIndexOf('@') + 1);
        const externals = await this.search(dit.domainDn(domain), 'sub', and(objectClass('mailExternalUser'), eq('memberOfGroup', target.mail)));
        return [...list, ...externals.map(toExported)];
      }
    }
  }
}
