import { integer, params, size, text, unit, yesNo } from '#lib/model/schemas/common';

const limit = (what: string) => integer({ description: `How many ${what} this admin may create (0 removes the limit). Ignored in a request with \`isGlobalAdmin=yes\`.` });

const shared = {
  name: text({ description: 'Display name.', example: 'My Admin Name' }),
  cn: text({ description: 'Legacy name of `name` (before iRedAdmin-Pro-SQL 2.5.0).' }),
  accountStatus: text({ description: '`active` (or `enable`, `yes`, `1`) enables; any other value disables (as the original: `enabled` disables).' }, 20),
  language: text({ description: 'Preferred language of the web UI, e.g. en_US (at most 5 characters).', code: 'INVALID_LANGUAGE' }, 10),
  preferredLanguage: text({ description: 'Legacy name of `language`.', code: 'INVALID_LANGUAGE' }, 10),
  isGlobalAdmin: yesNo({ description: '`yes` makes the admin global (a domain_admins `ALL` row), `no` takes it away. Nobody can take away its own.' }),
  maxDomains: limit('mail domains'),
  maxQuota: size({ description: 'Mailbox quota this admin may hand out over all its domains, in `quotaUnit` (0 removes the limit).', example: '2' }),
  quotaUnit: unit({ description: 'Unit of `maxQuota`: MB (default), GB or TB.' }),
  maxUsers: limit('mail users'),
  maxAliases: limit('mail aliases'),
  maxLists: limit('mailing lists'),
  disableViewingMailLog: yesNo({ description: '`yes` hides the mail log from this admin; `no` shows it again.' }),
  disableManagingQuarantinedMails: yesNo({ description: '`yes` keeps this admin away from quarantined mails; `no` lets it manage them again.' }),
};

export const adminSchemas = {
  'POST /admin/:mail': params({
    ...shared,
    password: text({ description: 'Password (required); must pass the password policy (PW_* codes).', code: 'PW_GREATER_THAN_MAX_LENGTH' }, 1024),
  }),
  'PUT /admin/:mail': params({
    ...shared,
    password: text({ description: 'New password; ends every login of this admin made with the old one.', code: 'PW_GREATER_THAN_MAX_LENGTH' }, 1024),
  }),
};
