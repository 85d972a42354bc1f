import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import {
  follow,
  quickbooksOf,
  syncCompany,
  UPSERT_CUSTOMERS,
  UPSERT_PRODUCTS,
  type UpsertPayload,
} from '../../support/sync';

type Log = {
  id: string;
  action: string;
  status: string;
  code: string | null;
  message: string | null;
  direction: string;
  label: string;
};

describe.each(DIALECTS)('sync errors and retries on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const logs = async (key: string, connectionId: string, failedOnly = false) => {
    const result = await t.graphql<{ syncLogs: { edges: Array<{ node: Log }> } }>(
      key,
      `query Logs($id: ID!) { syncLogs(filter: { connectionId: $id${failedOnly ? ', statuses: [FAILED]' : ''} }, first: 200) { edges { node { id action status code message direction label } } } }`,
      { id: connectionId },
    );
    return result.data!.syncLogs.edges.map((e) => e.node);
  };

  it('keeps failed syncs as the error log and retries them as a RETRY batch once fixed', async () => {
    const c = await syncCompany(t, 'Retry Settings', { newItemKind: 'INVENTORY' });
    const first = await t.graphql<{ upsertProducts: UpsertPayload }>(c.key, UPSERT_PRODUCTS, {
      id: c.connectionId,
      channel: 'shop',
      products: [{ externalId: 'inv-1', name: 'Stocked Thing', sku: 'ST-1', unitPrice: '4.00' }],
    });
    const events = await follow(t, c.key, first.data!.upsertProducts.batch!.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', failed: 1 });
    const failed = await logs(c.key, c.connectionId, true);
    expect(failed).toEqual([
      expect.objectContaining({
        action: 'CREATE',
        code: 'SETTINGS',
        direction: 'TO_QUICKBOOKS',
        label: 'Stocked Thing',
      }),
    ]);
    const entity = await t.graphql<{ upsertProducts: UpsertPayload }>(c.key, UPSERT_PRODUCTS, {
      id: c.connectionId,
      channel: 'shop',
      products: [{ externalId: 'inv-1', name: 'Stocked Thing', sku: 'ST-1', unitPrice: '4.00' }],
    });
    expect(entity.data!.upsertProducts.entities[0]).toMatchObject({
      syncState: 'FAILED',
      lastError: { code: 'SETTINGS' },
    });

    // Not a reference sync, or not failed: refused with the path.
    const succeededLog = (await logs(c.key, c.connectionId)).find((l) => l.status === 'SUCCEEDED')!;
    const refused = await t.graphql(c.key, 'mutation($ids: [ID!]!) { retrySync(syncLogIds: $ids) { id } }', {
      ids: [failed[0].id, succeededLog.id],
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'syncLogIds.1' });

    await t.graphql(
      c.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { defaultInventoryStartDate: "2026-01-01" }) { id } }',
      { id: c.connectionId },
    );
    const retried = await t.graphql<{ retrySync: { id: string; kind: string } }>(
      c.key,
      'mutation Retry($ids: [ID!]!) { retrySync(syncLogIds: $ids) { id kind } }',
      { ids: [failed[0].id] },
    );
    expect(retried.data!.retrySync.kind).toBe('RETRY');
    const done = await follow(t, c.key, retried.data!.retrySync.id);
    expect(done[done.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    const items = t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'Item') as Array<{
      Sku?: string;
      Type: string;
    }>;
    expect(items.filter((i) => i.Sku === 'ST-1')).toEqual([expect.objectContaining({ Type: 'Inventory' })]);
  });

  it('creates exactly once when the answer to a batch call is lost', async () => {
    const c = await syncCompany(t, 'Retry Lost Answer');
    t.gateway.sandbox!.setFaults({
      rules: [{ match: { realmId: c.realmId, operation: 'batch' }, times: 1, dropResponseAfterCommit: true }],
    });
    try {
      const list = Array.from({ length: 40 }, (_, i) => ({
        externalId: `L${i}`,
        displayName: `Lost Answer ${i}`,
      }));
      const result = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'shop',
        customers: list,
      });
      const events = await follow(t, c.key, result.data!.upsertCustomers.batch!.id);
      expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 40 });
    } finally {
      t.gateway.sandbox!.clearFaults();
    }
    const names = (
      t.gateway.sandbox!.accounting.adminEntities(c.realmId, 'Customer') as Array<{ DisplayName: string }>
    )
      .map((x) => x.DisplayName)
      .filter((n) => n.startsWith('Lost Answer'));
    expect(names).toHaveLength(40);
    expect(new Set(names).size).toBe(40);
  });

  it('re-reads a stale SyncToken (5010) and applies the change again when the fields do not conflict', async () => {
    const c = await syncCompany(t, 'Retry Edit Sequence');
    const first = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
      id: c.connectionId,
      channel: 'shop',
      customers: [{ externalId: 'E', displayName: 'Edna Edit', email: 'edna@example.com' }],
    });
    await follow(t, c.key, first.data!.upsertCustomers.batch!.id);
    t.gateway.sandbox!.setFaults({
      rules: [
        {
          match: { realmId: c.realmId, operation: 'batch' },
          times: 1,
          respond: { status: 400, code: '5010', message: 'Stale Object Error' },
        },
      ],
    });
    try {
      const second = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'shop',
        customers: [{ externalId: 'E', displayName: 'Edna Edit', email: 'edna@new.example.com' }],
      });
      const events = await follow(t, c.key, second.data!.upsertCustomers.batch!.id);
      expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    } finally {
      t.gateway.sandbox!.clearFaults();
    }
    const qb = await quickbooksOf(t, c.connectionId);
    const id = first.data!.upsertCustomers.entities[0].id;
    expect(id).toBeTruthy();
    const found = await qb.query<{ PrimaryEmailAddr?: { Address: string } }>(
      "SELECT * FROM Customer WHERE DisplayName = 'Edna Edit'",
    );
    expect(found.items[0].PrimaryEmailAddr?.Address).toBe('edna@new.example.com');
    const updated = (await logs(c.key, c.connectionId)).find((l) => l.action === 'UPDATE');
    expect(updated).toMatchObject({
      status: 'SUCCEEDED',
      message: expect.stringContaining('Fix Edit Sequence'),
    });

    // The same on a first match: an existing QuickBooks customer linked and updated through a stale SyncToken.
    await qb.create('Customer', {
      DisplayName: 'Matt Match',
      PrimaryEmailAddr: { Address: 'matt@old.example.com' },
    });
    t.gateway.sandbox!.setFaults({
      rules: [
        {
          match: { realmId: c.realmId, operation: 'batch' },
          times: 1,
          respond: { status: 400, code: '5010', message: 'Stale Object Error' },
        },
      ],
    });
    try {
      const matched = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'shop',
        customers: [{ externalId: 'M', displayName: 'Matt Match', email: 'matt@new.example.com' }],
      });
      const events = await follow(t, c.key, matched.data!.upsertCustomers.batch!.id);
      expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    } finally {
      t.gateway.sandbox!.clearFaults();
    }
    const matt = await qb.query<{ PrimaryEmailAddr?: { Address: string } }>(
      "SELECT * FROM Customer WHERE DisplayName = 'Matt Match'",
    );
    expect(matt.items.map((m) => m.PrimaryEmailAddr?.Address)).toEqual(['matt@new.example.com']);
    // The push's own log (the change notification of the customer created above may log its import too).
    const pushed = (await logs(c.key, c.connectionId)).find(
      (l) => l.label === 'Matt Match' && l.direction === 'TO_QUICKBOOKS',
    );
    expect(pushed).toMatchObject({
      action: 'MATCH',
      status: 'SUCCEEDED',
      message: expect.stringContaining('Fix Edit Sequence'),
    });
  });
});
