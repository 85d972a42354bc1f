import { SyncBatchEntity } from '../../src/entities';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { upsertOrders } from '../support/orders';
import { connectDesktop, desktopSettings, desktopWebConnector, until } from '../support/desktop';

type Refusal = { errors?: Array<{ extensions?: Record<string, unknown> }> };

describe.each(DIALECTS)('Invoices on QuickBooks Desktop on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { DESKTOP_EMULATOR_POLL_SECONDS: '0' });
    key = (await t.newTenantKey(['ADMIN'])).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const refused = (result: Refusal): void => {
    expect(result.errors?.[0].extensions).toMatchObject({
      code: 'NOT_SUPPORTED_ON_DESKTOP',
      hint: expect.stringContaining('postOrders'),
    });
  };

  it('posts orders as Invoices through the Web Connector; sending, e-mailing, paying and exporting invoices are refused with NOT_SUPPORTED_ON_DESKTOP and a hint, writing nothing', async () => {
    const desktop = await connectDesktop(t, key, 'Invoice PC');
    const { company, connector } = desktopWebConnector(t.url, desktop, { companyName: 'Invoice Co' });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId, { postOrdersAs: 'INVOICE', autoInvoice: true });
    const line = { sku: 'Installation', name: 'Installation', quantity: '1', unitPrice: '75.00' };
    const [kept, posted] = await upsertOrders(t, key, desktop.connectionId, [
      {
        externalId: 'I-1',
        orderNumber: 'I1',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Amy Rice' },
        lines: [line],
      },
      {
        externalId: 'I-2',
        orderNumber: 'I2',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Amy Rice' },
        lines: [line],
      },
    ]);

    // Auto Invoice does not send on Desktop: the invoice is created and stays NOT_SENT; sending it is refused.
    const created = await t.graphql<{ createInvoice: { id: string; pushStatus: string } }>(
      key,
      'mutation($o: ID!) { createInvoice(orderId: $o) { id pushStatus } }',
      { o: kept.id },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createInvoice.pushStatus).toBe('NOT_SENT');
    const invoiceId = created.data!.createInvoice.id;
    refused(
      await t.graphql(key, 'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id } }', {
        ids: [invoiceId],
      }),
    );
    // postOrders of an invoiced order sends its invoice: refused the same way.
    refused(
      await t.graphql(key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
        ids: [kept.id],
      }),
    );

    // An order posted as an Invoice reaches QuickBooks Desktop at the next run; createInvoice adopts it (SENT).
    const batch = await t.graphql<{ postOrders: { id: string } }>(
      key,
      'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
      { ids: [posted.id] },
    );
    await until(async () => {
      await connector.runUntilIdle();
      const row = await t.gateway.dataSource
        .getRepository(SyncBatchEntity)
        .findOneByOrFail({ id: batch.data!.postOrders.id });
      return row.status === 'COMPLETED';
    });
    expect(company.transactions('Invoice').map((i) => i.ret.RefNumber)).toEqual(['I2']);
    const adopted = await t.graphql<{
      createInvoice: { id: string; pushStatus: string; balance: string | null };
    }>(key, 'mutation($o: ID!) { createInvoice(orderId: $o) { id pushStatus balance } }', { o: posted.id });
    expect(adopted.errors).toBeUndefined();
    expect(adopted.data!.createInvoice.pushStatus).toBe('SENT');
    const sentId = adopted.data!.createInvoice.id;
    refused(
      await t.graphql(key, 'mutation($ids: [ID!]!) { emailInvoices(invoiceIds: $ids) { id } }', {
        ids: [sentId],
      }),
    );
    refused(
      await t.graphql(key, 'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }', {
        p: [{ invoiceId: sentId, amount: '10.00' }],
      }),
    );
    refused(
      await t.graphql(key, 'mutation($c: ID!) { exportToQuickBooks(connectionId: $c) { id } }', {
        c: desktop.connectionId,
      }),
    );
    // Nothing was queued by the refusals: only the one posting batch and the import exist.
    const kinds = await t.gateway.dataSource
      .getRepository(SyncBatchEntity)
      .findBy({ connectionId: desktop.connectionId });
    expect(kinds.map((b) => b.kind).sort()).toEqual(['POST_ORDERS', 'REFERENCE_IMPORT']);
    expect(await connector.runUntilIdle()).toEqual([expect.objectContaining({ outcome: 'none' })]);
  }, 120_000);
});
