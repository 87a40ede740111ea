/**
 * Functions that are not route families: scheduled jobs. Read by scripts/build-functions.ts
 * (bundles) and infra/serverless-functions.js (serverless.yml).
 */
export interface ExtraFunction {
  name: string;
  events: Record<string, unknown>[];
  settings?: Record<string, unknown>;
}

export const EXTRA_FUNCTIONS: ExtraFunction[] = [];
