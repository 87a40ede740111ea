/**
 * Scheduled (EventBridge, infra/extra-functions.ts): finishes the amavisd/iredapd work of
 * account changes whose request was cut off, recorded in iredadmin.policy_followups
 * (lib/services/policy-followups.ts). Each write that records such work also runs this first;
 * the schedule covers the quiet hours when no such write comes. Setting:
 * POLICY_FOLLOWUP_GRACE_SECONDS (lib/config.ts).
 */
import { getConfig } from '#lib/config';
import { getStore } from '#lib/storage/open-store';
import { resumePolicyFollowUps, type ResumeSummary } from '#lib/services/policy-followups';

/** Up to 500 records a run (a bulk delete during an outage can leave hundreds). */
const BATCHES_PER_RUN = 50;

/** The scheduled event carries nothing the job needs. */
export async function handler(): Promise<ResumeSummary> {
  const config = await getConfig();
  return resumePolicyFollowUps(await getStore(config), { graceSeconds: config.policyFollowUpGraceSeconds, batches: BATCHES_PER_RUN });
}
