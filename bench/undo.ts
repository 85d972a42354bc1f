/**
 * `npm run bench -- undo` — undoBatch throughput, in one JSON line.
 *
 * 300 posted orders (sales receipts) are undone with undoBatch at QuickBooks' default limits (10 in flight, 500/min,
 * 120 batch calls/min), at 250 ms per request (QuickBooks answers in a few hundred ms) and again at 50 ms, as in
 * `posting limited`/`limited50` (the orders are posted again between the two). The ceiling is computed as there: the
 * least time the limits allow for the unavoidable calls, here ceil(300 / 30) = 10 batch calls of deletes (ten in
 * flight: one round trip, well under the per-minute limits). The time runs from the undoBatch call until the batch's
 * terminal progress event (no polling delay). Target ≥ 0.8 at 250 ms; at 50 ms one round trip is shorter than the
 * fixed cost of queuing a batch and running its job, so that figure is reported, not held to the target.
 * `UNDO_BENCH_LATENCY_MS` (comma-separated) changes the latencies, `UNDO_BENCH_ORDERS` the count. `trace` says where
 * the time goes, as in bench/posting.
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
  round,
  scratchDatabase,
  startEmulator,
  targets,
  traceCalls,
  waitForBatch,
  waitForQuietJobs,
} from './support';

const ORDERS = Number(process.env.UNDO_BENCH_ORDERS ?? 300);
const LATENCIES_MS = (process.env.UNDO_BENCH_LATENCY_MS ?? '250,50').split(',').map(Number);
const TARGET = 0.8;

/** Resolves at the batch's terminal progress event (subscribed before the work starts). */
async function finished(core: Core, tenantId: string, batchId: string): Promise<void> {
  for await (const event of core.services.batches.progress(tenantId, batchId)) {
    if (['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(event.status)) return;
  }
}

async function main(): Promise<void> {
  // The emulator in its own process, as in bench/posting: its CPU is not the gateway's.
  const emulator = await startEmulator();
  const database = await scratchDatabase();
  const logger = createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent');
  const core = await createCore(benchConfig(database.url, database.dataDir, emulator.url), logger, {
    runWorker: false,
    collectDefaultMetrics: false,
  });
  const worker = new JobWorker(core.queue, {
    kinds: JOB_KINDS,
    handlers: createJobHandlers(core.services),
    logger,
    // The default poll: jobs queued in this process wake the worker at once, and a fast poll is CPU taken from the run.
  });
  await worker.start();
  try {
    const { realmId } = (await emulator.admin('POST', 'realms', { companyName: 'Bench Undo Co' })) as {
      realmId: string;
    };
    const tenant = await core.services.tenants.create('bench');
    const { connectionId, importBatchId } = await connectRealm(core, undefined as never, tenant.id, realmId);
    await waitForBatch(core, importBatchId);
    await waitForQuietJobs(core);
    const accounts = await core.services.references.list(
      tenant.id,
      connectionId,
      { type: 'ACCOUNT' },
      { first: 500 },
    );
    await core.services.connections.updateSettings(tenant.id, connectionId, {
      incomeAccountId: accounts.nodes.find((a) => a.kind === 'Income')!.quickbooksId,
    });
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      externalId: `undo-${i}`,
      orderNumber: `U${100000 + i}`,
      orderDate: new Date(Date.UTC(2026, 10, 1 + (i % 20))),
      customer: { name: `Undo Buyer ${i % 30}` },
      lines: [{ sku: `UNDO-${i % 20}`, name: `Undo Product ${i % 20}`, quantity: '1', unitPrice: '10.00' }],
    }));
    const ids = (await core.services.orders.upsert(tenant.id, connectionId, 'bench', orders)).orders.map(
      (o) => o.id,
    );
    const runs: Record<string, unknown>[] = [];
    for (const latencyMs of LATENCIES_MS) {
      await emulator.admin('PUT', 'limits', { enabled: false, latencyMs: 0 });
      const posting = await core.services.posting.postOrders(tenant.id, ids);
      await waitForBatch(core, posting.id);

      await emulator.admin('PUT', 'limits', { enabled: true, latencyMs });
      await emulator.admin('DELETE', 'stats');
      const started = performance.now();
      const trace = traceCalls(core);
      const undo = await core.services.undo.undoBatch(tenant.id, posting.id);
      const queuedMs = performance.now() - started;
      await finished(core, tenant.id, undo.id);
      const seconds = (performance.now() - started) / 1000;
      const where = trace.stop(seconds);
      const batch = await core.services.batches.findById(undo.id);
      const stats = (await emulator.admin('GET', 'stats')) as {
        requests: { total: number; byOperation: Record<string, number> };
        throttled: number;
      };

      const batchCalls = Math.ceil(ORDERS / 30);
      const concurrencyBoundMs = Math.ceil(batchCalls / 10) * latencyMs;
      const rateBoundMs = Math.max(0, Math.ceil(batchCalls / 120) - 1) * 60_000 + latencyMs;
      const ceilingMs = Math.max(concurrencyBoundMs, rateBoundMs);
      const ratioToCeiling = round(ceilingMs / 1000 / seconds, 2);
      runs.push({
        latencyMs,
        status: batch!.status,
        succeeded: batch!.succeeded,
        seconds: round(seconds),
        queuedMs: round(queuedMs, 0),
        quickbooksCalls: stats.requests.total,
        callsByOperation: stats.requests.byOperation,
        throttled: stats.throttled,
        unavoidableBatchCalls: batchCalls,
        ceilingSeconds: round(ceilingMs / 1000),
        ratioToCeiling,
        ratioAtObservedLatency:
          where.meanWorkCallMs !== null ? round(where.meanWorkCallMs / 1000 / seconds, 2) : null,
        trace: where,
        ...(latencyMs >= 250
          ? targets({
              ratioToCeiling: { value: ratioToCeiling, atLeast: TARGET },
              allUndone: { value: batch!.succeeded, atLeast: ORDERS },
            })
          : {}),
      });
    }
    console.log(
      JSON.stringify({
        bench: 'undo',
        database: database.dialect,
        orders: ORDERS,
        runs,
        met: runs.every((r) => r.met !== false),
      }),
    );
  } finally {
    await worker.stop({ graceful: true });
    await core.close();
    emulator.process.kill('SIGTERM');
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
