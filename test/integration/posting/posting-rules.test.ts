import { OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';
import {
  buildOrders,
  configurePosting,
  postAndFollow,
  upsertOrders,
  type OrderInputShape,
} from '../../support/orders';

type Txn = {
  Id: string;
  DocNumber: string;
  TotalAmt: number;
  SyncToken: string;
  status?: string;
  CustomerRef: { value: string; name?: string };
};

describe.each(DIALECTS)('posting rules on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A connected, imported company with posting settings; returns what the tests need. */
  async function company(name: string, settings: Record<string, unknown> | null = {}) {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
    const connected = await connectCompany(t, key, { realmId, name });
    const client = wsClient(t, key);
    await collect(client, 'subscription($id: ID!) { batchProgress(batchId: $id) { status } }', {
      id: connected.body.importBatchId,
    });
    await client.dispose();
    const configured = settings ? await configurePosting(t, key, connected.connectionId, settings) : {};
    return { key, tenantId, realmId, connectionId: connected.connectionId, settings: configured };
  }
  const entities = (realmId: string, entity: string) =>
    t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Txn[];
  const orderRow = (id: string) => t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id });

  it('names every missing setting at once before queueing anything, and shows them in Connection.readiness', async () => {
    const c = await company('Missing Settings Co', null);
    const readiness = async () =>
      (
        await t.graphql<{
          connection: {
            readiness: { ready: boolean; problems: Array<{ code: string; message: string; hint: string }> };
          };
        }>(
          c.key,
          'query($id: ID!) { connection(id: $id) { readiness { ready problems { code message hint } } } }',
          {
            id: c.connectionId,
          },
        )
      ).data!.connection.readiness;
    expect(await readiness()).toMatchObject({
      ready: false,
      problems: [{ code: 'MISSING_SETTING', hint: expect.stringContaining('incomeAccountId') }],
    });
    // An order with a discount, a handling charge and no customer: every setting it needs is named in one answer.
    const [order] = await upsertOrders(t, c.key, c.connectionId, [
      {
        ...buildOrders(1, { prefix: 'MS' })[0]!,
        customer: undefined,
        discountTotal: '1.00',
        charges: [{ kind: 'HANDLING', amount: '2.00' }],
      },
    ]);
    const refused = await t.graphql(c.key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: [order!.id],
    });
    const error = refused.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'CONNECTION_NOT_READY' });
    const named = (error!.extensions!.problems as Array<{ message: string }>).map(
      (p) => p.message.split(' ')[0],
    );
    expect(named).toEqual(['incomeAccountId', 'discountAccountId', 'defaultCustomerName', 'handlingItemId']);
    expect(
      await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order!.id }),
    ).toMatchObject({
      status: 'NEW',
    });

    // A setting that no longer holds in QuickBooks (an income account made inactive) is named too.
    const settings = await configurePosting(t, c.key, c.connectionId);
    await t.gateway.dataSource.query(
      'UPDATE `reference_entities` SET `active` = ? WHERE `connectionId` = ? AND `quickbooksId` = ?',
      [false, c.connectionId, settings.incomeAccountId],
    );
    expect((await readiness()).problems.map((p) => p.code)).toEqual(['INVALID_SETTING']);
    await t.gateway.dataSource.query(
      'UPDATE `reference_entities` SET `active` = ? WHERE `connectionId` = ? AND `quickbooksId` = ?',
      [true, c.connectionId, settings.incomeAccountId],
    );
    expect(await readiness()).toEqual({ ready: true, problems: [] });
  });

  it('fails an order QuickBooks cannot take alone, and posts it again from the Errors view once fixed', async () => {
    const c = await company('Errors View Co');
    const [order] = await upsertOrders(t, c.key, c.connectionId, [
      { ...buildOrders(1, { prefix: 'EV' })[0]!, currency: 'EUR' },
    ]);
    const first = await postAndFollow(t, c.key, [order!.id]);
    expect(first.events[first.events.length - 1]).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      failed: 1,
    });
    const errors = await t.graphql<{
      orders: { edges: Array<{ node: { id: string; lastError: { hint: string; direction: string } } }> };
    }>(
      c.key,
      '{ orders(filter: { view: ERRORS }) { edges { node { id lastError { code message hint direction } } } } }',
    );
    const failed = errors.data!.orders.edges.map((e) => e.node);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.lastError).toMatchObject({
      hint: expect.stringContaining('multicurrency'),
      direction: 'TO_QUICKBOOKS',
    });
    expect(entities(c.realmId, 'SalesReceipt')).toHaveLength(0);

    const prefs = entities(c.realmId, 'Preferences')[0]!;
    t.gateway.sandbox!.accounting.handle({
      method: 'POST',
      realmId: c.realmId,
      path: 'preferences',
      query: {},
      body: { SyncToken: prefs.SyncToken, sparse: true, CurrencyPrefs: { MultiCurrencyEnabled: true } },
    });
    const second = await postAndFollow(t, c.key, [order!.id]);
    expect(second.events[second.events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(entities(c.realmId, 'SalesReceipt')).toHaveLength(1);
    expect((await orderRow(order!.id)).status).toBe('POSTED');
  });

  it('resolves a customer name held by a vendor with a suffix and records it', async () => {
    const c = await company('Collision Co');
    const input: OrderInputShape = {
      ...buildOrders(1, { prefix: 'VC' })[0]!,
      customer: { name: 'Acme Supplies', email: 'buyer@acme.example' },
    };
    const [order] = await upsertOrders(t, c.key, c.connectionId, [input]);
    const { events } = await postAndFollow(t, c.key, [order!.id]);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    const customers = entities(c.realmId, 'Customer').map(
      (x) => (x as unknown as { DisplayName: string }).DisplayName,
    );
    expect(customers).toContain('Acme Supplies (2)');
    const receipt = entities(c.realmId, 'SalesReceipt')[0]!;
    expect(receipt.CustomerRef.name).toBe('Acme Supplies (2)');
    const logs = await t.graphql<{
      syncLogs: { edges: Array<{ node: { entityType: string; action: string; message: string } }> };
    }>(
      c.key,
      '{ syncLogs(filter: { entityType: "Customer" }) { edges { node { entityType action message } } } }',
    );
    expect(logs.data!.syncLogs.edges.map((e) => e.node.message).join(' ')).toContain(
      'used by a vendor or employee',
    );
  });

  it('posts charges on their items, the discount on its account and the tax total; QuickBooks totals match', async () => {
    const c = await company('Charges Co');
    const items = await t.graphql<{
      connection: {
        referenceData: { edges: Array<{ node: { quickbooksId: string; data: { Type: string } } }> };
      };
    }>(
      c.key,
      'query($id: ID!) { connection(id: $id) { referenceData(type: ITEM, first: 100) { edges { node { quickbooksId data } } } } }',
      { id: c.connectionId },
    );
    const service = items.data!.connection.referenceData.edges.find((e) => e.node.data.Type === 'Service')!
      .node.quickbooksId;
    await configurePosting(t, c.key, c.connectionId, { handlingItemId: service, packagingItemId: service });
    const input: OrderInputShape = {
      ...buildOrders(1, { prefix: 'CH' })[0]!,
      charges: [
        { kind: 'FREIGHT', amount: '7.25' },
        { kind: 'HANDLING', amount: '2.00' },
        { kind: 'PACKAGING', amount: '1.10' },
      ],
      discountTotal: '5.00',
      taxTotal: '3.33',
    };
    const [order] = await upsertOrders(t, c.key, c.connectionId, [input]);
    await postAndFollow(t, c.key, [order!.id]);
    const receipt = entities(c.realmId, 'SalesReceipt')[0]! as Txn & {
      Line: Array<{
        DetailType: string;
        Amount: number;
        SalesItemLineDetail?: { ItemRef: { value: string } };
      }>;
      TxnTaxDetail: { TotalTax: number };
    };
    expect(receipt.TotalAmt.toFixed(2)).toBe(order!.total);
    expect(receipt.TxnTaxDetail.TotalTax).toBe(3.33);
    expect(receipt.Line.find((l) => l.DetailType === 'DiscountLineDetail')?.Amount).toBe(5);
    expect(
      receipt.Line.find((l) => l.SalesItemLineDetail?.ItemRef.value === 'SHIPPING_ITEM_ID')?.Amount,
    ).toBe(7.25);
    expect(
      receipt.Line.filter((l) => l.SalesItemLineDetail?.ItemRef.value === service)
        .map((l) => l.Amount)
        .sort(),
    ).toEqual([1.1, 2]);
  });

  it('refuses to undo an invoice with a payment applied, keeping the order POSTED; undoes after the payment is removed', async () => {
    const c = await company('Closed Co', { postOrdersAs: 'INVOICE' });
    const [order] = await upsertOrders(t, c.key, c.connectionId, buildOrders(1, { prefix: 'CL' }));
    await postAndFollow(t, c.key, [order!.id]);
    const invoice = entities(c.realmId, 'Invoice')[0]!;
    const payment = t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'Payment',
      operation: 'create',
      data: {
        CustomerRef: invoice.CustomerRef,
        TotalAmt: invoice.TotalAmt,
        Line: [{ Amount: invoice.TotalAmt, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      },
    }).body as { Payment: { Id: string; SyncToken: string } };

    const refused = await t.graphql(
      c.key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status } } }',
      { id: order!.id },
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'QUICKBOOKS_ERROR',
      quickbooksCode: '6000',
      hint: expect.stringContaining('close the order in QuickBooks first'),
    });
    expect((await orderRow(order!.id)).status).toBe('POSTED');
    expect(entities(c.realmId, 'Invoice').filter((i) => i.status !== 'Deleted')).toHaveLength(1);

    // The person removes the payment in QuickBooks, which also changes the invoice's SyncToken: undo re-reads it.
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'Payment',
      operation: 'delete',
      data: { Id: payment.Payment.Id },
    });
    const undone = await t.graphql<{ undoSync: { order: { status: string } } }>(
      c.key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status } } }',
      { id: order!.id },
    );
    expect(undone.errors).toBeUndefined();
    expect(undone.data!.undoSync.order.status).toBe('NEW');
    expect(entities(c.realmId, 'Invoice').find((i) => i.Id === invoice.Id)?.status).toBe('Deleted');
  });

  it('re-reads a stale SyncToken on undo (Fix Edit Sequence) and voids when undoMode is VOID', async () => {
    const c = await company('Stale Co', { undoMode: 'VOID' });
    const [order] = await upsertOrders(t, c.key, c.connectionId, buildOrders(1, { prefix: 'ST' }));
    await postAndFollow(t, c.key, [order!.id]);
    const receipt = entities(c.realmId, 'SalesReceipt')[0]!;
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'SalesReceipt',
      operation: 'update',
      data: {
        Id: receipt.Id,
        PrivateNote: `${(receipt as unknown as { PrivateNote: string }).PrivateNote} (edited in QuickBooks)`,
      },
    });
    const undone = await t.graphql<{ undoSync: { removedTransaction: { id: string } } }>(
      c.key,
      'mutation($id: ID!) { undoSync(orderId: $id) { removedTransaction { id } } }',
      { id: order!.id },
    );
    expect(undone.errors).toBeUndefined();
    const after = entities(c.realmId, 'SalesReceipt').find((r) => r.Id === receipt.Id)!;
    expect(after.TotalAmt).toBe(0); // voided, not deleted
    expect(after.status).not.toBe('Deleted');
    // Posting again after a void reuses the order number: one live (non-void) receipt with it.
    await postAndFollow(t, c.key, [order!.id]);
    const live = entities(c.realmId, 'SalesReceipt').filter(
      (r) => r.DocNumber === receipt.DocNumber && r.TotalAmt > 0,
    );
    expect(live).toHaveLength(1);
  });

  it('undoes a whole batch as an UNDO_ORDERS batch', async () => {
    const c = await company('Undo Batch Co');
    const orders = await upsertOrders(t, c.key, c.connectionId, buildOrders(12, { prefix: 'UB' }));
    const { batchId } = await postAndFollow(
      t,
      c.key,
      orders.map((o) => o.id),
    );
    const started = await t.graphql<{ undoBatch: { id: string; kind: string; total: number } }>(
      c.key,
      'mutation($id: ID!) { undoBatch(batchId: $id) { id kind total } }',
      { id: batchId },
    );
    expect(started.data!.undoBatch).toMatchObject({ kind: 'UNDO_ORDERS', total: 12 });
    const client = wsClient(t, c.key);
    const events = await collect<{ batchProgress: { status: string; succeeded: number } }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status succeeded } }',
      { id: started.data!.undoBatch.id },
    );
    await client.dispose();
    expect(events[events.length - 1]!.batchProgress).toEqual({ status: 'COMPLETED', succeeded: 12 });
    expect(entities(c.realmId, 'SalesReceipt').filter((r) => r.status !== 'Deleted')).toHaveLength(0);
  });

  it('refuses what cannot be posted, naming the order, and queues nothing', async () => {
    const c = await company('Refusals Co');
    const orders = await upsertOrders(t, c.key, c.connectionId, buildOrders(2, { prefix: 'RF' }));
    await postAndFollow(t, c.key, [orders[0]!.id]);
    const again = await t.graphql(c.key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: [orders[1]!.id, orders[0]!.id],
    });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orderIds.1' });
    expect(again.errors?.[0]?.message).toContain('RF1000');
    expect((await orderRow(orders[1]!.id)).status).toBe('NEW');

    await t.graphql(
      c.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { enabled: false }) { id } }',
      {
        id: c.connectionId,
      },
    );
    const disabled = await t.graphql(c.key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: [orders[1]!.id],
    });
    expect(disabled.errors?.[0]?.extensions).toMatchObject({
      code: 'CONNECTION_NOT_READY',
      hint: expect.stringContaining('enabled'),
    });
    expect((await orderRow(orders[1]!.id)).status).toBe('NEW');
  });

  it('keeps tenants apart on postOrders, undoSync and undoBatch', async () => {
    const a = await company('Tenant A Co');
    const b = await t.newTenantKey(['ADMIN']);
    const orders = await upsertOrders(t, a.key, a.connectionId, buildOrders(1, { prefix: 'TA' }));
    const { batchId } = await postAndFollow(t, a.key, [orders[0]!.id]);
    for (const [query, variables] of [
      ['mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', { ids: [orders[0]!.id] }],
      ['mutation($id: ID!) { undoSync(orderId: $id) { order { id } } }', { id: orders[0]!.id }],
      ['mutation($id: ID!) { undoBatch(batchId: $id) { id } }', { id: batchId }],
      ['query($id: ID!) { batch(id: $id) { id } }', { id: batchId }],
    ] as const) {
      const result = await t.graphql(b.key, query, variables);
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    expect((await orderRow(orders[0]!.id)).status).toBe('POSTED');
  });
});
