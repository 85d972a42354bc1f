import { GovernorRegistry, RealmGovernor } from '../../src/quickbooks';
import { FakeClock, flush } from './fake-clock';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/** Starts `n` calls whose bodies block until released; records start order and peak concurrency. */
const launch = (governor: RealmGovernor, kinds: Array<'single' | 'batch'>) => {
  const started: number[] = [];
  const gates = kinds.map(() => deferred());
  let inFlight = 0;
  let peak = 0;
  const done = kinds.map((kind, i) =>
    governor.run(kind, async () => {
      started.push(i);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await gates[i].promise;
      inFlight -= 1;
      return i;
    }),
  );
  return { started, gates, done, peak: () => peak };
};

describe('RealmGovernor', () => {
  it('never has more than `concurrent` calls in flight and runs all of them', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', { concurrent: 10 }, clock);
    const run = launch(governor, Array<'single'>(50).fill('single'));
    await flush();
    expect(run.started).toHaveLength(10);
    // Release in a scrambled order; each release must let exactly one more start.
    const order = Array.from({ length: 50 }, (_, i) => (i * 17) % 50);
    for (const i of order) {
      run.gates[i].resolve();
      await flush();
      expect(governor.stats().inFlight).toBeLessThanOrEqual(10);
    }
    await expect(Promise.all(run.done)).resolves.toHaveLength(50);
    expect(run.peak()).toBe(10);
    expect(governor.stats()).toMatchObject({ maxInFlight: 10, inFlight: 0, queued: 0, started: 50 });
  });

  it('starts waiting calls in arrival order (FIFO)', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', { concurrent: 1 }, clock);
    const run = launch(governor, Array<'single'>(6).fill('single'));
    for (let i = 0; i < 6; i += 1) {
      await flush();
      expect(run.started).toEqual(Array.from({ length: i + 1 }, (_, k) => k));
      run.gates[i].resolve();
    }
    await Promise.all(run.done);
  });

  it('allows at most `perMinute` starts in any sliding window', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', { concurrent: 100, perMinute: 5, windowMs: 60_000 }, clock);
    const first = launch(governor, ['single', 'single', 'single']);
    first.gates.forEach((g) => g.resolve());
    await clock.advance(20_000);
    const second = launch(governor, ['single', 'single', 'single', 'single']);
    second.gates.forEach((g) => g.resolve());
    await flush();
    expect(first.started).toHaveLength(3);
    expect(second.started).toHaveLength(2);
    expect(governor.stats()).toMatchObject({ inWindow: 5, queued: 2 });
    // The first three started at t=0: they leave the window at t=60 000, not a moment before.
    await clock.advance(39_999);
    expect(second.started).toHaveLength(2);
    await clock.advance(1);
    expect(second.started).toHaveLength(4);
    await Promise.all([...first.done, ...second.done]);
  });

  it('counts batch calls in the per-minute budget and holds them to `batchPerMinute`', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor(
      'r1',
      { concurrent: 100, perMinute: 10, batchPerMinute: 2, windowMs: 60_000 },
      clock,
    );
    const run = launch(governor, ['batch', 'batch', 'batch', 'single', 'single']);
    run.gates.forEach((g) => g.resolve());
    await flush();
    // The third batch waits for the batch window; single calls behind it are not held up by a budget they don't use.
    expect(run.started).toEqual([0, 1, 3, 4]);
    expect(governor.stats()).toMatchObject({ inWindow: 4, batchInWindow: 2, queued: 1 });
    await clock.advance(60_000);
    expect(run.started).toEqual([0, 1, 3, 4, 2]);

    const tight = new RealmGovernor(
      'r2',
      { concurrent: 100, perMinute: 3, batchPerMinute: 10, windowMs: 60_000 },
      clock,
    );
    const mixed = launch(tight, ['batch', 'batch', 'single', 'single']);
    mixed.gates.forEach((g) => g.resolve());
    await flush();
    expect(mixed.started).toEqual([0, 1, 2]);
    await Promise.all(run.done);
  });

  it('stays FIFO between single calls when the general budget is exhausted', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor(
      'r1',
      { concurrent: 100, perMinute: 2, batchPerMinute: 1, windowMs: 60_000 },
      clock,
    );
    const run = launch(governor, ['single', 'batch', 'batch', 'single', 'single']);
    run.gates.forEach((g) => g.resolve());
    await flush();
    expect(run.started).toEqual([0, 1]);
    await clock.advance(60_000);
    // Batch 2 is held by the batch budget until t=60 000 too, which has now passed: order is kept.
    expect(run.started).toEqual([0, 1, 2, 3]);
    await clock.advance(60_000);
    expect(run.started).toEqual([0, 1, 2, 3, 4]);
  });

  it('pauses every caller after backoff(ms), never shortening a longer pause', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', {}, clock);
    governor.backoff(5_000);
    governor.backoff(1_000);
    const run = launch(governor, ['single', 'batch']);
    run.gates.forEach((g) => g.resolve());
    await clock.advance(4_999);
    expect(run.started).toEqual([]);
    expect(governor.stats().pausedForMs).toBe(1);
    await clock.advance(1);
    expect(run.started).toEqual([0, 1]);
    await Promise.all(run.done);
  });

  it('frees the slot when the call throws', async () => {
    const governor = new RealmGovernor('r1', { concurrent: 1 }, new FakeClock());
    await expect(
      governor.run('single', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(governor.run('single', async () => 'next')).resolves.toBe('next');
    expect(governor.stats().inFlight).toBe(0);
  });

  it('applies new limits to calls already waiting', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', { concurrent: 1 }, clock);
    const run = launch(governor, ['single', 'single', 'single']);
    await flush();
    expect(run.started).toEqual([0]);
    governor.setLimits({ concurrent: 3 });
    await flush();
    expect(run.started).toEqual([0, 1, 2]);
    run.gates.forEach((g) => g.resolve());
    await Promise.all(run.done);
    expect(() => governor.setLimits({ concurrent: 0 })).toThrow(RangeError);
  });

  it('leaves no timer behind once the queue is empty', async () => {
    const clock = new FakeClock();
    const governor = new RealmGovernor('r1', { perMinute: 1, windowMs: 60_000 }, clock);
    const run = launch(governor, ['single', 'single']);
    run.gates.forEach((g) => g.resolve());
    await flush();
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(60_000);
    await Promise.all(run.done);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('GovernorRegistry', () => {
  it('hands out one governor per realm and passes limits to present and future ones', () => {
    const registry = new GovernorRegistry({ concurrent: 4 }, new FakeClock());
    const a = registry.forRealm('A');
    expect(registry.forRealm('A')).toBe(a);
    expect(registry.forRealm('B')).not.toBe(a);
    expect(a.getLimits()).toMatchObject({
      concurrent: 4,
      perMinute: 500,
      batchPerMinute: 120,
      windowMs: 61_000,
    });
    registry.setLimits({ perMinute: 100 });
    expect(a.getLimits().perMinute).toBe(100);
    expect(registry.forRealm('C').getLimits()).toMatchObject({ concurrent: 4, perMinute: 100 });
    expect(Object.keys(registry.stats()).sort()).toEqual(['A', 'B', 'C']);
  });
});

describe('GovernorRegistry.observe', () => {
  it('reports each settled call with its label and queue, start and end times, for present and future realms', async () => {
    const clock = new FakeClock();
    const registry = new GovernorRegistry({ concurrent: 1 }, clock);
    const early = registry.forRealm('r1');
    const seen: Array<{ realmId: string; label?: string; wait: number; took: number }> = [];
    registry.observe((call) =>
      seen.push({
        realmId: call.realmId,
        label: call.label,
        wait: call.startedAt - call.queuedAt,
        took: call.endedAt - call.startedAt,
      }),
    );
    const first = deferred();
    const a = early.run('batch', () => first.promise, 'batch:create SalesReceipt');
    const b = early.run('single', async () => undefined, 'query:Customer');
    await flush();
    await clock.advance(250);
    first.resolve();
    await Promise.all([a, b]);
    await registry.forRealm('r2').run('single', async () => undefined);
    expect(seen).toEqual([
      { realmId: 'r1', label: 'batch:create SalesReceipt', wait: 0, took: 250 },
      { realmId: 'r1', label: 'query:Customer', wait: 250, took: 0 },
      { realmId: 'r2', label: undefined, wait: 0, took: 0 },
    ]);
    registry.observe(undefined);
    await early.run('single', async () => undefined, 'after');
    expect(seen).toHaveLength(3);
  });
});
