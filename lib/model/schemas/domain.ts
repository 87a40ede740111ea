import { emailList, flag, integer, params, size, text, unit, yesNo } from '#lib/model/schemas/common';

const limit = (what: string) => integer({ description: `Maximum number of ${what}: 0 unlimited, -1 none allowed.` });

const shared = {
  name: text({ description: 'Short description of the domain, e.g. the company name.', example: 'Example Inc.' }),
  cn: text({ description: 'Legacy name of `name` (before iRedAdmin-Pro-SQL 2.5.0).' }),
  quota: size({ description: 'Domain quota in MB (0 = unlimited).', example: '2048' }),
  mailQuota: size({ description: 'Legacy name of `quota`.' }),
  quotaUnit: unit({ description: 'Unit of `quota`: MB (default), GB or TB.' }),
  language: text({ description: 'Default language of new users, e.g. en_US.', code: 'INVALID_LANGUAGE' }, 10),
  transport: text({ description: 'Postfix transport, e.g. dovecot.', code: 'INVALID_TRANSPORT' }),
  defaultQuota: size({ description: 'Default quota of new users, in MB.' }),
  defaultQuotaUnit: unit({ description: 'Unit of `defaultQuota`.' }),
  maxUserQuota: size({ description: 'Largest quota a user may get, in MB.' }),
  maxUserQuotaUnit: unit({ description: 'Unit of `maxUserQuota`.' }),
  numberOfUsers: limit('mail users'),
  numberOfAliases: limit('mail aliases'),
  numberOfLists: limit('mailing lists'),
  senderBcc: emailList({ description: 'Per-domain sender BCC address (empty removes it).' }),
  recipientBcc: emailList({ description: 'Per-domain recipient BCC address (empty removes it).' }),
  timezone: text({ description: 'Time zone, an Olson name such as Europe/Berlin.', code: 'INVALID_TIMEZONE' }, 64),
};

export const domainSchemas = {
  'POST /domain/:domain': params(shared),
  'PUT /domain/:domain': params({
    ...shared,
    accountStatus: text({ description: '`active` enables; any other value disables (as the original: `enabled` disables).' }, 20),
    minPasswordLength: integer({ description: 'Minimum password length of the domain.' }),
    maxPasswordLength: integer({ description: 'Maximum password length (0 = none).' }),
    is_backupmx: yesNo({ description: 'Mark the domain as backup MX (`yes`/`no`). Conflicts with `transport`.' }),
    primarymx: text({ description: 'Primary MX host or IP for a backup MX, port optional.', code: 'INVALID_RELAYHOST' }),
    catchall: emailList({ description: 'Catch-all targets, comma separated; empty disables catch-all.' }),
    outboundRelay: text({ description: 'Per-domain relay host, e.g. `smtp:[192.168.1.2]:25`; empty removes it.', code: 'INVALID_RELAYHOST' }),
    aliasDomains: text({ description: 'Alias domains (reset), comma separated.', code: 'INVALID_DOMAIN_NAME' }, 65536),
    addAliasDomain: text({ description: 'Alias domains to add.', code: 'INVALID_DOMAIN_NAME' }, 65536),
    removeAliasDomain: text({ description: 'Alias domains to remove.', code: 'INVALID_DOMAIN_NAME' }, 65536),
    services: text({ description: 'Enabled domain services (reset), global admins only.', code: 'INVALID_SERVICE' }, 4096),
    addService: text({ description: 'Domain services to enable, global admins only.', code: 'INVALID_SERVICE' }, 4096),
    removeService: text({ description: 'Domain services to disable, global admins only.', code: 'INVALID_SERVICE' }, 4096),
    enableService: text({ description: 'Legacy name of `addService`.', code: 'INVALID_SERVICE' }, 4096),
    disableService: text({ description: 'Legacy name of `removeService`.', code: 'INVALID_SERVICE' }, 4096),
    removeAllServices: flag({ description: 'Disable all domain services (presence counts).' }),
    disableDomainProfile: text({ description: 'Domain profiles hidden from normal admins.', code: 'INVALID_SERVICE' }, 4096),
    enableDomainProfile: text({ description: 'Domain profiles shown to normal admins again.', code: 'INVALID_SERVICE' }, 4096),
    disableUserProfile: text({ description: 'User profiles hidden from normal admins.', code: 'INVALID_SERVICE' }, 4096),
    enableUserProfile: text({ description: 'User profiles shown to normal admins again.', code: 'INVALID_SERVICE' }, 4096),
    disableUserPreference: text({ description: 'Self-service preferences hidden from users.', code: 'INVALID_SERVICE' }, 4096),
    enableUserPreference: text({ description: 'Self-service preferences shown to users again.', code: 'INVALID_SERVICE' }, 4096),
  }),
  'PUT /domain/admins/:domain': params({
    addAdmin: emailList({ description: 'Mail users (or, for global admins, standalone admins) to make admins of the domain.' }),
    removeAdmin: emailList({ description: 'Admins to remove from the domain.' }),
    removeAllAdmins: flag({ description: 'Remove every admin of the domain (presence counts).' }),
  }),
  'GET /domains': params({
    name_only: flag({ description: 'Return only a sorted list of names (presence counts, whatever the value).' }),
    disabled_only: flag({ description: 'Return only disabled domains (presence counts).' }),
    page: integer({ description: 'Page number, from 1 (paging is applied only when page or limit is given).' }),
    limit: integer({ description: 'Domains per page (default 100, at most 10000).' }),
  }),
};
