import { createHash } from 'node:crypto';
import { QuickBooksError } from '../../quickbooks';

/**
 * The pieces of the posting spine that orders and invoices share: how many writes go in one call and how many calls
 * are under way, request ids derived from content, and what counts as QuickBooks refusing a request outright.
 */

/** Records read from the database at a time while streaming through a batch. */
export const WINDOW = 300;
/** Rows of a window read in one event-loop turn (turns.ts inTurns). */
export const ROWS_PER_TURN = 100;
/** QuickBooks' batch endpoint takes at most 30 operations. */
export const CHUNK = 30;
/**
 * Batch calls under way at once. More than the governor's 10 slots, so that while some chunks record their results
 * others keep all 10 busy; the realm's governor keeps QuickBooks' limits whatever this is.
 */
export const CHUNKS_IN_FLIGHT = 16;
/** Passes over items that failed with a retryable fault inside an otherwise successful batch call. */
export const ITEM_RETRY_PASSES = 2;

/** A QuickBooks query string literal. */
export const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A requestid (32 hex characters, within the batch endpoint's 36) derived from what the request is. */
export const requestIdOf = (seed: string): string =>
  createHash('sha256').update(seed).digest('hex').slice(0, 32);

/**
 * QuickBooks refused the request itself (bad data, our bug): nothing was created and retrying will not help, so the
 * orders fail. Network trouble, throttling and lost authorization are for the job to retry or end.
 */
export function isRefusal(error: unknown): error is QuickBooksError {
  return (
    error instanceof QuickBooksError &&
    error.category !== 'RETRYABLE' &&
    error.category !== 'NEEDS_REAUTHORIZATION'
  );
}

/** Runs `work` over what `source` yields, at most `limit` at a time, pulling lazily (memory stays bounded). */
export async function runPool<T>(
  source: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  for await (const item of source) {
    if (failure) break;
    const task = work(item).catch((error: unknown) => {
      failure ??= error;
    });
    running.add(task);
    void task.finally(() => running.delete(task));
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure instanceof Error) throw failure;
  if (failure !== undefined) throw new Error('a pooled task failed with a non-error value');
}
