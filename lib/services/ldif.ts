import type { Context } from '#lib/http/context';
import type { DirectoryEntry, LdifTarget } from '#lib/model/ldif';
import { ApiError } from '#lib/http/errors';
import { param } from '#lib/http/request';
import { assertDomainAccess, assertGlobalAdmin, assertMayExportPasswords } from '#lib/auth/access';
import { domainOf } from '#lib/model/addresses';
import { readYesNo } from '#lib/model/params';
import { toLdif } from '#lib/services/ldif-format';

/**
 * GET /api/ldif/{domain,catchall}/<domain> and /api/ldif/{admin,user,maillist,alias}/<mail>
 * (LDAP only, pro-api-behaviour §1.14): the account's entries as LDIF text (RFC 2849), which
 * `ldapadd` reads back. userPassword values are left out unless a global admin asks with
 * `with_password=yes`; a normal admin asking for them is refused (PERMISSION_DENIED).
 */

const PASSWORD = 'userpassword';

function withoutPasswords(entries: DirectoryEntry[]): DirectoryEntry[] {
  return entries.map((entry) => ({ ...entry, attributes: entry.attributes.filter(([name]) => name.toLowerCase() !== PASSWORD) }));
}

export async function exportLdif(ctx: Context, target: LdifTarget): Promise<string> {
  if (target.kind === 'admin') assertGlobalAdmin(ctx.caller);
  else assertDomainAccess(ctx.caller, 'domain' in target ? target.domain : domainOf(target.mail));
  const withPasswords = readYesNo(param(ctx.req, 'with_password')) ?? false;
  if (withPasswords) assertMayExportPasswords(ctx.caller);
  const source = ctx.store.accounts.ldif;
  if (!source.supported) throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
  const entries = await source.entries(target);
  if (!entries) {
    // A missing domain is named as such; a missing account in an existing domain is NO_SUCH_ACCOUNT.
    if ('domain' in target && !(await ctx.store.accounts.domains.get(target.domain))) throw new ApiError('INVALID_DOMAIN_NAME');
    throw new ApiError('NO_SUCH_ACCOUNT');
  }
  return toLdif(withPasswords ? entries : withoutPasswords(entries));
}
