/**
 * QuickBooks' throttles (reference §4): 500 requests per minute, 10 concurrent requests and 120 batch calls per minute,
 * each per realm and app, answered with HTTP 429 and fault 3001.
 *
 * The windows slide over REAL time, not the emulator clock: a rate is a property of the traffic the client actually
 * sends, and the client's own governor measures real time. Jumping the emulator clock two hours ahead to expire a token
 * must not also forgive a burst that happened a second ago.
 */
import { AdminInputError } from './apps';
import type { FaultFormat } from './fault-bodies';
import type { Stats } from './stats';

/** The throttle settings (`PUT /_sandbox/limits` accepts any subset). */
export interface LimitSettings {
  /** Off: no 429s at all (latency still applies). */
  enabled: boolean;
  perMinute: number;
  concurrent: number;
  batchPerMinute: number;
  /**
   * How long every accounting request takes to answer (in flight all the while), the emulator's own work included:
   * concurrent requests all answer after it, as QuickBooks' do.
   */
  latencyMs: number;
  /** Sends `Retry-After` on 429 when set (Intuit documents none). */
  retryAfterSeconds?: number;
  /** Body format of the 429 fault; QuickBooks often answers throttling in XML even to JSON clients. */
  format: Extract<FaultFormat, 'json' | 'xml'>;
  /** Length of the sliding window in ms (60000; shorter only to test the window in seconds). */
  windowMs: number;
}

/** Intuit's published limits. */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = Object.freeze({
  enabled: true,
  perMinute: 500,
  concurrent: 10,
  batchPerMinute: 120,
  latencyMs: 0,
  format: 'json',
  windowMs: 60_000,
});

/** Why a request was throttled. */
export type ThrottleReason = 'concurrent' | 'perMinute' | 'batchPerMinute';

/** Timestamps (ms) of admitted requests, oldest first, with O(1) amortized trimming. */
class TimestampWindow {
  private items: number[] = [];
  private head = 0;

  /** How many timestamps are newer than `since`. */
  count(since: number): number {
    const items = this.items;
    let head = this.head;
    while (head < items.length && items[head] <= since) head++;
    if (head > 1024 && head * 2 > items.length) {
      this.items = items.slice(head);
      head = 0;
    }
    this.head = head;
    return this.items.length - head;
  }

  push(t: number): void {
    this.items.push(t);
  }
}

interface KeyState {
  inFlight: number;
  window: TimestampWindow;
  batchWindow: TimestampWindow;
}

/** Per (realm, app) throttles plus the per-realm in-flight counts behind `stats.maxConcurrent`. */
export class Limits {
  private settings: LimitSettings;
  private readonly keys = new Map<string, KeyState>();
  /** Requests in flight per realm, throttled ones included (they are in flight only while being answered). */
  private readonly realmArrived = new Map<string, number>();
  /** Admitted requests in flight per realm. */
  private readonly realmAdmitted = new Map<string, number>();

  constructor(
    private readonly initial: LimitSettings,
    private readonly stats: Stats,
  ) {
    this.settings = { ...initial };
  }

  get current(): LimitSettings {
    return { ...this.settings };
  }

  /** Applies a partial update; unknown or bad fields are refused. */
  update(patch: unknown): LimitSettings {
    this.settings = mergeLimits(this.settings, patch);
    return this.current;
  }

  /**
   * Counts a request as in flight and decides whether it may run. Every call must be paired with `release(..., admitted)`
   * where `admitted` is true when this returned undefined.
   */
  admit(realmId: string, clientId: string, isBatch: boolean): ThrottleReason | undefined {
    const arrived = (this.realmArrived.get(realmId) ?? 0) + 1;
    this.realmArrived.set(realmId, arrived);
    this.stats.attemptedInFlight(realmId, arrived);

    const key = realmId + '\u0000' + clientId;
    let state = this.keys.get(key);
    if (!state) {
      state = { inFlight: 0, window: new TimestampWindow(), batchWindow: new TimestampWindow() };
      this.keys.set(key, state);
    }
    const reason = this.check(state, isBatch);
    if (reason === undefined) {
      state.inFlight++;
      const admitted = (this.realmAdmitted.get(realmId) ?? 0) + 1;
      this.realmAdmitted.set(realmId, admitted);
      this.stats.inFlight(realmId, admitted);
    }
    return reason;
  }

  private check(state: KeyState, isBatch: boolean): ThrottleReason | undefined {
    const s = this.settings;
    if (!s.enabled) return undefined;
    if (state.inFlight >= s.concurrent) return 'concurrent';
    const now = Date.now();
    const since = now - s.windowMs;
    if (state.window.count(since) >= s.perMinute) return 'perMinute';
    if (isBatch && state.batchWindow.count(since) >= s.batchPerMinute) return 'batchPerMinute';
    state.window.push(now);
    if (isBatch) state.batchWindow.push(now);
    return undefined;
  }

  /** Ends a request that went through `admit`. */
  release(realmId: string, clientId: string, admitted: boolean): void {
    decrement(this.realmArrived, realmId);
    if (!admitted) return;
    decrement(this.realmAdmitted, realmId);
    const state = this.keys.get(realmId + '\u0000' + clientId);
    if (state) state.inFlight--;
  }

  /** Settings back to the start-up values and all windows empty (in-flight counts are kept: those requests still run). */
  reset(): void {
    this.settings = { ...this.initial };
    for (const state of this.keys.values()) {
      state.window = new TimestampWindow();
      state.batchWindow = new TimestampWindow();
    }
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/** Validates and merges a partial limits object. */
export function mergeLimits(base: LimitSettings, patch: unknown): LimitSettings {
  if (patch === undefined || patch === null) return { ...base };
  if (typeof patch !== 'object' || Array.isArray(patch))
    throw new AdminInputError('limits must be an object');
  const out: LimitSettings = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case 'enabled':
        if (typeof v !== 'boolean') throw new AdminInputError('enabled must be a boolean');
        out.enabled = v;
        break;
      case 'perMinute':
      case 'concurrent':
      case 'batchPerMinute':
      case 'windowMs':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
          throw new AdminInputError(`${k} must be a positive integer`);
        }
        out[k] = v;
        break;
      case 'latencyMs':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          throw new AdminInputError('latencyMs must be >= 0');
        out.latencyMs = v;
        break;
      case 'retryAfterSeconds':
        if (v === null) {
          delete out.retryAfterSeconds;
          break;
        }
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
          throw new AdminInputError('retryAfterSeconds must be a non-negative integer or null');
        }
        out.retryAfterSeconds = v;
        break;
      case 'format':
        if (v !== 'json' && v !== 'xml') throw new AdminInputError('format must be "json" or "xml"');
        out.format = v;
        break;
      default:
        throw new AdminInputError(`unknown limits field ${k}`);
    }
  }
  return out;
}
