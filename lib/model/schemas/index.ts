import type { TObject } from '@sinclair/typebox';
import { loginSchemas } from '#lib/model/schemas/login';
import { domainSchemas } from '#lib/model/schemas/domain';

/** Parameter schemas by route key (`METHOD /pattern`, as in routes.ts). Build time and docs only. */
export const PARAM_SCHEMAS: Record<string, TObject> = {
  ...loginSchemas,
  ...domainSchemas,
};

export function routeKey(route: { method: string; pattern: string }): string {
  return `${route.method} ${route.pattern}`;
}
