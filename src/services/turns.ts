/**
 * Turns of the event loop for CPU-heavy steps of a run (recording a batch call's answer, reading a window of orders).
 * SQLite answers synchronously, so each step holds the event loop: ten QuickBooks answers arriving together were each
 * read only after the steps of those read before them (~90 ms for the tenth), holding its slot and delaying the next
 * call. `ownTurn()` resumes one caller per turn, after that turn has read what the network brought, so an answer
 * waits for at most one step.
 */
const waiting: Array<() => void> = [];
let scheduled = false;

function resumeNext(): void {
  const resume = waiting.shift();
  if (waiting.length > 0) setImmediate(resumeNext);
  else scheduled = false;
  resume?.();
}

/** Resolves in an event-loop turn of its own (first come, first served), after that turn's I/O. */
export function ownTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(resumeNext);
    }
  });
}

/**
 * `read` over `items` a slice at a time, each slice after the first in a turn of its own (see ownTurn): a window of
 * 300 rows read and hydrated at once held the event loop ~10–20 ms, and every answer arriving meanwhile waited.
 */
export async function inTurns<T, R>(
  items: readonly T[],
  size: number,
  read: (slice: readonly T[]) => Promise<R[]>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await ownTurn();
    results.push(...(await read(items.slice(start, start + size))));
  }
  return results;
}
