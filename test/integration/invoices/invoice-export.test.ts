import { ConnectionEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { buildOrders, upsertOrders } from '../../support/orders';
import { followBatch, invoicingCompany, must } from '../../support/invoices';
import { quiesce } from '../../support/sync';

type Preview = {
  productCount: number;
  customerCount: number;
  invoiceCount: number;
  ordersToPostCount: number;
};
const PREVIEW =
  'query($id: ID!) { connection(id: $id) { exportPreview { productCount customerCount invoiceCount ordersToPostCount } } }';

describe.each(DIALECTS)("Rootstock's export on %s", (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    // One key makes well over a hundred calls in a burst here (an invoice per order): the per-key limit is not the subject.
    t = await startTestGateway(dialect, { RATE_LIMIT_PER_SECOND: '0' });
    // These tests match records QuickBooks has and the mirror does not know: the emulator's webhooks would teach it.
    t.gateway.sandbox!.updateApp(t.gateway.config.quickbooks.clientId, { webhookUrl: null as never });
  });
  afterAll(async () => {
    t.gateway.sandbox?.clearFaults();
    await t?.close();
  });

  const live = (realmId: string, entity: string) =>
    (t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Array<{ status?: string }>).filter(
      (x) => x.status !== 'Deleted',
    );
  const preview = async (key: string, id: string): Promise<Preview> =>
    (await must<{ connection: { exportPreview: Preview } }>(t, key, PREVIEW, { id })).connection
      .exportPreview;

  async function invoicesFor(key: string, orderIds: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const orderId of orderIds) {
      const created = await must<{ createInvoice: { id: string } }>(
        t,
        key,
        'mutation($o: ID!) { createInvoice(orderId: $o) { id } }',
        {
          o: orderId,
        },
      );
      ids.push(created.createInvoice.id);
    }
    return ids;
  }

  it('previews 40/25/100, then creates 40 items, 15 customers (matching 10) and 100 invoices; the preview is then 0/0/0', async () => {
    const c = await invoicingCompany(t, 'Rootstock Co');
    // The catch-up a new connection queues must be over first, or it could read the customers created next.
    await quiesce(t);
    const inputs = buildOrders(100, { prefix: 'RX', customers: 25, skus: 40 });
    // Ten of the customers were added in QuickBooks after the reference import: the mirror does not know them.
    for (let k = 0; k < 10; k++) {
      t.gateway.sandbox!.accounting.adminChange(c.realmId, {
        entity: 'Customer',
        operation: 'create',
        data: { DisplayName: `RX Customer ${k}` },
      });
    }
    const orders = await upsertOrders(t, c.key, c.connectionId, inputs);
    const [extra] = await upsertOrders(t, c.key, c.connectionId, [
      { ...buildOrders(1, { prefix: 'RY' })[0]!, customer: { name: 'RX Customer 3' } },
    ]);
    await invoicesFor(
      c.key,
      orders.map((o) => o.id),
    );
    expect(await preview(c.key, c.connectionId)).toEqual({
      productCount: 43, // 40 of the invoices and 3 of the order still to post
      customerCount: 25,
      invoiceCount: 100,
      ordersToPostCount: 1,
    });
    // With the extra order put aside, the shape is exactly the issue's.
    await must(t, c.key, 'mutation($ids: [ID!]!) { archiveOrders(orderIds: $ids) { id } }', {
      ids: [extra!.id],
    });
    expect(await preview(c.key, c.connectionId)).toEqual({
      productCount: 40,
      customerCount: 25,
      invoiceCount: 100,
      ordersToPostCount: 0,
    });
    const itemsBefore = live(c.realmId, 'Item').length;
    const customersBefore = live(c.realmId, 'Customer').length;

    const started = await must<{ exportToQuickBooks: { id: string; kind: string; total: number } }>(
      t,
      c.key,
      'mutation($c: ID!) { exportToQuickBooks(connectionId: $c) { id kind total } }',
      { c: c.connectionId },
    );
    expect(started.exportToQuickBooks).toMatchObject({ kind: 'EXPORT', total: 165 });
    const events = await followBatch(t, c.key, started.exportToQuickBooks.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', processed: 165, succeeded: 165 });
    // Progress came in phases: every product before any customer, every customer before any invoice.
    const order = events
      .filter((e) => e.item)
      .map((e) => (e.item!.entityId.startsWith('inv_') ? 2 : e.item!.entityId.startsWith('sku:') ? 0 : 1));
    expect([...order].sort()).toEqual(order);

    expect(live(c.realmId, 'Item').length - itemsBefore).toBe(40);
    expect(live(c.realmId, 'Customer').length - customersBefore).toBe(15);
    expect(live(c.realmId, 'Invoice')).toHaveLength(100);

    // The process log: the batch with its items and its sync logs.
    const log = await must<{
      batch: {
        items: { totalCount: number; edges: Array<{ node: { entityType: string; status: string } }> };
      };
      syncLogs: { edges: Array<{ node: { entityType: string; action: string; status: string } }> };
    }>(
      t,
      c.key,
      'query($b: ID!) { batch(id: $b) { items(first: 500) { totalCount edges { node { entityType status } } } } syncLogs(filter: { batchId: $b }, first: 500) { edges { node { entityType action status } } } }',
      { b: started.exportToQuickBooks.id },
    );
    const count = (type: string) =>
      log.batch.items.edges.filter((e) => e.node.entityType === type && e.node.status === 'SUCCEEDED').length;
    expect([count('Item'), count('Customer'), count('Invoice')]).toEqual([40, 25, 100]);
    const logged = (entityType: string, action: string) =>
      log.syncLogs.edges.filter(
        (e) => e.node.entityType === entityType && e.node.action === action && e.node.status === 'SUCCEEDED',
      ).length;
    expect({
      itemsCreated: logged('Item', 'CREATE'),
      customersCreated: logged('Customer', 'CREATE'),
      customersMatched: logged('Customer', 'MATCH'),
      invoicesCreated: logged('Invoice', 'CREATE'),
    }).toEqual({ itemsCreated: 40, customersCreated: 15, customersMatched: 10, invoicesCreated: 100 });

    expect(await preview(c.key, c.connectionId)).toEqual({
      productCount: 0,
      customerCount: 0,
      invoiceCount: 0,
      ordersToPostCount: 0,
    });
  }, 180_000);

  it('ends with NEEDS_REAUTHORIZATION and the hint when QuickBooks refuses the authorization; warns before the token ends', async () => {
    const c = await invoicingCompany(t, 'Reauthorize Co');
    const orders = await upsertOrders(t, c.key, c.connectionId, buildOrders(3, { prefix: 'RA' }));
    await invoicesFor(
      c.key,
      orders.map((o) => o.id),
    );

    // A refresh token within 10 days of its end: shown on the connection, and published when work starts.
    const connections = t.gateway.dataSource.getRepository(ConnectionEntity);
    await connections.update(
      { id: c.connectionId },
      { refreshTokenExpiresAt: new Date(Date.now() + 5 * 86_400_000) },
    );
    const flag = await must<{ connection: { authorizationExpiringSoon: boolean } }>(
      t,
      c.key,
      'query($id: ID!) { connection(id: $id) { authorizationExpiringSoon } }',
      { id: c.connectionId },
    );
    expect(flag.connection.authorizationExpiringSoon).toBe(true);
    const stream = t.gateway.services.events.subscribe(c.connectionId)[Symbol.asyncIterator]();
    const next = stream.next();

    t.gateway.sandbox!.setFaults({
      rules: [
        {
          match: { realmId: c.realmId },
          respond: { status: 401, code: '3200', message: 'AuthenticationFailed' },
        },
      ],
    });
    const started = await must<{ exportToQuickBooks: { id: string } }>(
      t,
      c.key,
      'mutation($c: ID!) { exportToQuickBooks(connectionId: $c) { id } }',
      { c: c.connectionId },
    );
    const warning = (await next).value as { kind: string; message: string };
    expect(warning).toMatchObject({
      kind: 'AUTHORIZATION_EXPIRING',
      message: expect.stringContaining('reset your QuickBooks authorization'),
    });
    await stream.return?.();

    const events = await followBatch(t, c.key, started.exportToQuickBooks.id);
    t.gateway.sandbox!.clearFaults();
    expect(events[events.length - 1].status).toBe('FAILED');
    const batch = await must<{ batch: { status: string; error: { code: string; hint: string } } }>(
      t,
      c.key,
      'query($id: ID!) { batch(id: $id) { status error { code hint } } }',
      { id: started.exportToQuickBooks.id },
    );
    expect(batch.batch.error.hint).toBe('reset your QuickBooks authorization and try again');
    const after = await must<{
      connection: { status: string };
      invoices: { edges: Array<{ node: { pushStatus: string; lastError: { hint: string } } }> };
    }>(
      t,
      c.key,
      'query($id: ID!) { connection(id: $id) { status } invoices(filter: { connectionId: $id }) { edges { node { pushStatus lastError { hint } } } } }',
      { id: c.connectionId },
    );
    expect(after.connection.status).toBe('NEEDS_REAUTHORIZATION');
    expect(after.invoices.edges.map((e) => e.node)).toEqual(
      Array(3).fill({
        pushStatus: 'FAILED',
        lastError: { hint: 'reset your QuickBooks authorization and try again' },
      }),
    );
    expect(live(c.realmId, 'Invoice')).toHaveLength(0);
  }, 180_000);
});
