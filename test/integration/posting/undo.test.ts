import { OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- QuickBooks JSON read for assertions
type Json = any;

/** Undo: through the batch endpoint, bounded in time, and never POSTED for a transaction QuickBooks deleted. */
describe.each(DIALECTS)('undo on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(
      dialect,
      { RUN_WORKER: 'false', UNDO_TIMEOUT_SECONDS: '1' },
      { gatewayOptions: { quickbooksRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } } },
    );
  });
  afterAll(async () => {
    t.gateway.sandbox?.clearFaults();
    await t?.close();
  });

  const all = (realmId: string, entity: string): Json[] =>
    t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Json[];
  const live = (realmId: string, entity: string) =>
    all(realmId, entity).filter((x) => x.status !== 'Deleted');
  const orderRow = (id: string) => t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id });

  async function posted(name: string, count: number) {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
    const connected = await connectCompany(t, key, { realmId, name });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId);
    const orders = await upsertOrders(
      t,
      key,
      connected.connectionId,
      buildOrders(count, { prefix: name.slice(0, 2) }),
    );
    const batch = await t.gateway.services.posting.postOrders(
      tenantId,
      orders.map((o) => o.id),
    );
    await t.gateway.services.posting.runPostBatch(batch.id);
    return { key, tenantId, realmId, orders, batchId: batch.id };
  }

  it('undoes a batch through the batch endpoint, 30 a call, re-reading changed and skipping deleted ones', async () => {
    const c = await posted('Batch Undo Co', 45);
    const receipts = live(c.realmId, 'SalesReceipt');
    // A bookkeeper edited one receipt (its SyncToken moved on) and deleted another.
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'SalesReceipt',
      operation: 'update',
      data: { Id: receipts[3].Id, PrivateNote: 'edited' },
    });
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'SalesReceipt',
      operation: 'delete',
      data: { Id: receipts[4].Id },
    });
    const started = await t.graphql<{ undoBatch: { id: string; total: number } }>(
      c.key,
      'mutation($id: ID!) { undoBatch(batchId: $id) { id total } }',
      { id: c.batchId },
    );
    expect(started.data!.undoBatch.total).toBe(45);
    t.gateway.sandbox!.resetStats();
    await t.gateway.services.undo.runUndoBatch(started.data!.undoBatch.id);
    const stats = t.gateway.sandbox!.stats();
    // Two batch calls of up to 30 for 45 orders, and one more for the changed receipt once re-read.
    expect(stats.requests.byOperation.batch).toBe(3);
    expect(stats.requests.byOperation['SalesReceipt.delete']).toBeUndefined();
    expect(live(c.realmId, 'SalesReceipt')).toHaveLength(0);
    const batch = await t.gateway.services.batches.findById(started.data!.undoBatch.id);
    expect(batch).toMatchObject({ status: 'COMPLETED', succeeded: 45 });
    const statuses = new Set((await Promise.all(c.orders.map((o) => orderRow(o.id)))).map((o) => o.status));
    expect([...statuses]).toEqual(['NEW']);
  });

  it('answers undoSync within its timeout, shows UNCERTAIN, and settles the order from QuickBooks', async () => {
    const c = await posted('Slow Undo Co', 2);
    const [slow, down] = c.orders;
    // QuickBooks takes 2.5 s to delete: the gateway stops waiting after 1 s, QuickBooks deletes it anyway.
    t.gateway.sandbox!.setFaults({
      rules: [{ match: { realmId: c.realmId, operation: 'delete' }, times: 1, latencyMs: 2500 }],
    });
    const receiptId = (await orderRow(slow!.id)).postedTransaction!.id;
    const answer = await t.graphql(
      c.key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status } } }',
      {
        id: slow!.id,
      },
    );
    // Answered before QuickBooks did: the receipt is still there.
    expect(all(c.realmId, 'SalesReceipt').find((r) => r.Id === receiptId)?.status).not.toBe('Deleted');
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'QUICKBOOKS_ERROR',
      orderStatus: 'UNCERTAIN',
    });
    const uncertain = await orderRow(slow!.id);
    expect(uncertain.status).toBe('UNCERTAIN');
    for (;;) {
      if (all(c.realmId, 'SalesReceipt').find((r) => r.Id === receiptId)?.status === 'Deleted') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await t.gateway.services.undo.reconcile(slow!.id, uncertain.postingGeneration);
    expect(await orderRow(slow!.id)).toMatchObject({
      status: 'NEW',
      postedTransaction: null,
      statusBeforeUndo: null,
    });

    // QuickBooks answers only 503s: nothing was deleted, and the order returns to POSTED with the reason.
    t.gateway.sandbox!.setFaults({
      rules: [
        { match: { realmId: c.realmId, operation: 'delete' }, respond: { status: 503, code: '10000' } },
      ],
    });
    const refused = await t.graphql(
      c.key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status } } }',
      {
        id: down!.id,
      },
    );
    t.gateway.sandbox!.clearFaults();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ orderStatus: 'UNCERTAIN' });
    const waiting = await orderRow(down!.id);
    expect(waiting.status).toBe('UNCERTAIN');
    await t.gateway.services.undo.reconcile(down!.id, waiting.postingGeneration);
    const back = await orderRow(down!.id);
    expect(back).toMatchObject({ status: 'POSTED', statusBeforeUndo: null });
    expect(back.lastError?.hint).toContain('undo it again');
    expect(live(c.realmId, 'SalesReceipt').map((r) => r.Id)).toEqual([back.postedTransaction!.id]);
  });
});
