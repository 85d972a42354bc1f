import { JobEntity, OrderEntity, OrderRefundEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';
import {
  batchOf,
  drillRules,
  kill,
  killAtRandomPoints,
  random,
  runInWorker,
  startWorker,
  until,
} from '../../support/workers';

const ORDERS = 400;
/** Posted orders changed afterwards and posted again (their transactions updated), and orders refunded. */
const CHANGED = 80;
const REFUNDS = 40;
// One drill per dialect: SIGKILLs at random points on a faulty network (the clean-network run is a subset of it),
// with two competing workers on MySQL.
const scenarios = DIALECTS.map((dialect) => ({
  dialect,
  name: 'lost responses, 503s and 429s',
  faults: true,
  workers: dialect === 'mysql' ? 2 : 1,
  seed: 23,
}));

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

    it(`posts ${ORDERS} orders (some in EUR), updates ${CHANGED} and refunds ${REFUNDS}, each exactly once though workers are killed at random points`, async () => {
      const rand = random(seed);
      const { key } = await t.newTenantKey(['ADMIN']);
      const sandbox = t.gateway.sandbox!;
      const realmId = sandbox.createRealm({ companyName: `Crash ${seed}` });
      // Multicurrency on: every tenth order is in EUR, with its own rate.
      const prefs = (
        sandbox.accounting.adminEntities(realmId, 'Preferences') as Array<{ SyncToken: string }>
      )[0]!;
      sandbox.accounting.handle({
        method: 'POST',
        realmId,
        path: 'preferences',
        query: {},
        body: { SyncToken: prefs.SyncToken, sparse: true, CurrencyPrefs: { MultiCurrencyEnabled: true } },
      });
      const connected = await connectCompany(t, key, { realmId });
      // No worker runs in this process: import through a short-lived child first.
      await runInWorker(t, connected.body.importBatchId as string);
      const checking = (
        sandbox.accounting.adminEntities(realmId, 'Account') as Array<{ Id: string; Name: string }>
      ).find((a) => a.Name === 'Checking')!.Id;
      await configurePosting(t, key, connected.connectionId, { refundAccountId: checking });
      const inputs = buildOrders(ORDERS, { prefix: `K${seed}`, customers: 60, skus: 40 }).map((order, i) => ({
        ...order,
        ...(i % 10 === 3 ? { currency: 'EUR', exchangeRate: '1.1' } : {}),
        ...(i % 4 === 0 ? { paymentMethod: 'Visa' } : {}),
      }));
      const orders = await upsertOrders(t, key, connected.connectionId, inputs);
      // The drill's network, and refunds' answers lost more often (their own call each).
      const rules = faults
        ? [
            {
              match: { realmId, entity: 'RefundReceipt', operation: 'create' },
              probability: 0.2,
              dropResponseAfterCommit: true,
            },
            ...drillRules(realmId),
          ]
        : [];
      sandbox.setFaults({ seed, rules });
      const posted = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        {
          ids: orders.map((o) => o.id),
        },
      );
      const batchId = posted.data!.postOrders.id;

      // Kill workers at several random points of the work, then let the last ones finish.
      const drill = (rounds: number, total: number, progress: () => Promise<number>, operation = 'batch') =>
        killAtRandomPoints(t, {
          realmId,
          rules,
          seed,
          rounds,
          workers,
          rand,
          operation,
          progress,
          done: async () => (await progress()) >= total,
        });
      const killedAt = await drill(4, ORDERS, async () => {
        const batch = await batchOf(t, batchId);
        return batch.status === 'COMPLETED' ? ORDERS : batch.processed;
      });
      // Every kill landed mid-batch (at most 16 batch calls had gone through; 400 orders need 18 or more), and some
      // after orders had gone out.
      expect(killedAt.every((n) => n < ORDERS)).toBe(true);
      expect(Math.max(...killedAt)).toBeGreaterThan(0);
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
      const job = await t.gateway.dataSource
        .getRepository(JobEntity)
        .findOneByOrFail({ kind: 'orders.post' });
      expect(job.attempts).toBeGreaterThanOrEqual(4);
      const byNumber = new Map(
        (
          sandbox.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
            Id: string;
            DocNumber: string;
            SyncToken: string;
            TotalAmt: number;
            status?: string;
            CurrencyRef: { value: string };
            ExchangeRate?: number;
            PaymentMethodRef?: { value: string };
          }>
        )
          .filter((r) => r.status !== 'Deleted')
          .map((r) => [r.DocNumber, r]),
      );
      const visa = (
        sandbox.accounting.adminEntities(realmId, 'PaymentMethod') as Array<{ Id: string; Name: string }>
      ).find((m) => m.Name === 'Visa')!.Id;
      inputs.forEach((input, i) => {
        const receipt = byNumber.get(input.orderNumber)!;
        expect(receipt.CurrencyRef.value).toBe(i % 10 === 3 ? 'EUR' : 'USD');
        if (i % 10 === 3) expect(receipt.ExchangeRate).toBe(1.1);
        if (i % 4 === 0) expect(receipt.PaymentMethodRef?.value).toBe(visa);
      });

      // Changed after posting and posted again, under the same drill: each transaction updated exactly once.
      const changed = inputs.slice(0, CHANGED).map((input) => ({ ...input, taxTotal: '0.99' }));
      await upsertOrders(t, key, connected.connectionId, changed);
      const update = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        { ids: orders.slice(0, CHANGED).map((o) => o.id) },
      );
      const updateBatchId = update.data!.postOrders.id;
      await drill(2, CHANGED, async () => {
        const batch = await batchOf(t, updateBatchId);
        return batch.status === 'COMPLETED' ? CHANGED : batch.processed;
      });
      const updaters = await Promise.all(Array.from({ length: workers }, () => startWorker(t)));
      try {
        await until(async () => (await batchOf(t, updateBatchId)).status === 'COMPLETED');
      } finally {
        await Promise.all(updaters.map(kill));
      }
      expect(await batchOf(t, updateBatchId)).toMatchObject({ succeeded: CHANGED });
      const afterUpdate = (
        sandbox.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
          DocNumber: string;
          SyncToken: string;
          TotalAmt: number;
          status?: string;
        }>
      ).filter((r) => r.status !== 'Deleted');
      expect(afterUpdate).toHaveLength(ORDERS);
      const updated = new Map(afterUpdate.map((r) => [r.DocNumber, r]));
      for (const input of changed) {
        const receipt = updated.get(input.orderNumber)!;
        // SyncToken 1: updated once, never twice, whatever was lost or killed on the way.
        expect(receipt.SyncToken).toBe('1');
        expect(receipt.TotalAmt.toFixed(2)).toBe(
          (Number(byNumber.get(input.orderNumber)!.TotalAmt) + 0.99).toFixed(2),
        );
      }

      // Refunds, one batch each, under the same drill: exactly one RefundReceipt per refund.
      const refundBatches: string[] = [];
      for (const order of orders.slice(CHANGED, CHANGED + REFUNDS)) {
        const refund = await t.graphql<{ refundOrder: { id: string } }>(
          key,
          'mutation($id: ID!) { refundOrder(orderId: $id, input: { amount: "1.00", reason: "drill" }) { id } }',
          { id: order.id },
        );
        if (refund.errors) throw new Error(JSON.stringify(refund.errors));
        refundBatches.push(refund.data!.refundOrder.id);
      }
      const refunds = t.gateway.dataSource.getRepository(OrderRefundEntity);
      const postedRefunds = async () =>
        refunds.countBy({ connectionId: connected.connectionId, status: 'POSTED' });
      // Each refund is a create call of its own.
      await drill(2, REFUNDS, postedRefunds, 'create');
      const refunders = await Promise.all(Array.from({ length: workers }, () => startWorker(t)));
      try {
        await until(async () => (await postedRefunds()) === REFUNDS);
      } finally {
        await Promise.all(refunders.map(kill));
        sandbox.clearFaults();
      }
      const refundReceipts = sandbox.accounting.adminEntities(realmId, 'RefundReceipt') as Array<{
        DocNumber: string;
        TotalAmt: number;
      }>;
      expect(refundReceipts).toHaveLength(REFUNDS);
      expect(new Set(refundReceipts.map((r) => r.DocNumber)).size).toBe(REFUNDS);
      expect(refundReceipts.every((r) => r.TotalAmt === 1)).toBe(true);
      if (faults) expect(sandbox.stats().droppedResponses).toBeGreaterThan(0);
    }, 900_000);
  },
);
