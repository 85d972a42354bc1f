import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';
import {
  buildOrders,
  configurePosting,
  expectedTotal,
  postAndFollow,
  upsertOrders,
} from '../../support/orders';

type Txn = {
  Id: string;
  DocNumber: string;
  TotalAmt: number;
  status?: string;
  PrivateNote?: string;
  CustomerRef: { value: string };
  Line: Array<{ SalesItemLineDetail?: { ItemRef: { value: string } } }>;
};

describe.each(DIALECTS)('posting orders on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  let connectionId: string;
  let realmId: string;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    key = (await t.newTenantKey(['ADMIN'])).key;
    realmId = t.gateway.sandbox!.createRealm({ companyName: 'Posting Co' });
    const connected = await connectCompany(t, key, { realmId });
    connectionId = connected.connectionId;
    const client = wsClient(t, key);
    await collect(client, 'subscription($id: ID!) { batchProgress(batchId: $id) { status } }', {
      id: connected.body.importBatchId,
    });
    await client.dispose();
    await configurePosting(t, key, connectionId);
  });
  afterAll(async () => {
    await t?.close();
  });

  const live = (entity: string): Txn[] =>
    (t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Txn[]).filter(
      (x) => x.status !== 'Deleted',
    );

  it('posts 200 orders exactly once with live, ordered progress; undo and re-post keep one live transaction', async () => {
    const inputs = buildOrders(200, { prefix: 'E', customers: 40, skus: 25, discount: true, tax: true });
    const orders = await upsertOrders(t, key, connectionId, inputs);
    const { batchId, events } = await postAndFollow(
      t,
      key,
      orders.map((o) => o.id),
    );

    expect(events[0].item).toBeNull();
    const last = events[events.length - 1];
    expect(last).toMatchObject({
      status: 'COMPLETED',
      processed: 200,
      succeeded: 200,
      failed: 0,
      total: 200,
    });
    for (let i = 1; i < events.length; i++)
      expect(events[i].processed).toBeGreaterThanOrEqual(events[i - 1].processed);
    const itemEvents = events.filter((e) => e.item);
    expect(new Set(itemEvents.map((e) => e.item!.entityId)).size).toBe(itemEvents.length);

    const receipts = live('SalesReceipt');
    expect(receipts).toHaveLength(200);
    const byNumber = new Map(receipts.map((r) => [r.DocNumber, r]));
    for (const input of inputs) {
      expect(byNumber.get(input.orderNumber)?.TotalAmt.toFixed(2)).toBe(expectedTotal(input));
    }
    for (const order of orders)
      expect(order.total).toBe(expectedTotal(inputs.find((i) => i.orderNumber === order.orderNumber)!));

    const results = await t.graphql<{
      batch: {
        items: { totalCount: number; edges: Array<{ node: { status: string; quickbooksId: string } }> };
      };
    }>(
      key,
      'query($id: ID!) { batch(id: $id) { items(first: 500) { totalCount edges { node { status quickbooksId label } } } } }',
      { id: batchId },
    );
    expect(results.data!.batch.items.totalCount).toBe(200);
    expect(
      results.data!.batch.items.edges.every((e) => e.node.status === 'SUCCEEDED' && e.node.quickbooksId),
    ).toBe(true);

    // Undo one: the transaction is deleted, its customer and items stay, the order is NEW.
    const target = orders[7];
    const undone = await t.graphql<{
      undoSync: {
        order: { status: string; postedTransaction: null };
        removedTransaction: { id: string; docNumber: string };
        keptCustomerIds: string[];
        keptItemIds: string[];
      };
    }>(
      key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status postedTransaction { id } } removedTransaction { id docNumber kind } keptCustomerIds keptItemIds } }',
      { id: target.id },
    );
    expect(undone.errors).toBeUndefined();
    const payload = undone.data!.undoSync;
    expect(payload.order).toEqual({ status: 'NEW', postedTransaction: null });
    const all = t.gateway.sandbox!.accounting.adminEntities(realmId, 'SalesReceipt') as Txn[];
    expect(all.find((r) => r.Id === payload.removedTransaction.id)?.status).toBe('Deleted');
    const customers = live('Customer').map((c) => c.Id);
    const items = live('Item').map((i) => i.Id);
    expect(payload.keptCustomerIds).toHaveLength(1);
    expect(customers).toEqual(expect.arrayContaining(payload.keptCustomerIds));
    expect(payload.keptItemIds.length).toBeGreaterThan(0);
    expect(items).toEqual(expect.arrayContaining(payload.keptItemIds));

    // Post it again: exactly one live transaction with that number.
    const again = await postAndFollow(t, key, [target.id]);
    expect(again.events[again.events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(live('SalesReceipt').filter((r) => r.DocNumber === target.orderNumber)).toHaveLength(1);
    expect(live('SalesReceipt')).toHaveLength(200);
  });
});
