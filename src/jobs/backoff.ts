/** Exponential backoff bounds for failed jobs. */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay; each later attempt doubles it. */
  baseMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

/** One second, doubling, capped at fifteen minutes: QuickBooks outages and throttling rarely outlast that. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 15 * 60_000 };

/**
 * "Full jitter" backoff: a uniformly random delay between 0 and `min(maxMs, baseMs * 2^(attempt-1))`. Randomising the
 * whole interval spreads out retries of jobs that failed together (one QuickBooks outage fails a whole batch), so they
 * do not come back as a thundering herd.
 *
 * @param attempt the attempt that just failed, 1-based
 * @param random source of [0, 1) numbers; injectable so the bounds can be tested
 */
export function fullJitterBackoff(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
