import { DesktopQueue } from '../../../src/desktop';
import { SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, wsClient } from '../../support/connect';
import { buildOrders, expectedTotal, upsertOrders, type ProgressEvent } from '../../support/orders';
import {
  connectDesktop,
  desktopSettings,
  desktopWebConnector,
  runDyingWhileRecording,
  until,
} from '../../support/desktop';

type Receipt = {
  TxnID: string;
  RefNumber: string;
  TotalAmount: string;
  Memo: string;
  CustomerRef: { FullName: string };
};

describe.each(DIALECTS)('QuickBooks Desktop through the Web Connector on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { DESKTOP_EMULATOR_POLL_SECONDS: '0' });
    key = (await t.newTenantKey(['ADMIN'])).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const batch = (id: string) => t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id });
  const pending = async (connectionId: string): Promise<number> => {
    const result = await t.graphql<{ connection: { webConnector: { pendingRequests: number } } }>(
      key,
      'query($id: ID!) { connection(id: $id) { webConnector { pendingRequests } } }',
      { id: connectionId },
    );
    return result.data!.connection.webConnector.pendingRequests;
  };
  const post = async (orderIds: string[]): Promise<string> => {
    const posted = await t.graphql<{ postOrders: { id: string; status: string } }>(
      key,
      'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id status } }',
      { ids: orderIds },
    );
    if (posted.errors) throw new Error(JSON.stringify(posted.errors));
    return posted.data!.postOrders.id;
  };

  it('connects, imports the lists at the first poll, posts 300 orders once with live progress, logs QuickBooks errors with their code, and undoes', async () => {
    const desktop = await connectDesktop(t, key);
    expect(desktop.userName).toMatch(/^qbg-/);
    // The .qwc file is for ADMIN keys of the connection's tenant only.
    const stranger = (await t.newTenantKey(['ADMIN'])).key;
    expect(
      (await fetch(`${t.url}${desktop.qwcPath}`, { headers: { authorization: `Bearer ${stranger}` } }))
        .status,
    ).toBe(404);
    const reader = (await t.newTenantKey(['READ'])).key;
    expect(
      (await fetch(`${t.url}${desktop.qwcPath}`, { headers: { authorization: `Bearer ${reader}` } })).status,
    ).toBe(403);

    const { company, connector } = desktopWebConnector(t.url, desktop);
    // A wrong password is "not a valid user"; nothing is done.
    const { connector: impostor } = desktopWebConnector(t.url, { ...desktop, password: 'wrong' });
    expect((await impostor.run()).outcome).toBe('nvu');

    // First run: the connection becomes CONNECTED and the lists are imported in the same run.
    const first = await connector.run();
    expect(first).toEqual({ outcome: 'done', messages: 1, percent: 100, message: 'OK: 8 requests' });
    const info = await t.graphql<{
      connection: {
        status: string;
        companyName: string;
        webConnector: { userName: string; lastPollAt: string | null; pendingRequests: number };
        customers: { totalCount: number };
        accounts: { totalCount: number };
      };
    }>(
      key,
      'query($id: ID!) { connection(id: $id) { status companyName webConnector { userName lastPollAt pendingRequests } customers: referenceData(type: CUSTOMER) { totalCount } accounts: referenceData(type: ACCOUNT) { totalCount } } }',
      { id: desktop.connectionId },
    );
    expect(info.data!.connection).toMatchObject({
      status: 'CONNECTED',
      companyName: 'Store Co',
      webConnector: { userName: desktop.userName, pendingRequests: 0 },
      customers: { totalCount: 3 },
      accounts: { totalCount: company.listObjects(['Account']).length },
    });
    expect(info.data!.connection.webConnector.lastPollAt).not.toBeNull();
    const batches = await t.graphql<{
      batches: { edges: Array<{ node: { kind: string; status: string } }> };
    }>(key, 'query($id: ID) { batches(connectionId: $id) { edges { node { kind status } } } }', {
      id: desktop.connectionId,
    });
    expect(batches.data!.batches.edges.map((e) => e.node)).toEqual([
      { kind: 'REFERENCE_IMPORT', status: 'COMPLETED' },
    ]);

    await desktopSettings(t, key, desktop.connectionId);
    const inputs = buildOrders(300, { prefix: 'D', customers: 40, skus: 25 });
    const orders = await upsertOrders(t, key, desktop.connectionId, inputs);
    const batchId = await post(orders.map((o) => o.id));
    // Pending until the next poll: the work waits in the queue, the batch stays QUEUED.
    await until(async () => (await pending(desktop.connectionId)) > 0);
    expect((await batch(batchId)).status).toBe('QUEUED');

    const client = wsClient(t, key);
    const progress = collect<{ batchProgress: ProgressEvent }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded failed total item { entityId status quickbooksId error { code hint } } } }',
      { id: batchId },
    );
    const runs = await connector.runUntilIdle();
    const events = (await progress).map((e) => e.batchProgress);
    await client.dispose();
    expect(runs.at(-1)!.outcome).toBe('none');
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED', processed: 300, succeeded: 300, failed: 0 });
    // Progress moved message by message, never backwards.
    expect(new Set(events.map((e) => e.processed)).size).toBeGreaterThan(3);
    for (let i = 1; i < events.length; i++)
      expect(events[i].processed).toBeGreaterThanOrEqual(events[i - 1].processed);
    // Many orders per run: a few runs' worth of messages, not one message per order.
    expect(connector.stats.messages).toBeLessThan(20);

    const receipts = company.transactions('SalesReceipt').map((s) => s.ret as unknown as Receipt);
    expect(receipts).toHaveLength(300);
    const byNumber = new Map(receipts.map((r) => [r.RefNumber, r]));
    expect(byNumber.size).toBe(300);
    for (const input of inputs)
      expect(byNumber.get(input.orderNumber)?.TotalAmount).toBe(expectedTotal(input));
    expect(receipts.every((r) => /\[qbg:ord_\w+:1\]$/.test(r.Memo))).toBe(true);
    expect(company.listObjects(['Customer']).length).toBe(3 + 40);

    // An error QuickBooks reports keeps its status code, with the direction, in the order and the error log.
    const sku = inputs[0].lines[0].sku!;
    const doomed = company.findList(['ItemNonInventory'], { FullName: sku })!;
    company.deleteList('ItemNonInventory', doomed.ret.ListID as string);
    const [broken] = await upsertOrders(t, key, desktop.connectionId, [
      { ...inputs[0], externalId: 'D-broken', orderNumber: 'DX1' },
    ]);
    const brokenBatch = await post([broken.id]);
    await until(async () => (await pending(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect((await batch(brokenBatch)).status).toBe('COMPLETED_WITH_ERRORS');
    const errors = await t.graphql<{
      order: {
        status: string;
        lastError: { code: string; direction: string; hint: string; message: string };
      };
      syncLogs: {
        edges: Array<{ node: { direction: string; code: string; status: string; entityType: string } }>;
      };
    }>(
      key,
      'query($id: ID!, $c: ID!) { order(id: $id) { status lastError { code direction hint message } } syncLogs(filter: { connectionId: $c, statuses: [FAILED] }) { edges { node { direction code status entityType label } } } }',
      { id: broken.id, c: desktop.connectionId },
    );
    expect(errors.data!.order).toMatchObject({
      status: 'FAILED',
      lastError: { code: '3140', direction: 'TO_QUICKBOOKS' },
    });
    expect(errors.data!.order.lastError.message).toContain(
      `invalid reference to QuickBooks Item "${doomed.ret.ListID as string}"`,
    );
    expect(errors.data!.order.lastError.hint).toMatch(/sync reference data/);
    expect(errors.data!.syncLogs.edges.map((e) => e.node)).toContainEqual(
      expect.objectContaining({
        direction: 'TO_QUICKBOOKS',
        code: '3140',
        status: 'FAILED',
        entityType: 'Order',
      }),
    );

    // Undo on Desktop: queued, applied at the next run (TxnDel), then the order is NEW again.
    const target = orders[5];
    const undone = await t.graphql<{
      undoSync: {
        order: { status: string };
        removedTransaction: { id: string };
        batch: { id: string; status: string };
      };
    }>(
      key,
      'mutation($id: ID!) { undoSync(orderId: $id) { order { status } removedTransaction { id } batch { id status } } }',
      { id: target.id },
    );
    expect(undone.errors).toBeUndefined();
    expect(undone.data!.undoSync).toMatchObject({ order: { status: 'POSTED' }, batch: { status: 'QUEUED' } });
    await connector.runUntilIdle();
    expect((await batch(undone.data!.undoSync.batch.id)).status).toBe('COMPLETED');
    expect(company.txn(undone.data!.undoSync.removedTransaction.id)).toBeUndefined();
    const after = await t.graphql<{ order: { status: string; postedTransaction: null } }>(
      key,
      'query($id: ID!) { order(id: $id) { status postedTransaction { id } } }',
      { id: target.id },
    );
    expect(after.data!.order).toEqual({ status: 'NEW', postedTransaction: null });
  }, 300_000);

  it('looks up a transaction whose answer was lost, also when the order is posted again after giving up', async () => {
    const desktop = await connectDesktop(t, key, 'Till');
    const { company, connector } = desktopWebConnector(t.url, desktop, {
      companyName: 'Lost Co',
      // The look-ups after the lost answer are refused three times ("list modified by another user").
      rules: [{ request: 'SalesReceiptQuery', statusCode: 3170, times: 3 }],
    });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId);
    const [order] = await upsertOrders(t, key, desktop.connectionId, [
      {
        externalId: 'L-1',
        orderNumber: 'L1',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Amy Rice' },
        lines: [{ sku: 'Installation', name: 'Installation', quantity: '2', unitPrice: '75.00' }],
      },
    ]);
    const first = await post([order.id]);
    await until(async () => (await pending(desktop.connectionId)) > 0);
    connector.setFaults({ loseResponses: 1 });
    expect((await connector.run()).outcome).toBe('lost-response');
    expect(company.transactions('SalesReceipt')).toHaveLength(1);
    await connector.runUntilIdle();
    // The outcome stayed unknown: the order failed with QuickBooks' code, and keeps what was sent.
    expect((await batch(first)).status).toBe('COMPLETED_WITH_ERRORS');
    const failed = await t.graphql<{ order: { status: string; lastError: { code: string } } }>(
      key,
      'query($id: ID!) { order(id: $id) { status lastError { code } } }',
      { id: order.id },
    );
    expect(failed.data!.order).toEqual({ status: 'FAILED', lastError: { code: '3170' } });
    // Posting it again looks first, finds the transaction the lost answer was about, and sends nothing new.
    const second = await post([order.id]);
    await until(async () => (await pending(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect((await batch(second)).status).toBe('COMPLETED');
    expect(company.transactions('SalesReceipt')).toHaveLength(1);
    const logs = await t.graphql<{ syncLogs: { edges: Array<{ node: { action: string } }> } }>(
      key,
      'query($b: ID!) { syncLogs(filter: { batchId: $b }) { edges { node { action } } } }',
      { b: second },
    );
    expect(logs.data!.syncLogs.edges.map((e) => e.node.action)).toEqual(['MATCH']);
  }, 120_000);

  it('finishes a batch the gateway died in between two commits, posting each order once', async () => {
    const desktop = await connectDesktop(t, key, 'Crashy');
    const { company, connector } = desktopWebConnector(t.url, desktop, { companyName: 'Crash Co' });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId);
    const orders = await upsertOrders(
      t,
      key,
      desktop.connectionId,
      buildOrders(12, { prefix: 'CR', customers: 3, skus: 2 }),
    );
    const batchId = await post(orders.map((o) => o.id));
    await until(async () => (await pending(desktop.connectionId)) > 0);

    // 1. The gateway dies after recording the new customers and items, just before it queues the receipts.
    const original = DesktopQueue.prototype.open;
    let died = false;
    const open = jest.spyOn(DesktopQueue.prototype, 'open').mockImplementation(async function (
      this: DesktopQueue,
      ...args: Parameters<DesktopQueue['open']>
    ) {
      const stillOpen = await original.apply(this, args);
      if (stillOpen || died) return stillOpen;
      died = true;
      throw new Error('the gateway died here');
    });
    try {
      expect((await connector.run()).outcome).toBe('error');
    } finally {
      open.mockRestore();
    }
    expect(died).toBe(true);
    expect(await pending(desktop.connectionId)).toBe(0);
    // 2. The receipts' answer is lost (QuickBooks created them) ...
    connector.setFaults({ loseResponses: 1 });
    expect((await connector.run()).outcome).toBe('lost-response');
    expect(company.transactions('SalesReceipt')).toHaveLength(12);
    // 3. ... and the gateway dies again while it records what the look-up found.
    expect(await runDyingWhileRecording(connector)).toBe('error');

    await connector.runUntilIdle();
    expect(await batch(batchId)).toMatchObject({ status: 'COMPLETED', succeeded: 12, failed: 0 });
    expect(company.transactions('SalesReceipt')).toHaveLength(12);
    const statuses = await t.graphql<{ orders: { edges: Array<{ node: { status: string } }> } }>(
      key,
      'query($c: ID!) { orders(filter: { connectionId: $c }, first: 20) { edges { node { status } } } }',
      { c: desktop.connectionId },
    );
    expect(statuses.data!.orders.edges.map((e) => e.node.status)).toEqual(Array(12).fill('POSTED'));
  }, 120_000);

  it('fixes a stale EditSequence by itself when QuickBooks changes a customer between the query and the mod', async () => {
    const desktop = await connectDesktop(t, key, 'Back office');
    let edited = 0;
    const { company, connector } = desktopWebConnector(t.url, desktop, {
      companyName: 'Edit Co',
      // A person edits the customer in QuickBooks just before the gateway's first CustomerMod reaches it.
      beforeRequest: (request, file) => {
        if (request.name !== 'CustomerModRq' || edited++ > 0) return;
        const listId = (request.content.CustomerMod as { ListID: string }).ListID;
        file.modifyList('Customer', listId, { Phone: '555-0100' });
      },
    });
    const ina = company.addList('Customer', { Name: 'Ina Active', Sublevel: '0' });
    company.modifyList('Customer', ina.ListID as string, { IsActive: 'false' });
    await connector.runUntilIdle();
    await desktopSettings(t, key, desktop.connectionId);
    const [order] = await upsertOrders(t, key, desktop.connectionId, [
      {
        externalId: 'E-1',
        orderNumber: 'E1',
        orderDate: '2026-11-20T10:00:00Z',
        customer: { name: 'Ina Active' },
        lines: [{ sku: 'MUG', name: 'Mug', quantity: '1', unitPrice: '9.00' }],
      },
    ]);
    const batchId = await post([order.id]);
    await until(async () => (await pending(desktop.connectionId)) > 0);
    await connector.runUntilIdle();
    expect(edited).toBe(2);
    expect((await batch(batchId)).status).toBe('COMPLETED');
    const customer = company.findList(['Customer'], { FullName: 'Ina Active' })!.ret;
    expect(customer).toMatchObject({ IsActive: 'true', Phone: '555-0100', ListID: ina.ListID });
    expect(company.transactions('SalesReceipt')[0].ret.CustomerRef).toEqual({
      ListID: ina.ListID,
      FullName: 'Ina Active',
    });
    const logs = await t.graphql<{
      syncLogs: { edges: Array<{ node: { action: string; status: string; code: string; message: string } }> };
    }>(
      key,
      'query($b: ID!) { syncLogs(filter: { batchId: $b, entityType: "Customer" }) { edges { node { action status code message } } } }',
      { b: batchId },
    );
    const customerLogs = logs.data!.syncLogs.edges.map((e) => e.node);
    expect(customerLogs).toContainEqual(
      expect.objectContaining({ action: 'UPDATE', status: 'FAILED', code: '3200' }),
    );
    expect(customerLogs).toContainEqual(
      expect.objectContaining({ action: 'UPDATE', status: 'SUCCEEDED', code: '0' }),
    );
  }, 120_000);
});
