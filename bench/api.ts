/**
 * `npm run bench -- api [mysql] [sqlite]` — the read path under load, in one JSON line (issue 14).
 *
 * Data: API_BENCH_ORDERS orders (2,000; 3 lines and a freight charge each) on one connection to a new company of the
 * emulator (its own process, limits off), the first API_BENCH_POSTED (300) posted through it (a batch of 300 items,
 * sync logs for each order), every tenth of the rest FAILED with a stored error.
 *
 * For each database (MariaDB/MySQL when BENCH_DATABASE_URL is set, then SQLite; or those named):
 * - `mix`: API_BENCH_CLIENTS (200) concurrent clients, each one request at a time, for API_BENCH_SECONDS (30),
 *   cycling through the contract's reads: the orders page with nested fields (50 orders: customer, lines,
 *   connection, last error), a batch with its first 100 items, and the newest 50 sync logs (weights 2:1:1).
 * - `page`: API_BENCH_PAGE_CLIENTS (50) clients asking the same 100-order page, first of the gateway, then of a bare
 *   baseline in the same run (bench/api-baseline.ts: graphql-js `execute` over the same SQL through mysql2 or
 *   better-sqlite3, no framework, no document cache).
 * Reported: requests/s, p50/p99 latency (ms) and errors per run. Targets (issue 14), on MariaDB: the gateway's page
 * answers ≥ 0.5 of the baseline's requests/s, with p99 ≤ 250 ms at 50 clients. The gateway runs in this process
 * (no worker), the load generator in a child process (bench/api-load.ts), the emulator in another. The per-key rate
 * limit is off (RATE_LIMIT_PER_SECOND=0): this measures the read path, not the limit.
 */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import path from 'node:path';
import { In } from 'typeorm';
import { createGateway, type Gateway } from '../src/app';
import { OrderEntity } from '../src/entities';
import { createLogger } from '../src/logger';
import { startBaseline } from './api-baseline';
import type { LoadOrder, LoadRequest, LoadResult } from './api-load';
import {
  benchConfig,
  connectRealm,
  ingest,
  profiled,
  round,
  scratchDatabase,
  startEmulator,
  type Emulator,
} from './support';

const SECONDS = Number(process.env.API_BENCH_SECONDS ?? 30);
const ORDERS = Number(process.env.API_BENCH_ORDERS ?? 2000);
const POSTED = Math.min(ORDERS, Number(process.env.API_BENCH_POSTED ?? 300));
const CLIENTS = Number(process.env.API_BENCH_CLIENTS ?? 200);
const PAGE_CLIENTS = Number(process.env.API_BENCH_PAGE_CLIENTS ?? 50);
const WARM_UP_SECONDS = Math.min(5, SECONDS);

const ORDER_FIELDS = /* GraphQL */ `
  id channel externalId orderNumber orderDate currency status total
  customer { name email }
  lines { sku name quantity unitPrice amount taxable }
  connection { id name status realmId }
  lastError { code message hint }
`;
const ORDERS_PAGE = `query OrdersPage($first: Int!) { orders(first: $first) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { ${ORDER_FIELDS} } } } }`;
const BATCH = `query Batch($id: ID!) { batch(id: $id) {
  id kind status total processed succeeded failed createdAt finishedAt error { code message }
  connection { id name }
  items(first: 100) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { entityType entityId label status quickbooksId error { code message hint } } } } } }`;
const SYNC_LOGS = `query SyncLogs { syncLogs(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id batchId direction action entityType entityId label quickbooksId status code message
  attempt durationMs createdAt } } } }`;

interface RunFigures {
  clients: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serverCpuMsPerRequest: number;
  firstError?: string;
  byQuery?: Record<string, { requests: number; p50Ms: number; p99Ms: number; errors: number }>;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))], 1) : 0;
}

function figures(result: LoadResult & { cpuMs: number }, clients: number): RunFigures {
  const names = Object.keys(result.byName);
  const all = Float64Array.from(names.flatMap((name) => result.byName[name].latencies)).sort();
  const errors = names.reduce((n, name) => n + result.byName[name].errors, 0);
  const firstError = names.map((name) => result.byName[name].firstError).find(Boolean);
  return {
    clients,
    seconds: round(result.seconds, 1),
    requests: all.length,
    requestsPerSecond: round(all.length / result.seconds, 1),
    p50Ms: quantile(all, 0.5),
    p99Ms: quantile(all, 0.99),
    errors,
    serverCpuMsPerRequest: all.length ? round(result.cpuMs / all.length, 2) : 0,
    ...(firstError ? { firstError } : {}),
    ...(names.length > 1
      ? {
          byQuery: Object.fromEntries(
            names.map((name) => {
              const sorted = Float64Array.from(result.byName[name].latencies).sort();
              return [
                name,
                {
                  requests: sorted.length,
                  p50Ms: quantile(sorted, 0.5),
                  p99Ms: quantile(sorted, 0.99),
                  errors: result.byName[name].errors,
                },
              ];
            }),
          ),
        }
      : {}),
  };
}

/**
 * Runs the load generator in a child process against `url`; adds the CPU time this process (the server) spent,
 * a figure per request that the noise of a shared machine disturbs less than requests/s.
 */
async function load(order: LoadOrder): Promise<LoadResult & { cpuMs: number }> {
  const child = fork(path.join(__dirname, 'api-load.js'));
  const before = process.cpuUsage();
  const result = await new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (message: LoadResult) => resolve(message));
    child.once('exit', (code) =>
      code ? reject(new Error(`load generator exited with ${code}`)) : undefined,
    );
    child.send(order);
  });
  const used = process.cpuUsage(before);
  return { ...result, cpuMs: (used.user + used.system) / 1000 };
}

/** The bench's data on a new company of the emulator; returns what the queries need. */
async function seed(gateway: Gateway, emulator: Emulator) {
  const tenant = await gateway.services.tenants.create('bench');
  const { key } = await gateway.services.apiKeys.create(tenant.id, 'api bench', ['READ']);
  const { realmId } = (await emulator.admin('POST', 'realms', { companyName: 'Bench Api Co' })) as {
    realmId: string;
  };
  const { connectionId, importBatchId } = await connectRealm(gateway, undefined as never, tenant.id, realmId);
  await gateway.services.references.runImport(importBatchId);
  const accounts = await gateway.services.references.list(
    tenant.id,
    connectionId,
    { type: 'ACCOUNT' },
    { first: 500 },
  );
  await gateway.services.connections.updateSettings(tenant.id, connectionId, {
    incomeAccountId: accounts.nodes.find((a) => a.kind === 'Income')!.quickbooksId,
  });
  gateway.governors.setLimits({ perMinute: 1_000_000, batchPerMinute: 1_000_000 });
  const { ids } = await ingest(gateway, tenant.id, connectionId, {
    orders: ORDERS,
    customers: Math.max(1, Math.round(ORDERS / 10)),
    skus: Math.max(1, Math.round(ORDERS / 20)),
  });
  const batch = await gateway.services.posting.postOrders(tenant.id, ids.slice(0, POSTED));
  await gateway.services.posting.runPostBatch(batch.id);
  const failed = ids.slice(POSTED).filter((_, index) => index % 10 === 0);
  if (failed.length > 0) {
    await gateway.dataSource.getRepository(OrderEntity).update(
      { id: In(failed) },
      {
        status: 'FAILED',
        lastError: {
          code: '6000',
          message: 'A business validation error has occurred while processing your request',
          detail: 'Business Validation Error: the customer is inactive',
          hint: 'make the customer active in QuickBooks, then post the order again',
          direction: 'TO_QUICKBOOKS',
          at: new Date().toISOString(),
        },
      },
    );
  }
  return { tenantId: tenant.id, key, batchId: batch.id };
}

async function measure(dialect: 'mysql' | 'sqlite') {
  const emulator = await startEmulator();
  const database = await scratchDatabase(dialect);
  const gateway = await createGateway(
    benchConfig(database.url, database.dataDir, emulator.url, {
      RUN_WORKER: 'false',
      // 200 clients on one key: the per-key rate limit would refuse them; this measures the read path.
      RATE_LIMIT_PER_SECOND: '0',
    }),
    {
      logger: createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
      collectDefaultMetrics: false,
    },
  );
  try {
    await emulator.admin('PUT', 'limits', { enabled: false, latencyMs: 0 });
    const { tenantId, key, batchId } = await seed(gateway, emulator);
    const url = `${await gateway.listen()}/graphql`;
    const headers = { authorization: `Bearer ${key}` };
    const body = (query: string, variables: Record<string, unknown> = {}) =>
      JSON.stringify({ query, variables });
    const mix: LoadRequest[] = [
      { name: 'ordersPage', weight: 2, body: body(ORDERS_PAGE, { first: 50 }) },
      { name: 'batchWithItems', weight: 1, body: body(BATCH, { id: batchId }) },
      { name: 'syncLogs', weight: 1, body: body(SYNC_LOGS) },
    ];
    const page: LoadRequest[] = [
      { name: 'ordersPage100', weight: 1, body: body(ORDERS_PAGE, { first: 100 }) },
    ];
    // Warm-up (not reported): the first requests of a process pay for compiling its code paths.
    await load({ url, headers, requests: mix, clients: 20, seconds: WARM_UP_SECONDS });
    // API_BENCH_SKIP_MIX=1 (development only): the page alone.
    const mixed = process.env.API_BENCH_SKIP_MIX
      ? null
      : figures(await load({ url, headers, requests: mix, clients: CLIENTS, seconds: SECONDS }), CLIENTS);
    // With BENCH_PROFILE=<file>: a CPU profile of the gateway serving the page.
    const gatewayPage = figures(
      await profiled(() => load({ url, headers, requests: page, clients: PAGE_CLIENTS, seconds: SECONDS })),
      PAGE_CLIENTS,
    );
    const baseline = await startBaseline(database.url, tenantId);
    try {
      await load({ url: baseline.url, headers: {}, requests: page, clients: 20, seconds: WARM_UP_SECONDS });
      const baselinePage = figures(
        await load({
          url: baseline.url,
          headers: {},
          requests: page,
          clients: PAGE_CLIENTS,
          seconds: SECONDS,
        }),
        PAGE_CLIENTS,
      );
      return {
        database: dialect === 'mysql' ? 'mariadb/mysql' : 'sqlite',
        mix: mixed,
        page: {
          gateway: gatewayPage,
          baseline: baselinePage,
          ratio: baselinePage.requestsPerSecond
            ? round(gatewayPage.requestsPerSecond / baselinePage.requestsPerSecond)
            : null,
        },
      };
    } finally {
      await baseline.close();
    }
  } finally {
    await gateway.close();
    emulator.process.kill();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((arg) => arg === 'mysql' || arg === 'sqlite');
  const dialects: Array<'mysql' | 'sqlite'> = asked.length
    ? asked
    : process.env.BENCH_DATABASE_URL
      ? ['mysql', 'sqlite']
      : ['sqlite'];
  if (dialects.includes('mysql') && !process.env.BENCH_DATABASE_URL) {
    throw new Error('mysql needs BENCH_DATABASE_URL (mysql://user@host:port/any)');
  }
  const runs: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const dialect of dialects) runs[dialect] = await measure(dialect);
  const target = runs.mysql ?? runs.sqlite;
  const targets = { pageRatio: '>= 0.5 (MariaDB, 50 clients)', pageP99Ms: '<= 250 (MariaDB, 50 clients)' };
  console.log(
    JSON.stringify({
      bench: 'api',
      at: new Date().toISOString(),
      seconds: SECONDS,
      orders: ORDERS,
      posted: POSTED,
      runs,
      targets,
      targetsMeasuredOn: runs.mysql ? 'mysql' : 'sqlite (no BENCH_DATABASE_URL: not the target database)',
      met: {
        pageRatio: (target.page.ratio ?? 0) >= 0.5,
        pageP99Ms: target.page.gateway.p99Ms <= 250,
        noErrors: Object.values(runs).every(
          (run) => (run.mix?.errors ?? 0) + run.page.gateway.errors + run.page.baseline.errors === 0,
        ),
      },
    }),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
