import type { TObject } from '@sinclair/typebox';
import { loginSchemas } from '#lib/model/schemas/login';
import { domainSchemas } from '#lib/model/schemas/domain';
import { adminSchemas } from '#lib/model/schemas/admin';
import { aliasSchemas } from '#lib/model/schemas/alias';
import { policySchemas } from '#lib/model/schemas/policy';
import { userSchemas } from '#lib/model/schemas/user';
import { apiKeySchemas } from '#lib/model/schemas/apikey';
import { logSchemas } from '#lib/model/schemas/log';
import { maillistSchemas } from '#lib/model/schemas/maillist';
import { ldifSchemas } from '#lib/model/schemas/ldif';

/** Parameter schemas by route key (`METHOD /pattern`, as in routes.ts). Build time and docs only. */
export const PARAM_SCHEMAS: Record<string, TObject> = {
  ...loginSchemas,
  ...domainSchemas,
  ...adminSchemas,
  ...aliasSchemas,
  ...policySchemas,
  ...userSchemas,
  ...apiKeySchemas,
  ...logSchemas,
  ...maillistSchemas,
  ...ldifSchemas,
};

export function routeKey(route: { method: string; pattern: string }): string {
  return `${route.method} ${route.pattern}`;
}
