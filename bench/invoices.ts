/**
 * `npm run bench -- invoices` — sending invoices to QuickBooks, in one JSON line.
 *
 * 3,000 invoices of 3,000 orders (3 lines and a freight charge each; 300 new customers and 200 new SKUs) sent with
 * one sendInvoice at QuickBooks' default limits (10 in flight, 500/min, 120 batch/min) with 250 ms per request.
 * Reported against the same ceiling as bench/posting: the least time those limits allow for the unavoidable creates
 * (customers + items + invoices in full batches of 30, references before the invoices that need them). Target ≥ 0.90,
 * and QuickBooks calls ≤ 1.05 × the unavoidable batch calls. `trace` says where the time goes, as in bench/posting.
 * `BENCH_INVOICES` and `BENCH_LATENCY_MS` change the size and the latency.
 */
import 'reflect-metadata';
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

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 250);
const INVOICES = Number(process.env.BENCH_INVOICES ?? 3_000);
const SHAPE: Shape = {
  orders: INVOICES,
  customers: Math.ceil(INVOICES / 10),
  skus: Math.ceil(INVOICES / 15),
};

async function main(): Promise<void> {
  const emulator = await startEmulator();
  const database = await scratchDatabase();
  try {
    await emulator.admin('PUT', 'limits', { enabled: true, latencyMs: LATENCY_MS });
    const { core, worker, tenantId, connectionId } = await setUp(emulator, database.url, database.dataDir);
    try {
      const { ids: orderIds } = await ingest(core, tenantId, connectionId, SHAPE);
      const invoices = core.services.invoicing.invoices;
      const invoiceIds: string[] = [];
      for (const orderId of orderIds) invoiceIds.push((await invoices.create(tenantId, orderId)).id);
      await waitForQuietJobs(core);
      await emulator.admin('DELETE', 'stats');
      const emulatorCpuBefore = cpuSeconds(emulator.process.pid);
      const processCpuBefore = process.cpuUsage();
      const started = performance.now();
      const trace = traceCalls(core);
      let queuedSeconds = 0;
      const batch = await profiled(async () => {
        const queued = await invoices.send(tenantId, invoiceIds);
        queuedSeconds = (performance.now() - started) / 1000;
        await waitForBatch(core, queued.id);
        return queued;
      });
      const seconds = (performance.now() - started) / 1000;
      const where = trace.stop(seconds);
      const processCpu = process.cpuUsage(processCpuBefore);
      const finished = (await core.services.batches.findById(batch.id))!;
      const stats = (await emulator.admin('GET', 'stats')) as {
        requests: { total: number; byOperation: Record<string, number> };
        throttled: number;
      };
      const ceiling = limitedCeiling(SHAPE, LATENCY_MS, 60_000);
      const ratioToCeiling = round(ceiling.ceilingSeconds / seconds, 2);
      const callsToMinimum = round(stats.requests.total / ceiling.unavoidableBatchCalls, 3);
      console.log(
        JSON.stringify({
          bench: 'invoices',
          database: database.dialect,
          invoices: SHAPE.orders,
          newCustomers: SHAPE.customers,
          newItems: SHAPE.skus,
          latencyMs: LATENCY_MS,
          seconds: round(seconds),
          queuedSeconds: round(queuedSeconds),
          status: finished.status,
          succeeded: finished.succeeded,
          failed: finished.failed,
          invoicesPerSecond: Math.round(SHAPE.orders / seconds),
          gatewayCpuSeconds: round((processCpu.user + processCpu.system) / 1e6),
          emulatorCpuSeconds: round(cpuSeconds(emulator.process.pid) - emulatorCpuBefore),
          quickbooksCalls: stats.requests.total,
          callsByOperation: stats.requests.byOperation,
          throttled: stats.throttled,
          ...ceiling,
          ratioToCeiling,
          ratioAtObservedLatency: ratioAtObservedLatency(SHAPE, where.meanWorkCallMs, 60_000, seconds),
          callsToMinimum,
          trace: where,
          ...targets({
            ratioToCeiling: { value: ratioToCeiling, atLeast: 0.9 },
            callsToMinimum: { value: callsToMinimum, atMost: 1.05 },
            allSent: { value: finished.succeeded, atLeast: SHAPE.orders },
          }),
        }),
      );
    } finally {
      await worker.stop({ graceful: true });
      await core.close();
    }
  } finally {
    emulator.process.kill('SIGTERM');
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
