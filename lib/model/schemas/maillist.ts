import { emailList, params, text, yesNo } from '#lib/model/schemas/common';

/** Legacy mailing lists (LDAP only; other backends answer NOT_SUPPORTED_BY_BACKEND). */
const shared = {
  name: text({ description: 'Display name (the list entry\'s `cn`).', example: 'All staff' }),
  cn: text({ description: 'Legacy name of `name`.' }),
  accessPolicy: text({
    description: 'Who may send to the list (iRedAPD): public, domain, subdomain, membersonly, moderatorsonly, allowedonly, membersandmoderatorsonly; empty means public. Anything else is refused.',
    code: 'INVALID_ACCESS_POLICY',
    example: 'membersonly',
  }, 30),
  members: emailList({
    description: 'Members, comma separated (on PUT: the whole new member list). Mail users of the list\'s domain become members through memberOfGroup on their entries, every other address is an external member; a member in the list\'s own domain must exist (NO_SUCH_ACCOUNT), and the list cannot be its own member (INVALID_MAIL).',
  }),
};

export const maillistSchemas = {
  'POST /maillist/:mail': params(shared),
  'PUT /maillist/:mail': params({
    ...shared,
    addMember: emailList({ description: 'Members to add, comma separated. Conflicts with `members`.' }),
    removeMember: emailList({ description: 'Members to remove, comma separated; addresses that are not members are ignored. Conflicts with `members`.' }),
  }),
  'DELETE /maillist/:mail': params({
    archive: yesNo({ description: 'Accepted for compatibility (`archive=no`); a legacy list keeps no archive, so nothing is kept either way.' }),
  }),
};
