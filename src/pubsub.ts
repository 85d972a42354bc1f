import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { setMaxListeners } from 'node:events';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { BatchKind, BatchStatus, ItemResultStatus, StoredSyncError } from './entities';

/** A batch item as published (plain JSON: events may cross processes through Redis). */
export interface BatchItemEvent {
  seq: number;
  entityType: string;
  entityId: string;
  label: string;
  status: ItemResultStatus;
  quickbooksId: string | null;
  error: StoredSyncError | null;
}

export interface BatchProgressEvent {
  batchId: string;
  kind: BatchKind;
  status: BatchStatus;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  item: BatchItemEvent | null;
  /**
   * The batch's own problem: why it FAILED, or, while it runs, what it is waiting out ("Waiting for QuickBooks
   * (attempt 2 of 25): ..."); null once items finish again.
   */
  error: StoredSyncError | null;
  /** ISO-8601. */
  at: string;
}

export const CONNECTION_EVENT_KINDS = [
  'STATUS_CHANGED',
  'REFERENCE_DATA_CHANGED',
  'PENDING_ENTITIES_CHANGED',
  'TRANSACTION_CHANGED_IN_QUICKBOOKS',
  'AUTHORIZATION_EXPIRING',
  'QUICKBOOKS_UNAVAILABLE',
] as const;
export type ConnectionEventKind = (typeof CONNECTION_EVENT_KINDS)[number];

export interface ConnectionEventPayload {
  connectionId: string;
  kind: ConnectionEventKind;
  entityType: string | null;
  quickbooksId: string | null;
  message: string | null;
  at: string;
}

/** Topics, keyed by id so each subscriber only receives its own batch's or connection's events. */
export type GatewayTopics = {
  batchProgress: [batchId: string, event: BatchProgressEvent];
  connectionEvents: [connectionId: string, event: ConnectionEventPayload];
};
export type GatewayPubSub = PubSub<GatewayTopics>;

export interface PubSubHandle {
  pubSub: GatewayPubSub;
  /** The target `pubSub` dispatches on (in-process, or Redis): ProgressFanout listens on it directly. */
  eventTarget: EventTarget;
  close(): Promise<void>;
}

/**
 * In-process pub/sub by default; with a Redis URL, events go through Redis so that a subscriber connected to any
 * gateway process sees events published by any worker.
 */
export function createGatewayPubSub(redisUrl?: string): PubSubHandle {
  if (!redisUrl) {
    const eventTarget = new EventTarget();
    // One listener per subscription of connectionEvents (batchProgress has one per batch): many is normal, no warning.
    setMaxListeners(0, eventTarget);
    return {
      pubSub: createPubSub<GatewayTopics>({ eventTarget }),
      eventTarget,
      close: async () => undefined,
    };
  }
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    pubSub: createPubSub<GatewayTopics>({ eventTarget: eventTarget as never }),
    eventTarget: eventTarget,
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

/** Mailboxes handed a frame per event-loop turn (see BatchChannel.deliver). */
const DELIVERY_SLICE = 100;

const TERMINAL_STATUSES: ReadonlySet<BatchStatus> = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);

/** Time and timers, injectable so coalescing can be tested with a fake clock. */
export interface FanoutClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: FanoutClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface FanoutOptions {
  /** Shortest time between two frames of one batch (default 50 ms: at most 20 events a second per subscriber). */
  minIntervalMs?: number;
  /**
   * Deliveries a second one batch may cost this process (frames × local subscribers, default 10,000): with many
   * subscribers, frames come less often (1,000 subscribers: every 100 ms) so the subscribers cannot starve the work.
   */
  maxDeliveriesPerSecond?: number;
  /**
   * Share of the process's time one batch's deliveries may take when the process is busy with other work (default
   * 0.25: the next frame waits at least four times as long as handing out the last one took). When the process has
   * time to spare (other work takes less than the rest), the fan-out uses it, up to MAX_DUTY_CYCLE (see dutyCycleFor).
   */
  maxDutyCycle?: number;
  clock?: FanoutClock;
  /** Share of the process's time other work took lately (0..1); measured from the event loop by default. */
  otherLoad?: () => number;
}

/** The most of the process's time the fan-out takes, however idle the process is otherwise. */
export const MAX_DUTY_CYCLE = 0.75;
/** Time kept free for other work that may come (a request, the next event) when the fan-out uses spare time. */
const DUTY_RESERVE = 0.2;

/**
 * The share of the process's time the fan-out may take next, given the share other work took lately: what other work
 * and a reserve leave, never less than `floor` (the guaranteed share) nor more than MAX_DUTY_CYCLE. A gateway that only
 * serves dashboards hands frames out three times as often as one that also answers queries.
 */
export function dutyCycleFor(otherLoad: number, floor: number): number {
  return Math.min(MAX_DUTY_CYCLE, Math.max(floor, 1 - DUTY_RESERVE - otherLoad));
}

/**
 * Share of the event loop's time other work took since the last look (at most every 250 ms): the loop's utilization
 * less what the fan-out's deliveries took in that time.
 */
class LoopLoad {
  private since = performance.now();
  private sinceUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  private deliveriesMsSince = 0;
  private deliveriesMs = 0;
  private share = 0;

  delivered(ms: number): void {
    this.deliveriesMs += ms;
  }

  others = (): number => {
    const now = performance.now();
    const elapsed = now - this.since;
    if (elapsed < 250) return this.share;
    const current = performance.eventLoopUtilization();
    const active = performance.eventLoopUtilization(current, this.sinceUtilization).active;
    this.share = Math.min(1, Math.max(0, active - (this.deliveriesMs - this.deliveriesMsSince)) / elapsed);
    this.since = now;
    this.sinceUtilization = current;
    this.deliveriesMsSince = this.deliveriesMs;
    return this.share;
  };
}

/** One subscriber's mailbox: at most one frame waiting (a newer one replaces it), so a slow reader costs O(1). */
class Mailbox implements AsyncIterableIterator<BatchProgressEvent> {
  private frame?: BatchProgressEvent;
  private waiter?: (result: IteratorResult<BatchProgressEvent>) => void;
  private closed = false;

  constructor(private readonly onClose: (mailbox: Mailbox) => void) {}

  offer(frame: BatchProgressEvent): void {
    if (this.closed) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve({ value: frame, done: false });
    } else {
      this.frame = frame;
    }
  }

  next(): Promise<IteratorResult<BatchProgressEvent>> {
    if (this.frame) {
      const value = this.frame;
      this.frame = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<BatchProgressEvent>> {
    if (!this.closed) {
      this.closed = true;
      this.frame = undefined;
      this.waiter?.({ value: undefined, done: true });
      this.waiter = undefined;
      this.onClose(this);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<BatchProgressEvent> {
    return this;
  }
}

/** A batch's subscribers in this process: one listener on the pub/sub, frames coalesced, delivered to every mailbox. */
class BatchChannel {
  readonly mailboxes = new Set<Mailbox>();
  private pending?: BatchProgressEvent;
  private lastFrameAt = Number.NEGATIVE_INFINITY;
  private timer?: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly listener = (event: Event): void => {
    this.receive((event as CustomEvent<BatchProgressEvent>).detail);
  };

  constructor(
    private readonly fanout: {
      clock: FanoutClock;
      intervalFor(subscribers: number): number;
      dutyCycle(): number;
      delivered(ms: number): void;
    },
    private readonly target: EventTarget,
    private readonly topic: string,
  ) {
    target.addEventListener(topic, this.listener);
  }

  /**
   * Called in the publisher's own call (in-process) and O(1): keeps the newest event and makes sure a flush is due;
   * the flush runs later, from a timer, so the publisher never waits for the subscribers. The terminal event is
   * flushed as soon as possible.
   */
  receive(event: BatchProgressEvent): void {
    this.pending = event;
    const now = this.fanout.clock.now();
    const due = TERMINAL_STATUSES.has(event.status)
      ? now
      : Math.max(
          now,
          this.lastFrameAt +
            Math.max(
              this.fanout.intervalFor(this.mailboxes.size),
              this.lastDeliveryMs / this.fanout.dutyCycle(),
            ),
        );
    if (this.timer !== undefined && this.timerAt <= due) return;
    if (this.timer !== undefined) this.fanout.clock.clearTimeout(this.timer);
    this.timerAt = due;
    this.timer = this.fanout.clock.setTimeout(() => this.flush(), due - now);
  }

  private flush(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const frame = this.pending;
    if (!frame) return;
    this.pending = undefined;
    this.lastFrameAt = this.fanout.clock.now();
    // The same object for every subscriber: its GraphQL result is computed once (src/http/shared-execution.ts).
    this.delivering = frame;
    this.deliver(frame, [...this.mailboxes], 0);
  }

  /** The frame being handed out; a newer one supersedes it (the rest of its slices are dropped, never reordered). */
  private delivering?: BatchProgressEvent;
  /**
   * How long handing out the last frame took, from its first slice to the turn after its last (the subscribers'
   * executions and socket writes included): the next frame waits at least that divided by the duty cycle, so on a
   * slow or busy machine frames come less often instead of the subscribers taking the process over.
   */
  private lastDeliveryMs = 0;

  /**
   * Hands `frame` to `DELIVERY_SLICE` mailboxes, then yields the event loop (setImmediate) before the next slice: what
   * a mailbox starts (the subscriber's execution and its socket write, in microtasks) runs slice by slice, so 1,000
   * subscribers never hold the event loop for one long stretch (a worker in the same process keeps its I/O flowing).
   */
  private deliver(frame: BatchProgressEvent, mailboxes: Mailbox[], from: number): void {
    if (this.delivering !== frame) return;
    const end = Math.min(mailboxes.length, from + DELIVERY_SLICE);
    for (let i = from; i < end; i++) mailboxes[i].offer(frame);
    if (end < mailboxes.length) {
      setImmediate(() => this.deliver(frame, mailboxes, end));
      return;
    }
    this.delivering = undefined;
    const startedAt = this.lastFrameAt;
    // After the microtasks this slice started (the writes): the whole delivery's time.
    setImmediate(() => {
      this.lastDeliveryMs = Math.max(0, this.fanout.clock.now() - startedAt);
      this.fanout.delivered(this.lastDeliveryMs);
    });
  }

  close(): void {
    if (this.timer !== undefined) this.fanout.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.target.removeEventListener(this.topic, this.listener);
  }
}

/**
 * `batchProgress` fan-out for one process. Publishing stays one `pubSub.publish` (one JSON serialization with Redis,
 * one parse per process), whatever the number of subscribers: each batch with subscribers here has one listener,
 * which keeps the newest event and feeds frames to per-subscriber mailboxes from a timer. Frames are coalesced when items finish faster than a person can see (at most
 * one per `minIntervalMs`, less often with very many subscribers), never reordered, and the terminal event is always
 * sent at once. A subscriber that never reads holds one frame, and delays nobody.
 */
export class ProgressFanout {
  readonly clock: FanoutClock;
  private readonly minIntervalMs: number;
  private readonly maxDeliveriesPerSecond: number;
  readonly maxDutyCycle: number;
  private readonly channels = new Map<string, BatchChannel>();
  private readonly load = new LoopLoad();
  private readonly otherLoad: () => number;

  constructor(
    /** The target the gateway's pub/sub dispatches on (`PubSubHandle.eventTarget`). */
    private readonly target: EventTarget,
    options: FanoutOptions = {},
  ) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.minIntervalMs = options.minIntervalMs ?? 50;
    this.maxDeliveriesPerSecond = options.maxDeliveriesPerSecond ?? 10_000;
    this.maxDutyCycle = options.maxDutyCycle ?? 0.25;
    this.otherLoad = options.otherLoad ?? this.load.others;
  }

  /** The share of the process's time the next frame's delivery may take (see dutyCycleFor). */
  dutyCycle(): number {
    return dutyCycleFor(this.otherLoad(), this.maxDutyCycle);
  }

  delivered(ms: number): void {
    this.load.delivered(ms);
  }

  intervalFor(subscribers: number): number {
    return Math.max(this.minIntervalMs, (subscribers * 1000) / this.maxDeliveriesPerSecond);
  }

  /** A subscriber's stream of this batch's frames; subscribed to the pub/sub before it returns. */
  subscribe(batchId: string): AsyncIterableIterator<BatchProgressEvent> {
    let channel = this.channels.get(batchId);
    if (!channel) {
      // The topic graphql-yoga's pub/sub dispatches `publish('batchProgress', batchId, event)` on.
      channel = new BatchChannel(this, this.target, `batchProgress:${batchId}`);
      this.channels.set(batchId, channel);
    }
    const mailbox = new Mailbox((closed) => {
      const current = this.channels.get(batchId);
      if (!current) return;
      current.mailboxes.delete(closed);
      if (current.mailboxes.size === 0) {
        this.channels.delete(batchId);
        current.close();
      }
    });
    channel.mailboxes.add(mailbox);
    return mailbox;
  }

  /** Subscribers in this process (all batches). */
  get subscribers(): number {
    let count = 0;
    for (const channel of this.channels.values()) count += channel.mailboxes.size;
    return count;
  }
}
