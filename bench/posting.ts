/**
 * `npm run bench -- posting [scenario...]` — posting throughput, in one JSON line.
 *
 * Scenarios (all by default):
 * - `limited`: 3,000 orders (3 lines and a freight charge each), 300 new customers, 200 new SKUs, at QuickBooks'
 *   default limits (10 in flight, 500/min, 120 batch/min) with 50 ms latency per request. Reported against the
 *   ceiling: the least time those limits allow for the unavoidable creates (customers + items + orders) sent in full
 *   batches of 30, customers and items before the orders that need them.
 * - `saturated`: where the rate limits bind. QuickBooks' windows are one minute; to keep the run short both the
 *   emulator's and the gateway's windows are scaled to 6 s (the same 500 requests / 120 batch calls per window), and
 *   12,000 orders, 1,200 new customers and 800 new SKUs need ~430 batch calls, several windows' worth. The ceiling is
 *   the least time a sliding window allows for them: (ceil(calls / 120) − 1) × window, plus one round trip.
 * - `overhead`: the same shape with limits off and no latency: the gateway's own cost, as orders per second
 *   (SQLite, and MySQL too when BENCH_DATABASE_URL is set).
 * - `memory`: peak RSS of this process (the gateway and its worker; the emulator runs in its own process) while
 *   posting 100,000 orders (BENCH_MEMORY_ORDERS overrides), limits off.
 */
import 'reflect-metadata';
import { createCore, type Core } from '../src/core';
import { JOB_KINDS } from '../src/job-catalogue';
import { createJobHandlers } from '../src/job-handlers';
import { JobWorker } from '../src/jobs';
import { createLogger } from '../src/logger';
import {
  benchConfig,
  connectRealm,
  cpuSeconds,
  round,
  scratchDatabase,
  startEmulator,
  waitForBatch,
  type Emulator,
} from './support';

interface Shape {
  orders: number;
  customers: number;
  skus: number;
}

function buildOrders(shape: Shape, offset: number, count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    return {
      externalId: `bench-${i}`,
      orderNumber: `B${100000 + i}`,
      orderDate: new Date(Date.UTC(2026, 10, 1 + (i % 20))),
      currency: 'USD',
      customer: {
        name: `Bench Buyer ${i % shape.customers}`,
        email: `buyer${i % shape.customers}@example.com`,
      },
      lines: [0, 1, 2].map((j) => ({
        sku: `BENCH-${(i * 3 + j) % shape.skus}`,
        name: `Bench Product ${(i * 3 + j) % shape.skus}`,
        quantity: String(1 + ((i + j) % 4)),
        unitPrice: `${5 + ((i + j * 11) % 40)}.${String((i * 13 + j) % 100).padStart(2, '0')}`,
        taxable: j === 0,
      })),
      charges: [{ kind: 'FREIGHT' as const, amount: `${3 + (i % 6)}.50` }],
      discountTotal: '0',
      taxTotal: '0',
    };
  });
}

async function setUp(emulator: Emulator, databaseUrl: string, dataDir: string) {
  const { realmId } = (await emulator.admin('POST', 'realms', { companyName: 'Bench Posting Co' })) as {
    realmId: string;
  };
  const core = await createCore(
    benchConfig(databaseUrl, dataDir, emulator.url),
    createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
    {
      runWorker: false,
      collectDefaultMetrics: false,
    },
  );
  const tenant = await core.services.tenants.create('bench');
  const worker = new JobWorker(core.queue, {
    kinds: JOB_KINDS,
    handlers: createJobHandlers(core.services),
    logger: createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
    pollMs: 20,
  });
  await worker.start();
  const { connectionId, importBatchId } = await connectRealm(core, undefined as never, tenant.id, realmId);
  await waitForBatch(core, importBatchId);
  const accounts = await core.services.references.list(
    tenant.id,
    connectionId,
    { type: 'ACCOUNT' },
    { first: 500 },
  );
  const account = (type: string) => accounts.nodes.find((a) => a.kind === type)!.quickbooksId;
  await core.services.connections.updateSettings(tenant.id, connectionId, {
    incomeAccountId: account('Income'),
  });
  return { core, worker, tenantId: tenant.id, connectionId, realmId };
}

async function ingest(
  core: Core,
  tenantId: string,
  connectionId: string,
  shape: Shape,
): Promise<{ ids: string[]; seconds: number }> {
  const started = performance.now();
  const ids: string[] = [];
  for (let offset = 0; offset < shape.orders; offset += 1000) {
    const batch = buildOrders(shape, offset, Math.min(1000, shape.orders - offset));
    const result = await core.services.orders.upsert(tenantId, connectionId, 'bench', batch);
    ids.push(...result.orders.map((o) => o.id));
  }
  return { ids, seconds: (performance.now() - started) / 1000 };
}

/** With BENCH_PROFILE=<file>, a CPU profile of the posting itself (load it in Chrome DevTools). */
async function profiled<T>(work: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return work();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function post(core: Core, tenantId: string, ids: string[], sampleRss = false) {
  let peakRss = process.memoryUsage().rss;
  const sampler = sampleRss
    ? setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50)
    : undefined;
  const started = performance.now();
  const batch = await profiled(async () => {
    const queued = await core.services.posting.postOrders(tenantId, ids);
    await waitForBatch(core, queued.id, 3_600_000);
    return queued;
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const finished = await core.services.batches.findById(batch.id);
  return {
    seconds,
    status: finished!.status,
    succeeded: finished!.succeeded,
    failed: finished!.failed,
    peakRssMb: Math.round(peakRss / 2 ** 20),
  };
}

const SCALED_WINDOW_MS = 6_000;

async function scenario(name: 'limited' | 'saturated' | 'overhead' | 'memory', dialect?: 'sqlite' | 'mysql') {
  const emulator = await startEmulator();
  const database = await scratchDatabase(dialect);
  try {
    const limited = name === 'limited' || name === 'saturated';
    await emulator.admin(
      'PUT',
      'limits',
      name === 'saturated'
        ? { enabled: true, latencyMs: 50, windowMs: SCALED_WINDOW_MS }
        : limited
          ? { enabled: true, latencyMs: 50 }
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
        // Unavoidable creates in full batches; customers and items must exist before the orders that use them.
        const referenceCalls = Math.ceil(shape.customers / 30) + Math.ceil(shape.skus / 30);
        const orderCalls = Math.ceil(shape.orders / 30);
        const latencyMs = 50;
        const windowMs = name === 'saturated' ? SCALED_WINDOW_MS : 60_000;
        const concurrencyBoundMs = (Math.ceil(referenceCalls / 10) + Math.ceil(orderCalls / 10)) * latencyMs;
        const batchRateBoundMs =
          Math.max(0, Math.ceil((referenceCalls + orderCalls) / 120) - 1) * windowMs + latencyMs;
        const ceilingMs = Math.max(concurrencyBoundMs, batchRateBoundMs);
        figures.windowSeconds = windowMs / 1000;
        figures.concurrencyBoundSeconds = round(concurrencyBoundMs / 1000);
        figures.rateBoundSeconds = round(batchRateBoundMs / 1000);
        figures.unavoidableBatchCalls = referenceCalls + orderCalls;
        figures.ceilingSeconds = round(ceilingMs / 1000);
        figures.ratioToCeiling = round(ceilingMs / 1000 / result.seconds, 2);
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
