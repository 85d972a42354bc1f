import { JobEntity, OrderEntity } from '../../src/entities';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { connectCompany } from '../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../support/orders';
import { drillFaults, killDuringBatch, random, runInWorker } from '../support/workers';

const ORDERS = 1000;

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
      await runInWorker(t, connected.body.importBatchId as string);
      await configurePosting(t, key, connected.connectionId);
      const orders = await upsertOrders(
        t,
        key,
        connected.connectionId,
        buildOrders(ORDERS, { prefix: `K${seed}`, customers: 60, skus: 40 }),
      );
      if (faults) drillFaults(t, realmId, seed);
      const posted = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        {
          ids: orders.map((o) => o.id),
        },
      );
      const batchId = posted.data!.postOrders.id;

      // Kill workers at several random points of the posting, then let the last ones finish.
      const { killedAt, last } = await killDuringBatch(t, key, batchId, { total: ORDERS, workers, rand });
      sandbox.clearFaults();
      // The kills landed mid-batch: the posting job was claimed again after each dead worker's lease ran out.
      expect(killedAt.filter((n) => n > 0 && n < ORDERS).length).toBeGreaterThanOrEqual(3);
      expect(last).toEqual({ status: 'COMPLETED', succeeded: ORDERS });

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
