/**
 * Amavisd and iRedAPD rows follow accounts (spam policy, throttle, greylisting), but live in
 * other databases than the accounts (vmail, or the LDAP directory): no one transaction covers
 * both. So a write whose policy rows must follow records the work first, in iredadmin's
 * `policy_followups`, then changes the accounts, then does the policy work (idempotent, see
 * lib/storage/sql/policy-store.ts), then deletes the record. A record left behind by a lost
 * connection or a crash is finished by the next such write, or by the scheduled job
 * (functions/policy-followups.ts): once it is older than any request can run, account storage
 * tells whether the change happened — then the policy work is run again — or not.
 */
import type { Context } from '#lib/http/context';
import type { AccountStore, PolicyFollowUp, PolicyStore, Store } from '#lib/storage/store';
import { ApiError, StorageUnavailableError } from '#lib/http/errors';
import { describeError, log } from '#lib/log';
import { isConnectionError } from '#lib/storage/sql/sql-helpers';

/** Records finished per call: a backlog is worked off over several requests, never by one. */
const BATCH = 10;

const nowSeconds = () => Math.floor(Date.now() / 1000);

function applyPolicyFollowUp(policy: PolicyStore, followUp: PolicyFollowUp): Promise<void> {
  return followUp.kind === 'rename' ? policy.renameAccount(followUp.from, followUp.to) : policy.forgetAccounts(followUp.accounts);
}

async function removeQuietly(store: Store, id: number): Promise<void> {
  try {
    await store.followUps.remove(id);
  } catch (error) {
    // The record outlives the request; a later resume finds the work done or not done and drops it.
    log('warn', 'policy follow-up record not removed', { id, ...describeError(error) });
  }
}

/**
 * Runs an account change whose policy rows follow it: record, `change`, policy work, remove
 * the record. `happened` tells from the change's result whether accounts changed (a delete of
 * something already gone did not). A refusal removes the record. A lost connection may have
 * hidden a commit that landed: account storage, read again, decides (the result is then
 * `undefined`: changed, details unknown); if it cannot tell, the error stands and the record
 * stays for a later resume to judge. Once the accounts changed the request succeeds even if
 * the policy work fails: the record stays, and the next write or the scheduled job finishes it.
 */
export async function withPolicyFollowUp<T>(store: Store, followUp: PolicyFollowUp, change: () => Promise<T>, happened: (result: T) => boolean = () => true): Promise<T | undefined> {
  const id = await store.followUps.add(followUp, nowSeconds());
  let result: T | undefined;
  try {
    result = await change();
    if (!happened(result)) {
      await removeQuietly(store, id);
      return result;
    }
  } catch (error) {
    if (error instanceof ApiError && !(error instanceof StorageUnavailableError)) {
      await removeQuietly(store, id);
      throw error;
    }
    if (!(await committedUnheard(store.accounts, followUp, error))) throw error;
  }
  try {
    await applyPolicyFollowUp(store.policy, followUp);
  } catch (error) {
    log('warn', 'policy follow-up left for a later request', { id, ...describeError(error) });
    return result;
  }
  await removeQuietly(store, id);
  return result;
}

/** After a storage failure: did the account change commit all the same (its reply lost)? */
async function committedUnheard(accounts: AccountStore, followUp: PolicyFollowUp, error: unknown): Promise<boolean> {
  if (!(error instanceof StorageUnavailableError) && !isConnectionError(error)) return false;
  try {
    return await changeHappened(accounts, followUp);
  } catch {
    return false; // still unreachable: the first failure stands
  }
}

async function accountExists(accounts: AccountStore, address: string): Promise<boolean> {
  if (await accounts.users.find(address)) return true;
  if (await accounts.aliases.get(address)) return true;
  return accounts.lists.supported && (await accounts.lists.get(address)) !== undefined;
}

/** Whether account storage shows the change the follow-up was recorded for. */
async function changeHappened(accounts: AccountStore, followUp: PolicyFollowUp): Promise<boolean> {
  if (followUp.kind === 'rename') return !(await accountExists(accounts, followUp.from)) && (await accountExists(accounts, followUp.to));
  if (followUp.accounts.domain !== undefined && (await accounts.domains.get(followUp.accounts.domain))) return false;
  for (const address of followUp.accounts.users ?? []) {
    if (await accountExists(accounts, address)) return false;
  }
  return true;
}

export interface ResumeSummary {
  finished: number;
  dropped: number;
  failed: number;
}

/**
 * Finishes follow-ups recorded at least `graceSeconds` ago: the change happened -> the policy
 * work runs (again) and the record goes; it did not -> the record goes. A failure leaves the
 * record for the next attempt and, with `stopAtFailure`, ends the pass (a database that is down
 * would otherwise cost its timeout once per record). `batches` passes of up to 10 records run
 * while each finds a full batch.
 */
export async function resumePolicyFollowUps(store: Store, options: { graceSeconds: number; now?: number; stopAtFailure?: boolean; batches?: number }): Promise<ResumeSummary> {
  const summary: ResumeSummary = { finished: 0, dropped: 0, failed: 0 };
  for (let pass = 0; pass < (options.batches ?? 1); pass++) {
    const due = await store.followUps.due((options.now ?? nowSeconds()) - options.graceSeconds, BATCH);
    const failedBefore = summary.failed;
    await resumeRecords(store, due, summary, options.stopAtFailure ?? false);
    if (due.length < BATCH || summary.failed > failedBefore) break;
  }
  return summary;
}

async function resumeRecords(store: Store, due: { id: number; followUp: PolicyFollowUp | undefined }[], summary: ResumeSummary, stopAtFailure: boolean): Promise<void> {
  for (const { id, followUp } of due) {
    try {
      if (!followUp) {
        log('warn', 'unreadable policy follow-up record dropped', { id });
        summary.dropped++;
      } else if (await changeHappened(store.accounts, followUp)) {
        await applyPolicyFollowUp(store.policy, followUp);
        summary.finished++;
      } else {
        summary.dropped++;
      }
      await store.followUps.remove(id);
    } catch (error) {
      summary.failed++;
      log('warn', 'policy follow-up not resumed', { id, ...describeError(error) });
      if (stopAtFailure) return;
    }
  }
}

/**
 * Run by each write that records follow-ups, once its own checks have passed (one indexed
 * SELECT when none is due); stops at the first failure and never fails the request.
 */
export async function resumeBeforeWrite(ctx: Context): Promise<void> {
  try {
    await resumePolicyFollowUps(ctx.store, { graceSeconds: ctx.config.policyFollowUpGraceSeconds, stopAtFailure: true });
  } catch (error) {
    log('warn', 'policy follow-ups not read', { requestId: ctx.req.requestId, ...describeError(error) });
  }
}
