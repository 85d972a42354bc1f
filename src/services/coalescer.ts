/**
 * Runs `write` over everything added while no write is under way, so callers finishing at about the same time share
 * one write. `add` resolves once its items are written (or rejects with the write's error).
 */
export class Coalescer<T> {
  private pending: T[] = [];
  /** The next write, not started yet: later callers join it. */
  private next?: Promise<void>;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(items: T[]): Promise<void> {
    this.pending.push(...items);
    if (!this.next) {
      const next = this.tail.then(() => {
        this.next = undefined;
        return this.write(this.pending.splice(0));
      });
      this.next = next;
      this.tail = next.catch(() => undefined);
    }
    return this.next;
  }
}
