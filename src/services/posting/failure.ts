import { QueryFailedError } from 'typeorm';
import { AppError } from '../../errors';
import type { StoredSyncError } from '../../entities';
import { QuickBooksError } from '../../quickbooks';

/**
 * What a job-level failure (one that belongs to no single order) means for the batch:
 * - `transient`: QuickBooks is down or throttling, the network or the database hiccupped: the job runs again later and
 *   the batch shows that it is waiting;
 * - `superseded`: this run must stop (its lease was lost, the worker is stopping, another run took the orders over):
 *   nothing is written, the job's next run decides;
 * - `deterministic`: running again would fail the same way (a bug, data QuickBooks refuses, a setting): the batch ends
 *   FAILED at once and its orders can be posted again.
 */
export type JobFailureKind = 'transient' | 'superseded' | 'deterministic';

/** Driver codes of database failures that pass (locks, a dropped or refused connection, a restarting server). */
const TRANSIENT_DRIVER_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_LOCKED',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const SUPERSEDED_NAMES = new Set(['LeaseLostError', 'WorkerStoppedError', 'AbortError']);

export function classifyJobFailure(error: unknown, signal?: AbortSignal): JobFailureKind {
  if (signal?.aborted) return 'superseded';
  if (error instanceof Error && SUPERSEDED_NAMES.has(error.name)) return 'superseded';
  if (error instanceof QuickBooksError) return error.category === 'RETRYABLE' ? 'transient' : 'deterministic';
  // Another run of the batch holds the orders now (markSent's fence).
  if (error instanceof AppError) return error.code === 'CONFLICT' ? 'superseded' : 'deterministic';
  const driver: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const code = (driver as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_DRIVER_CODES.has(code)) return 'transient';
  if (
    error instanceof Error &&
    /connection (is )?(not established|lost|closed)|not connected/i.test(error.message)
  )
    return 'transient';
  return 'deterministic';
}

/** What a batch shows while its job waits out a transient failure: "Waiting for QuickBooks (attempt 2 of 25): …". */
export function waitingProblem(
  stored: StoredSyncError,
  attempt: number,
  maxAttempts?: number,
): StoredSyncError {
  return {
    ...stored,
    message: `Waiting for QuickBooks (attempt ${attempt}${maxAttempts ? ` of ${maxAttempts}` : ''}): ${stored.message}`,
    hint: 'the gateway tries again on its own with growing waits; nothing to do unless it keeps failing',
  };
}
