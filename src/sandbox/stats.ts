/**
 * Counters since the last reset, served by `GET /_sandbox/stats`. Tests assert on them (for example that a gateway's
 * rate governor never had more than 10 requests in flight for one realm), so every counter is exact, not sampled.
 */

/** The JSON shape of `GET /_sandbox/stats`. */
export interface StatsSnapshot {
  /** ISO time (real) of the last reset. */
  since: string;
  /** Accounting API traffic (`/v3/company/...`), every answer counted, 401 and 429 included. */
  requests: {
    total: number;
    byStatus: Record<string, number>;
    byRealm: Record<string, number>;
    /** `Customer.create`, `Invoice.read`, `query`, `batch`, `cdc`, ... */
    byOperation: Record<string, number>;
  };
  /** Successful token-endpoint grants by grant type. */
  tokenGrants: { authorization_code: number; refresh_token: number };
  /** Failed token-endpoint calls by OAuth error code (`invalid_grant`, `invalid_client`, ...). */
  tokenErrors: Record<string, number>;
  /** Successful calls to the revoke endpoint. */
  revocations: number;
  /** Requests answered 429 by the limits (not by injected faults). */
  throttled: number;
  throttledBy: { concurrent: number; perMinute: number; batchPerMinute: number };
  /** Requests answered by an injected fault rule (respond or drop). */
  faultsInjected: number;
  /** Responses dropped after commit by a fault rule. */
  droppedResponses: number;
  /** Webhook deliveries answered 2xx by the receiver (duplicates included). */
  webhooksDelivered: number;
  /** Webhook delivery attempts that failed (non-2xx, network error or timeout). */
  webhooksFailed: number;
  /** Events handed to the webhook dispatcher (one per committed change and interested app). */
  webhookEvents: number;
  /**
   * The highest number of admitted accounting requests in flight at once for any one realm (never above the
   * `concurrent` limit while limits are on; with limits off it is the raw concurrency a client produced).
   */
  maxConcurrent: number;
  /** The same, per realm. */
  maxConcurrentByRealm: Record<string, number>;
  /** The highest number of requests that arrived while others were in flight, throttled ones included, per any realm. */
  maxConcurrentAttempted: number;
  maxConcurrentAttemptedByRealm: Record<string, number>;
}

/** Mutable counters; `snapshot()` copies them out. */
export class Stats {
  private data!: StatsSnapshot;

  constructor() {
    this.reset();
  }

  /** Zeroes every counter. */
  reset(): void {
    this.data = {
      since: new Date().toISOString(),
      requests: { total: 0, byStatus: {}, byRealm: {}, byOperation: {} },
      tokenGrants: { authorization_code: 0, refresh_token: 0 },
      tokenErrors: {},
      revocations: 0,
      throttled: 0,
      throttledBy: { concurrent: 0, perMinute: 0, batchPerMinute: 0 },
      faultsInjected: 0,
      droppedResponses: 0,
      webhooksDelivered: 0,
      webhooksFailed: 0,
      webhookEvents: 0,
      maxConcurrent: 0,
      maxConcurrentByRealm: {},
      maxConcurrentAttempted: 0,
      maxConcurrentAttemptedByRealm: {},
    };
  }

  /** Counts one answered accounting request. */
  request(status: number, realmId: string, operation: string): void {
    const r = this.data.requests;
    r.total++;
    r.byStatus[status] = (r.byStatus[status] ?? 0) + 1;
    r.byRealm[realmId] = (r.byRealm[realmId] ?? 0) + 1;
    r.byOperation[operation] = (r.byOperation[operation] ?? 0) + 1;
  }

  /** Records the admitted in-flight count once a request is admitted (itself included). */
  inFlight(realmId: string, count: number): void {
    const by = this.data.maxConcurrentByRealm;
    if (count > (by[realmId] ?? 0)) by[realmId] = count;
    if (count > this.data.maxConcurrent) this.data.maxConcurrent = count;
  }

  /** Records the in-flight count a request saw on arrival, admitted or not (itself included). */
  attemptedInFlight(realmId: string, count: number): void {
    const by = this.data.maxConcurrentAttemptedByRealm;
    if (count > (by[realmId] ?? 0)) by[realmId] = count;
    if (count > this.data.maxConcurrentAttempted) this.data.maxConcurrentAttempted = count;
  }

  tokenGrant(grantType: 'authorization_code' | 'refresh_token'): void {
    this.data.tokenGrants[grantType]++;
  }

  tokenError(error: string): void {
    this.data.tokenErrors[error] = (this.data.tokenErrors[error] ?? 0) + 1;
  }

  revocation(): void {
    this.data.revocations++;
  }

  throttled(reason: keyof StatsSnapshot['throttledBy']): void {
    this.data.throttled++;
    this.data.throttledBy[reason]++;
  }

  faultInjected(dropped: boolean): void {
    this.data.faultsInjected++;
    if (dropped) this.data.droppedResponses++;
  }

  webhookEvent(): void {
    this.data.webhookEvents++;
  }

  webhookAttempt(ok: boolean): void {
    if (ok) this.data.webhooksDelivered++;
    else this.data.webhooksFailed++;
  }

  /** A deep copy, safe to serialize while counting goes on. */
  snapshot(): StatsSnapshot {
    return structuredClone(this.data);
  }
}
