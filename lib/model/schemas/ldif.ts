import { params, yesNo } from '#lib/model/schemas/common';

const withPassword = yesNo({
  description: '`yes`: include userPassword values (global admins only; a normal admin asking gets PERMISSION_DENIED). Left out by default.',
});

/** LDIF export (LDAP only; other backends answer NOT_SUPPORTED_BY_BACKEND). */
export const ldifSchemas = Object.fromEntries(
  ['domain/:domain', 'catchall/:domain', 'admin/:mail', 'user/:mail', 'maillist/:mail', 'alias/:mail'].map((path) => [`GET /ldif/${path}`, params({ with_password: withPassword })]),
);
