import { createPubSub } from '@graphql-yoga/subscription';
import {
  dutyCycleFor,
  ProgressFanout,
  type BatchProgressEvent,
  type FanoutClock,
  type GatewayTopics,
} from '../../../src/pubsub';
import * as mappers from '../../../src/schema/mappers';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';
import { until } from '../../support/wait';

/** A clock that moves only when told to, firing the timers that fall due. */
class FakeClock implements FanoutClock {
  time = 0;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private ids = 0;
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.callback();
  }
}

const event = (processed: number, status: BatchProgressEvent['status'] = 'RUNNING'): BatchProgressEvent => ({
  batchId: 'batch_1',
  kind: 'POST_ORDERS',
  status,
  total: 1000,
  processed,
  succeeded: processed,
  failed: 0,
  item: null,
  error: null,
  at: new Date(0).toISOString(),
});

/** Lets the fan-out's pump read what was published (microtasks and one macrotask turn; no clock involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('batchProgress fan-out', () => {
  it('coalesces to one frame per interval, in order, the terminal event at once (fake clock)', async () => {
    const target = new EventTarget();
    const pubSub = createPubSub<GatewayTopics>({ eventTarget: target });
    const clock = new FakeClock();
    const fanout = new ProgressFanout(target, { clock, minIntervalMs: 50 });
    const subscriber = fanout.subscribe('batch_1');
    const received: number[] = [];
    const reader = (async () => {
      for (;;) {
        const next = await subscriber.next();
        if (next.done) return;
        received.push(next.value.processed);
        if (next.value.status === 'COMPLETED') return;
      }
    })();

    // 1,000 items finish within one instant: one frame, the newest; publishing delivered nothing by itself.
    for (let i = 1; i <= 1000; i++) pubSub.publish('batchProgress', 'batch_1', event(i));
    await settle();
    expect(received).toEqual([]);
    clock.advance(0);
    await settle();
    expect(received).toEqual([1000]);

    // The next frame waits for the interval.
    for (let i = 1001; i <= 1010; i++) pubSub.publish('batchProgress', 'batch_1', event(i));
    clock.advance(49);
    await settle();
    expect(received).toEqual([1000]);
    clock.advance(1);
    await settle();
    expect(received).toEqual([1000, 1010]);

    // The terminal event is never held back, even inside the interval: it overtakes the frame waiting there.
    clock.advance(10);
    pubSub.publish('batchProgress', 'batch_1', event(1011));
    pubSub.publish('batchProgress', 'batch_1', event(1011, 'COMPLETED'));
    clock.advance(0);
    await reader;
    expect(received).toEqual([1000, 1010, 1011]);
    await subscriber.return!();
    expect(fanout.subscribers).toBe(0);
  });

  it('uses the time the process has to spare for frames, never less than its guaranteed share', () => {
    expect(dutyCycleFor(0, 0.25)).toBe(0.75); // idle otherwise: up to three quarters, a fifth kept free
    expect(dutyCycleFor(0.3, 0.25)).toBeCloseTo(0.5);
    expect(dutyCycleFor(0.7, 0.25)).toBe(0.25); // busy: the guaranteed quarter
    expect(dutyCycleFor(1, 0.25)).toBe(0.25);
  });

  it('spaces frames by how long handing one out took: 4× when the process is busy, 1.33× when idle (fake clock)', async () => {
    for (const [otherLoad, due] of [
      [1, 160], // 40 ms / 0.25
      [0, 54], // 40 ms / 0.75 = 53.3
    ] as const) {
      const target = new EventTarget();
      const pubSub = createPubSub<GatewayTopics>({ eventTarget: target });
      const clock = new FakeClock();
      const fanout = new ProgressFanout(target, { clock, minIntervalMs: 10, otherLoad: () => otherLoad });
      const subscriber = fanout.subscribe('batch_1');
      const received: number[] = [];
      void (async () => {
        for (;;) {
          const next = await subscriber.next();
          if (next.done) return;
          received.push(next.value.processed);
          clock.time += 40; // handing this frame out took 40 ms
        }
      })();
      pubSub.publish('batchProgress', 'batch_1', event(1));
      clock.advance(0);
      await settle();
      expect(received).toEqual([1]);
      pubSub.publish('batchProgress', 'batch_1', event(2));
      clock.advance(due - 1 - clock.time);
      await settle();
      expect(received).toEqual([1]);
      clock.advance(1);
      await settle();
      expect(received).toEqual([1, 2]);
      await subscriber.return!();
    }
  });

  it('slows frames down with very many subscribers in the process, never below the minimum', () => {
    const fanout = new ProgressFanout(new EventTarget(), { maxDeliveriesPerSecond: 10_000 });
    expect(fanout.intervalFor(1)).toBe(50);
    expect(fanout.intervalFor(500)).toBe(50);
    expect(fanout.intervalFor(1000)).toBe(100);
  });

  it('hands a frame to 250 subscribers slice by slice; a newer frame supersedes the rest, never reordered', async () => {
    const target = new EventTarget();
    const pubSub = createPubSub<GatewayTopics>({ eventTarget: target });
    const clock = new FakeClock();
    const fanout = new ProgressFanout(target, { clock, minIntervalMs: 50, maxDeliveriesPerSecond: 1e9 });
    const subscribers = Array.from({ length: 250 }, () => fanout.subscribe('batch_1'));
    const received: number[][] = subscribers.map(() => []);
    const readers = subscribers.map(async (subscriber, s) => {
      for (;;) {
        const next = await subscriber.next();
        if (next.done) return;
        received[s]!.push(next.value.processed);
        if (next.value.status === 'COMPLETED') return;
      }
    });

    pubSub.publish('batchProgress', 'batch_1', event(10));
    clock.advance(0);
    // The first slice has it at once; the others get it on later event-loop turns.
    await Promise.resolve();
    await Promise.resolve();
    expect(received.filter((r) => r.length === 1)).toHaveLength(100);
    // Before the remaining slices ran, a newer frame is flushed: nobody gets 10 after 20.
    pubSub.publish('batchProgress', 'batch_1', event(20));
    clock.advance(50);
    pubSub.publish('batchProgress', 'batch_1', event(30, 'COMPLETED'));
    clock.advance(0);
    await Promise.all(readers);
    for (const r of received) {
      expect(r).toEqual([...r].sort((a, b) => a - b));
      expect(r.at(-1)).toBe(30);
    }
    for (const subscriber of subscribers) await subscriber.return!();
    expect(fanout.subscribers).toBe(0);
  });
});

describe('batchProgress at scale', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function queuedBatch(prefix: string, count: number) {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: `${prefix} Co` });
    const connected = await connectCompany(t, key, { realmId });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId);
    const orders = await upsertOrders(t, key, connected.connectionId, buildOrders(count, { prefix }));
    const batch = await t.gateway.services.posting.postOrders(
      tenantId,
      orders.map((o) => o.id),
    );
    return { key, tenantId, batchId: batch.id };
  }

  it('completes a batch while a subscriber never reads, which then holds only the last event', async () => {
    const { tenantId, batchId } = await queuedBatch('NR', 90);
    const stalled = t.gateway.services.batches.progress(tenantId, batchId);
    const first = await stalled.next();
    expect(first.value).toMatchObject({ status: 'QUEUED', processed: 0 });

    // The posting runs to its end though the subscriber reads nothing.
    await t.gateway.services.posting.runPostBatch(batchId);
    const batch = await t.gateway.services.batches.findById(batchId);
    expect(batch).toMatchObject({ status: 'COMPLETED', processed: 90 });

    // Nothing piled up for it: 90 items, and it reads at most the frame it was holding, then the terminal event.
    const rest: Array<{ status: string; processed: number }> = [];
    for (let next = await stalled.next(); !next.done; next = await stalled.next()) rest.push(next.value);
    expect(rest.length).toBeLessThanOrEqual(2);
    expect(rest.at(-1)).toMatchObject({ status: 'COMPLETED', processed: 90 });
    expect(t.gateway.services.batches.fanout.subscribers).toBe(0);
  });

  it("executes each frame's GraphQL once for all subscribers of the same operation", async () => {
    const { key, batchId } = await queuedBatch('SE', 60);
    const spy = jest.spyOn(mappers, 'toBatchProgressType');
    const query =
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded failed item { entityId } } }';
    const clients = [0, 1, 2].map(() => wsClient(t, key));
    try {
      const streams = clients.map((client) =>
        collect<{ batchProgress: { status: string; processed: number } }>(client, query, { id: batchId }),
      );
      // Each subscriber has had its first event (its own read of the batch) before the work starts.
      await until(() => spy.mock.calls.length >= 3);
      expect(t.gateway.services.batches.fanout.subscribers).toBe(3);
      await t.gateway.services.posting.runPostBatch(batchId);
      const results = await Promise.all(streams);
      for (const events of results) {
        expect(events.at(-1)!.batchProgress).toMatchObject({ status: 'COMPLETED', processed: 60 });
        const processed = events.map((e) => e.batchProgress.processed);
        expect(processed).toEqual([...processed].sort((a, b) => a - b));
      }
      // Every subscriber saw the same frames after its first event; each frame was executed once.
      const frames = results[0]!.length - 1;
      for (const events of results) expect(events.length - 1).toBe(frames);
      expect(spy.mock.calls.length).toBe(3 + frames);
    } finally {
      spy.mockRestore();
      for (const client of clients) await client.dispose();
    }
  });
});
