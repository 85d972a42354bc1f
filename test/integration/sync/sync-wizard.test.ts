import {
  ConnectionEntity,
  PartnerRecordEntity,
  ReferenceEntityRow,
  WebhookDeliveryEntity,
} from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { wsClient } from '../../support/connect';
import { applyInboundSnapshot } from '../../../src/services/sync/mirror';
import {
  follow,
  quickbooksOf,
  quiesce,
  syncCompany,
  UPSERT_CUSTOMERS,
  type UpsertPayload,
} from '../../support/sync';

type QbCustomer = {
  Id: string;
  DisplayName: string;
  SyncToken: string;
  MetaData: { LastUpdatedTime: string };
};
type Pending = {
  id: string;
  direction: string;
  label: string;
  operation: string;
  changes: Record<string, { from: unknown; to: unknown }>;
};

describe.each(DIALECTS)('the sync wizard on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * A company with 20 customers of its own, mirrored, then requireApproval on. (On while they are created, QuickBooks'
   * notifications of them would rightly be held for approval, or not, depending on whether the import got there first.)
   */
  async function company(name: string) {
    const c = await syncCompany(t, name);
    const qb = await quickbooksOf(t, c.connectionId);
    const results = await qb.batch(
      Array.from({ length: 20 }, (_, i) => ({
        operation: 'create' as const,
        entity: 'Customer',
        body: { DisplayName: `${name} QB ${i}` },
      })),
    );
    const qbCustomers = results.map((r) => (r as unknown as { value: QbCustomer }).value);
    await quiesce(t);
    const approval = await t.graphql(
      c.key,
      'mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(connectionId: $id, input: $input) { id } }',
      { id: c.connectionId, input: { requireApproval: true } },
    );
    expect(approval.errors).toBeUndefined();
    const imported = await t.graphql<{ syncReferenceData: { id: string } }>(
      c.key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id, types: [CUSTOMER]) { id } }',
      { id: c.connectionId },
    );
    await follow(t, c.key, imported.data!.syncReferenceData.id);
    return { ...c, qbCustomers };
  }

  /** An inbound change, as the webhook side hands it over: the customer renamed in QuickBooks. */
  function holdRename(
    c: { tenantId: string; connectionId: string },
    customer: QbCustomer,
    name: string,
    at: Date,
  ) {
    return t.gateway.dataSource.transaction((manager) =>
      t.gateway.services.pending.hold(manager, c.tenantId, c.connectionId, {
        direction: 'FROM_QUICKBOOKS',
        entityType: 'CUSTOMER',
        quickBooksId: customer.Id,
        label: name,
        operation: 'UPDATE',
        changes: { DisplayName: { from: customer.DisplayName, to: name } },
        snapshot: {
          ...customer,
          DisplayName: name,
          FullyQualifiedName: name,
          MetaData: { LastUpdatedTime: at.toISOString() },
        },
      }),
    );
  }

  const pending = async (key: string, connectionId: string, direction?: string) => {
    const result = await t.graphql<{
      pendingEntities: { totalCount: number; edges: Array<{ node: Pending }> };
      connection: { pendingCount: number };
    }>(
      key,
      'query Wizard($id: ID!, $direction: SyncDirection) { pendingEntities(connectionId: $id, direction: $direction, first: 500) { totalCount edges { node { id direction label operation changes } } } connection(id: $id) { pendingCount } }',
      { id: connectionId, direction },
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return {
      count: result.data!.connection.pendingCount,
      nodes: result.data!.pendingEntities.edges.map((e) => e.node),
    };
  };
  const approve = async (key: string, connectionId: string, ids: string[], unchecked: 'KEEP' | 'CLEAR') => {
    const result = await t.graphql<{
      approveEntities: {
        approved: number;
        cleared: number;
        kept: number;
        batch: { id: string; kind: string } | null;
      };
    }>(
      key,
      'mutation Approve($id: ID!, $ids: [ID!]!, $unchecked: UncheckedAction) { approveEntities(connectionId: $id, entityIds: $ids, unchecked: $unchecked) { approved cleared kept batch { id kind } } }',
      { id: connectionId, ids, unchecked },
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.approveEntities;
  };
  const mirrorName = async (connectionId: string, quickbooksId: string) =>
    (
      await t.gateway.dataSource
        .getRepository(ReferenceEntityRow)
        .findOneByOrFail({ connectionId, type: 'CUSTOMER', quickbooksId })
    ).name;
  const qbNames = (realmId: string) =>
    new Set(
      (t.gateway.sandbox!.accounting.adminEntities(realmId, 'Customer') as QbCustomer[]).map(
        (x) => x.DisplayName,
      ),
    );

  /** 20 inbound and 20 outbound changes held; returns what was held. */
  async function holdForty(c: Awaited<ReturnType<typeof company>>, prefix: string) {
    const at = new Date(Date.now() + 60_000);
    for (const [i, customer] of c.qbCustomers.entries()) {
      await holdRename(c, customer, `${prefix} renamed ${i} (draft)`, at);
      // A second change of the same customer: the latest wins, `from` stays the first value.
      await holdRename(c, customer, `${prefix} renamed ${i}`, new Date(at.getTime() + 1000));
    }
    const outbound = Array.from({ length: 20 }, (_, i) => ({
      externalId: `${prefix}-${i}`,
      displayName: `${prefix} partner ${i}`,
    }));
    const upserted = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
      id: c.connectionId,
      channel: 'crm',
      customers: outbound,
    });
    expect(upserted.data!.upsertCustomers).toMatchObject({
      created: 20,
      pendingApproval: 20,
      queued: 0,
      batch: null,
    });
    expect(upserted.data!.upsertCustomers.entities[0]).toMatchObject({
      syncState: 'PENDING_APPROVAL',
      quickbooksId: '',
    });
    return outbound;
  }

  it('holds 40 changes, applies 30 approved with CLEAR, and the 10 cleared do not return until they change', async () => {
    const c = await company('Wizard Clear');
    const events: string[] = [];
    const ws = wsClient(t, c.key);
    const unsubscribe = ws.subscribe<{ connectionEvents: { kind: string } }>(
      {
        query: 'subscription($id: ID!) { connectionEvents(connectionId: $id) { kind } }',
        variables: { id: c.connectionId },
      },
      {
        next: (value) => events.push(value.data!.connectionEvents.kind),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    try {
      const outbound = await holdForty(c, 'WC');
      const all = await pending(c.key, c.connectionId);
      expect(all.count).toBe(40);
      expect(all.nodes).toHaveLength(40);
      const inbound = (await pending(c.key, c.connectionId, 'FROM_QUICKBOOKS')).nodes;
      const toQuickBooks = (await pending(c.key, c.connectionId, 'TO_QUICKBOOKS')).nodes;
      expect([inbound.length, toQuickBooks.length]).toEqual([20, 20]);
      expect(inbound[0].changes).toEqual({ DisplayName: { from: 'Wizard Clear QB 0', to: 'WC renamed 0' } });
      expect(toQuickBooks[0]).toMatchObject({
        operation: 'CREATE',
        changes: { displayName: { from: null, to: 'WC partner 0' } },
      });

      const node = await t.graphql<{ node: { __typename: string; label: string; status: string } }>(
        c.key,
        'query($id: ID!) { node(id: $id) { __typename ... on PendingEntity { label status } } }',
        { id: toQuickBooks[0].id },
      );
      expect(node.data!.node).toEqual({
        __typename: 'PendingEntity',
        label: 'WC partner 0',
        status: 'PENDING',
      });

      const checked = [...inbound.slice(0, 15), ...toQuickBooks.slice(0, 15)].map((p) => p.id);
      const result = await approve(c.key, c.connectionId, checked, 'CLEAR');
      expect(result).toMatchObject({ approved: 30, cleared: 10, kept: 0, batch: { kind: 'APPLY_APPROVED' } });
      const progress = await follow(t, c.key, result.batch!.id);
      expect(progress[progress.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 30, failed: 0 });

      for (const [i, customer] of c.qbCustomers.entries()) {
        expect(await mirrorName(c.connectionId, customer.Id)).toBe(
          i < 15 ? `WC renamed ${i}` : customer.DisplayName,
        );
      }
      const names = qbNames(c.realmId);
      expect(outbound.filter((o) => names.has(o.displayName))).toHaveLength(15);
      expect(names.has('WC partner 19')).toBe(false);
      expect((await pending(c.key, c.connectionId)).count).toBe(0);
      expect(events).toContain('PENDING_ENTITIES_CHANGED');

      // The cleared ones offered again unchanged do not return...
      const at = new Date(Date.now() + 61_000);
      for (const [i, customer] of c.qbCustomers.entries())
        if (i >= 15) await holdRename(c, customer, `WC renamed ${i}`, at);
      const resent = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'crm',
        customers: outbound,
      });
      expect(resent.data!.upsertCustomers).toMatchObject({ created: 0, updated: 0, pendingApproval: 0 });
      expect((await pending(c.key, c.connectionId)).count).toBe(0);
      // ...until they change again.
      await holdRename(c, c.qbCustomers[19], 'WC renamed 19 again', new Date(Date.now() + 62_000));
      await t.graphql(c.key, UPSERT_CUSTOMERS, {
        id: c.connectionId,
        channel: 'crm',
        customers: [{ externalId: 'WC-19', displayName: 'WC partner 19 changed' }],
      });
      const back = await pending(c.key, c.connectionId);
      expect(back.count).toBe(2);
      expect(back.nodes.map((n) => n.label).sort()).toEqual(['WC partner 19 changed', 'WC renamed 19 again']);
    } finally {
      unsubscribe();
      await ws.dispose();
    }
  });

  it('with KEEP the 10 unchecked stay pending and are offered again', async () => {
    const c = await company('Wizard Keep');
    const endpoint = await t.graphql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
      c.key,
      'mutation($url: String!) { createWebhookEndpoint(url: $url, events: ["pending_entities.changed"]) { endpoint { id } } }',
      { url: 'http://127.0.0.1:4349/hooks' },
    );
    expect(endpoint.errors).toBeUndefined();
    const outbound = await holdForty(c, 'WK');
    // Partners hear of it once per transaction: 40 holds of the inbound side, one upsert call of the outbound side.
    const deliveries = await t.gateway.dataSource
      .getRepository(WebhookDeliveryEntity)
      .findBy({ endpointId: endpoint.data!.createWebhookEndpoint.endpoint.id });
    expect(deliveries).toHaveLength(41);
    expect(deliveries.every((d) => d.eventType === 'pending_entities.changed')).toBe(true);
    expect(JSON.parse(deliveries[0].payload)).toMatchObject({ data: { connectionId: c.connectionId } });
    const inbound = (await pending(c.key, c.connectionId, 'FROM_QUICKBOOKS')).nodes;
    const toQuickBooks = (await pending(c.key, c.connectionId, 'TO_QUICKBOOKS')).nodes;
    const checked = [...inbound.slice(0, 15), ...toQuickBooks.slice(0, 15)].map((p) => p.id);
    const result = await approve(c.key, c.connectionId, checked, 'KEEP');
    expect(result).toMatchObject({ approved: 30, cleared: 0, kept: 10 });
    const progress = await follow(t, c.key, result.batch!.id);
    expect(progress[progress.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 30 });

    const left = await pending(c.key, c.connectionId);
    expect(left.count).toBe(10);
    expect(left.nodes.map((n) => n.id).sort()).toEqual(
      [...inbound.slice(15), ...toQuickBooks.slice(15)].map((p) => p.id).sort(),
    );
    // Approving an id twice is refused with its path; nothing changes.
    const twice = await t.graphql(
      c.key,
      'mutation($id: ID!, $ids: [ID!]!) { approveEntities(connectionId: $id, entityIds: $ids) { approved } }',
      { id: c.connectionId, ids: [left.nodes[0].id, checked[0]] },
    );
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'entityIds.1' });
    expect((await pending(c.key, c.connectionId)).count).toBe(10);

    // Offered again: approving them now applies them.
    const rest = await approve(
      c.key,
      c.connectionId,
      left.nodes.map((n) => n.id),
      'KEEP',
    );
    expect(rest).toMatchObject({ approved: 10, cleared: 0, kept: 0 });
    await follow(t, c.key, rest.batch!.id);
    expect(await mirrorName(c.connectionId, c.qbCustomers[19].Id)).toBe('WK renamed 19');
    const names = qbNames(c.realmId);
    expect(outbound.every((o) => names.has(o.displayName))).toBe(true);
    expect((await pending(c.key, c.connectionId)).count).toBe(0);
  });

  it('applies inbound snapshots by LastUpdatedTime: an older one is ignored, a deleted one is kept inactive', async () => {
    const c = await company('Mirror Applier');
    const customer = c.qbCustomers[0];
    const apply = (snapshot: Record<string, unknown>) =>
      t.gateway.dataSource.transaction((manager) =>
        applyInboundSnapshot(manager, c.tenantId, c.connectionId, 'CUSTOMER', snapshot),
      );
    const later = new Date(Date.now() + 120_000).toISOString();
    const earlier = new Date(Date.now() - 120_000).toISOString();
    const name = { DisplayName: 'Applier New', FullyQualifiedName: 'Applier New' };
    expect(await apply({ ...customer, ...name, MetaData: { LastUpdatedTime: later } })).toMatchObject({
      name: 'Applier New',
    });
    expect(
      await apply({
        ...customer,
        DisplayName: 'Applier Old',
        FullyQualifiedName: 'Applier Old',
        MetaData: { LastUpdatedTime: earlier },
      }),
    ).toBeNull();
    expect(await mirrorName(c.connectionId, customer.Id)).toBe('Applier New');
    await apply({
      Id: customer.Id,
      status: 'Deleted',
      MetaData: { LastUpdatedTime: new Date(Date.now() + 180_000).toISOString() },
    });
    const row = await t.gateway.dataSource
      .getRepository(ReferenceEntityRow)
      .findOneByOrFail({ connectionId: c.connectionId, type: 'CUSTOMER', quickbooksId: customer.Id });
    expect(row).toMatchObject({ name: 'Applier New', active: false });
    // Another tenant's connection id writes nothing.
    const other = await t.gateway.dataSource.transaction((manager) =>
      applyInboundSnapshot(manager, 'ten_other', c.connectionId, 'CUSTOMER', {
        ...customer,
        MetaData: { LastUpdatedTime: later },
      }),
    );
    expect(other).toBeNull();
  });

  it('does not hold our own creates coming back from QuickBooks before the push has recorded them', async () => {
    const c = await syncCompany(t, 'Echo Co', { requireApproval: true });
    const sent = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
      id: c.connectionId,
      channel: 'crm',
      customers: [
        { externalId: 'echo-1', displayName: 'Echo Leaving' },
        { externalId: 'echo-2', displayName: 'Echo Linked' },
      ],
    });
    expect(sent.errors).toBeUndefined();
    // The push's state between QuickBooks creating them and its recording: one create has left (sentAt), the other's
    // link is committed but not yet its mirror row.
    const records = t.gateway.dataSource.getRepository(PartnerRecordEntity);
    await records.update({ connectionId: c.connectionId, externalId: 'echo-1' }, { sentAt: new Date() });
    await records.update({ connectionId: c.connectionId, externalId: 'echo-2' }, { quickbooksId: '9002' });
    const created = (id: string, name: string) => ({
      Id: id,
      DisplayName: name,
      SyncToken: '0',
      MetaData: { CreateTime: new Date().toISOString(), LastUpdatedTime: new Date().toISOString() },
    });
    const connection = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: c.connectionId });
    const outcome = await t.gateway.dataSource.transaction((manager) =>
      t.gateway.services.inbound.applyObjects(
        manager,
        connection,
        new Map([
          [
            'Customer',
            [
              created('9001', 'echo leaving'),
              created('9002', 'Echo Linked'),
              created('9003', 'Someone Else'),
            ],
          ],
        ]),
      ),
    );
    expect({ own: outcome.own, held: outcome.held }).toEqual({ own: 2, held: 1 });
    const inbound = (await pending(c.key, c.connectionId, 'FROM_QUICKBOOKS')).nodes;
    expect(inbound.map((p) => p.label)).toEqual(['Someone Else']);
  });

  it('applies outbound changes at once when requireApproval is off', async () => {
    const c = await company('Wizard Off');
    await t.graphql(
      c.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { requireApproval: false }) { id } }',
      { id: c.connectionId },
    );
    const result = await t.graphql<{ upsertCustomers: UpsertPayload }>(c.key, UPSERT_CUSTOMERS, {
      id: c.connectionId,
      channel: 'crm',
      customers: [{ externalId: 'now', displayName: 'Wizard Off Now' }],
    });
    expect(result.data!.upsertCustomers).toMatchObject({ pendingApproval: 0, queued: 1 });
    await follow(t, c.key, result.data!.upsertCustomers.batch!.id);
    expect(qbNames(c.realmId).has('Wizard Off Now')).toBe(true);
    expect((await pending(c.key, c.connectionId)).count).toBe(0);
  });
});
