import { integer, params, text } from '#lib/model/schemas/common';

export const apiKeySchemas = {
  'POST /apikey': params({
    name: text({ description: 'What the key is for, e.g. the integration using it (required).', example: 'billing sync' }),
    domains: text({ description: 'Comma-separated domains the key is limited to; empty or absent = unrestricted (global admins only). Normal admins must name domains they manage.', code: 'INVALID_DOMAIN_NAME', example: 'example.com,example.org' }, 60000),
    access: text({ description: '`ro` (read-only: GET only, the default) or `rw` (read-write).', code: 'INVALID_ACCESS_MODE', example: 'ro' }, 10),
    expires: text({ description: 'Expiry as an ISO 8601 date or date-time (UTC unless an offset is given), e.g. 2027-01-31T00:00:00Z; absent = never.', code: 'INVALID_EXPIRY', example: '2027-01-31T00:00:00Z' }, 64),
    expires_in_days: integer({ description: 'Expiry in days from now (1–3650); conflicts with `expires`.', code: 'INVALID_EXPIRY', example: '90' }),
    allowed_ips: text({ description: 'Comma-separated IPs / CIDR networks the key may be used from; absent = any address.', code: 'INVALID_IP_ADDRESS', example: '192.0.2.10,2001:db8::/64' }, 8192),
  }),
  'GET /apikeys': params({}),
  'DELETE /apikey/:id': params({}),
};
