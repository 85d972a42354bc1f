import { SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { upsertOrders } from '../../support/orders';
import {
  connectDesktop,
  desktopSettings,
  desktopWebConnector,
  runDyingWhileRecording,
  until,
} from '../../support/desktop';

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
      hint: expect.stringContaining('sendInvoice'),
    });
  };

  it('sends invoices through the Web Connector exactly once (Auto Invoice and sendInvoice: Pending until the next poll, a lost answer looked up); e-mail, payments and export are refused with NOT_SUPPORTED_ON_DESKTOP and a hint', async () => {
    const desktop = await connectDesktop(t, key, 'Invoice PC');
    const { company, connector } = desktopWebConnector(t.url, desktop, { companyName: 'Invoice Co' });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId, { autoInvoice: true });
    const pendingRequests = async (): Promise<number> => {
      const r = await t.graphql<{ connection: { webConnector: { pendingRequests: number } } }>(
        key,
        'query($id: ID!) { connection(id: $id) { webConnector { pendingRequests } } }',
        { id: desktop.connectionId },
      );
      return r.data!.connection.webConnector.pendingRequests;
    };
    const batchOf = (id: string) =>
      t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id });
    const invoiceOf = async (id: string) =>
      (
        await t.graphql<{
          invoice: {
            pushStatus: string;
            quickbooksId: string | null;
            balance: string | null;
            order: { status: string };
          };
        }>(key, 'query($id: ID!) { invoice(id: $id) { pushStatus quickbooksId balance order { status } } }', {
          id,
        })
      ).data!.invoice;
    const [auto, manual] = await upsertOrders(t, key, desktop.connectionId, [
      {
        externalId: 'I-1',
        orderNumber: 'I1',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Zed New', email: 'zed@example.com' },
        lines: [
          { sku: 'BOLT-9', name: 'Bolt', quantity: '4', unitPrice: '2.50' },
          { sku: 'Installation', name: 'Installation', quantity: '1', unitPrice: '75.00' },
        ],
      },
      {
        externalId: 'I-2',
        orderNumber: 'I2',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Amy Rice' },
        lines: [{ sku: 'Installation', name: 'Installation', quantity: '2', unitPrice: '75.00' }],
      },
    ]);

    // Auto Invoice: the invoice is queued at once and waits as Pending until the next poll.
    const created = await t.graphql<{ createInvoice: { id: string; pushStatus: string } }>(
      key,
      'mutation($o: ID!) { createInvoice(orderId: $o, input: { invoiceNumber: "INV-1" }) { id pushStatus } }',
      { o: auto.id },
    );
    expect(created.errors).toBeUndefined();
    const autoId = created.data!.createInvoice.id;
    expect(created.data!.createInvoice.pushStatus).toBe('QUEUED');
    await until(async () => (await pendingRequests()) > 0);
    expect(company.transactions('Invoice')).toHaveLength(0);
    // The first run stops after stage one (customer and item added); the next one's answer to the InvoiceAdd is
    // lost: the invoice is looked up by RefNumber and marker at the run after, and adopted, never added twice — also
    // when the gateway dies while recording the adoption.
    connector.setFaults({ interruptAfter: 1 });
    expect((await connector.run()).outcome).toBe('interrupted');
    expect(company.transactions('Invoice')).toHaveLength(0);
    expect((await invoiceOf(autoId)).pushStatus).toBe('QUEUED');
    connector.setFaults({ loseResponses: 1 });
    expect((await connector.run()).outcome).toBe('lost-response');
    expect(company.transactions('Invoice')).toHaveLength(1);
    // The gateway dies while it records what the look-up found: none of it is kept, and the look-up runs again.
    expect(await runDyingWhileRecording(connector)).toBe('error');
    expect((await invoiceOf(autoId)).pushStatus).toBe('QUEUED');
    connector.setFaults({});
    await connector.runUntilIdle();
    await until(async () => (await invoiceOf(autoId)).pushStatus === 'SENT');
    const invoices = company.transactions('Invoice').map((i) => i.ret);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ RefNumber: 'INV-1', TotalAmount: '85.00' });
    expect(invoices[0].Memo as string).toContain(`[qbg:${autoId}:1]`);
    expect(await invoiceOf(autoId)).toMatchObject({
      quickbooksId: invoices[0].TxnID,
      balance: '85.00',
      order: { status: 'POSTED' },
    });
    expect(company.findList(['Customer'], { FullName: 'Zed New' })).toBeDefined();
    const logs = await t.graphql<{
      syncLogs: { edges: Array<{ node: { action: string; entityType: string } }> };
    }>(
      key,
      'query($c: ID!) { syncLogs(filter: { connectionId: $c, entityType: "Invoice" }) { edges { node { action entityType } } } }',
      { c: desktop.connectionId },
    );
    expect(logs.data!.syncLogs.edges.map((e) => e.node.action)).toEqual(['MATCH']);

    // sendInvoice: a SEND_INVOICES batch, QUEUED until the next poll, then COMPLETED.
    await desktopSettings(t, key, desktop.connectionId, { autoInvoice: false });
    const second = await t.graphql<{ createInvoice: { id: string } }>(
      key,
      'mutation($o: ID!) { createInvoice(orderId: $o) { id } }',
      { o: manual.id },
    );
    const secondId = second.data!.createInvoice.id;
    const sent = await t.graphql<{ sendInvoice: { id: string; kind: string } }>(
      key,
      'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id kind } }',
      { ids: [secondId] },
    );
    expect(sent.errors).toBeUndefined();
    expect(sent.data!.sendInvoice.kind).toBe('SEND_INVOICES');
    await until(async () => (await pendingRequests()) > 0);
    expect((await batchOf(sent.data!.sendInvoice.id)).status).toBe('QUEUED');
    await connector.runUntilIdle();
    expect(await batchOf(sent.data!.sendInvoice.id)).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(await invoiceOf(secondId)).toMatchObject({ pushStatus: 'SENT', order: { status: 'POSTED' } });
    expect(company.transactions('Invoice').map((i) => i.ret.RefNumber)).toEqual(['INV-1', 'I2']);

    refused(
      await t.graphql(key, 'mutation($ids: [ID!]!) { emailInvoices(invoiceIds: $ids) { id } }', {
        ids: [autoId],
      }),
    );
    refused(
      await t.graphql(key, 'mutation($p: [PaymentInput!]!) { recordPayments(payments: $p) { id } }', {
        p: [{ invoiceId: autoId, amount: '10.00' }],
      }),
    );
    refused(
      await t.graphql(key, 'mutation($c: ID!) { exportToQuickBooks(connectionId: $c) { id } }', {
        c: desktop.connectionId,
      }),
    );
    // Nothing was queued by the refusals.
    const kinds = await t.gateway.dataSource
      .getRepository(SyncBatchEntity)
      .findBy({ connectionId: desktop.connectionId });
    expect(kinds.map((b) => b.kind).sort()).toEqual(['REFERENCE_IMPORT', 'SEND_INVOICES', 'SEND_INVOICES']);
    expect(await connector.runUntilIdle()).toEqual([expect.objectContaining({ outcome: 'none' })]);
  }, 120_000);
});
