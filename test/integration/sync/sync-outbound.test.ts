import { PartnerRecordEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { postAndFollow, upsertOrders } from '../../support/orders';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import {
  follow,
  quickbooksOf,
  quiesce,
  syncCompany,
  UPSERT_CUSTOMERS,
  UPSERT_PRODUCTS,
  type UpsertPayload,
} from '../../support/sync';

type QbCustomer = {
  Id: string;
  DisplayName: string;
  SyncToken: string;
  PrimaryEmailAddr?: { Address: string };
};
type QbItem = { Id: string; Name: string; Sku?: string; UnitPrice?: number };

describe.each(DIALECTS)('two-way sync, outbound, on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const customers = (realmId: string) =>
    t.gateway.sandbox!.accounting.adminEntities(realmId, 'Customer') as QbCustomer[];
  const upsert = async (key: string, connectionId: string, list: unknown[], channel = 'shop') => {
    const result = await t.graphql<{ upsertCustomers: UpsertPayload }>(key, UPSERT_CUSTOMERS, {
      id: connectionId,
      channel,
      customers: list,
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.upsertCustomers;
  };

  it('upserts 500 customers of which 200 exist in QuickBooks: 0 duplicates, 300 created in at most 10 batch calls', async () => {
    const c = await syncCompany(t, 'Outbound Five Hundred');
    const qb = await quickbooksOf(t, c.connectionId);
    // 200 customers made in QuickBooks after the import (the mirror does not know them), over HTTP.
    for (let start = 0; start < 200; start += 30) {
      const group = Array.from({ length: Math.min(30, 200 - start) }, (_, i) => ({
        operation: 'create' as const,
        entity: 'Customer',
        body: { DisplayName: `Partner Customer ${start + i}` },
      }));
      const results = await qb.batch(group);
      expect(results.every((r) => r.ok)).toBe(true);
    }
    const before = customers(c.realmId).length;
    t.gateway.sandbox!.resetStats();

    const list = Array.from({ length: 500 }, (_, i) => ({
      externalId: `C-${i}`,
      displayName: `Partner Customer ${i}`,
    }));
    const payload = await upsert(c.key, c.connectionId, list);
    expect(payload).toMatchObject({ created: 500, updated: 0, pendingApproval: 0, queued: 500 });
    expect(payload.entities[0]).toMatchObject({ externalId: 'C-0', channel: 'shop', syncState: 'QUEUED' });
    const node = await t.graphql<{ node: { __typename: string; name: string; syncState: string } }>(
      c.key,
      'query($id: ID!) { node(id: $id) { __typename ... on ReferenceEntity { name syncState } } }',
      { id: payload.entities[0].id },
    );
    // The in-process worker may already have pushed it: QUEUED or IN_SYNC, never anything else.
    expect(node.data!.node).toEqual({
      __typename: 'ReferenceEntity',
      name: 'Partner Customer 0',
      syncState: expect.stringMatching(/^(QUEUED|IN_SYNC)$/),
    });
    const events = await follow(t, c.key, payload.batch!.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 500, failed: 0 });

    const after = customers(c.realmId);
    expect(after.length - before).toBe(300);
    const names = after.map((x) => x.DisplayName.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    const batchCalls = t.gateway.sandbox!.stats().requests.byOperation.batch ?? 0;
    expect(batchCalls).toBeGreaterThanOrEqual(10);
    expect(batchCalls).toBeLessThanOrEqual(10);

    const records = await t.gateway.dataSource
      .getRepository(PartnerRecordEntity)
      .findBy({ connectionId: c.connectionId });
    expect(records).toHaveLength(500);
    expect(records.every((r) => r.syncState === 'IN_SYNC' && r.quickbooksId && !r.sentAt)).toBe(true);
    const byName = new Map(after.map((x) => [x.DisplayName, x.Id]));
    expect(records.every((r) => byName.get(r.name) === r.quickbooksId)).toBe(true);

    // The error log records each one, with its direction.
    const logs = await t.graphql<{
      syncLogs: { totalCount: number; edges: Array<{ node: { action: string } }> };
    }>(
      c.key,
      'query($id: ID!) { syncLogs(filter: { connectionId: $id, direction: TO_QUICKBOOKS, entityType: "Customer" }, first: 500) { totalCount edges { node { action } } } }',
      { id: c.connectionId },
    );
    const actions = logs.data!.syncLogs.edges.map((e) => e.node.action);
    expect(logs.data!.syncLogs.totalCount).toBe(500);
    expect(actions.filter((a) => a === 'MATCH')).toHaveLength(200);
    expect(actions.filter((a) => a === 'CREATE')).toHaveLength(300);

    // Sent again unchanged: nothing is queued, nothing is called (once the webhooks about the creations are in).
    await quiesce(t);
    t.gateway.sandbox!.resetStats();
    const again = await upsert(c.key, c.connectionId, list.slice(0, 50));
    expect(again).toMatchObject({ created: 0, updated: 0, queued: 0, batch: null });
    expect(again.entities[0]).toMatchObject({
      syncState: 'IN_SYNC',
      quickbooksId: byName.get('Partner Customer 0'),
    });
    expect(t.gateway.sandbox!.stats().requests.total).toBe(0);
  });

  it('sparse-updates a changed customer, and holds a change made on both sides as a CONFLICT with both versions', async () => {
    const c = await syncCompany(t, 'Outbound Conflicts');
    const qb = await quickbooksOf(t, c.connectionId);
    const first = await upsert(c.key, c.connectionId, [
      { externalId: 'A', displayName: 'Anna Able', email: 'anna@example.com', phone: '555-0100' },
      { externalId: 'B', displayName: 'Bert Baker', email: 'bert@example.com' },
    ]);
    await follow(t, c.key, first.batch!.id);
    const [anna, bert] = ['Anna Able', 'Bert Baker'].map((n) =>
      customers(c.realmId).find((x) => x.DisplayName === n)!,
    );

    // Someone edits both in QuickBooks: Anna's phone (a field the partner does not change next), Bert's e-mail.
    const annaNow = await qb.read<QbCustomer>('Customer', anna.Id);
    await qb.update('Customer', {
      Id: anna.Id,
      SyncToken: annaNow.SyncToken,
      PrimaryPhone: { FreeFormNumber: '555-0199' },
    });
    const bertNow = await qb.read<QbCustomer>('Customer', bert.Id);
    await qb.update('Customer', {
      Id: bert.Id,
      SyncToken: bertNow.SyncToken,
      PrimaryEmailAddr: { Address: 'bert@qb.example.com' },
    });

    // The partner changes Anna's e-mail (no overlap: applied, QuickBooks' phone kept) and Bert's e-mail (overlap).
    const second = await upsert(c.key, c.connectionId, [
      { externalId: 'A', displayName: 'Anna Able', email: 'anna@new.example.com', phone: '555-0100' },
      { externalId: 'B', displayName: 'Bert Baker', email: 'bert@partner.example.com' },
    ]);
    expect(second).toMatchObject({ created: 0, updated: 2, queued: 2 });
    const events = await follow(t, c.key, second.batch!.id);
    expect(events[events.length - 1]).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      succeeded: 1,
      failed: 1,
    });

    const annaAfter = await qb.read<QbCustomer & { PrimaryPhone?: { FreeFormNumber: string } }>(
      'Customer',
      anna.Id,
    );
    expect(annaAfter.PrimaryEmailAddr?.Address).toBe('anna@new.example.com');
    // The phone only QuickBooks changed stays QuickBooks'.
    expect(annaAfter.PrimaryPhone?.FreeFormNumber).toBe('555-0199');
    const bertAfter = await qb.read<QbCustomer>('Customer', bert.Id);
    expect(bertAfter.PrimaryEmailAddr?.Address).toBe('bert@qb.example.com');

    const pending = await t.graphql<{
      pendingEntities: {
        edges: Array<{
          node: {
            id: string;
            label: string;
            conflict: boolean;
            operation: string;
            changes: Record<string, { from: unknown; to: unknown }>;
          };
        }>;
      };
      connection: { pendingCount: number };
    }>(
      c.key,
      'query($id: ID!) { pendingEntities(connectionId: $id, direction: TO_QUICKBOOKS) { edges { node { id label conflict operation changes } } } connection(id: $id) { pendingCount } }',
      { id: c.connectionId },
    );
    expect(pending.data!.connection.pendingCount).toBe(1);
    const conflict = pending.data!.pendingEntities.edges[0].node;
    expect(conflict).toMatchObject({
      label: 'Bert Baker',
      conflict: true,
      operation: 'UPDATE',
      changes: { email: { from: 'bert@qb.example.com', to: 'bert@partner.example.com' } },
    });
    const failed = await t.graphql<{
      syncLogs: { edges: Array<{ node: { code: string; label: string; direction: string } }> };
    }>(
      c.key,
      'query($id: ID!) { syncLogs(filter: { connectionId: $id, statuses: [FAILED] }) { edges { node { code label direction } } } }',
      { id: c.connectionId },
    );
    expect(failed.data!.syncLogs.edges.map((e) => e.node)).toEqual([
      { code: 'CONFLICT', label: 'Bert Baker', direction: 'TO_QUICKBOOKS' },
    ]);

    // Approving the conflict makes the partner's version win.
    const approved = await t.graphql<{ approveEntities: { approved: number; batch: { id: string } } }>(
      c.key,
      'mutation($id: ID!, $ids: [ID!]!) { approveEntities(connectionId: $id, entityIds: $ids) { approved batch { id } } }',
      { id: c.connectionId, ids: [conflict.id] },
    );
    await follow(t, c.key, approved.data!.approveEntities.batch.id);
    expect((await qb.read<QbCustomer>('Customer', bert.Id)).PrimaryEmailAddr?.Address).toBe(
      'bert@partner.example.com',
    );
  });

  it('matches products by Sku, then Name, and creates the rest', async () => {
    const c = await syncCompany(t, 'Outbound Products', { newItemKind: 'SERVICE' });
    const qb = await quickbooksOf(t, c.connectionId);
    const settings = await t.graphql<{ connection: { settings: { incomeAccountId: string } } }>(
      c.key,
      'query($id: ID!) { connection(id: $id) { settings { incomeAccountId } } }',
      { id: c.connectionId },
    );
    const income = { value: settings.data!.connection.settings.incomeAccountId };
    const bySku = await qb.create<QbItem>('Item', {
      Name: 'Old Widget Name',
      Sku: 'W-1',
      Type: 'Service',
      IncomeAccountRef: income,
    });
    const byName = await qb.create<QbItem>('Item', {
      Name: 'Gadget',
      Type: 'Service',
      IncomeAccountRef: income,
    });
    const before = (t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'Item') as QbItem[]).length;
    const result = await t.graphql<{ upsertProducts: UpsertPayload }>(c.key, UPSERT_PRODUCTS, {
      id: c.connectionId,
      channel: 'shop',
      products: [
        { externalId: 'p1', name: 'Widget', sku: 'W-1', unitPrice: '9.50' },
        { externalId: 'p2', name: 'Gadget', unitPrice: '3' },
        { externalId: 'p3', name: 'Gizmo', sku: 'G-3', unitPrice: '1.25', kind: 'SERVICE' },
      ],
    });
    expect(result.errors).toBeUndefined();
    const events = await follow(t, c.key, result.data!.upsertProducts.batch!.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 3 });
    const items = t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'Item') as QbItem[];
    expect(items.length - before).toBe(1);
    expect(items.find((i) => i.Id === bySku.Id)).toMatchObject({
      Name: 'Widget',
      Sku: 'W-1',
      UnitPrice: 9.5,
    });
    expect(items.find((i) => i.Id === byName.Id)).toMatchObject({ Name: 'Gadget', UnitPrice: 3 });
    expect(items.find((i) => i.Sku === 'G-3')).toMatchObject({ Name: 'Gizmo', UnitPrice: 1.25 });
  });

  it("maps an order's customer and SKU that equal a channel's externalIds to the linked QuickBooks records", async () => {
    const c = await syncCompany(t, 'Outbound Mappings', {
      newItemKind: 'SERVICE',
      depositAccountId: undefined,
    });
    const customer = await upsert(c.key, c.connectionId, [
      { externalId: 'cust-77', displayName: 'Carla Customer' },
    ]);
    await follow(t, c.key, customer.batch!.id);
    const product = await t.graphql<{ upsertProducts: UpsertPayload }>(c.key, UPSERT_PRODUCTS, {
      id: c.connectionId,
      channel: 'shop',
      products: [{ externalId: 'SHOP-SKU-1', name: 'Widget Pro', sku: 'WP-100', unitPrice: '20' }],
    });
    await follow(t, c.key, product.data!.upsertProducts.batch!.id);
    const carla = customers(c.realmId).find((x) => x.DisplayName === 'Carla Customer')!;
    const widget = (t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'Item') as QbItem[]).find(
      (i) => i.Name === 'Widget Pro',
    )!;
    const customersBefore = customers(c.realmId).length;

    const [order] = await upsertOrders(t, c.key, c.connectionId, [
      {
        externalId: 'map-1',
        orderNumber: 'MAP1',
        orderDate: '2026-11-02T00:00:00Z',
        customer: { name: 'cust-77' },
        lines: [{ sku: 'SHOP-SKU-1', name: 'Shop listing title', quantity: '2', unitPrice: '20' }],
      },
    ]);
    const posted = await postAndFollow(t, c.key, [order!.id]);
    expect(posted.events[posted.events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    const receipt = (
      t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'SalesReceipt') as Array<{
        DocNumber: string;
        CustomerRef: { value: string };
        Line: Array<{ SalesItemLineDetail?: { ItemRef: { value: string } } }>;
      }>
    ).find((r) => r.DocNumber === 'MAP1')!;
    expect(receipt.CustomerRef.value).toBe(carla.Id);
    expect(receipt.Line.find((l) => l.SalesItemLineDetail)!.SalesItemLineDetail!.ItemRef.value).toBe(
      widget.Id,
    );
    expect(customers(c.realmId).length).toBe(customersBefore);
  });

  it('stores the same customers sent by two calls at once once, and creates them once', async () => {
    const c = await syncCompany(t, 'Outbound Concurrent');
    const list = Array.from({ length: 50 }, (_, i) => ({
      externalId: `K${i}`,
      displayName: `Concurrent ${i}`,
    }));
    const results = await Promise.all([1, 2].map(() => upsert(c.key, c.connectionId, list)));
    expect(results.map((r) => r.created).sort()).toEqual([0, 50]);
    for (const result of results) if (result.batch) await follow(t, c.key, result.batch.id);
    const names = customers(c.realmId)
      .map((x) => x.DisplayName)
      .filter((n) => n.startsWith('Concurrent '));
    expect(names).toHaveLength(50);
    expect(
      await t.gateway.dataSource.getRepository(PartnerRecordEntity).countBy({ connectionId: c.connectionId }),
    ).toBe(50);
  });

  it('refuses bad input with the field path and writes nothing', async () => {
    const c = await syncCompany(t, 'Outbound Bad Input');
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ externalId: `X${i}`, displayName: `X ${i}` }));
    const cases: Array<[unknown[], string]> = [
      [tooMany, 'customers'],
      [
        [
          { externalId: 'A', displayName: 'A' },
          { externalId: 'A', displayName: 'B' },
        ],
        'customers.1.externalId',
      ],
      [
        [
          { externalId: 'A', displayName: 'A' },
          { externalId: 'B', displayName: 'B', email: 'nope' },
        ],
        'customers.1.email',
      ],
      [[{ externalId: ' ', displayName: 'A' }], 'customers.0.externalId'],
    ];
    for (const [list, field] of cases) {
      const result = await t.graphql(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'shop',
        customers: list,
      });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(
      await t.gateway.dataSource.getRepository(PartnerRecordEntity).countBy({ connectionId: c.connectionId }),
    ).toBe(0);
  });
});
