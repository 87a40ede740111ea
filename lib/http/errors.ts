import type { MsgCode } from '#lib/model/codes';

/**
 * A refusal the client is meant to see. `status` stays 200 for API-level refusals: real
 * clients (Guzzle, PHP cURL, Go) read `_msg` and treat any non-2xx as a transport failure.
 */
export class ApiError extends Error {
  constructor(
    readonly code: MsgCode | string,
    readonly status = 200,
  ) {
    super(code);
    this.name = 'ApiError';
  }
}

export class NotFoundError extends ApiError {
  constructor() {
    super('NOT_FOUND', 404);
    this.name = 'NotFoundError';
  }
}

/** Storage could not be reached: a real transport-level failure, so a real 503. */
export class StorageUnavailableError extends ApiError {
  constructor(readonly reason: unknown) {
    super('STORAGE_UNAVAILABLE', 503);
    this.name = 'StorageUnavailableError';
  }
}

export function refuse(code: MsgCode | string): never {
  throw new ApiError(code);
}
