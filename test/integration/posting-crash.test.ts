import { JobEntity, OrderEntity, SyncBatchEntity } from '../../src/entities';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { collect, connectCompany, wsClient } from '../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../support/orders';
import { kill, random, startWorker, until } from '../support/workers';

const ORDERS = 1000;

async function processed(t: TestGateway, batchId: string): Promise<SyncBatchEntity> {
  return t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id: batchId });
}

const scenarios = DIALECTS.flatMap((dialect) => [
  { dialect, name: 'clean network', faults: false, workers: 1, seed: 11 },
  {
    dialect,
    name: 'lost responses, 503s and 429s',
    faults: true,
    workers: dialect === 'mysql' ? 2 : 1,
    seed: 23,
  },
]);

describe.each(scenarios)(
  'posting survives SIGKILL on $dialect: $name, $workers worker(s), seed $seed',
  ({ dialect, faults, workers, seed }) => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway(dialect, { RUN_WORKER: 'false' });
    });
    afterAll(async () => {
      t.gateway.sandbox?.clearFaults();
      await t?.close();
    });

    it(`posts ${ORDERS} orders exactly once though workers are killed at random points`, async () => {
      const rand = random(seed);
      const { key } = await t.newTenantKey(['ADMIN']);
      const sandbox = t.gateway.sandbox!;
      const realmId = sandbox.createRealm({ companyName: `Crash ${seed}` });
      const connected = await connectCompany(t, key, { realmId });
      // No worker runs in this process: import through a short-lived child first.
      const importer = await startWorker(t);
      await until(
        async () => (await processed(t, connected.body.importBatchId as string)).status === 'COMPLETED',
      );
      await kill(importer);
      await configurePosting(t, key, connected.connectionId);
      const orders = await upsertOrders(
        t,
        key,
        connected.connectionId,
        buildOrders(ORDERS, { prefix: `K${seed}`, customers: 60, skus: 40 }),
      );
      if (faults) {
        sandbox.setFaults({
          seed,
          rules: [
            { match: { realmId, operation: 'batch' }, probability: 0.05, dropResponseAfterCommit: true },
            {
              match: { realmId },
              probability: 0.1,
              respond: { status: 503, code: '10000', message: 'Service Unavailable' },
            },
            {
              match: { realmId },
              probability: 0.05,
              respond: { status: 429, code: '3001', message: 'ThrottleExceeded' },
            },
          ],
        });
      }
      const posted = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        {
          ids: orders.map((o) => o.id),
        },
      );
      const batchId = posted.data!.postOrders.id;

      // Kill workers at several random points of the posting, then let the last ones finish.
      const killedAt: number[] = [];
      for (let round = 0; round < 4; round++) {
        const children = await Promise.all(Array.from({ length: workers }, () => startWorker(t)));
        // Targets spread over the first two thirds of the batch, so a fast worker is still mid-batch when it dies.
        const target = Math.floor((round + rand()) * (ORDERS / 6));
        await until(async () => {
          const batch = await processed(t, batchId);
          return batch.processed >= target || batch.status === 'COMPLETED';
        });
        await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 10)));
        await Promise.all(children.map(kill));
        killedAt.push((await processed(t, batchId)).processed);
      }
      // The kills landed mid-batch: the posting job was claimed again after each dead worker's lease ran out.
      expect(killedAt.filter((n) => n > 0 && n < ORDERS).length).toBeGreaterThanOrEqual(3);
      const finishers = await Promise.all(Array.from({ length: workers }, () => startWorker(t)));
      try {
        const client = wsClient(t, key);
        const events = await collect<{ batchProgress: { status: string; succeeded: number } }>(
          client,
          'subscription($id: ID!) { batchProgress(batchId: $id) { status succeeded } }',
          { id: batchId },
        );
        await client.dispose();
        expect(events[events.length - 1].batchProgress).toEqual({ status: 'COMPLETED', succeeded: ORDERS });
      } finally {
        await Promise.all(finishers.map(kill));
        sandbox.clearFaults();
      }

      const receipts = (
        sandbox.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
          DocNumber: string;
          status?: string;
        }>
      ).filter((r) => r.status !== 'Deleted');
      expect(receipts).toHaveLength(ORDERS);
      expect(new Set(receipts.map((r) => r.DocNumber)).size).toBe(ORDERS);
      const statuses = await t.gateway.dataSource
        .getRepository(OrderEntity)
        .createQueryBuilder('o')
        .select('o.status', 'status')
        .addSelect('COUNT(*)', 'count')
        .where('o.connectionId = :id', { id: connected.connectionId })
        .groupBy('o.status')
        .getRawMany<{ status: string; count: string }>();
      expect(statuses.map((s) => [s.status, Number(s.count)])).toEqual([['POSTED', ORDERS]]);
      if (faults) expect(sandbox.stats().droppedResponses).toBeGreaterThan(0);
      const job = await t.gateway.dataSource
        .getRepository(JobEntity)
        .findOneByOrFail({ kind: 'orders.post' });
      expect(job.attempts).toBeGreaterThanOrEqual(4);
    }, 600_000);
  },
);
