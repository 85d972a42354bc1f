import { DEFAULT_BACKOFF, fullJitterBackoff } from '../../src/jobs';

describe('fullJitterBackoff', () => {
  const policy = { baseMs: 100, maxMs: 1_000 };

  it('draws from zero up to a ceiling that doubles per attempt and stops at maxMs', () => {
    const top = (attempt: number): number => fullJitterBackoff(attempt, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(fullJitterBackoff(3, policy, () => 0)).toBe(0);
    expect(fullJitterBackoff(3, policy, () => 0.5)).toBe(200);
    // Far-out attempts do not overflow past the cap.
    expect(fullJitterBackoff(5_000, policy, () => 0.5)).toBe(500);
  });

  it('spreads retries of jobs that failed together', () => {
    const delays = Array.from({ length: 200 }, () => fullJitterBackoff(4, DEFAULT_BACKOFF));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(8 * DEFAULT_BACKOFF.baseMs);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
