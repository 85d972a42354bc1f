/**
 * QuickBooks webhooks end to end over real HTTP: the emulator signs and sends, the gateway stores, acknowledges and
 * applies on its job queue.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  OrderEntity,
  PartnerRecordEntity,
  PendingEntity,
  QuickBooksChangeEventEntity,
  QuickBooksWebhookDeliveryEntity,
  ReferenceEntityRow,
  SyncLogEntity,
} from '../../../src/entities';
import { newId } from '../../../src/ids';
import { signIntuitBody } from '../../../src/webhooks/signature';
import { DIALECTS } from '../../support/database';
import type { TestGateway } from '../../support/gateway';
import { configurePosting, postAndFollow, upsertOrders } from '../../support/orders';
import {
  connectedCompany,
  followConnectionEvents,
  personChange,
  startInboundGateway,
  type QboObject,
} from '../../support/quickbooks-webhooks';
import { until } from '../../support/wait';

const VERIFIER = 'sandbox-demo-verifier-token';

describe.each(DIALECTS)('QuickBooks webhooks on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startInboundGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/webhooks/quickbooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const counts = async () => ({
    deliveries: await t.gateway.dataSource.getRepository(QuickBooksWebhookDeliveryEntity).count(),
    events: await t.gateway.dataSource.getRepository(QuickBooksChangeEventEntity).count(),
  });
  const mirrored = (connectionId: string, quickbooksId: string, type: 'CUSTOMER' | 'ITEM' = 'CUSTOMER') =>
    t.gateway.dataSource.getRepository(ReferenceEntityRow).findOneBy({ connectionId, type, quickbooksId });

  it('shows a customer renamed in QuickBooks in referenceData and announces REFERENCE_DATA_CHANGED', async () => {
    const company = await connectedCompany(t);
    const customer = await personChange(t, company.realmId, 'Customer', 'create', {
      DisplayName: 'Ada Before',
    });
    await until(async () => (await mirrored(company.connectionId, customer.Id))?.name === 'Ada Before');

    const follow = await followConnectionEvents(t, company.key, company.connectionId);
    const { events } = follow;
    try {
      await personChange(t, company.realmId, 'Customer', 'update', {
        Id: customer.Id,
        DisplayName: 'Ada After',
      });
      await until(async () => {
        const page = await t.graphql<{
          connection: { referenceData: { edges: Array<{ node: { name: string; quickbooksId: string } }> } };
        }>(
          company.key,
          'query($id: ID!) { connection(id: $id) { referenceData(type: CUSTOMER, search: "Ada") { edges { node { name quickbooksId } } } } }',
          { id: company.connectionId },
        );
        return page.data!.connection.referenceData.edges.some(
          (e) => e.node.quickbooksId === customer.Id && e.node.name === 'Ada After',
        );
      });
      await until(() =>
        events.some(
          (e) =>
            e.kind === 'REFERENCE_DATA_CHANGED' &&
            e.entityType === 'Customer' &&
            e.quickbooksId === customer.Id,
        ),
      );
      const log = await t.gateway.dataSource.getRepository(SyncLogEntity).findOneBy({
        connectionId: company.connectionId,
        quickbooksId: customer.Id,
        direction: 'FROM_QUICKBOOKS',
        action: 'UPDATE',
      });
      expect(log?.status).toBe('SUCCEEDED');
      const status = await t.graphql<{
        connection: { lastWebhookAt: string | null; lastChangeDataCaptureAt: string | null };
      }>(company.key, 'query($id: ID!) { connection(id: $id) { lastWebhookAt lastChangeDataCaptureAt } }', {
        id: company.connectionId,
      });
      expect(Date.parse(status.data!.connection.lastWebhookAt!)).toBeGreaterThan(Date.now() - 60_000);
      // Connecting queued a catch-up, which has run by now (the import and the catch-up share the worker).
      await until(
        async () =>
          (await t.gateway.services.inbound.status(company.tenantId, company.connectionId))
            .lastChangeDataCaptureAt !== null,
      );
    } finally {
      await follow.stop();
    }
  });

  it('answers 401 to a forged or missing signature, stores nothing and counts it', async () => {
    const before = await counts();
    const body = JSON.stringify({
      eventNotifications: [
        {
          realmId: '1',
          dataChangeEvent: {
            entities: [
              { name: 'Customer', id: '1', operation: 'Update', lastUpdated: new Date().toISOString() },
            ],
          },
        },
      ],
    });
    const forged = await post(body, { 'intuit-signature': signIntuitBody(body, 'not-the-verifier-token') });
    expect(forged.status).toBe(401);
    const tampered = await post(body + ' ', { 'intuit-signature': signIntuitBody(body, VERIFIER) });
    expect(tampered.status).toBe(401);
    const missing = await post(body);
    expect(missing.status).toBe(401);
    expect(await counts()).toEqual(before);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/quickbooks_webhook_deliveries_total\{outcome="unauthorized"\} 3/);
  });

  it('acknowledges signed deliveries it cannot use and stores them as REJECTED or IGNORED', async () => {
    const garbage = 'not json at all';
    const rejected = await post(garbage, { 'intuit-signature': signIntuitBody(garbage, VERIFIER) });
    expect(rejected.status).toBe(200);
    const unknown = JSON.stringify({
      eventNotifications: [
        {
          realmId: '999000999',
          dataChangeEvent: {
            entities: [
              { name: 'Customer', id: '5', operation: 'Create', lastUpdated: '2026-01-01T00:00:00Z' },
            ],
          },
        },
      ],
    });
    const ignored = await post(unknown, { 'intuit-signature': signIntuitBody(unknown, VERIFIER) });
    expect(ignored.status).toBe(200);
    const repo = t.gateway.dataSource.getRepository(QuickBooksWebhookDeliveryEntity);
    const rows = await repo.find({ order: { receivedAt: 'DESC' }, take: 2 });
    expect(rows.map((r) => r.status).sort()).toEqual(['IGNORED', 'REJECTED']);
    expect(rows.find((r) => r.status === 'REJECTED')?.reason).toBe('the body is not JSON');
  });

  it('processes the same signed delivery replayed 10 times once (CloudEvents, application/cloudevents+json)', async () => {
    const company = await connectedCompany(t, 'Replay Co');
    const demo = t.gateway.config.quickbooks.clientId;
    const customer = await personChange(t, company.realmId, 'Customer', 'create', {
      DisplayName: 'Replayed One',
    });
    await until(async () => (await mirrored(company.connectionId, customer.Id)) !== null);
    // The emulator stays quiet for this change: only our replayed delivery reports it.
    const url = t.gateway.sandbox!.updateApp(demo, {}).webhookUrl;
    t.gateway.sandbox!.updateApp(demo, { webhookUrl: null as never });
    let renamed: QboObject;
    try {
      renamed = await personChange(t, company.realmId, 'Customer', 'update', {
        Id: customer.Id,
        DisplayName: 'Replayed Two',
      });
    } finally {
      t.gateway.sandbox!.updateApp(demo, { webhookUrl: url });
    }
    const body = JSON.stringify([
      {
        specversion: '1.0',
        id: randomUUID(),
        source: 'intuit.test',
        type: 'qbo.customer.updated.v1',
        datacontenttype: 'application/json',
        time: (renamed.MetaData as { LastUpdatedTime: string }).LastUpdatedTime,
        intuitentityid: customer.Id,
        intuitaccountid: company.realmId,
        data: {},
      },
    ]);
    const headers = {
      'content-type': 'application/cloudevents+json',
      'intuit-signature': signIntuitBody(body, VERIFIER),
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(body, headers)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    await until(async () => (await mirrored(company.connectionId, customer.Id))?.name === 'Replayed Two');
    const events = await t.gateway.dataSource
      .getRepository(QuickBooksChangeEventEntity)
      .findBy({ connectionId: company.connectionId, entityId: customer.Id, operation: 'Update' });
    expect(events).toHaveLength(1);
    await until(
      async () =>
        (
          await t.gateway.dataSource
            .getRepository(QuickBooksChangeEventEntity)
            .findOneBy({ id: events[0].id })
        )?.status === 'APPLIED',
    );
    const deliveries = await t.gateway.dataSource
      .getRepository(QuickBooksWebhookDeliveryEntity)
      .findBy({ bodySha256: createHash('sha256').update(body).digest('hex') });
    expect(deliveries.map((d) => d.status).sort()).toEqual(['ACCEPTED', ...Array(9).fill('DUPLICATE')]);
    const logs = await t.gateway.dataSource.getRepository(SyncLogEntity).findBy({
      connectionId: company.connectionId,
      quickbooksId: customer.Id,
      direction: 'FROM_QUICKBOOKS',
      action: 'UPDATE',
    });
    expect(logs).toHaveLength(1);
  });

  it('holds inbound changes for approval when the connection requires it (latest wins, mirror untouched)', async () => {
    const company = await connectedCompany(t, 'Approval Co');
    const customer = await personChange(t, company.realmId, 'Customer', 'create', {
      DisplayName: 'Wanda Before',
    });
    await until(async () => (await mirrored(company.connectionId, customer.Id))?.name === 'Wanda Before');
    const set = await t.graphql(
      company.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { requireApproval: true }) { id } }',
      { id: company.connectionId },
    );
    expect(set.errors).toBeUndefined();
    await personChange(t, company.realmId, 'Customer', 'update', {
      Id: customer.Id,
      DisplayName: 'Wanda Middle',
    });
    await personChange(t, company.realmId, 'Customer', 'update', {
      Id: customer.Id,
      DisplayName: 'Wanda After',
    });
    const pending = () =>
      t.gateway.dataSource.getRepository(PendingEntity).findBy({
        connectionId: company.connectionId,
        direction: 'FROM_QUICKBOOKS',
        quickbooksId: customer.Id,
      });
    // Both renames fall in one second: the legacy notification of the second is a duplicate of the first by its key,
    // and the same-second re-read still finds it.
    await until(async () => (await pending()).some((p) => p.changes.DisplayName?.to === 'Wanda After'));
    const [held] = await pending();
    expect(held.status).toBe('PENDING');
    expect(held.changes.DisplayName).toEqual({ from: 'Wanda Before', to: 'Wanda After' });
    expect((await mirrored(company.connectionId, customer.Id))?.name).toBe('Wanda Before');
  });

  it('re-points local references when QuickBooks merges two list objects', async () => {
    const company = await connectedCompany(t, 'Merge Co');
    const accounts = await configurePosting(t, company.key, company.connectionId);
    const income = { value: accounts.incomeAccountId };
    const keep = await personChange(t, company.realmId, 'Item', 'create', {
      Name: 'Freight Keep',
      Type: 'Service',
      IncomeAccountRef: income,
    });
    const gone = await personChange(t, company.realmId, 'Item', 'create', {
      Name: 'Freight Gone',
      Type: 'Service',
      IncomeAccountRef: income,
    });
    await until(
      async () =>
        (await mirrored(company.connectionId, gone.Id, 'ITEM')) !== null &&
        (await mirrored(company.connectionId, keep.Id, 'ITEM')) !== null,
    );
    await configurePosting(t, company.key, company.connectionId, { freightItemId: gone.Id });
    const [order] = await upsertOrders(t, company.key, company.connectionId, [
      {
        externalId: 'merge-1',
        orderNumber: 'M1001',
        orderDate: '2026-11-02T00:00:00.000Z',
        customer: { name: 'Merge Customer' },
        lines: [{ name: 'Widget', sku: 'MW-1', quantity: '1', unitPrice: '10.00' }],
      },
    ]);
    await postAndFollow(t, company.key, [order.id]);
    const posted = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
    const postedCustomer = posted.customer.quickbooksId!;
    expect(postedCustomer).toBeTruthy();
    const survivor = await personChange(t, company.realmId, 'Customer', 'create', {
      DisplayName: 'Merge Survivor',
    });
    // A partner's customer linked to the one about to be merged away (as upsertCustomers leaves it).
    const partners = t.gateway.dataSource.getRepository(PartnerRecordEntity);
    const partner = await partners.save({
      id: newId('partnerRecord'),
      tenantId: company.tenantId,
      connectionId: company.connectionId,
      type: 'CUSTOMER' as const,
      channel: 'shop',
      externalId: 'merge-customer',
      name: 'Merge Customer',
      content: { displayName: 'Merge Customer' },
      quickbooksId: postedCustomer,
      syncedContent: null,
      syncedSyncToken: null,
      syncState: 'IN_SYNC' as const,
      lastError: null,
      sentAt: null,
    });

    await personChange(t, company.realmId, 'Item', 'merge', { Id: keep.Id, MergedId: gone.Id });
    await personChange(t, company.realmId, 'Customer', 'merge', {
      Id: survivor.Id,
      MergedId: postedCustomer,
    });
    await until(async () => {
      const connection = await t.gateway.services.connections.get(company.tenantId, company.connectionId);
      const row = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
      return connection.settings.freightItemId === keep.Id && row.customer.quickbooksId === survivor.Id;
    });
    expect((await mirrored(company.connectionId, gone.Id, 'ITEM'))?.active).toBe(false);
    expect((await mirrored(company.connectionId, postedCustomer))?.active).toBe(false);
    // Re-pointed in the same transaction as the order.
    expect((await partners.findOneByOrFail({ id: partner.id })).quickbooksId).toBe(survivor.Id);
  });

  it('marks an order whose posted sales receipt was deleted in QuickBooks and announces it', async () => {
    const company = await connectedCompany(t, 'Deleted Receipt Co');
    await configurePosting(t, company.key, company.connectionId);
    const [order] = await upsertOrders(t, company.key, company.connectionId, [
      {
        externalId: 'del-1',
        orderNumber: 'D1001',
        orderDate: '2026-11-03T00:00:00.000Z',
        customer: { name: 'Receipt Customer' },
        lines: [{ name: 'Gadget', sku: 'DG-1', quantity: '2', unitPrice: '5.00' }],
      },
    ]);
    await postAndFollow(t, company.key, [order.id]);
    const posted = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
    expect(posted.postedTransaction?.kind).toBe('SALES_RECEIPT');
    const follow = await followConnectionEvents(t, company.key, company.connectionId);
    const { events } = follow;
    try {
      await personChange(t, company.realmId, 'SalesReceipt', 'delete', { Id: posted.postedTransaction!.id });
      await until(async () => {
        const page = await t.graphql<{
          order: { lastError: { code: string; direction: string; hint: string } | null };
        }>(company.key, 'query($id: ID!) { order(id: $id) { lastError { code direction hint } } }', {
          id: order.id,
        });
        const error = page.data?.order.lastError;
        return (
          error?.code === 'DELETED_IN_QUICKBOOKS' &&
          error.direction === 'FROM_QUICKBOOKS' &&
          error.hint.length > 0
        );
      });
      await until(() =>
        events.some(
          (e) =>
            e.kind === 'TRANSACTION_CHANGED_IN_QUICKBOOKS' && e.quickbooksId === posted.postedTransaction!.id,
        ),
      );
    } finally {
      await follow.stop();
    }
  });
});
