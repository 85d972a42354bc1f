/**
 * Webhook deliveries (reference §6): every committed change becomes an event for each interested app; events are
 * aggregated per app and realm over a window, signed with the app's verifier token, sent in the app's format (legacy
 * `eventNotifications` or a CloudEvents array) and retried on Intuit's schedule until the receiver answers 2xx.
 *
 * Like Intuit's queue since December 2024, deliveries to one app are ordered by default: while one is failing, later
 * ones wait behind it. Drill options make the receiver's life harder on purpose: duplicate deliveries and out-of-order
 * deliveries (`PUT /_sandbox/webhooks`).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { AdminInputError, type SandboxApp } from './apps';
import type { OffsetClock } from './clock';
import type { ChangeEvent, ChangeOperation } from './contracts';
import { seededRandom } from './faults';
import type { Stats } from './stats';

/** Intuit's retry schedule in seconds; after the last step it keeps retrying every 6 hours. */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [10, 20, 30, 300, 1200, 7200, 14_400, 21_600];

/** Delivery settings and drill options. */
export interface WebhookSettings {
  /** Aggregation window in ms; 0 = near real time (changes of one tick, e.g. one batch call, still share a delivery). */
  windowMs: number;
  /** Factor applied to the retry schedule (0.001 turns 10 s into 10 ms for tests). */
  retryScale: number;
  /** A receiver slower than this fails the attempt (Intuit asks for an answer within 3 s). */
  timeoutMs: number;
  /** Hold later deliveries of an app while an earlier one is being retried (Intuit's ordered queue). */
  ordered: boolean;
  /** Chance (0..1) that a delivery answered 2xx is sent once more, byte for byte. */
  duplicateProbability: number;
  /** Collect deliveries for `reorderHoldMs` and send each group newest first, events inside reversed. */
  outOfOrder: boolean;
  reorderHoldMs: number;
  /** Seed for the duplicate draws. */
  seed?: number;
}

/** One entry of the delivery log (`GET /_sandbox/webhooks`). */
export interface DeliveryAttempt {
  deliveryId: string;
  clientId: string;
  realmId: string;
  url: string;
  attempt: number;
  events: number;
  duplicate: boolean;
  /** HTTP status of the receiver's answer, absent on network errors. */
  status?: number;
  error?: string;
  ok: boolean;
  /** Real time of the attempt. */
  at: string;
  /** Emulator-clock time of the next retry, when one is scheduled. */
  nextRetryAt?: string;
}

interface Delivery {
  id: string;
  clientId: string;
  realmId: string;
  events: ChangeEvent[];
  /** Built once so retries and duplicates send the same bytes (and CloudEvents ids). */
  body: string;
  createdAt: string;
  attempts: number;
  retry?: { dueAtMs: number; timer: NodeJS.Timeout };
  sending: boolean;
}

interface AppQueue {
  items: Delivery[];
  reorderBuffer: Delivery[];
  reorderTimer?: NodeJS.Timeout;
}

/** What the dispatcher needs from the rest of the platform. */
export interface WebhookHost {
  /** Apps that should hear about changes in this realm. */
  appsFor(realmId: string): SandboxApp[];
  /** The app's current settings (URL, verifier token, format may change between attempts). */
  app(clientId: string): SandboxApp | undefined;
  log(line: string): void;
}

const CLOUDEVENT_VERBS: Record<ChangeOperation, string> = {
  Create: 'created',
  Update: 'updated',
  Delete: 'deleted',
  Merge: 'merged',
  Void: 'voided',
  Emailed: 'emailed',
};

/** base64(HMAC-SHA256(body, verifierToken)): the `intuit-signature` header. */
export function signWebhook(body: string | Buffer, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(body).digest('base64');
}

/** The legacy payload for events of one realm. */
export function legacyPayload(realmId: string, events: ChangeEvent[]): unknown {
  return {
    eventNotifications: [
      {
        realmId,
        dataChangeEvent: {
          entities: events.map((e) => ({
            name: e.entity,
            id: e.id,
            operation: e.operation,
            lastUpdated: e.lastUpdated,
            ...(e.deletedId !== undefined ? { deletedId: e.deletedId } : {}),
          })),
        },
      },
    ],
  };
}

/** The CloudEvents array for events of one realm. */
export function cloudEventsPayload(clientId: string, events: ChangeEvent[]): unknown[] {
  const source = `intuit.${createHash('sha256').update(clientId).digest('base64')}`;
  return events.map((e) => {
    const t = Date.parse(e.lastUpdated);
    return {
      specversion: '1.0',
      id: randomUUID(),
      source,
      type: `qbo.${e.entity.toLowerCase()}.${CLOUDEVENT_VERBS[e.operation] ?? e.operation.toLowerCase()}.v1`,
      datacontenttype: 'application/json',
      time: Number.isNaN(t) ? new Date().toISOString() : new Date(t).toISOString(),
      intuitentityid: e.id,
      intuitaccountid: e.realmId,
      data: e.deletedId !== undefined ? { deletedid: e.deletedId } : {},
    };
  });
}

const LOG_LIMIT = 500;

/** The dispatcher. */
export class WebhookDispatcher {
  private settings: WebhookSettings;
  private readonly buffers = new Map<string, { clientId: string; realmId: string; events: ChangeEvent[] }>();
  private flushTimer?: NodeJS.Timeout;
  private flushImmediate?: NodeJS.Immediate;
  private readonly queues = new Map<string, AppQueue>();
  private readonly independent = new Set<Delivery>();
  private attemptsLog: DeliveryAttempt[] = [];
  private random: () => number;
  private closed = false;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly initial: WebhookSettings,
    private readonly host: WebhookHost,
    private readonly clock: OffsetClock,
    private readonly stats: Stats,
  ) {
    this.settings = { ...initial };
    this.random = initial.seed === undefined ? Math.random : seededRandom(initial.seed);
  }

  get current(): WebhookSettings {
    return { ...this.settings };
  }

  /** Applies a partial settings update. */
  update(patch: unknown): WebhookSettings {
    this.settings = mergeWebhookSettings(this.settings, patch);
    if (patch && typeof patch === 'object' && 'seed' in patch) {
      this.random = this.settings.seed === undefined ? Math.random : seededRandom(this.settings.seed);
    }
    return this.current;
  }

  /** Takes one committed change. */
  onChange(event: ChangeEvent): void {
    if (this.closed) return;
    for (const app of this.host.appsFor(event.realmId)) {
      if (!app.webhookUrl) continue;
      this.stats.webhookEvent();
      const key = app.clientId + '\u0000' + event.realmId;
      let buf = this.buffers.get(key);
      if (!buf) {
        buf = { clientId: app.clientId, realmId: event.realmId, events: [] };
        this.buffers.set(key, buf);
      }
      buf.events.push(event);
    }
    if (this.buffers.size > 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.flushImmediate) return;
    if (this.settings.windowMs > 0) {
      this.flushTimer = setTimeout(() => this.flushBuffers(), this.settings.windowMs);
      this.flushTimer.unref();
    } else {
      this.flushImmediate = setImmediate(() => this.flushBuffers());
    }
  }

  /** Turns aggregation buffers into deliveries now. */
  private flushBuffers(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.flushTimer = undefined;
    this.flushImmediate = undefined;
    const buffers = [...this.buffers.values()];
    this.buffers.clear();
    for (const buf of buffers) {
      const app = this.host.app(buf.clientId);
      if (!app) continue;
      const events = this.settings.outOfOrder ? [...buf.events].reverse() : buf.events;
      const body =
        app.webhookFormat === 'cloudevents'
          ? JSON.stringify(cloudEventsPayload(app.clientId, events))
          : JSON.stringify(legacyPayload(buf.realmId, events));
      this.enqueue({
        id: randomUUID(),
        clientId: buf.clientId,
        realmId: buf.realmId,
        events,
        body,
        createdAt: this.clock.now().toISOString(),
        attempts: 0,
        sending: false,
      });
    }
  }

  private queueOf(clientId: string): AppQueue {
    let q = this.queues.get(clientId);
    if (!q) {
      q = { items: [], reorderBuffer: [] };
      this.queues.set(clientId, q);
    }
    return q;
  }

  private enqueue(d: Delivery): void {
    const q = this.queueOf(d.clientId);
    if (this.settings.outOfOrder) {
      q.reorderBuffer.push(d);
      if (!q.reorderTimer) {
        q.reorderTimer = setTimeout(() => {
          q.reorderTimer = undefined;
          const held = q.reorderBuffer.reverse();
          q.reorderBuffer = [];
          for (const h of held) this.admit(q, h);
        }, this.settings.reorderHoldMs);
        q.reorderTimer.unref();
      }
      return;
    }
    this.admit(q, d);
  }

  private admit(q: AppQueue, d: Delivery): void {
    if (this.settings.ordered) {
      q.items.push(d);
      this.pump(q);
    } else {
      this.independent.add(d);
      this.attempt(d, q);
    }
  }

  /** Ordered mode: send the head of the queue unless it is already sending or waiting for a retry. */
  private pump(q: AppQueue): void {
    const head = q.items[0];
    if (!head || head.sending || head.retry || this.closed) return;
    this.attempt(head, q);
  }

  private attempt(d: Delivery, q: AppQueue): void {
    if (this.closed) return;
    d.sending = true;
    d.attempts++;
    const p = this.post(d, false).then((ok) => {
      d.sending = false;
      if (this.closed) return;
      if (ok) {
        if (this.settings.duplicateProbability > 0 && this.random() < this.settings.duplicateProbability) {
          this.track(this.post(d, true).then(() => undefined));
        }
        this.independent.delete(d);
        if (q.items[0] === d) {
          q.items.shift();
          this.pump(q);
        }
        return;
      }
      this.scheduleRetry(d, q);
    });
    this.track(p);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private retryDelayMs(attempts: number): number {
    const step = RETRY_SCHEDULE_SECONDS[Math.min(attempts - 1, RETRY_SCHEDULE_SECONDS.length - 1)];
    return step * 1000 * this.settings.retryScale;
  }

  private scheduleRetry(d: Delivery, q: AppQueue): void {
    const delay = this.retryDelayMs(d.attempts);
    const dueAtMs = this.clock.nowMs() + delay;
    for (let i = this.attemptsLog.length - 1; i >= 0; i--) {
      const entry = this.attemptsLog[i];
      if (entry.deliveryId === d.id && !entry.duplicate) {
        entry.nextRetryAt = new Date(dueAtMs).toISOString();
        break;
      }
    }
    const timer = setTimeout(() => this.fireRetry(d, q), delay);
    timer.unref();
    d.retry = { dueAtMs, timer };
  }

  private fireRetry(d: Delivery, q: AppQueue): void {
    if (d.retry) clearTimeout(d.retry.timer);
    d.retry = undefined;
    this.attempt(d, q);
  }

  /** Fires every retry whose due time on the emulator clock has passed (after `POST /_sandbox/clock`). */
  onClockAdvanced(): void {
    const now = this.clock.nowMs();
    for (const [, q] of this.queues) {
      const head = q.items[0];
      if (head?.retry && head.retry.dueAtMs <= now) this.fireRetry(head, q);
    }
    for (const d of this.independent) {
      if (d.retry && d.retry.dueAtMs <= now) this.fireRetry(d, this.queueOf(d.clientId));
    }
  }

  /** Sends buffered events now and fires every pending retry at once. */
  flush(): void {
    this.flushBuffers();
    for (const [, q] of this.queues) {
      if (q.reorderTimer) {
        clearTimeout(q.reorderTimer);
        q.reorderTimer = undefined;
        const held = q.reorderBuffer.reverse();
        q.reorderBuffer = [];
        for (const h of held) this.admit(q, h);
      }
      const head = q.items[0];
      if (head?.retry) this.fireRetry(head, q);
    }
    for (const d of this.independent) if (d.retry) this.fireRetry(d, this.queueOf(d.clientId));
  }

  /**
   * Resolves once every event has been turned into a delivery and every delivery has been attempted: nothing is
   * buffered, held for reordering or on the wire. Deliveries waiting for a retry (and those queued behind them) do not
   * hold it up.
   */
  async idle(): Promise<void> {
    while (!this.isSettled()) {
      if (this.inFlight.size > 0) await Promise.race(this.inFlight);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private isSettled(): boolean {
    if (this.closed) return true;
    if (this.buffers.size > 0 || this.inFlight.size > 0) return false;
    for (const q of this.queues.values()) {
      if (q.reorderBuffer.length > 0) return false;
      const head = q.items[0];
      if (head && !head.retry) return false;
    }
    for (const d of this.independent) if (!d.retry) return false;
    return true;
  }

  /** Pending work, for `GET /_sandbox/webhooks`. */
  pending(): { buffered: number; queued: number; retrying: number } {
    let queued = this.independent.size;
    let retrying = 0;
    for (const d of this.independent) if (d.retry) retrying++;
    for (const q of this.queues.values()) {
      queued += q.items.length + q.reorderBuffer.length;
      for (const d of q.items) if (d.retry) retrying++;
    }
    let buffered = 0;
    for (const b of this.buffers.values()) buffered += b.events.length;
    return { buffered, queued, retrying };
  }

  /** The most recent attempts, oldest first. */
  log(): DeliveryAttempt[] {
    return this.attemptsLog.map((a) => ({ ...a }));
  }

  private record(a: DeliveryAttempt): void {
    this.attemptsLog.push(a);
    if (this.attemptsLog.length > LOG_LIMIT) this.attemptsLog.splice(0, this.attemptsLog.length - LOG_LIMIT);
  }

  /** One HTTP POST; resolves true on 2xx. */
  private post(d: Delivery, duplicate: boolean): Promise<boolean> {
    const app = this.host.app(d.clientId);
    const url = app?.webhookUrl;
    const base: DeliveryAttempt = {
      deliveryId: d.id,
      clientId: d.clientId,
      realmId: d.realmId,
      url: url ?? '',
      attempt: d.attempts,
      events: d.events.length,
      duplicate,
      ok: false,
      at: new Date().toISOString(),
    };
    if (!app || !url) {
      // The app lost its URL (or was removed) meanwhile: the delivery is dropped, as Intuit stops sending.
      this.record({ ...base, error: 'no webhook URL', ok: true });
      return Promise.resolve(true);
    }
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(d.body)),
      'intuit-signature': signWebhook(d.body, app.verifierToken),
      'intuit-created-time': d.createdAt,
      'intuit-t-id': randomUUID(),
      'intuit-notification-schema-version': '0.1',
      'user-agent': 'intuit_notification_server/0.1',
    };
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (ok: boolean, status?: number, error?: string): void => {
        if (settled) return;
        settled = true;
        if (!this.closed) {
          this.stats.webhookAttempt(ok);
          this.record({ ...base, ok, status, error });
          if (!ok)
            this.host.log(`webhook to ${url} failed (attempt ${d.attempts}): ${error ?? `HTTP ${status}`}`);
        }
        resolve(ok);
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        finish(false, undefined, 'bad webhook URL');
        return;
      }
      const isHttps = target.protocol === 'https:';
      const req = (isHttps ? https : http).request(
        target,
        { method: 'POST', headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            finish(status >= 200 && status < 300, status);
          });
          res.on('error', (err) => finish(false, res.statusCode, err.message));
        },
      );
      req.setTimeout(this.settings.timeoutMs, () =>
        req.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)),
      );
      req.on('error', (err) => finish(false, undefined, err.message));
      req.end(d.body);
    });
  }

  /** Drops everything pending and restores the start-up settings. */
  reset(): void {
    this.clearTimers();
    this.buffers.clear();
    this.queues.clear();
    this.independent.clear();
    this.attemptsLog = [];
    this.settings = { ...this.initial };
    this.random = this.initial.seed === undefined ? Math.random : seededRandom(this.initial.seed);
  }

  private clearTimers(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.flushTimer = undefined;
    this.flushImmediate = undefined;
    for (const q of this.queues.values()) {
      if (q.reorderTimer) clearTimeout(q.reorderTimer);
      for (const d of q.items) if (d.retry) clearTimeout(d.retry.timer);
    }
    for (const d of this.independent) if (d.retry) clearTimeout(d.retry.timer);
  }

  /** Stops all timers and open connections; pending deliveries are dropped. */
  close(): void {
    this.closed = true;
    this.clearTimers();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Validates and merges a partial webhook settings object. */
export function mergeWebhookSettings(base: WebhookSettings, patch: unknown): WebhookSettings {
  if (patch === undefined || patch === null) return { ...base };
  if (typeof patch !== 'object' || Array.isArray(patch))
    throw new AdminInputError('webhook settings must be an object');
  const out: WebhookSettings = { ...base };
  const nonNegative = (k: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new AdminInputError(`${k} must be a number >= 0`);
    return v;
  };
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case 'windowMs':
        out.windowMs = nonNegative(k, v);
        break;
      case 'retryScale':
        out.retryScale = nonNegative(k, v);
        break;
      case 'timeoutMs':
        out.timeoutMs = Math.max(1, nonNegative(k, v));
        break;
      case 'reorderHoldMs':
        out.reorderHoldMs = nonNegative(k, v);
        break;
      case 'duplicateProbability':
        if (nonNegative(k, v) > 1) throw new AdminInputError('duplicateProbability must be between 0 and 1');
        out.duplicateProbability = v as number;
        break;
      case 'ordered':
      case 'outOfOrder':
        if (typeof v !== 'boolean') throw new AdminInputError(`${k} must be a boolean`);
        out[k] = v;
        break;
      case 'seed':
        if (v === null) delete out.seed;
        else out.seed = nonNegative(k, v);
        break;
      default:
        throw new AdminInputError(`unknown webhook setting ${k}`);
    }
  }
  return out;
}
