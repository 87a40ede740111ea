import { params, text } from '#lib/model/schemas/common';

export const loginSchemas = {
  'POST /login': params({
    username: text({ description: 'Admin username: a full e-mail address.', code: 'INVALID_USERNAME', example: 'admin@example.com' }, 320),
    password: text({ description: 'Plain password.', code: 'INVALID_CREDENTIALS' }, 1024),
  }),
};
