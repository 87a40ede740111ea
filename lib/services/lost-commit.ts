import { StorageUnavailableError } from '#lib/http/errors';
import { isConnectionError } from '#lib/storage/sql/sql-helpers';

/**
 * Runs an account-storage transaction whose follow-up lives in other databases (amavisd,
 * iredapd rows that follow the account). When the connection drops as the COMMIT is sent,
 * the server may have committed while the client only saw the drop; answering with the error
 * would then skip the follow-up and leave policy rows behind for an account that is gone or
 * renamed. So on a connection failure the caller's `applied` check looks (on a new
 * connection): committed -> go on as if the commit had answered; not committed, or not
 * reachable -> the original error stands.
 */
export async function transactionSurvivingLostCommit<T>(run: () => Promise<T>, applied: () => Promise<boolean>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof StorageUnavailableError) && !isConnectionError(error)) throw error;
    let committed = false;
    try {
      committed = await applied();
    } catch {
      // still unreachable: report the first failure
    }
    if (!committed) throw error;
    return undefined;
  }
}
