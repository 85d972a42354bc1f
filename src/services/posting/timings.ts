/**
 * Where a posting run spends its own time, by phase (reading orders, building bodies, the durable record before a
 * call, recording results): cumulative milliseconds and counts for this process, cheap enough to keep always on. The
 * benchmarks print them beside their ratios; a snapshot is a copy.
 */
export type PostingPhase =
  | 'queue'
  | 'start'
  | 'readOrders'
  | 'prepare'
  | 'markSent'
  | 'recordResults'
  | 'recordFailures'
  | 'references'
  | 'finish';

const totals = new Map<PostingPhase, { ms: number; count: number }>();

/** Runs `work`, adding its wall time to `phase`. */
export async function timed<T>(phase: PostingPhase, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const entry = totals.get(phase) ?? { ms: 0, count: 0 };
    entry.ms += performance.now() - started;
    entry.count += 1;
    totals.set(phase, entry);
  }
}

export const postingTimings = {
  reset(): void {
    totals.clear();
  },
  snapshot(): Record<string, { ms: number; count: number }> {
    return Object.fromEntries(
      [...totals].map(([phase, { ms, count }]) => [phase, { ms: Math.round(ms), count }]),
    );
  },
};
