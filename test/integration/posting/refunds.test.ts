import { OrderRefundEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';
import { buildOrders, configurePosting, upsertOrders } from '../../support/orders';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- QuickBooks JSON read for assertions
type Json = any;

const REFUND = `mutation($id: ID!, $input: RefundInput!) { refundOrder(orderId: $id, input: $input) { id kind status } }`;

/** Refunds: RefundReceipt for a receipt, CreditMemo for an invoice, never more than was paid, exactly once. */
describe.each(DIALECTS)('refunds on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    // No worker: each job runs where the test says, so interruptions land exactly where wanted.
    t = await startTestGateway(
      dialect,
      { RUN_WORKER: 'false' },
      { gatewayOptions: { quickbooksRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } } },
    );
  });
  afterAll(async () => {
    t.gateway.sandbox?.clearFaults();
    await t?.close();
  });

  const live = (realmId: string, entity: string): Json[] =>
    (t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Json[]).filter(
      (x) => x.status !== 'Deleted',
    );

  /** A company with two posted orders (as receipts, or invoices); refunds are paid from Checking. */
  async function postedOrders(name: string, settings: Record<string, unknown> = {}) {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
    const connected = await connectCompany(t, key, { realmId, name });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    const checking = live(realmId, 'Account').find((a) => a.Name === 'Checking').Id;
    await configurePosting(t, key, connected.connectionId, { refundAccountId: checking, ...settings });
    const orders = await upsertOrders(
      t,
      key,
      connected.connectionId,
      buildOrders(2, { prefix: name.slice(0, 2), tax: true }),
    );
    const batch = await t.gateway.services.posting.postOrders(
      tenantId,
      orders.map((o) => o.id),
    );
    await t.gateway.services.posting.runPostBatch(batch.id);
    return { key, realmId, orders, connectionId: connected.connectionId, checking };
  }
  const refund = async (key: string, orderId: string, input: Record<string, unknown>) => {
    const result = await t.graphql<{ refundOrder: { id: string } }>(key, REFUND, { id: orderId, input });
    if (result.errors) return { errors: result.errors };
    await t.gateway.services.refunds.runRefundBatch(result.data!.refundOrder.id);
    return { batchId: result.data!.refundOrder.id };
  };
  const refundsOf = async (key: string, orderId: string) =>
    (
      await t.graphql<{
        order: { refunds: Array<{ kind: string; id: string; docNumber: string; totalAmount: string }> };
      }>(key, 'query($id: ID!) { order(id: $id) { refunds { kind id docNumber totalAmount } } }', {
        id: orderId,
      })
    ).data!.order.refunds;

  it('refunds a whole receipt as a RefundReceipt, paid from the refund account, and nothing more after it', async () => {
    const c = await postedOrders('Full Refund Co');
    const order = c.orders[0]!;
    const result = await refund(c.key, order.id, { reason: 'Damaged in transit' });
    expect(result.errors).toBeUndefined();
    const [receipt] = live(c.realmId, 'SalesReceipt').filter((r) => r.DocNumber === order.orderNumber);
    const [back] = live(c.realmId, 'RefundReceipt');
    expect(back).toMatchObject({
      DocNumber: `${order.orderNumber}-R1`,
      CustomerRef: { value: receipt.CustomerRef.value },
      DepositToAccountRef: { value: c.checking },
      CustomerMemo: { value: 'Damaged in transit' },
    });
    expect(back.TotalAmt.toFixed(2)).toBe(order.total);
    expect(back.TotalAmt).toBe(receipt.TotalAmt);
    expect(await refundsOf(c.key, order.id)).toEqual([
      { kind: 'REFUND_RECEIPT', id: back.Id, docNumber: `${order.orderNumber}-R1`, totalAmount: order.total },
    ]);
    const more = await refund(c.key, order.id, { amount: '0.01' });
    expect(more.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    expect(live(c.realmId, 'RefundReceipt')).toHaveLength(1);
  });

  it('refunds part of an order by lines or by amount, never beyond what was paid', async () => {
    const c = await postedOrders('Partial Refund Co');
    const order = c.orders[1]!;
    const line = buildOrders(2, { prefix: 'Pa' })[1]!.lines[0]!;
    const byLine = await refund(c.key, order.id, { lines: [{ ...line, quantity: '1' }] });
    expect(byLine.errors).toBeUndefined();
    // A line the order does not have, more than was sold, or more per unit than was paid: refused, nothing written.
    for (const [input, field] of [
      [{ lines: [{ name: 'Not sold here', quantity: '1', unitPrice: '1.00' }] }, 'input.lines.0'],
      [{ lines: [{ ...line, quantity: '99' }] }, 'input.lines.0.quantity'],
      [{ lines: [{ ...line, quantity: '1', unitPrice: '999.00' }] }, 'input.lines.0.unitPrice'],
      [{ amount: '100000.00' }, 'input.amount'],
    ] as const) {
      const refused = await refund(c.key, order.id, input);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const byAmount = await refund(c.key, order.id, { amount: '1.50' });
    expect(byAmount.errors).toBeUndefined();
    // The rest, whatever it is now.
    const rest = await refund(c.key, order.id, {});
    expect(rest.errors).toBeUndefined();
    const refunds = await refundsOf(c.key, order.id);
    expect(refunds.map((r) => r.docNumber)).toEqual([1, 2, 3].map((n) => `${order.orderNumber}-R${n}`));
    const total = refunds.reduce((sum, r) => sum + Number(r.totalAmount), 0);
    expect(total.toFixed(2)).toBe(order.total);
    expect(Number(refunds[0]!.totalAmount)).toBe(Number(line.unitPrice));
    expect(live(c.realmId, 'RefundReceipt')).toHaveLength(3);
  });

  it('credits an invoice with a CreditMemo', async () => {
    const c = await postedOrders('Credit Memo Co', { postOrdersAs: 'INVOICE' });
    const order = c.orders[0]!;
    expect((await refund(c.key, order.id, { amount: '5.00' })).errors).toBeUndefined();
    const [memo] = live(c.realmId, 'CreditMemo');
    const invoice = live(c.realmId, 'Invoice').find((i) => i.DocNumber === order.orderNumber);
    expect(memo).toMatchObject({
      TotalAmt: 5,
      DocNumber: `${order.orderNumber}-R1`,
      CustomerRef: { value: invoice.CustomerRef.value },
    });
    expect((await refundsOf(c.key, order.id))[0]).toMatchObject({ kind: 'CREDIT_MEMO', id: memo.Id });
  });

  it('refuses to queue a refund of a receipt when no account pays refunds, naming the setting', async () => {
    const c = await postedOrders('No Refund Account Co', { refundAccountId: null });
    const refused = await refund(c.key, c.orders[0]!.id, {});
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'CONNECTION_NOT_READY',
      problems: [{ code: 'MISSING_SETTING', message: expect.stringContaining('refundAccountId') }],
    });
    expect(live(c.realmId, 'RefundReceipt')).toHaveLength(0);
  });

  it('sends a refund once though its answer is lost and the job runs again', async () => {
    const c = await postedOrders('Lost Refund Co');
    const order = c.orders[0]!;
    const queued = await t.graphql<{ refundOrder: { id: string } }>(c.key, REFUND, {
      id: order.id,
      input: {},
    });
    const batchId = queued.data!.refundOrder.id;
    // QuickBooks creates the refund but the answer is lost; every retry then meets a 503: the job fails.
    t.gateway.sandbox!.setFaults({
      rules: [
        {
          match: { realmId: c.realmId, entity: 'RefundReceipt', operation: 'create' },
          times: 1,
          dropResponseAfterCommit: true,
        },
        {
          match: { realmId: c.realmId, entity: 'RefundReceipt' },
          respond: { status: 503, code: '10000', message: 'Service Unavailable' },
        },
      ],
    });
    await expect(t.gateway.services.refunds.runRefundBatch(batchId)).rejects.toThrow();
    t.gateway.sandbox!.clearFaults();
    expect(live(c.realmId, 'RefundReceipt')).toHaveLength(1);
    const row = await t.gateway.dataSource.getRepository(OrderRefundEntity).findOneByOrFail({ batchId });
    expect(row.sentAt).not.toBeNull();
    // The job runs again: it finds the refund in QuickBooks and records it, sending nothing.
    await t.gateway.services.refunds.runRefundBatch(batchId);
    expect(live(c.realmId, 'RefundReceipt')).toHaveLength(1);
    expect(
      await t.gateway.dataSource.getRepository(OrderRefundEntity).findOneByOrFail({ batchId }),
    ).toMatchObject({
      status: 'POSTED',
      sentAt: null,
    });
    const client = wsClient(t, c.key);
    const events = await collect<{ batchProgress: { status: string; succeeded: number } }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status succeeded } }',
      { id: batchId },
    );
    await client.dispose();
    expect(events[events.length - 1]!.batchProgress).toEqual({ status: 'COMPLETED', succeeded: 1 });
  });
});
