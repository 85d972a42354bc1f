/**
 * `npm run bench -- undo` — undoBatch throughput, in one JSON line.
 *
 * 300 posted orders (sales receipts) are undone with undoBatch at QuickBooks' default limits (10 in flight, 500/min,
 * 120 batch calls/min) with 50 ms latency per request, as in `posting limited`. The ceiling is computed as there: the
 * least time the limits allow for the unavoidable calls, here ceil(300 / 30) = 10 batch calls of deletes (ten in
 * flight: one round of 50 ms, well under the per-minute limits). The time runs from the undoBatch call until the
 * batch's terminal progress event (no polling delay). `UNDO_BENCH_LATENCY_MS` changes the latency (Intuit answers in
 * a few hundred ms), `UNDO_BENCH_ORDERS` the count.
 */
import 'reflect-metadata';
import { createCore, type Core } from '../src/core';
import { JOB_KINDS } from '../src/job-catalogue';
import { createJobHandlers } from '../src/job-handlers';
import { JobWorker } from '../src/jobs';
import { createLogger } from '../src/logger';
import { benchConfig, connectRealm, round, scratchDatabase, startEmulator, waitForBatch } from './support';

const ORDERS = Number(process.env.UNDO_BENCH_ORDERS ?? 300);
const LATENCY_MS = Number(process.env.UNDO_BENCH_LATENCY_MS ?? 50);

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
    pollMs: 20,
  });
  await worker.start();
  try {
    const { realmId } = (await emulator.admin('POST', 'realms', { companyName: 'Bench Undo Co' })) as {
      realmId: string;
    };
    const tenant = await core.services.tenants.create('bench');
    const { connectionId, importBatchId } = await connectRealm(core, undefined as never, tenant.id, realmId);
    await waitForBatch(core, importBatchId);
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
    const posting = await core.services.posting.postOrders(tenant.id, ids);
    await waitForBatch(core, posting.id);

    await emulator.admin('PUT', 'limits', { enabled: true, latencyMs: LATENCY_MS });
    await emulator.admin('DELETE', 'stats');
    const started = performance.now();
    const undo = await core.services.undo.undoBatch(tenant.id, posting.id);
    await finished(core, tenant.id, undo.id);
    const seconds = (performance.now() - started) / 1000;
    const batch = await core.services.batches.findById(undo.id);
    const stats = (await emulator.admin('GET', 'stats')) as {
      requests: { total: number; byOperation: Record<string, number> };
      throttled: number;
    };

    const batchCalls = Math.ceil(ORDERS / 30);
    const concurrencyBoundMs = Math.ceil(batchCalls / 10) * LATENCY_MS;
    const rateBoundMs = Math.max(0, Math.ceil(batchCalls / 120) - 1) * 60_000 + LATENCY_MS;
    const ceilingMs = Math.max(concurrencyBoundMs, rateBoundMs);
    console.log(
      JSON.stringify({
        bench: 'undo',
        database: database.dialect,
        orders: ORDERS,
        latencyMs: LATENCY_MS,
        status: batch!.status,
        succeeded: batch!.succeeded,
        seconds: round(seconds),
        quickbooksCalls: stats.requests.total,
        callsByOperation: stats.requests.byOperation,
        throttled: stats.throttled,
        unavoidableBatchCalls: batchCalls,
        ceilingSeconds: round(ceilingMs / 1000),
        ratioToCeiling: round(ceilingMs / 1000 / seconds, 2),
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
