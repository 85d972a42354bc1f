import { OrderEntity, SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany, wsClient } from '../../support/connect';
import { buildOrders, configurePosting, postAndFollow, upsertOrders } from '../../support/orders';
import { until } from '../../support/wait';

const LONE = 'Bad \ud800 Name';
const UPSERT =
  'mutation($c: ID!, $o: [OrderInput!]!) { upsertOrders(connectionId: $c, channel: "shop", orders: $o) { created } }';

/**
 * Poison data and bad days, as an attacker and an outage would bring them: text that is not well-formed Unicode is
 * refused at the door, an order poisoned past it fails alone, and a QuickBooks outage shows on the batch while the job
 * waits it out.
 */
describe.each(DIALECTS)('poison data and outages on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(
      dialect,
      {},
      {
        gatewayOptions: {
          quickbooksRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
          worker: { pollMs: 50, backoff: { baseMs: 300, maxMs: 1_000 } },
        },
      },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  async function ready(company: string) {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: company });
    const connected = await connectCompany(t, key, { realmId });
    await until(async () => {
      const batch = await t.gateway.dataSource
        .getRepository(SyncBatchEntity)
        .findOneBy({ id: connected.body.importBatchId as string });
      return batch?.finishedAt != null;
    });
    await configurePosting(t, key, connected.connectionId);
    return { key, tenantId, realmId, connectionId: connected.connectionId };
  }

  it('refuses a lone surrogate at ingest with the field path, and writes nothing', async () => {
    const { key, tenantId, connectionId } = await ready('Ingest Poison Co');
    const orders = buildOrders(3, { prefix: 'IP' });
    orders[1]!.customer = { name: LONE };
    orders[2]!.lines[0]!.name = `Widget \udfff`;
    const result = await t.graphql(key, UPSERT, { c: connectionId, o: orders });
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'orders.1.customer.name',
      fields: [
        { field: 'orders.1.customer.name', rule: expect.stringContaining('well-formed Unicode') },
        { field: 'orders.2.lines.0.name', rule: expect.stringContaining('well-formed Unicode') },
      ],
    });
    expect(await t.gateway.dataSource.getRepository(OrderEntity).countBy({ tenantId })).toBe(0);

    // Any mutation's input, not only orders: a connection's name, an order id.
    const renamed = await t.graphql(
      key,
      'mutation($input: ConnectInput!) { connect(input: $input) { authorizationUrl } }',
      { input: { name: `Books \ud83d` } },
    );
    expect(renamed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const posted = await t.graphql(key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: ['ord_\udc00'],
    });
    expect(posted.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orderIds.0' });
  });

  it('fails an order poisoned past validation alone while the rest of its batch posts', async () => {
    const { key, realmId, connectionId } = await ready('Stored Poison Co');
    const orders = await upsertOrders(t, key, connectionId, buildOrders(4, { prefix: 'SP', customers: 4 }));
    const repository = t.gateway.dataSource.getRepository(OrderEntity);
    const victim = await repository.findOneByOrFail({ id: orders[1]!.id });
    // Straight into the database: JSON columns keep the escaped surrogate, so it comes back as it went in.
    await t.gateway.dataSource.query('UPDATE `orders` SET `customer` = ? WHERE `id` = ?', [
      JSON.stringify({ ...victim.customer, name: LONE }),
      victim.id,
    ]);
    const reread = await repository.findOneByOrFail({ id: victim.id });
    expect(reread.customer.name).toBe(LONE);

    const { batchId, events } = await postAndFollow(
      t,
      key,
      orders.map((o) => o.id),
    );
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', succeeded: 3, failed: 1 });
    const items = await t.graphql<{
      batch: { items: { edges: Array<{ node: { entityId: string; error: { code: string } } }> } };
    }>(
      key,
      'query($id: ID!) { batch(id: $id) { items(status: FAILED) { edges { node { entityId error { code } } } } } }',
      {
        id: batchId,
      },
    );
    expect(items.data!.batch.items.edges.map((e) => e.node)).toEqual([
      { entityId: victim.id, error: { code: 'BAD_USER_INPUT' } },
    ]);
    const row = await repository.findOneByOrFail({ id: victim.id });
    expect(row.status).toBe('FAILED');
    expect(row.lastError?.message).toContain('customer.name');
    const receipts = t.gateway.sandbox!.accounting.adminEntities(realmId, 'SalesReceipt');
    expect(receipts).toHaveLength(3);
    const batch = await t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id: batchId });
    expect(batch.error).toBeNull();
  });

  it('shows an outage on the batch and a connection event while the job waits, then completes', async () => {
    const { key, realmId, connectionId } = await ready('Outage Co');
    const orders = await upsertOrders(t, key, connectionId, buildOrders(3, { prefix: 'OU' }));
    const sandbox = t.gateway.sandbox!;
    sandbox.setFaults({
      rules: [
        { match: { realmId }, respond: { status: 503, code: '10000', message: 'Service Unavailable' } },
      ],
    });
    const client = wsClient(t, key);
    const connectionEvents: Array<{ kind: string; message: string | null }> = [];
    const subscribed = new Promise<void>((resolve) => {
      client.on('connected', () => resolve());
    });
    const stop = client.subscribe<{ connectionEvents: { kind: string; message: string | null } }>(
      {
        query: 'subscription($id: ID!) { connectionEvents(connectionId: $id) { kind message } }',
        variables: { id: connectionId },
      },
      {
        next: (value) => connectionEvents.push(value.data!.connectionEvents),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    try {
      await subscribed;
      const posted = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        { ids: orders.map((o) => o.id) },
      );
      const batchId = posted.data!.postOrders.id;
      type Batch = { status: string; error: { code: string; message: string; hint: string } | null };
      const read = async () =>
        (
          await t.graphql<{ batch: Batch }>(
            key,
            'query($id: ID!) { batch(id: $id) { status error { code message hint } } }',
            { id: batchId },
          )
        ).data!.batch;
      let waiting: Batch | undefined;
      await until(async () => {
        waiting = await read();
        return waiting.error !== null;
      });
      expect(waiting).toMatchObject({
        status: 'RUNNING',
        error: {
          code: '10000',
          message: expect.stringMatching(/^Waiting for QuickBooks \(attempt \d+ of 25\)/),
        },
      });
      await until(() => connectionEvents.some((e) => e.kind === 'QUICKBOOKS_UNAVAILABLE'));
      expect(connectionEvents.find((e) => e.kind === 'QUICKBOOKS_UNAVAILABLE')!.message).toMatch(
        /^Waiting for QuickBooks/,
      );
      const logs = await t.graphql<{
        syncLogs: { edges: Array<{ node: { entityType: string; message: string } }> };
      }>(
        key,
        'query($b: ID!) { syncLogs(filter: { batchId: $b }) { edges { node { entityType message } } } }',
        { b: batchId },
      );
      expect(logs.data!.syncLogs.edges.map((e) => e.node)).toContainEqual({
        entityType: 'SyncBatch',
        message: expect.stringMatching(/^Waiting for QuickBooks/),
      });

      sandbox.clearFaults();
      await until(async () => (await read()).status === 'COMPLETED');
      expect((await read()).error).toBeNull();
    } finally {
      sandbox.clearFaults();
      stop();
      await client.dispose();
    }
  });

  it('ends the batch FAILED at once on a failure another attempt would repeat, its orders postable again', async () => {
    const { key, realmId, connectionId } = await ready('Refusal Co');
    const orders = await upsertOrders(t, key, connectionId, buildOrders(2, { prefix: 'RF' }));
    const sandbox = t.gateway.sandbox!;
    sandbox.setFaults({
      rules: [
        {
          match: { realmId, path: '/preferences' },
          respond: { status: 400, code: '4000', message: 'Request has invalid or unsupported property' },
        },
      ],
    });
    try {
      const { batchId, events } = await postAndFollow(
        t,
        key,
        orders.map((o) => o.id),
      );
      expect(events.at(-1)).toMatchObject({ status: 'FAILED', failed: 2 });
      const batch = await t.gateway.dataSource
        .getRepository(SyncBatchEntity)
        .findOneByOrFail({ id: batchId });
      expect(batch.error).toMatchObject({ code: '4000' });
      // Not retried: one attempt of the job.
      const [job] = await t.gateway.dataSource.query<Array<{ attempts: number; status: string }>>(
        "SELECT `attempts`, `status` FROM `jobs` WHERE `kind` = 'orders.post' AND `payload` LIKE ?",
        [`%${batchId}%`],
      );
      expect(Number(job!.attempts)).toBe(1);
      const rows = await t.gateway.dataSource.getRepository(OrderEntity).findBy({ postingBatchId: batchId });
      expect(rows.map((r) => r.status)).toEqual(['FAILED', 'FAILED']);
    } finally {
      sandbox.clearFaults();
    }
    const again = await postAndFollow(
      t,
      key,
      orders.map((o) => o.id),
    );
    expect(again.events.at(-1)).toMatchObject({ status: 'COMPLETED', succeeded: 2 });
  });
});
