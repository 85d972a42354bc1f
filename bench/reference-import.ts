/**
 * `npm run bench -- reference-import [customers] [items]`: imports a company with 5,000 customers and 2,000 items
 * (by default) at the emulator's default limits, and prints one JSON line: wall time, QuickBooks calls used against
 * the least the API allows (1,000 objects a query), and the ratio of the gateway's import to a baseline measured in the
 * same run: the same paged queries made by a bare QuickBooks client with nothing stored.
 */
import 'reflect-metadata';
import { createCore } from '../src/core';
import { JOB_KINDS } from '../src/job-catalogue';
import { createJobHandlers } from '../src/job-handlers';
import { JobWorker } from '../src/jobs';
import { REFERENCE_TYPES } from '../src/entities';
import { createLogger } from '../src/logger';
import { QuickBooksClient } from '../src/quickbooks';
import { createSandbox } from '../src/sandbox';
import { QUICKBOOKS_ENTITY } from '../src/services/reference.service';
import { benchConfig, connectRealm, round, scratchDatabase, waitForBatch } from './support';

async function main(): Promise<void> {
  const customers = Number(process.argv[2] ?? 5000);
  const items = Number(process.argv[3] ?? 2000);
  const sandbox = await createSandbox({}); // default limits: 500/min, 10 concurrent, 120 batch/min
  const realmId = sandbox.createRealm({ companyName: 'Bench Import Co' });
  const income = (
    sandbox.accounting.adminEntities(realmId, 'Account') as Array<{ Id: string; AccountType: string }>
  ).find((a) => a.AccountType === 'Income')!;
  for (let i = 0; i < customers; i++) {
    sandbox.accounting.adminChange(realmId, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: `Bench Customer ${i}`, PrimaryEmailAddr: { Address: `c${i}@example.com` } },
    });
  }
  for (let i = 0; i < items; i++) {
    sandbox.accounting.adminChange(realmId, {
      entity: 'Item',
      operation: 'create',
      data: {
        Name: `Bench Item ${i}`,
        Sku: `SKU-${i}`,
        Type: 'NonInventory',
        IncomeAccountRef: { value: income.Id },
      },
    });
  }
  const counts = Object.fromEntries(
    REFERENCE_TYPES.map((type) => [
      type,
      sandbox.accounting.adminEntities(realmId, QUICKBOOKS_ENTITY[type]).length,
    ]),
  );
  // A query returns at most 1,000 objects; a list whose size is a multiple of 1,000 needs one more (empty) page to end.
  const minimumCalls = Object.values(counts).reduce((sum, n) => sum + Math.floor(n / 1000) + 1, 0);

  const database = await scratchDatabase();
  const core = await createCore(
    benchConfig(database.url, database.dataDir, sandbox.url),
    createLogger('silent'),
    {
      runWorker: false,
      collectDefaultMetrics: false,
    },
  );
  try {
    const tenant = await core.services.tenants.create('bench');
    // The import that connecting queues is what we measure; no worker runs until the baseline is done.
    const { connectionId, importBatchId } = await connectRealm(core, sandbox, tenant.id, realmId);

    // Baseline: the same queries, same limits, nothing stored.
    const bare = new QuickBooksClient({
      baseUrl: sandbox.url,
      realmId,
      tokens: {
        getAccessToken: () => core.services.custodian.getAccessToken(connectionId),
        refreshAfterUnauthorized: (rejected) =>
          core.services.custodian.refreshAfterUnauthorized(connectionId, rejected),
      },
    });
    const baselineStart = performance.now();
    await Promise.all(
      REFERENCE_TYPES.map(async (type) => {
        for await (const _ of bare.queryAll(QUICKBOOKS_ENTITY[type], 'Active IN (true, false)')) void _;
      }),
    );
    const baselineMs = performance.now() - baselineStart;

    sandbox.resetStats();
    const start = performance.now();
    const worker = new JobWorker(core.queue, {
      kinds: JOB_KINDS,
      handlers: createJobHandlers(core.services),
      logger: createLogger('silent'),
      pollMs: 10,
    });
    await worker.start();
    await waitForBatch(core, importBatchId);
    const importMs = performance.now() - start;
    await worker.stop({ graceful: true });
    const stats = sandbox.stats();
    const finished = await core.services.batches.findById(importBatchId);
    console.log(
      JSON.stringify({
        bench: 'reference-import',
        database: database.dialect,
        objects: counts,
        status: finished?.status,
        importSeconds: round(importMs / 1000),
        quickbooksCalls: stats.requests.total,
        minimumCalls,
        callsOverMinimum: stats.requests.total - minimumCalls,
        throttled: stats.throttled,
        baselineSeconds: round(baselineMs / 1000),
        ratioToBaseline: round(importMs / baselineMs, 2),
        objectsPerSecond: Math.round(Object.values(counts).reduce((a, b) => a + b, 0) / (importMs / 1000)),
      }),
    );
  } finally {
    await core.close();
    await sandbox.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
