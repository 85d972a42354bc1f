import type { RetryOptions } from './client-types';
import type { QuickBooksError } from './quickbooks-error';

/** The client's retry policy: its defaults and the delay before each retry. */

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 6,
  maxRetryAfterMs: 300_000,
});

/** Full-jitter exponential backoff: uniform in [0, min(cap, base·2^retryIndex)). `retryIndex` 0 is the first retry. */
export const fullJitterDelay = (
  retryIndex: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retryIndex));

/**
 * Delay before retry number `retryIndex` (0-based): `Retry-After` when QuickBooks sent one, else full jitter.
 * A connection reset on a reused keep-alive socket is retried at once: the server had closed an idle socket.
 */
export const retryDelay = (
  retry: RetryOptions,
  random: () => number,
  error: QuickBooksError,
  retryIndex: number,
  staleSocket: boolean,
): number => {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, retry.maxRetryAfterMs);
  if (staleSocket && !error.timedOut) return 0;
  return fullJitterDelay(retryIndex, retry.baseDelayMs, retry.maxDelayMs, random);
};
