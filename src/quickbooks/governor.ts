/**
 * Keeps this process inside QuickBooks' per-company limits (reference §4: 500 requests a minute with batch calls
 * included, 10 at once, 120 batch calls a minute). Every call to a realm goes through that realm's one governor, so
 * the posting worker, reference sync and GraphQL reads share the budget instead of tripping each other's 429s.
 */

/** What a governed call is: batch calls have their own, smaller per-minute budget. */
export type GovernedKind = 'single' | 'batch';

/** Time and timers, injectable so the limits can be unit-tested without waiting. */
export interface GovernorClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The real clock: monotonic `performance.now()` so a wall-clock jump cannot open or freeze the window. */
export const systemClock: GovernorClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Limits of one realm. */
export interface GovernorLimits {
  /** Calls in flight at once (QuickBooks: 10). */
  concurrent: number;
  /** Calls started in any window, batch calls included (QuickBooks: 500 a minute). */
  perMinute: number;
  /** Batch calls started in any window (QuickBooks: 120 a minute since 2025; 40 before). */
  batchPerMinute: number;
  /**
   * Length of the sliding window in ms. Default 61 000: QuickBooks counts a request when it arrives, which lags our
   * start by a latency that varies per request, so an exact 60 s window would trip 429s at its edge. One second of
   * margin costs under 2% of the ceiling and still guarantees ≤ perMinute in any 60 s.
   */
  windowMs: number;
}

export const DEFAULT_GOVERNOR_LIMITS: Readonly<GovernorLimits> = Object.freeze({
  concurrent: 10,
  perMinute: 500,
  batchPerMinute: 120,
  windowMs: 61_000,
});

/** A snapshot for metrics and tests. */
export interface GovernorStats {
  inFlight: number;
  /** Highest number in flight at once since creation. */
  maxInFlight: number;
  queued: number;
  /** Calls (and batch calls) started in the current window. */
  inWindow: number;
  batchInWindow: number;
  started: number;
  /** Calls that had to wait for a slot. */
  waited: number;
  /** ms until a pause asked for by `backoff` ends (0 when not paused). */
  pausedForMs: number;
}

interface Waiter {
  kind: GovernedKind;
  resolve: () => void;
}

/** One governed call, as an observer sees it when it settles (times on the governor's clock, in ms). */
export interface GovernedCall {
  realmId: string;
  kind: GovernedKind;
  /** What the call was, e.g. `batch:create SalesReceipt` or `query:Customer` (set by the client). */
  label?: string;
  queuedAt: number;
  startedAt: number;
  endedAt: number;
}

/** Sees every governed call of a realm (benchmarks draw calls-in-flight timelines from it); must not throw. */
export type GovernorObserver = (call: GovernedCall) => void;

/** A FIFO of numbers (start times) with O(1) amortised shift. */
class TimeQueue {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(t: number): void {
    this.items.push(t);
  }
  first(): number | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  /** The n-th oldest (0-based). */
  at(n: number): number | undefined {
    return this.items[this.head + n];
  }
  dropBefore(limit: number): void {
    while (this.head < this.items.length && this.items[this.head] <= limit) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * One realm's governor. `run` waits for a slot (FIFO), runs `fn`, and frees the slot when `fn` settles.
 * A call counts against the per-minute windows from the moment it starts, retries included (each attempt is a call).
 */
export class RealmGovernor {
  private limits: GovernorLimits;
  private readonly clock: GovernorClock;
  private readonly queue: Waiter[] = [];
  private queueHead = 0;
  private readonly starts = new TimeQueue();
  private readonly batchStarts = new TimeQueue();
  private inFlight = 0;
  private maxInFlight = 0;
  private started = 0;
  private waited = 0;
  private pausedUntil = 0;
  private timer: unknown = undefined;
  private timerAt = Infinity;
  /** Set by the registry: sees each call when it settles. */
  observer?: GovernorObserver;

  constructor(
    readonly realmId: string,
    limits: Partial<GovernorLimits> = {},
    clock: GovernorClock = systemClock,
  ) {
    this.limits = RealmGovernor.validate({ ...DEFAULT_GOVERNOR_LIMITS, ...limits });
    this.clock = clock;
  }

  private static validate(limits: GovernorLimits): GovernorLimits {
    for (const key of ['concurrent', 'perMinute', 'batchPerMinute', 'windowMs'] as const) {
      const value = limits[key];
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`governor limit ${key} must be a positive integer`);
    }
    return limits;
  }

  /** Changes the limits at run time; waiting calls are re-examined at once. */
  setLimits(limits: Partial<GovernorLimits>): void {
    this.limits = RealmGovernor.validate({ ...this.limits, ...limits });
    this.pump();
  }

  getLimits(): Readonly<GovernorLimits> {
    return { ...this.limits };
  }

  /** Runs `fn` when the realm's limits allow it. */
  async run<T>(kind: GovernedKind, fn: () => Promise<T>, label?: string): Promise<T> {
    const queuedAt = this.observer ? this.clock.now() : 0;
    await this.acquire(kind);
    const startedAt = this.observer ? this.clock.now() : 0;
    try {
      return await fn();
    } finally {
      this.release();
      if (this.observer) {
        const call = { realmId: this.realmId, kind, label, queuedAt, startedAt, endedAt: this.clock.now() };
        try {
          this.observer(call);
        } catch {
          // an observer's fault is not the call's
        }
      }
    }
  }

  /**
   * Stops every caller from starting a call for `ms` (QuickBooks answered 429: the whole realm is over its limit,
   * so slowing down only the caller that saw it would not help). Pauses never shorten an earlier, longer one.
   */
  backoff(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.pump();
  }

  stats(): GovernorStats {
    const now = this.clock.now();
    this.trim(now);
    return {
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      queued: this.queue.length - this.queueHead,
      inWindow: this.starts.length,
      batchInWindow: this.batchStarts.length,
      started: this.started,
      waited: this.waited,
      pausedForMs: Math.max(0, this.pausedUntil - now),
    };
  }

  private acquire(kind: GovernedKind): Promise<void> {
    if (this.queue.length === this.queueHead && this.blockedUntil(kind, this.clock.now()) === 0) {
      this.start(kind, this.clock.now());
      return Promise.resolve();
    }
    this.waited += 1;
    return new Promise<void>((resolve) => {
      this.queue.push({ kind, resolve });
      this.pump();
    });
  }

  private release(): void {
    this.inFlight -= 1;
    this.pump();
  }

  private start(kind: GovernedKind, now: number): void {
    this.inFlight += 1;
    this.started += 1;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    this.starts.push(now);
    if (kind === 'batch') this.batchStarts.push(now);
  }

  private trim(now: number): void {
    const limit = now - this.limits.windowMs;
    this.starts.dropBefore(limit);
    this.batchStarts.dropBefore(limit);
  }

  /**
   * 0 when a call of this kind may start now; Infinity when it waits for a call to finish; otherwise the time at
   * which a window (or a pause) will let it start.
   */
  private blockedUntil(kind: GovernedKind, now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil;
    this.trim(now);
    const { concurrent, perMinute, batchPerMinute, windowMs } = this.limits;
    let until = 0;
    if (this.starts.length >= perMinute) {
      until = Math.max(until, (this.starts.at(this.starts.length - perMinute) ?? now) + windowMs);
    }
    if (kind === 'batch' && this.batchStarts.length >= batchPerMinute) {
      until = Math.max(
        until,
        (this.batchStarts.at(this.batchStarts.length - batchPerMinute) ?? now) + windowMs,
      );
    }
    if (until > 0) return until;
    return this.inFlight >= concurrent ? Infinity : 0;
  }

  /**
   * Starts waiting calls in arrival order. A batch call held only by the batch budget does not hold up single calls
   * behind it (they do not spend that budget); everything else is strict FIFO, so no caller is starved.
   */
  private pump(): void {
    const now = this.clock.now();
    let wakeAt = Infinity;
    let batchHeld = false;
    let i = this.queueHead;
    while (i < this.queue.length) {
      const waiter = this.queue[i];
      if (batchHeld && waiter.kind === 'batch') {
        i += 1;
        continue;
      }
      const until = this.blockedUntil(waiter.kind, now);
      if (until === 0) {
        this.start(waiter.kind, now);
        i = this.removeAt(i);
        waiter.resolve();
        continue;
      }
      if (until !== Infinity) wakeAt = Math.min(wakeAt, until);
      // Only the batch budget holds this one: let later single calls past it.
      if (waiter.kind === 'batch' && this.blockedUntil('single', now) === 0) {
        batchHeld = true;
        i += 1;
        continue;
      }
      break;
    }
    this.schedule(wakeAt, now);
  }

  /** Removes the waiter at `index`; returns the index of the waiter that followed it. */
  private removeAt(index: number): number {
    if (index === this.queueHead) {
      this.queue[index] = undefined as unknown as Waiter;
      this.queueHead += 1;
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      } else if (this.queueHead > 1024) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      return this.queueHead;
    }
    this.queue.splice(index, 1);
    return index;
  }

  private schedule(at: number, now: number): void {
    if (at === Infinity || this.queue.length === this.queueHead) {
      if (this.timer !== undefined) this.clock.clearTimer(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - now),
    );
  }
}

/** One governor per realm for the whole process; the composition root owns one registry. */
export class GovernorRegistry {
  private readonly governors = new Map<string, RealmGovernor>();
  private limits: Partial<GovernorLimits>;
  private observer?: GovernorObserver;

  constructor(
    limits: Partial<GovernorLimits> = {},
    private readonly clock: GovernorClock = systemClock,
  ) {
    this.limits = { ...limits };
  }

  forRealm(realmId: string): RealmGovernor {
    let governor = this.governors.get(realmId);
    if (!governor) {
      governor = new RealmGovernor(realmId, this.limits, this.clock);
      governor.observer = this.observer;
      this.governors.set(realmId, governor);
    }
    return governor;
  }

  /** Sets (or, with undefined, removes) the observer of every realm's calls, present and future. */
  observe(observer: GovernorObserver | undefined): void {
    this.observer = observer;
    for (const governor of this.governors.values()) governor.observer = observer;
  }

  /** New limits for every realm, present and future. */
  setLimits(limits: Partial<GovernorLimits>): void {
    this.limits = { ...this.limits, ...limits };
    for (const governor of this.governors.values()) governor.setLimits(limits);
  }

  stats(): Record<string, GovernorStats> {
    const out: Record<string, GovernorStats> = {};
    for (const [realmId, governor] of this.governors) out[realmId] = governor.stats();
    return out;
  }
}
