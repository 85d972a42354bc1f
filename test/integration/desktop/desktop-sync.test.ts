import { SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectDesktop, desktopSettings, desktopWebConnector, until } from '../../support/desktop';

type Log = { action: string; status: string; code: string | null; direction: string; message: string | null };

describe.each(DIALECTS)('The sync wizard on QuickBooks Desktop on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { DESKTOP_EMULATOR_POLL_SECONDS: '0' });
    key = (await t.newTenantKey(['ADMIN'])).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const result = await t.graphql<T>(key, query, variables);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!;
  };
  const batch = (id: string) => t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id });
  const pendingRequests = async (connectionId: string): Promise<number> =>
    (
      await gql<{ connection: { webConnector: { pendingRequests: number } } }>(
        'query($id: ID!) { connection(id: $id) { webConnector { pendingRequests } } }',
        { id: connectionId },
      )
    ).connection.webConnector.pendingRequests;
  const approveAll = async (connectionId: string): Promise<string> => {
    const pending = await gql<{ pendingEntities: { edges: Array<{ node: { id: string } }> } }>(
      'query($c: ID!) { pendingEntities(connectionId: $c) { edges { node { id } } } }',
      { c: connectionId },
    );
    const approved = await gql<{
      approveEntities: { approved: number; batch: { id: string; kind: string } };
    }>(
      'mutation($c: ID!, $ids: [ID!]!) { approveEntities(connectionId: $c, entityIds: $ids) { approved batch { id kind } } }',
      { c: connectionId, ids: pending.pendingEntities.edges.map((e) => e.node.id) },
    );
    expect(approved.approveEntities.batch.kind).toBe('APPLY_APPROVED');
    return approved.approveEntities.batch.id;
  };
  const logsOf = async (batchId: string, entityType: string): Promise<Log[]> =>
    (
      await gql<{ syncLogs: { edges: Array<{ node: Log }> } }>(
        'query($b: ID!, $e: String) { syncLogs(filter: { batchId: $b, entityType: $e }) { edges { node { action status code direction message } } } }',
        { b: batchId, e: entityType },
      )
    ).syncLogs.edges.map((e) => e.node);

  it('approve → Pending (QUEUED, pendingRequests) until the next poll → applied: adds, adopts by name, mods with Fix Edit Sequence, exactly once through a lost answer', async () => {
    const desktop = await connectDesktop(t, key, 'Wizard PC');
    let edits = 0;
    const { company, connector } = desktopWebConnector(t.url, desktop, {
      companyName: 'Wizard Co',
      // A person edits Amy Rice in QuickBooks just before the gateway's first CustomerMod of her reaches it.
      beforeRequest: (request, file) => {
        if (request.name !== 'CustomerModRq' || edits > 0) return;
        const mod = request.content.CustomerMod as { ListID: string };
        if (file.findList(['Customer'], { ListID: mod.ListID })?.ret.Name !== 'Amy Rice') return;
        edits += 1;
        file.modifyList('Customer', mod.ListID, { Fax: '555-0199' });
      },
    });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId, { requireApproval: true });
    // Made in QuickBooks after the import: the mirror does not know it, so the add meets 3100 and adopts it.
    const late = company.addList('Customer', { Name: 'Late Larry', Sublevel: '0' });

    const customers = await gql<{ upsertCustomers: { pendingApproval: number; batch: null } }>(
      'mutation($c: ID!, $in: [CustomerInput!]!) { upsertCustomers(connectionId: $c, channel: "shop", customers: $in) { pendingApproval batch { id } } }',
      {
        c: desktop.connectionId,
        in: [
          {
            externalId: 'C-1',
            displayName: 'Nora New',
            email: 'nora@example.com',
            phone: '555-0101',
            billingAddress: { line1: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701' },
          },
          { externalId: 'C-2', displayName: 'Amy Rice', phone: '555-0102' },
          { externalId: 'C-3', displayName: 'Late Larry', email: 'larry@example.com' },
        ],
      },
    );
    expect(customers.upsertCustomers).toEqual({ pendingApproval: 3, batch: null });
    await gql(
      'mutation($c: ID!, $in: [ProductInput!]!) { upsertProducts(connectionId: $c, channel: "shop", products: $in) { pendingApproval } }',
      {
        c: desktop.connectionId,
        in: [
          { externalId: 'P-1', name: 'Garden Kit', sku: 'KIT-1', description: 'A kit', unitPrice: '19.5' },
          { externalId: 'P-2', name: 'Installation', unitPrice: '80', kind: 'SERVICE' },
        ],
      },
    );

    const first = await approveAll(desktop.connectionId);
    // Pending until the next poll: the work waits in the Web Connector's queue and the batch stays QUEUED.
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    expect((await batch(first)).status).toBe('QUEUED');
    expect(company.findList(['Customer'], { FullName: 'Nora New' })).toBeUndefined();

    // The next run applies it; its first answer is lost (sent again: nothing is created twice).
    connector.setFaults({ loseResponses: 1 });
    expect((await connector.run()).outcome).toBe('lost-response');
    await connector.runUntilIdle();
    expect(await batch(first)).toMatchObject({ status: 'COMPLETED', succeeded: 5, failed: 0 });
    expect(await pendingRequests(desktop.connectionId)).toBe(0);

    const nora = company.listObjects(['Customer']).filter((c) => c.ret.Name === 'Nora New');
    expect(nora).toHaveLength(1);
    expect(nora[0].ret).toMatchObject({
      Email: 'nora@example.com',
      Phone: '555-0101',
      BillAddress: { Addr1: '1 Main St', City: 'Springfield', State: 'IL', PostalCode: '62701' },
    });
    const amy = company.findList(['Customer'], { FullName: 'Amy Rice' })!.ret;
    // Adopted by name, the partner's phone applied after "Fix Edit Sequence"; the person's edit is kept.
    expect(amy).toMatchObject({ Phone: '555-0102', Fax: '555-0199' });
    expect(edits).toBe(1);
    expect(company.listObjects(['Customer']).filter((c) => c.ret.Name === 'Late Larry')).toHaveLength(1);
    expect(company.findList(['Customer'], { FullName: 'Late Larry' })!.ret).toMatchObject({
      ListID: late.ListID,
      Email: 'larry@example.com',
    });
    const kit = company.findList(['ItemNonInventory'], { FullName: 'KIT-1' })!.ret;
    expect(kit).toMatchObject({ SalesOrPurchase: { Desc: 'A kit', Price: '19.50' } });
    const installation = company.findList(['ItemService'], { FullName: 'Installation' })!.ret;
    expect(installation).toMatchObject({ SalesOrPurchase: { Desc: 'Installation labor', Price: '80.00' } });

    const customerLogs = await logsOf(first, 'Customer');
    expect(customerLogs).toContainEqual(
      expect.objectContaining({
        action: 'MATCH',
        status: 'FAILED',
        code: '3200',
        direction: 'TO_QUICKBOOKS',
      }),
    );
    // Nora's add went out in the message whose answer was lost: sent again, it met 3100 and adopted her (MATCH).
    expect(customerLogs.filter((l) => l.status === 'SUCCEEDED').map((l) => l.action)).toEqual([
      'MATCH',
      'MATCH',
      'MATCH',
    ]);
    expect(
      customerLogs.find((l) => l.message?.includes('Fix Edit Sequence') && l.status === 'SUCCEEDED'),
    ).toBeDefined();

    // The records are linked and in sync; the mirror has what QuickBooks has.
    const state = await gql<{
      connection: {
        customers: { edges: Array<{ node: { name: string; externalId: string | null; syncState: string } }> };
      };
    }>(
      'query($id: ID!) { connection(id: $id) { customers: referenceData(type: CUSTOMER, first: 100) { edges { node { name externalId syncState } } } } }',
      { id: desktop.connectionId },
    );
    const linked = state.connection.customers.edges.map((e) => e.node).filter((n) => n.externalId);
    expect(linked.map((n) => [n.name, n.externalId, n.syncState]).sort()).toEqual([
      ['Amy Rice', 'C-2', 'IN_SYNC'],
      ['Late Larry', 'C-3', 'IN_SYNC'],
      ['Nora New', 'C-1', 'IN_SYNC'],
    ]);

    // A later change of a linked record: read by ListID, then CustomerMod with only the changed field.
    company.modifyList('Customer', nora[0].ret.ListID as string, { Phone: '555-0777' });
    await gql(
      'mutation($c: ID!, $in: [CustomerInput!]!) { upsertCustomers(connectionId: $c, channel: "shop", customers: $in) { pendingApproval } }',
      {
        c: desktop.connectionId,
        in: [
          {
            externalId: 'C-1',
            displayName: 'Nora New',
            email: 'nora@new.example.com',
            phone: '555-0101',
            billingAddress: { line1: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701' },
          },
        ],
      },
    );
    const second = await approveAll(desktop.connectionId);
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    expect((await batch(second)).status).toBe('QUEUED');
    await connector.runUntilIdle();
    expect(await batch(second)).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    // The partner's e-mail applied; the phone QuickBooks changed (and the partner did not) stays QuickBooks'.
    expect(company.findList(['Customer'], { FullName: 'Nora New' })!.ret).toMatchObject({
      Email: 'nora@new.example.com',
      Phone: '555-0777',
    });
    expect(company.listObjects(['Customer']).filter((c) => c.ret.Name === 'Nora New')).toHaveLength(1);

    // Both sides changed the same field: a CONFLICT for the wizard, nothing sent; approving it sends the partner's.
    company.modifyList('Customer', nora[0].ret.ListID as string, { Email: 'nora@qb.example.com' });
    await gql(
      'mutation($c: ID!, $in: [CustomerInput!]!) { upsertCustomers(connectionId: $c, channel: "shop", customers: $in) { pendingApproval } }',
      {
        c: desktop.connectionId,
        in: [
          {
            externalId: 'C-1',
            displayName: 'Nora New',
            email: 'nora@shop.example.com',
            phone: '555-0101',
            billingAddress: { line1: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701' },
          },
        ],
      },
    );
    const third = await approveAll(desktop.connectionId);
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect(await batch(third)).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', failed: 1 });
    expect(company.findList(['Customer'], { FullName: 'Nora New' })!.ret.Email).toBe('nora@qb.example.com');
    const conflicts = await gql<{
      pendingEntities: { edges: Array<{ node: { conflict: boolean; changes: Record<string, unknown> } }> };
    }>('query($c: ID!) { pendingEntities(connectionId: $c) { edges { node { conflict changes } } } }', {
      c: desktop.connectionId,
    });
    expect(conflicts.pendingEntities.edges.map((e) => e.node)).toEqual([
      {
        conflict: true,
        changes: expect.objectContaining({
          email: { from: 'nora@qb.example.com', to: 'nora@shop.example.com' },
        }),
      },
    ]);
    const fourth = await approveAll(desktop.connectionId);
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect(await batch(fourth)).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(company.findList(['Customer'], { FullName: 'Nora New' })!.ret.Email).toBe('nora@shop.example.com');
  }, 180_000);

  it('logs a refused change with its QuickBooks status code and direction, and retrySync sends it again at the next poll', async () => {
    const desktop = await connectDesktop(t, key, 'Retry PC');
    const { company, connector } = desktopWebConnector(t.url, desktop, {
      companyName: 'Retry Co',
      rules: [
        {
          request: 'CustomerAdd',
          statusCode: 3180,
          statusMessage:
            'There was an error when saving a Customer list, element "Olga". QuickBooks error message: locked.',
          times: 1,
        },
      ],
    });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId);
    const upserted = await gql<{ upsertCustomers: { queued: number; batch: { id: string } } }>(
      'mutation($c: ID!, $in: [CustomerInput!]!) { upsertCustomers(connectionId: $c, channel: "shop", customers: $in) { queued batch { id } } }',
      { c: desktop.connectionId, in: [{ externalId: 'O-1', displayName: 'Olga' }] },
    );
    const batchId = upserted.upsertCustomers.batch.id;
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    expect((await batch(batchId)).status).toBe('QUEUED');
    await connector.runUntilIdle();
    expect(await batch(batchId)).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', failed: 1 });
    const failed = await gql<{
      syncLogs: { edges: Array<{ node: Log & { id: string; entityType: string } }> };
    }>(
      'query($c: ID!) { syncLogs(filter: { connectionId: $c, statuses: [FAILED] }) { edges { node { id action status code direction message entityType } } } }',
      { c: desktop.connectionId },
    );
    const log = failed.syncLogs.edges.map((e) => e.node).find((l) => l.entityType === 'Customer')!;
    expect(log).toMatchObject({ action: 'CREATE', code: '3180', direction: 'TO_QUICKBOOKS' });
    expect(company.findList(['Customer'], { FullName: 'Olga' })).toBeUndefined();

    const retry = await gql<{ retrySync: { id: string; kind: string } }>(
      'mutation($ids: [ID!]!) { retrySync(syncLogIds: $ids) { id kind } }',
      { ids: [log.id] },
    );
    expect(retry.retrySync.kind).toBe('RETRY');
    await until(async () => (await pendingRequests(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect(await batch(retry.retrySync.id)).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(company.findList(['Customer'], { FullName: 'Olga' })).toBeDefined();
  }, 120_000);
});
