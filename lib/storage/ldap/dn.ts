/**
 * Distinguished names of the iRedMail directory tree (reference/storage.md §6.1):
 *
 *   o=domains,<suffix>
 *     domainName=<d>                     mailDomain
 *       ou=Users                         mail=<user>, and the catch-all mail=@<d>
 *       ou=Groups                        mail=<list>
 *       ou=Aliases                       mail=<alias>
 *       ou=Externals                     external list members
 *   o=domainAdmins,<suffix>
 *     mail=<admin>                       mailAdmin (standalone admins)
 *
 * Every value that came from outside goes through escapeRdnValue (RFC 4514 §2.4), so a value
 * can never add an RDN, climb to another branch, or end the DN early. The suffix comes from
 * the configuration and is used as written.
 */

const HEX = (code: number) => '\\' + code.toString(16).padStart(2, '0');

/** RFC 4514 §2.4: the escaped form of one attribute value inside an RDN. */
export function escapeRdnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((char, index) => {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) {
      // NUL must be escaped; other controls are escaped too, as hex pairs, so DNs stay printable.
      out += HEX(code);
    } else if ('"+,;<>\\='.includes(char)) {
      out += '\\' + char;
    } else if (index === 0 && (char === ' ' || char === '#')) {
      out += '\\' + char;
    } else if (index === chars.length - 1 && char === ' ') {
      out += '\\ ';
    } else {
      out += char;
    }
  });
  return out;
}

export type DomainOu = 'Users' | 'Groups' | 'Aliases' | 'Externals';
export const DOMAIN_OUS: readonly DomainOu[] = ['Users', 'Groups', 'Aliases', 'Externals'];

function domainPart(mail: string): string {
  return mail.slice(mail.lastIndexOf('@') + 1);
}

/** The DNs of one directory, below its suffix (e.g. `dc=example,dc=com`). */
export class Dit {
  readonly domainsBase: string;
  readonly adminsBase: string;

  constructor(readonly suffix: string) {
    this.domainsBase = `o=domains,${suffix}`;
    this.adminsBase = `o=domainAdmins,${suffix}`;
  }

  domainDn(domain: string): string {
    return `domainName=${escapeRdnValue(domain)},${this.domainsBase}`;
  }

  ouDn(domain: string, ou: DomainOu): string {
    return `ou=${ou},${this.domainDn(domain)}`;
  }

  usersOu(domain: string): string {
    return this.ouDn(domain, 'Users');
  }

  /** A mail user (inetOrgPerson + mailUser) in its domain's ou=Users. */
  userDn(mail: string): string {
    return `mail=${escapeRdnValue(mail)},${this.ouDn(domainPart(mail), 'Users')}`;
  }

  /** The catch-all account `mail=@<d>` (storage.md §6.4). */
  catchallDn(domain: string): string {
    return `mail=${escapeRdnValue('@' + domain)},${this.ouDn(domain, 'Users')}`;
  }

  aliasDn(mail: string): string {
    return `mail=${escapeRdnValue(mail)},${this.ouDn(domainPart(mail), 'Aliases')}`;
  }

  /** Mailing lists (legacy and mlmmj) live in ou=Groups. */
  groupDn(mail: string): string {
    return `mail=${escapeRdnValue(mail)},${this.ouDn(domainPart(mail), 'Groups')}`;
  }

  /** A standalone admin under o=domainAdmins. */
  adminDn(mail: string): string {
    return `mail=${escapeRdnValue(mail)},${this.adminsBase}`;
  }
}
