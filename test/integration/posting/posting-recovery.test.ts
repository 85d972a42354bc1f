import { ConnectionEntity, OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';

/**
 * Outcomes that are never recorded: the job is driven by hand (no worker), so each interruption lands exactly where
 * the test wants it.
 */
describe.each(DIALECTS)('posting recovery on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(
      dialect,
      { RUN_WORKER: 'false' },
      { gatewayOptions: { quickbooksRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never posts twice an order whose answer was lost, even when the batch is given up and the order posted again', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const sandbox = t.gateway.sandbox!;
    const realmId = sandbox.createRealm({ companyName: 'Lost Answer Co' });
    const connected = await connectCompany(t, key, { realmId });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId);
    // Two orders for one customer and one product: the first creates them, so the second's only call is its own.
    const [warm, order] = await upsertOrders(
      t,
      key,
      connected.connectionId,
      buildOrders(2, { prefix: 'LA', customers: 1, skus: 1 }),
    );
    const post = async (id = order!.id): Promise<string> => {
      const result = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        {
          ids: [id],
        },
      );
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!.postOrders.id;
    };
    const live = () =>
      (sandbox.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{ status?: string }>).filter(
        (r) => r.status !== 'Deleted',
      );
    const orderRow = () => t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order!.id });

    await t.gateway.services.posting.runPostBatch(await post(warm!.id));
    expect(live()).toHaveLength(1);

    // QuickBooks commits the transaction but the answer is lost, and every retry meets a 503.
    const first = await post();
    sandbox.setFaults({
      rules: [
        { match: { realmId, operation: 'batch' }, times: 1, dropResponseAfterCommit: true },
        {
          match: { realmId, operation: 'batch' },
          respond: { status: 503, code: '10000', message: 'Service Unavailable' },
        },
      ],
    });
    await expect(t.gateway.services.posting.runPostBatch(first)).rejects.toThrow();
    sandbox.clearFaults();
    expect(live()).toHaveLength(2);
    expect((await orderRow()).sentAt).not.toBeNull();

    // Integrations are switched off while the job waits to retry: the batch gives up and the order FAILS, but it
    // remembers it was sent.
    const connections = t.gateway.dataSource.getRepository(ConnectionEntity);
    const connection = await connections.findOneByOrFail({ id: connected.connectionId });
    await connections.update({ id: connection.id }, {
      settings: { ...connection.settings, enabled: false },
    } as never);
    await t.gateway.services.posting.runPostBatch(first);
    const failed = await orderRow();
    expect(failed.status).toBe('FAILED');
    expect(failed.sentAt).not.toBeNull();

    // Switched on and posted again: the gateway finds the transaction QuickBooks already has and adopts it.
    await connections.update({ id: connection.id }, {
      settings: { ...connection.settings, enabled: true },
    } as never);
    await t.gateway.services.posting.runPostBatch(await post());
    expect(live()).toHaveLength(2);
    const posted = await orderRow();
    expect(posted.status).toBe('POSTED');
    expect(posted.sentAt).toBeNull();
  });

  it("updates a changed order once though the update's answer is lost and the job runs again", async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const sandbox = t.gateway.sandbox!;
    const realmId = sandbox.createRealm({ companyName: 'Lost Update Co' });
    const connected = await connectCompany(t, key, { realmId });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId);
    const [input] = buildOrders(1, { prefix: 'LU' });
    const [order] = await upsertOrders(t, key, connected.connectionId, [input!]);
    const post = async (): Promise<string> => {
      const result = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        { ids: [order!.id] },
      );
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!.postOrders.id;
    };
    const receipts = () =>
      sandbox.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
        SyncToken: string;
        TotalAmt: number;
      }>;
    await t.gateway.services.posting.runPostBatch(await post());
    await upsertOrders(t, key, connected.connectionId, [{ ...input!, taxTotal: '2.00' }]);

    // QuickBooks applies the update but the answer is lost, and every retry meets a 503: the job fails.
    const batchId = await post();
    sandbox.setFaults({
      rules: [
        { match: { realmId, operation: 'batch' }, times: 1, dropResponseAfterCommit: true },
        {
          match: { realmId, operation: 'batch' },
          respond: { status: 503, code: '10000', message: 'Service Unavailable' },
        },
      ],
    });
    await expect(t.gateway.services.posting.runPostBatch(batchId)).rejects.toThrow();
    sandbox.clearFaults();
    expect(receipts().map((r) => r.SyncToken)).toEqual(['1']);
    expect(
      (await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order!.id })).sentAt,
    ).not.toBeNull();

    // The job runs again: it reads the transaction, finds this posting's update in it, and sends nothing more.
    await t.gateway.services.posting.runPostBatch(batchId);
    expect(receipts().map((r) => r.SyncToken)).toEqual(['1']);
    const row = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order!.id });
    expect(row).toMatchObject({ status: 'POSTED', sentAt: null, modifiedAfterPosting: false });
    expect(row.postedTransaction).toMatchObject({ syncToken: '1', totalAmount: row.total });
  });

  it('ends the batch FAILED on the last attempt instead of leaving orders QUEUED forever', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const sandbox = t.gateway.sandbox!;
    const realmId = sandbox.createRealm({ companyName: 'Last Attempt Co' });
    const connected = await connectCompany(t, key, { realmId });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId);
    const orders = await upsertOrders(t, key, connected.connectionId, buildOrders(3, { prefix: 'LX' }));
    const posted = await t.graphql<{ postOrders: { id: string } }>(
      key,
      'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
      {
        ids: orders.map((o) => o.id),
      },
    );
    const batchId = posted.data!.postOrders.id;
    sandbox.setFaults({
      rules: [
        { match: { realmId }, respond: { status: 503, code: '10000', message: 'Service Unavailable' } },
      ],
    });
    try {
      await t.gateway.services.posting.runPostBatch(batchId, { finalAttempt: true });
    } finally {
      sandbox.clearFaults();
    }
    const batch = await t.graphql<{ batch: { status: string; failed: number; error: { code: string } } }>(
      key,
      'query($id: ID!) { batch(id: $id) { status failed error { code } } }',
      { id: batchId },
    );
    expect(batch.data!.batch).toMatchObject({ status: 'FAILED', failed: 3 });
    const rows = await t.gateway.dataSource.getRepository(OrderEntity).findBy({ postingBatchId: batchId });
    expect(rows.map((r) => r.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    // They can be posted again (the Errors view's retry).
    const again = await t.graphql(key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: orders.map((o) => o.id),
    });
    expect(again.errors).toBeUndefined();
  });
});
