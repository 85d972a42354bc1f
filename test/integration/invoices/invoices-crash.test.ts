import { InvoiceEntity, JobEntity, OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';
import { drillRules, killDuringBatch, random, runInWorker } from '../../support/workers';

// The drill: 1,000 invoices (DRILL_INVOICES for another size).
const INVOICES = Number(process.env.DRILL_INVOICES ?? 1_000);

async function countBy(t: TestGateway, table: 'invoices' | 'orders', column: string, connectionId: string) {
  const rows = await t.gateway.dataSource.query<Array<{ value: string; n: string | number }>>(
    `SELECT \`${column}\` AS \`value\`, COUNT(*) AS \`n\` FROM \`${table}\` WHERE \`connectionId\` = ? GROUP BY \`${column}\``,
    [connectionId],
  );
  return rows.map((r) => [r.value, Number(r.n)]);
}

// One drill per dialect: SIGKILLs at random points on a faulty network (the clean-network run is a subset of it),
// with two competing workers on MySQL.
const scenarios = DIALECTS.map((dialect) => ({
  dialect,
  name: 'lost answers, 503s and 429s',
  faults: true,
  workers: dialect === 'mysql' ? 2 : 1,
  seed: 47,
}));

describe.each(scenarios)(
  'sendInvoice survives SIGKILL on $dialect: $name, $workers worker(s), seed $seed',
  ({ dialect, faults, workers, seed }) => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway(dialect, { RUN_WORKER: 'false' });
    });
    afterAll(async () => {
      t.gateway.sandbox?.clearFaults();
      await t?.close();
    });

    it(`sends ${INVOICES} invoices exactly once though workers are killed at random points`, async () => {
      const rand = random(seed);
      const { key, tenantId } = await t.newTenantKey(['ADMIN']);
      const sandbox = t.gateway.sandbox!;
      const realmId = sandbox.createRealm({ companyName: `Invoice Crash ${seed}` });
      const connected = await connectCompany(t, key, { realmId });
      // No worker runs in this process: import through a short-lived child first.
      await runInWorker(t, connected.body.importBatchId as string);
      await configurePosting(t, key, connected.connectionId);
      const orders = await upsertOrders(
        t,
        key,
        connected.connectionId,
        buildOrders(INVOICES, { prefix: `IK${seed}`, customers: 60, skus: 40, discount: true }),
      );
      const invoices = [];
      for (const order of orders)
        invoices.push(await t.gateway.services.invoicing.invoices.create(tenantId, order.id));
      const rules = faults ? drillRules(realmId) : [];
      sandbox.setFaults({ seed, rules });
      // Straight to the service, as the invoices were made: an HTTP call after that long quiet spell could meet a
      // keep-alive socket the server has just closed.
      const { id: batchId } = await t.gateway.services.invoicing.invoices.send(
        tenantId,
        invoices.map((i) => i.id),
      );

      // Kill workers at several random points of the sending, then let the last ones finish.
      const { killedAt, last } = await killDuringBatch(t, key, batchId, {
        total: INVOICES,
        workers,
        rand,
        realmId,
        rules,
        seed,
      });
      sandbox.clearFaults();
      // Every kill landed mid-batch (at most 16 batch calls had gone through; 400 invoices need 18 or more), and some
      // after invoices had gone out.
      expect(killedAt.every((n) => n < INVOICES)).toBe(true);
      expect(Math.max(...killedAt)).toBeGreaterThan(0);
      // The failures' reasons, if any, in the message: a drill that fails should say why.
      const failures = (
        await t.gateway.dataSource.getRepository(InvoiceEntity).findBy({
          connectionId: connected.connectionId,
          pushStatus: 'FAILED',
        })
      ).map((invoice) => `${invoice.lastError?.code ?? ''} ${invoice.lastError?.message ?? ''}`);
      expect({ ...last, failures: [...new Set(failures)] }).toEqual({
        status: 'COMPLETED',
        succeeded: INVOICES,
        failures: [],
      });

      const inQuickBooks = (
        sandbox.accounting.adminEntities(realmId, 'Invoice') as Array<{ DocNumber: string; status?: string }>
      ).filter((i) => i.status !== 'Deleted');
      expect(inQuickBooks).toHaveLength(INVOICES);
      expect(new Set(inQuickBooks.map((i) => i.DocNumber)).size).toBe(INVOICES);
      expect(await countBy(t, 'invoices', 'pushStatus', connected.connectionId)).toEqual([
        ['SENT', INVOICES],
      ]);
      expect(await countBy(t, 'orders', 'status', connected.connectionId)).toEqual([['POSTED', INVOICES]]);
      const stored = await t.gateway.dataSource
        .getRepository(InvoiceEntity)
        .findBy({ connectionId: connected.connectionId });
      expect(new Set(stored.map((i) => i.quickbooksId)).size).toBe(INVOICES);
      const posted = await t.gateway.dataSource
        .getRepository(OrderEntity)
        .findBy({ connectionId: connected.connectionId });
      expect(posted.every((o) => o.postedTransaction?.kind === 'INVOICE')).toBe(true);
      if (faults) expect(sandbox.stats().droppedResponses).toBeGreaterThan(0);
      const job = await t.gateway.dataSource
        .getRepository(JobEntity)
        .findOneByOrFail({ kind: 'invoices.send' });
      expect(job.attempts).toBeGreaterThanOrEqual(4);
    }, 600_000);
  },
);
