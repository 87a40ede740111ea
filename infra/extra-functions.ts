/**
 * Functions that are not route families: scheduled jobs. Read by scripts/build-functions.ts
 * (bundles) and infra/serverless-functions.js (serverless.yml).
 */
export interface ExtraFunction {
  name: string;
  events: Record<string, unknown>[];
  settings?: Record<string, unknown>;
}

export const EXTRA_FUNCTIONS: ExtraFunction[] = [
  // Greylisting SPF whitelist refresh (iRedMail runs iRedAPD's job hourly from cron).
  // A dead DNS server costs SPF_DNS_TIMEOUT_MS per lookup, so it gets more than the API's 29 s.
  { name: 'spf-refresh', events: [{ schedule: 'rate(1 hour)' }], settings: { timeout: 300, description: 'Refresh greylisting whitelists from the SPF/MX records of listed sender domains' } },
  // Policy rows (amavisd/iredapd) of account changes a lost connection cut off (iredadmin.policy_followups).
  { name: 'policy-followups', events: [{ schedule: 'rate(15 minutes)' }], settings: { timeout: 120, description: 'Finish the amavisd/iredapd follow-ups of interrupted account changes' } },
];
