/**
 * `npm run bench -- posting [scenario...]` — posting throughput, in one JSON line.
 *
 * Scenarios (all by default):
 * - `limited`: 3,000 orders (3 lines and a freight charge each), 300 new customers, 200 new SKUs, at QuickBooks'
 *   default limits (10 in flight, 500/min, 120 batch/min) with 250 ms latency per request (real QuickBooks takes
 *   hundreds of ms for a batch of 30). Reported against the ceiling: the least time those limits allow for the
 *   unavoidable creates (customers + items + orders) sent in full batches of 30, customers and items before the
 *   orders that need them. Target ≥ 0.90.
 * - `limited50`: the same at 50 ms per request, where the gateway's own cost shows most. Target ≥ 0.80.
 * - `saturated`: where the rate limits bind. QuickBooks' windows are one minute; to keep the run short both the
 *   emulator's and the gateway's windows are scaled to 6 s (the same 500 requests / 120 batch calls per window), and
 *   12,000 orders, 1,200 new customers and 800 new SKUs need ~430 batch calls, several windows' worth. The ceiling is
 *   the least time a sliding window allows for them: (ceil(calls / 120) − 1) × window, plus one round trip.
 *   Target ≥ 0.95.
 *
 * Every limited scenario also checks QuickBooks calls ≤ 1.05 × the unavoidable batch calls, and prints where the time
 * goes (`trace`): time to the first call and to the first transaction call, calls in flight over the run and idle
 * gaps, the tail after the last call, and the pipeline's own phases (reading orders, the durable record before each
 * call, recording results). The JSON carries each target with a `met` flag.
 * - `overhead`: the same shape with limits off and no latency: the gateway's own cost, as orders per second
 *   (SQLite, and MySQL too when BENCH_DATABASE_URL is set).
 * - `memory`: peak RSS of this process (the gateway and its worker; the emulator runs in its own process) while
 *   posting 100,000 orders (BENCH_MEMORY_ORDERS overrides), limits off.
 */
import 'reflect-metadata';
import type { Core } from '../src/core';
import {
  cpuSeconds,
  ingest,
  limitedCeiling,
  profiled,
  round,
  scratchDatabase,
  setUp,
  startEmulator,
  ratioAtObservedLatency,
  targets,
  traceCalls,
  waitForBatch,
  waitForQuietJobs,
  type Shape,
} from './support';

async function post(core: Core, tenantId: string, ids: string[], sampleRss = false) {
  let peakRss = process.memoryUsage().rss;
  const sampler = sampleRss
    ? setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50)
    : undefined;
  const started = performance.now();
  const trace = traceCalls(core);
  let queuedMs = 0;
  const batch = await profiled(async () => {
    const queued = await core.services.posting.postOrders(tenantId, ids);
    queuedMs = performance.now() - started;
    await waitForBatch(core, queued.id, 3_600_000);
    return queued;
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const where = trace.stop(seconds);
  const finished = await core.services.batches.findById(batch.id);
  return {
    seconds,
    status: finished!.status,
    succeeded: finished!.succeeded,
    failed: finished!.failed,
    peakRssMb: Math.round(peakRss / 2 ** 20),
    // postOrders answering (the batch and its items written, the orders claimed): part of `seconds`.
    queuedMs: Math.round(queuedMs),
    trace: where,
  };
}

const SCALED_WINDOW_MS = 6_000;

type Scenario = 'limited' | 'limited50' | 'saturated' | 'overhead' | 'memory';

/** Latency per QuickBooks call and the ratio each limited scenario must reach. */
const LIMITED: Partial<Record<Scenario, { latencyMs: number; target: number }>> = {
  limited: { latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 250), target: 0.9 },
  limited50: { latencyMs: 50, target: 0.8 },
  saturated: { latencyMs: 50, target: 0.95 },
};

async function scenario(name: Scenario, dialect?: 'sqlite' | 'mysql') {
  const emulator = await startEmulator();
  const database = await scratchDatabase(dialect);
  try {
    const limits = LIMITED[name];
    const limited = limits !== undefined;
    await emulator.admin(
      'PUT',
      'limits',
      name === 'saturated'
        ? { enabled: true, latencyMs: limits!.latencyMs, windowMs: SCALED_WINDOW_MS }
        : limited
          ? { enabled: true, latencyMs: limits.latencyMs }
          : { enabled: false, latencyMs: 0 },
    );
    const shape: Shape =
      name === 'memory'
        ? { orders: Number(process.env.BENCH_MEMORY_ORDERS ?? 100_000), customers: 2_000, skus: 1_000 }
        : name === 'saturated'
          ? { orders: 12_000, customers: 1_200, skus: 800 }
          : { orders: 3_000, customers: 300, skus: 200 };
    const { core, worker, tenantId, connectionId } = await setUp(emulator, database.url, database.dataDir);
    // The governor's window is scaled like the emulator's, margin included (61 s for QuickBooks' 60 s).
    if (name === 'saturated')
      core.governors.setLimits({ windowMs: Math.round((SCALED_WINDOW_MS * 61) / 60) });
    // Limits off means off on both sides: the gateway's own governor would otherwise still pace at 120 batch/min.
    if (!limited) core.governors.setLimits({ perMinute: 1_000_000, batchPerMinute: 1_000_000 });
    try {
      const { ids, seconds: ingestSeconds } = await ingest(core, tenantId, connectionId, shape);
      await waitForQuietJobs(core);
      await emulator.admin('DELETE', 'stats');
      const emulatorCpuBefore = cpuSeconds(emulator.process.pid);
      const processCpuBefore = process.cpuUsage();
      const result = await post(core, tenantId, ids, name === 'memory');
      const processCpu = process.cpuUsage(processCpuBefore);
      const cpu = {
        // Where the time went: the gateway's own CPU, and the emulator's (the "QuickBooks" side, on the same 2 cores).
        gatewayCpuSeconds: round((processCpu.user + processCpu.system) / 1e6),
        emulatorCpuSeconds: round(cpuSeconds(emulator.process.pid) - emulatorCpuBefore),
      };
      const stats = (await emulator.admin('GET', 'stats')) as {
        requests: { total: number; byOperation: Record<string, number> };
        throttled: number;
      };
      const figures: Record<string, unknown> = {
        scenario: name,
        latencyMs: limits?.latencyMs ?? 0,
        database: database.dialect,
        orders: shape.orders,
        newCustomers: shape.customers,
        newItems: shape.skus,
        ...result,
        ...cpu,
        ordersPerMinute: Math.round((shape.orders / result.seconds) * 60),
        ordersPerSecond: Math.round(shape.orders / result.seconds),
        ingestSeconds: round(ingestSeconds),
        quickbooksCalls: stats.requests.total,
        callsByOperation: stats.requests.byOperation,
        throttled: stats.throttled,
      };
      if (limited) {
        const ceiling = limitedCeiling(
          shape,
          limits.latencyMs,
          name === 'saturated' ? SCALED_WINDOW_MS : 60_000,
        );
        const ratioToCeiling = round(ceiling.ceilingSeconds / result.seconds, 2);
        const callsToMinimum = round(stats.requests.total / ceiling.unavoidableBatchCalls, 3);
        Object.assign(figures, ceiling, {
          ratioToCeiling,
          ratioAtObservedLatency: ratioAtObservedLatency(
            shape,
            result.trace.meanWorkCallMs,
            name === 'saturated' ? SCALED_WINDOW_MS : 60_000,
            result.seconds,
          ),
          callsToMinimum,
          ...targets({
            ratioToCeiling: { value: ratioToCeiling, atLeast: limits.target },
            callsToMinimum: { value: callsToMinimum, atMost: 1.05 },
            allPosted: { value: result.succeeded, atLeast: shape.orders },
          }),
        });
      }
      return figures;
    } finally {
      await worker.stop({ graceful: true });
      await core.close();
    }
  } finally {
    emulator.process.kill('SIGTERM');
    await database.drop();
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const run = (name: string) => wanted.length === 0 || wanted.includes(name);
  const results: Record<string, unknown> = { bench: 'posting' };
  if (run('limited')) results.limited = await scenario('limited');
  if (run('limited50')) results.limited50 = await scenario('limited50');
  if (run('saturated')) results.saturated = await scenario('saturated');
  if (run('overhead')) {
    results.overheadSqlite = await scenario('overhead', 'sqlite');
    if (process.env.BENCH_DATABASE_URL) results.overheadMysql = await scenario('overhead', 'mysql');
  }
  if (run('memory')) results.memory = await scenario('memory');
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
