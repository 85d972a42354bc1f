import type { Resolution } from './posting-references';

/**
 * The customers or items of a run as they are found or created, so a transaction waits only for its own: the first
 * batch calls of transactions leave while the last customers are still being created, instead of after all of them.
 *
 * `close()` says everything that will be settled is (a key never settled then reads as missing); `fail(error)` says
 * the resolution itself failed, and everyone waiting gets that error.
 */
export class Resolutions {
  private readonly settled = new Map<string, Resolution>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private closed = false;
  private failure?: Error;

  get(key: string): Resolution | undefined {
    return this.settled.get(key);
  }

  has(key: string): boolean {
    return this.settled.has(key);
  }

  set(key: string, resolution: Resolution): this {
    this.settled.set(key, resolution);
    const waiting = this.waiters.get(key);
    if (waiting) {
      this.waiters.delete(key);
      for (const wake of waiting) wake();
    }
    return this;
  }

  /** Settles when every key is, or when the resolution ends (closed: missing keys stay missing; failed: rejects). */
  async whenSettled(keys: Iterable<string>): Promise<void> {
    for (const key of keys) {
      if (this.failure) throw this.failure;
      if (this.closed || this.settled.has(key)) continue;
      await new Promise<void>((wake) => {
        const waiting = this.waiters.get(key);
        if (waiting) waiting.push(wake);
        else this.waiters.set(key, [wake]);
      });
    }
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wakeAll();
  }

  private wakeAll(): void {
    const waiting = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const wake of waiting) wake();
  }
}
