import { integer, params, text } from '#lib/model/schemas/common';

const when = (description: string) =>
  text({ description: `${description} An ISO 8601 date (\`2026-01-31\`) or date-time (\`2026-01-31T08:00:00Z\`, UTC unless an offset is given).`, example: '2026-01-31' }, 40);

export const logSchemas = {
  'GET /log': params({
    event: text({ description: 'Only rows of this event: login, create, delete, update, grant, revoke, active, disable, …', example: 'create' }, 20),
    domain: text({ description: 'Only rows about this domain (normal admins: one they manage).', code: 'INVALID_DOMAIN_NAME', example: 'example.com' }),
    admin: text({ description: 'Only rows written by this admin (an address, `apikey:<id>`, or a cron job name).', example: 'postmaster@example.com' }, 320),
    since: when('Only rows at or after this time.'),
    until: when('Only rows up to this time (a date alone: through the end of that day).'),
    page: integer({ description: 'Page number, from 1 (default 1).' }),
    limit: integer({ description: 'Rows per page (default 100, at most 1000).' }),
  }),
};
