import Decimal from 'decimal.js';
import { BatchItemEntity, PaymentEntity, SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { buildOrders, expectedTotal, upsertOrders } from '../../support/orders';
import { followBatch, invoicingCompany, must } from '../../support/invoices';

type QboPayment = {
  Id: string;
  TotalAmt: number;
  PaymentRefNum?: string;
  status?: string;
  Line: Array<{ Amount: number; LinkedTxn: Array<{ TxnId: string }> }>;
};

describe.each(DIALECTS)('payments on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    t.gateway.sandbox?.clearFaults();
    await t?.close();
  });

  it('records payments on 20 invoices exactly once under lost answers; balances follow and never go below 0', async () => {
    const c = await invoicingCompany(t, 'Payments Co');
    const inputs = buildOrders(20, { prefix: 'PY', customers: 10 });
    const orders = await upsertOrders(t, c.key, c.connectionId, inputs);
    const invoices: Array<{ id: string; invoiceNumber: string; total: string }> = [];
    for (const order of orders) {
      const created = await must<{ createInvoice: { id: string; invoiceNumber: string; total: string } }>(
        t,
        c.key,
        'mutation($o: ID!) { createInvoice(orderId: $o) { id invoiceNumber total } }',
        { o: order.id },
      );
      invoices.push(created.createInvoice);
    }
    const sent = await must<{ sendInvoice: { id: string } }>(
      t,
      c.key,
      'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id } }',
      {
        ids: invoices.map((i) => i.id),
      },
    );
    await followBatch(t, c.key, sent.sendInvoice.id);

    // Customer k has invoices k and k + 10: the first paid in full, the second 5.00, in one QuickBooks Payment.
    const payments = invoices.map((invoice, i) => ({
      invoiceId: invoice.id,
      amount: i < 10 ? invoice.total : '5.00',
      receivedAt: '2026-11-25T15:00:00Z',
      paymentMethod: 'check',
      reference: `CHK-${i % 10}`,
    }));
    const sandbox = t.gateway.sandbox!;
    const droppedBefore = sandbox.stats().droppedResponses;
    // The first two answers to the payments' batch call are lost after QuickBooks committed it.
    sandbox.setFaults({
      rules: [{ match: { realmId: c.realmId, operation: 'batch' }, times: 2, dropResponseAfterCommit: true }],
    });
    const recorded = await must<{ recordPayments: { id: string; kind: string; total: number } }>(
      t,
      c.key,
      'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id kind total } }',
      { p: payments },
    );
    expect(recorded.recordPayments).toMatchObject({ kind: 'RECORD_PAYMENTS', total: 10 });
    const events = await followBatch(t, c.key, recorded.recordPayments.id);
    sandbox.clearFaults();
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 10 });
    expect(sandbox.stats().droppedResponses - droppedBefore).toBe(2);

    const inQuickBooks = (sandbox.accounting.adminEntities(c.realmId, 'Payment') as QboPayment[]).filter(
      (p) => p.status !== 'Deleted',
    );
    expect(inQuickBooks).toHaveLength(10);
    for (const payment of inQuickBooks) {
      expect(payment.Line).toHaveLength(2);
      const k = Number(payment.PaymentRefNum!.slice(4));
      expect(payment.TotalAmt.toFixed(2)).toBe(new Decimal(expectedTotal(inputs[k]!)).plus(5).toFixed(2));
    }
    const balances = await must<{
      invoices: { edges: Array<{ node: { invoiceNumber: string; balance: string; total: string } }> };
    }>(
      t,
      c.key,
      'query($c: ID!) { invoices(filter: { connectionId: $c }, first: 50) { edges { node { invoiceNumber balance total } } } }',
      { c: c.connectionId },
    );
    for (const { node } of balances.invoices.edges) {
      const index = invoices.findIndex((i) => i.invoiceNumber === node.invoiceNumber);
      expect(node.balance).toBe(index < 10 ? '0.00' : new Decimal(node.total).minus(5).toFixed(2));
    }

    // Never more than the open balance: refused with the field path, nothing written.
    const paidInFull = await t.graphql(
      c.key,
      'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }',
      {
        p: [
          { invoiceId: invoices[12]!.id, amount: '1.00' },
          { invoiceId: invoices[3]!.id, amount: '0.01' },
        ],
      },
    );
    expect(paidInFull.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'payments.1.amount',
    });
    const rest = new Decimal(invoices[12]!.total).minus(5);
    const tooMuch = await t.graphql(
      c.key,
      'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }',
      {
        p: [
          { invoiceId: invoices[12]!.id, amount: rest.minus(1).toFixed(2) },
          { invoiceId: invoices[12]!.id, amount: '1.01' },
        ],
      },
    );
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'payments.1.amount',
    });
    const badMethod = await t.graphql(
      c.key,
      'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }',
      {
        p: [{ invoiceId: invoices[12]!.id, amount: '1.00', paymentMethod: 'Bitcoin' }],
      },
    );
    expect(badMethod.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'payments.0.paymentMethod',
    });
    expect(
      await t.gateway.dataSource.getRepository(PaymentEntity).countBy({ connectionId: c.connectionId }),
    ).toBe(10);

    // A run that dies after sending, before recording: the next run finds the payment in QuickBooks, sends nothing.
    const last = await must<{ recordPayments: { id: string } }>(
      t,
      c.key,
      'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }',
      { p: [{ invoiceId: invoices[12]!.id, amount: rest.toFixed(2) }] },
    );
    await followBatch(t, c.key, last.recordPayments.id);
    const repository = t.gateway.dataSource.getRepository(PaymentEntity);
    const payment = await repository.findOneByOrFail({ batchId: last.recordPayments.id });
    await repository.update({ id: payment.id }, { status: 'QUEUED', sentAt: new Date(), quickbooksId: null });
    await t.gateway.dataSource
      .getRepository(BatchItemEntity)
      .update({ batchId: last.recordPayments.id }, { status: 'PENDING' });
    await t.gateway.dataSource
      .getRepository(SyncBatchEntity)
      .update({ id: last.recordPayments.id }, { status: 'RUNNING', processed: 0, succeeded: 0 });
    await t.gateway.services.invoicing.payments.runPaymentBatch(last.recordPayments.id);
    expect(await repository.findOneByOrFail({ id: payment.id })).toMatchObject({
      status: 'SENT',
      quickbooksId: payment.quickbooksId,
    });
    expect((sandbox.accounting.adminEntities(c.realmId, 'Payment') as QboPayment[]).length).toBe(11);
    const paid = await must<{ invoice: { balance: string } }>(
      t,
      c.key,
      'query($id: ID!) { invoice(id: $id) { balance } }',
      {
        id: invoices[12]!.id,
      },
    );
    expect(paid.invoice.balance).toBe('0.00');
  }, 120_000);
});
