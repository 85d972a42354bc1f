import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { buildOrders, expectedTotal, upsertOrders } from '../../support/orders';
import { followBatch, INVOICE_FIELDS, invoicingCompany, itemIdsByType, must } from '../../support/invoices';

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
  it('sends an EUR invoice in EUR to a customer in EUR, and fails one alone with a hint when multicurrency is off', async () => {
    const sandbox = t.gateway.sandbox!;
    const c = await invoicingCompany(t, `Euro Invoices ${dialect}`, { autoInvoice: false });
    const [euro, dollar] = await upsertOrders(t, c.key, c.connectionId, [
      { ...buildOrders(1, { prefix: 'EI' })[0]!, currency: 'EUR' },
      buildOrders(1, { prefix: 'DI' })[0]!,
    ]);
    const send = async (ids: string[]) => {
      const sent = await must<{ sendInvoice: { id: string } }>(
        t,
        c.key,
        'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id } }',
        { ids },
      );
      return followBatch(t, c.key, sent.sendInvoice.id);
    };

    // Multicurrency off: the EUR invoice fails with what to do; the USD one is sent. Nothing is booked as USD 15.
    const first = [await createInvoice(c.key, euro!.id), await createInvoice(c.key, dollar!.id)];
    const events = await send(first.map((i) => i.id));
    expect(events[events.length - 1]).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      succeeded: 1,
      failed: 1,
    });
    const failed = await must<{ invoice: InvoiceView }>(
      t,
      c.key,
      `query($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} } }`,
      { id: first[0]!.id },
    );
    expect(failed.invoice.pushStatus).toBe('FAILED');
    expect(failed.invoice.lastError).toMatchObject({
      message: expect.stringContaining('multicurrency is off'),
      hint: expect.stringContaining('turn on multicurrency'),
    });
    expect(live(c.realmId)).toHaveLength(1);

    // Multicurrency on: sent again, it is an EUR invoice for a customer in EUR.
    const prefs = (
      sandbox.accounting.adminEntities(c.realmId, 'Preferences') as Array<{ SyncToken: string }>
    )[0]!;
    const answer = sandbox.accounting.handle({
      method: 'POST',
      realmId: c.realmId,
      path: 'preferences',
      query: {},
      body: { SyncToken: prefs.SyncToken, sparse: true, CurrencyPrefs: { MultiCurrencyEnabled: true } },
    });
    expect(answer.status).toBe(200);
    const again = await send([first[0]!.id]);
    const after = await must<{ invoice: InvoiceView }>(
      t,
      c.key,
      `query($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} } }`,
      { id: first[0]!.id },
    );
    expect(after.invoice.lastError).toBeNull();
    expect(again[again.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    const booked = live(c.realmId) as Array<
      QboInvoice & { CurrencyRef?: { value: string }; CustomerRef: { value: string } }
    >;
    const eur = booked.find((i) => i.CurrencyRef?.value === 'EUR')!;
    expect(eur).toBeDefined();
    const customer = (
      sandbox.accounting.adminEntities(c.realmId, 'Customer') as Array<{
        Id: string;
        CurrencyRef?: { value: string };
      }>
    ).find((x) => x.Id === eur.CustomerRef.value);
    expect(customer?.CurrencyRef?.value).toBe('EUR');
  }, 180_000);
});
