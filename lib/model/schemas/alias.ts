import { emailList, flag, integer, params, text } from '#lib/model/schemas/common';

const shared = {
  name: text({ description: 'Display name.', example: 'Sales team' }),
  cn: text({ description: 'Legacy name of `name` (before iRedAdmin-Pro-SQL 2.5.0).' }),
  accessPolicy: text({
    description: 'Who may send to the alias: public, domain, subdomain, membersonly, moderatorsonly, allowedonly, membersandmoderatorsonly. Anything else is refused. SQL backends only: on LDAP an alias is open to every sender, so public (or empty) is accepted and any other policy is NOT_SUPPORTED_BY_BACKEND.',
    code: 'INVALID_ACCESS_POLICY',
    example: 'membersonly',
  }, 30),
  members: emailList({ description: 'Members, comma separated (reset). Members in the alias\'s own domain must exist; external addresses are kept.' }),
};

export const aliasSchemas = {
  'POST /alias/:mail': params(shared),
  'PUT /alias/:mail': params({
    ...shared,
    accountStatus: text({ description: '`active` enables; any other value disables the alias and its forwardings (as the original: `enabled` disables).' }, 20),
    addMember: emailList({ description: 'Members to add, comma separated. Conflicts with `members`.' }),
    removeMember: emailList({ description: 'Members to remove, comma separated. Conflicts with `members`.' }),
  }),
  'GET /aliases/:domain': params({
    email_only: flag({ description: 'Return only a sorted list of addresses (presence counts, whatever the value).' }),
    disabled_only: flag({ description: 'Return only disabled aliases (presence counts).' }),
    page: integer({ description: 'Page number, from 1 (paging is applied only when page or limit is given).' }),
    limit: integer({ description: 'Aliases per page (default 100, at most 10000).' }),
  }),
};
