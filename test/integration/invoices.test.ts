import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { buildOrders, expectedTotal, upsertOrders } from '../support/orders';
import { followBatch, INVOICE_FIELDS, invoicingCompany, itemIdsByType, must } from '../support/invoices';

type QboInvoice = {
  Id: string;
  DocNumber: string;
  TotalAmt: number;
  Balance: number;
  status?: string;
  EmailStatus?: string;
  Line: Array<{ DetailType: string; Amount: number; SalesItemLineDetail?: { ItemRef: { value: string } } }>;
};

interface InvoiceView {
  id: string;
  invoiceNumber: string;
  docNumber: string | null;
  pushStatus: string;
  quickbooksId: string | null;
  total: string;
  balance: string | null;
  emailStatus: string;
  deliveredTo: string | null;
  dueDate: string | null;
  lastError: { code: string; message: string; detail: string | null; hint: string } | null;
}

describe.each(DIALECTS)('invoices on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const live = (realmId: string): QboInvoice[] =>
    (t.gateway.sandbox!.accounting.adminEntities(realmId, 'Invoice') as QboInvoice[]).filter(
      (x) => x.status !== 'Deleted',
    );

  async function createInvoice(
    key: string,
    orderId: string,
    input?: Record<string, unknown>,
  ): Promise<InvoiceView> {
    const data = await must<{ createInvoice: InvoiceView }>(
      t,
      key,
      `mutation($o: ID!, $i: InvoiceInput) { createInvoice(orderId: $o, input: $i) { ${INVOICE_FIELDS} } }`,
      { o: orderId, i: input },
    );
    return data.createInvoice;
  }

  it('Auto Invoice pushes 50 new invoices at once with freight and discount; without it they wait for sendInvoice', async () => {
    const c = await invoicingCompany(t, 'Auto Invoice Co');
    const service = (await itemIdsByType(t, c.key, c.connectionId)).Service;
    await must(
      t,
      c.key,
      'mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(connectionId: $id, input: $input) { id } }',
      { id: c.connectionId, input: { autoInvoice: true, freightItemId: service } },
    );
    const inputs = buildOrders(50, { prefix: 'AI', customers: 10, skus: 12 }).map((o) => ({
      ...o,
      discountTotal: '1.50',
    }));
    const orders = await upsertOrders(t, c.key, c.connectionId, inputs);
    const created = [];
    for (const order of orders) created.push(await createInvoice(c.key, order.id));
    expect(created.every((i) => i.pushStatus === 'QUEUED')).toBe(true);

    // Follow every batch the invoices were queued in over graphql-ws.
    const batches = await must<{ batches: { edges: Array<{ node: { id: string; kind: string } }> } }>(
      t,
      c.key,
      'query($c: ID!) { batches(connectionId: $c, first: 100) { edges { node { id kind } } } }',
      { c: c.connectionId },
    );
    const sends = batches.batches.edges.map((e) => e.node).filter((b) => b.kind === 'SEND_INVOICES');
    expect(sends).toHaveLength(50);
    for (const batch of sends) {
      const events = await followBatch(t, c.key, batch.id);
      expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    }
    const listed = await must<{ invoices: { totalCount: number; edges: Array<{ node: InvoiceView }> } }>(
      t,
      c.key,
      `query($c: ID!) { invoices(filter: { connectionId: $c }, first: 100) { totalCount edges { node { ${INVOICE_FIELDS} } } } }`,
      { c: c.connectionId },
    );
    expect(listed.invoices.totalCount).toBe(50);
    expect(listed.invoices.edges.every((e) => e.node.pushStatus === 'SENT' && e.node.quickbooksId)).toBe(
      true,
    );

    const inQuickBooks = live(c.realmId);
    expect(inQuickBooks).toHaveLength(50);
    const byNumber = new Map(inQuickBooks.map((i) => [i.DocNumber, i]));
    for (const input of inputs) {
      const invoice = byNumber.get(input.orderNumber)!;
      expect(invoice.TotalAmt.toFixed(2)).toBe(expectedTotal(input));
      expect(
        invoice.Line.some(
          (l) =>
            l.SalesItemLineDetail?.ItemRef.value === service && l.Amount === Number(input.charges![0].amount),
        ),
      ).toBe(true);
      expect(invoice.Line.some((l) => l.DetailType === 'DiscountLineDetail' && l.Amount === 1.5)).toBe(true);
    }
    const view = listed.invoices.edges
      .map((e) => e.node)
      .find((i) => i.invoiceNumber === inputs[0].orderNumber)!;
    expect(view.balance).toBe(expectedTotal(inputs[0]));
    expect(view.docNumber).toBe(inputs[0].orderNumber);

    // Auto Invoice off: created NOT_SENT, and nothing reaches QuickBooks until sendInvoice.
    await must(
      t,
      c.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { autoInvoice: false }) { id } }',
      { id: c.connectionId },
    );
    const [extra] = await upsertOrders(t, c.key, c.connectionId, buildOrders(1, { prefix: 'AJ' }));
    const waiting = await createInvoice(c.key, extra!.id);
    expect(waiting.pushStatus).toBe('NOT_SENT');
    expect(live(c.realmId)).toHaveLength(50);
    const sent = await must<{ sendInvoice: { id: string; kind: string } }>(
      t,
      c.key,
      'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id kind } }',
      { ids: [waiting.id] },
    );
    expect(sent.sendInvoice.kind).toBe('SEND_INVOICES');
    const events = await followBatch(t, c.key, sent.sendInvoice.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(live(c.realmId)).toHaveLength(51);
  }, 180_000);
});
