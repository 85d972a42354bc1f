import type { ChildProcess } from 'node:child_process';
import { OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany, wsClient } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';
import { batchOf, kill, runInWorker, startGatewayProcess, startWorker, until } from '../../support/workers';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORDERS = 200;

interface Progress {
  batchProgress: { status: string; processed: number; succeeded: number; total: number };
}

/**
 * The README's scaled-out topology on MariaDB and Redis: two gateways that run no worker (A in this process, B in its
 * own) and two separate worker processes. A batch posted through A is followed from B's subscription; one worker is
 * killed mid-batch; every order still lands exactly once.
 */
const mysql = DIALECTS.includes('mysql') ? describe : describe.skip;
mysql('scaling out: two gateways and two workers on MariaDB and Redis', () => {
  let a: TestGateway;
  let b: { child: ChildProcess; url: string } | undefined;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    a = await startTestGateway('mysql', { REDIS_URL, RUN_WORKER: 'false' });
  });
  afterAll(async () => {
    await Promise.all(workers.map(kill));
    if (b) await kill(b.child);
    await a?.close();
  });

  it(`posts ${ORDERS} orders through gateway A, followed to the end from gateway B, with a worker killed mid-batch`, async () => {
    const { key } = await a.newTenantKey(['ADMIN']);
    const realmId = a.gateway.sandbox!.createRealm({ companyName: 'Scale Out Co' });
    const connected = await connectCompany(a, key, { realmId });
    // Process start-up (ts-node) is slow on a busy machine: gateway B starts while a short-lived worker imports.
    [b] = await Promise.all([
      startGatewayProcess(a, { REDIS_URL, RUN_WORKER: 'false' }),
      runInWorker(a, connected.body.importBatchId as string),
    ]);
    await configurePosting(a, key, connected.connectionId);
    const orders = await upsertOrders(
      a,
      key,
      connected.connectionId,
      buildOrders(ORDERS, { prefix: 'SO', customers: 30, skus: 20 }),
    );

    // Posted through A; nothing runs it yet (no worker anywhere).
    const posted = await a.graphql<{ postOrders: { id: string } }>(
      key,
      'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
      { ids: orders.map((o) => o.id) },
    );
    const batchId = posted.data!.postOrders.id;

    // Followed from B: its first event is the batch as it stands; only then do the workers start.
    const client = wsClient(b, key);
    const events: Progress[] = [];
    let first!: () => void;
    const subscribed = new Promise<void>((resolve) => (first = resolve));
    const done = new Promise<void>((resolve, reject) =>
      client.subscribe<Progress>(
        {
          query:
            'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded total } }',
          variables: { id: batchId },
        },
        {
          next: (value) => {
            if (value.errors) return reject(new Error(JSON.stringify(value.errors)));
            events.push(value.data!);
            first();
          },
          error: reject,
          complete: resolve,
        },
      ),
    );
    await subscribed;
    expect(events[0]!.batchProgress).toMatchObject({ status: 'QUEUED', processed: 0, total: ORDERS });

    const env = { REDIS_URL };
    workers.push(...(await Promise.all([startWorker(a, 1000, env), startWorker(a, 1000, env)])));
    await until(async () => (await batchOf(a, batchId)).processed >= ORDERS / 3);
    await kill(workers[0]!);
    await done;
    await client.dispose();

    const last = events[events.length - 1]!.batchProgress;
    expect(last).toMatchObject({ status: 'COMPLETED', processed: ORDERS, succeeded: ORDERS });
    // Item events crossed Redis from the workers to B (more than the first and the last), never reordered.
    expect(events.length).toBeGreaterThan(2);
    const processed = events.map((e) => e.batchProgress.processed);
    expect(processed).toEqual([...processed].sort((x, y) => x - y));

    // Every order once in QuickBooks: one sales receipt per order number, and each order points at its own.
    const receipts = (
      a.gateway.sandbox!.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
        DocNumber: string;
        Id: string;
        status?: string;
      }>
    ).filter((r) => r.status !== 'Deleted');
    expect(receipts).toHaveLength(ORDERS);
    expect(new Set(receipts.map((r) => r.DocNumber)).size).toBe(ORDERS);
    const rows = await a.gateway.dataSource
      .getRepository(OrderEntity)
      .findBy({ connectionId: connected.connectionId });
    expect(rows.every((o) => o.status === 'POSTED')).toBe(true);
    expect(new Set(rows.map((o) => o.postedTransaction!.id)).size).toBe(ORDERS);
  }, 600_000);
});
