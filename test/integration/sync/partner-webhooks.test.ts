import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { until } from '../../support/wait';
import { connectCompany } from '../../support/connect';
import { buildOrders, configurePosting, postAndFollow, upsertOrders } from '../../support/orders';
import { followBatch, invoicingCompany, must } from '../../support/invoices';

interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  ok: boolean;
}

/** A partner's receiver: answers 500 to the first `failures` requests, then 200; keeps every request. */
async function receiver(failures = 0) {
  const received: Received[] = [];
  let left = failures;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ok = left-- <= 0;
      received.push({
        id: String(req.headers['webhook-id']),
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks).toString('utf8'),
        ok,
      });
      res.writeHead(ok ? 204 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    delivered: () => received.filter((r) => r.ok),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CREATE = `mutation($url: String!, $events: [String!]!) {
  createWebhookEndpoint(url: $url, events: $events) { secret endpoint { id url events status } }
}`;

describe.each(DIALECTS)('partner webhooks on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { WEBHOOK_RETRY_SCHEDULE: '10ms' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (key: string, url: string, events: string[]) => {
    const result = await t.graphql<{
      createWebhookEndpoint: { secret: string; endpoint: { id: string; status: string } };
    }>(key, CREATE, { url, events });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.createWebhookEndpoint;
  };
  const emit = (tenantId: string, type: 'reference.changed', data: Record<string, unknown>) =>
    t.gateway.dataSource.transaction((manager) =>
      t.gateway.services.webhooks.emit(manager, tenantId, { type, data }),
    );

  it('tells a partner which invoices were sent and which failed, with the reason', async () => {
    const hooks = await receiver();
    try {
      const c = await invoicingCompany(t, `Invoice Hooks ${dialect}`, { autoInvoice: false });
      const { secret } = await create(c.key, hooks.url, ['invoice.sent', 'invoice.failed']);
      // The EUR order cannot be booked by this company (multicurrency off): its invoice fails, the other is sent.
      const [ok, euro] = await upsertOrders(t, c.key, c.connectionId, [
        buildOrders(1, { prefix: 'IH' })[0]!,
        { ...buildOrders(1, { prefix: 'IE' })[0]!, currency: 'EUR' },
      ]);
      const ids: string[] = [];
      for (const order of [ok!, euro!]) {
        const made = await must<{ createInvoice: { id: string } }>(
          t,
          c.key,
          'mutation($o: ID!) { createInvoice(orderId: $o) { id } }',
          { o: order.id },
        );
        ids.push(made.createInvoice.id);
      }
      const sent = await must<{ sendInvoice: { id: string } }>(
        t,
        c.key,
        'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id } }',
        { ids },
      );
      await followBatch(t, c.key, sent.sendInvoice.id);
      await until(() => hooks.delivered().length === 2);
      const verifier = new Webhook(secret);
      const bodies = hooks
        .delivered()
        .map((r) => verifier.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> });
      const byType = new Map(bodies.map((b) => [b.type, b.data]));
      expect(byType.get('invoice.sent')).toMatchObject({
        invoiceId: ids[0],
        orderId: ok!.id,
        batchId: sent.sendInvoice.id,
        quickbooksId: expect.any(String),
      });
      expect(byType.get('invoice.failed')).toMatchObject({
        invoiceId: ids[1],
        orderId: euro!.id,
        error: { hint: expect.stringContaining('turn on multicurrency') },
      });
    } finally {
      await hooks.close();
    }
  });

  it('signs every delivery so the standardwebhooks reference verifier accepts it, for events of a posting', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const hooks = await receiver();
    try {
      const realmId = t.gateway.sandbox!.createRealm({ companyName: 'Webhook Co' });
      const connected = await connectCompany(t, key, { realmId });
      await t.gateway.services.references.runImport(connected.body.importBatchId as string);
      await configurePosting(t, key, connected.connectionId);
      // Registered once the company is set up, so the import's own batch.completed is not part of this.
      const { secret, endpoint } = await create(key, hooks.url, ['order.posted', 'batch.completed']);
      expect(secret).toMatch(/^whsec_/);
      // Stored sealed: the secret is nowhere in the row.
      const row = await t.gateway.dataSource
        .getRepository(WebhookEndpointEntity)
        .findOneByOrFail({ id: endpoint.id });
      expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length));
      const orders = await upsertOrders(t, key, connected.connectionId, buildOrders(2, { prefix: 'WH' }));
      const { batchId } = await postAndFollow(
        t,
        key,
        orders.map((o) => o.id),
      );
      await until(() => hooks.delivered().length === 3);

      const verifier = new Webhook(secret);
      const bodies = hooks
        .delivered()
        .map((r) => verifier.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> });
      expect(bodies.map((b) => b.type)).toEqual(['order.posted', 'order.posted', 'batch.completed']);
      expect(bodies[2]!.data).toMatchObject({ batchId, status: 'COMPLETED', succeeded: 2 });
      expect(
        bodies
          .slice(0, 2)
          .map((b) => b.data.orderId)
          .sort(),
      ).toEqual(orders.map((o) => o.id).sort());
      // A tampered body or another secret does not verify.
      const first = hooks.delivered()[0]!;
      expect(() => verifier.verify(first.body.replace('order', 'ordex'), first.headers)).toThrow();
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(first.body, first.headers),
      ).toThrow();

      // The list shows the endpoint, never its secret; another tenant cannot see or delete it; READ keys cannot list.
      const listed = await t.graphql<{ webhookEndpoints: Array<Record<string, unknown>> }>(
        key,
        '{ webhookEndpoints { id url events status deliveries(first: 10) { totalCount edges { node { id status attempts eventType } } } } }',
      );
      expect(listed.data!.webhookEndpoints).toHaveLength(1);
      expect(JSON.stringify(listed.data)).not.toContain('whsec_');
      expect(listed.data!.webhookEndpoints[0]!.deliveries).toMatchObject({ totalCount: 3 });
      const other = await t.newTenantKey(['ADMIN']);
      const steal = await t.graphql(
        other.key,
        'mutation($id: ID!) { deleteWebhookEndpoint(endpointId: $id) { id } }',
        {
          id: endpoint.id,
        },
      );
      expect(steal.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const reader = await t.newTenantKey(['READ']);
      expect((await t.graphql(reader.key, '{ webhookEndpoints { id } }')).errors?.[0]?.extensions?.code).toBe(
        'FORBIDDEN',
      );

      // Rotation: the new secret is shown once; for a day both secrets sign, so either verifies.
      const rotated = await t.graphql<{ rotateWebhookSecret: { secret: string } }>(
        key,
        'mutation($id: ID!) { rotateWebhookSecret(endpointId: $id) { secret } }',
        { id: endpoint.id },
      );
      const newSecret = rotated.data!.rotateWebhookSecret.secret;
      expect(newSecret).not.toBe(secret);
      await t.gateway.dataSource.transaction((m) =>
        t.gateway.services.webhooks.emit(m, row.tenantId, {
          type: 'batch.completed',
          data: { batchId: 'x' },
        }),
      );
      await until(() => hooks.delivered().length === 4);
      const last = hooks.delivered()[3]!;
      expect(new Webhook(newSecret).verify(last.body, last.headers)).toMatchObject({
        type: 'batch.completed',
      });
      expect(new Webhook(secret).verify(last.body, last.headers)).toMatchObject({ type: 'batch.completed' });
    } finally {
      await hooks.close();
    }
  });

  it('delivers every event once per id, in order, to a receiver that fails 5 times and then recovers', async () => {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const hooks = await receiver(5);
    try {
      const { endpoint } = await create(key, hooks.url, ['reference.changed']);
      for (let i = 0; i < 10; i++) await emit(tenantId, 'reference.changed', { seq: i });
      await until(() => hooks.delivered().length === 10);
      const delivered = hooks.delivered();
      const rowsOf = () =>
        t.gateway.dataSource
          .getRepository(WebhookDeliveryEntity)
          .find({ where: { endpointId: endpoint.id }, order: { id: 'ASC' } });
      // The receiver answers before the gateway records the answer.
      await until(async () => (await rowsOf()).every((r) => r.status === 'DELIVERED'));
      expect(new Set(delivered.map((r) => r.id)).size).toBe(10);
      expect(delivered.map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq)).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
      // The five failures were all the first event (later ones wait their turn), retried under the same id.
      const failed = hooks.received.filter((r) => !r.ok);
      expect(failed).toHaveLength(5);
      expect(new Set(failed.map((r) => r.id))).toEqual(new Set([delivered[0]!.id]));
      const rows = await rowsOf();
      expect(rows.map((r) => [r.status, r.attempts])).toEqual([
        ['DELIVERED', 6],
        ...Array(9).fill(['DELIVERED', 1]),
      ]);
      const endpointRow = await t.gateway.dataSource
        .getRepository(WebhookEndpointEntity)
        .findOneByOrFail({ id: endpoint.id });
      expect(endpointRow).toMatchObject({ status: 'ACTIVE', failingSince: null });
    } finally {
      await hooks.close();
    }
  });

  it('delivers 1,000 events in order of creation', async () => {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const hooks = await receiver();
    try {
      await create(key, hooks.url, ['reference.changed']);
      for (let i = 0; i < 1000; i++) await emit(tenantId, 'reference.changed', { seq: i });
      await until(() => hooks.delivered().length === 1000, 240_000);
      const seqs = hooks.delivered().map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq);
      expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(new Set(hooks.delivered().map((r) => r.id)).size).toBe(1000);
    } finally {
      await hooks.close();
    }
  }, 300_000);

  it('refuses bad endpoints: unknown events and non-URLs, naming the field', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const bad = await t.graphql(key, CREATE, {
      url: 'http://127.0.0.1:9/x',
      events: ['order.posted', 'order.eaten'],
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events.1' });
    const notUrl = await t.graphql(key, CREATE, { url: 'not a url', events: ['order.posted'] });
    expect(notUrl.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });
});

describe.each(DIALECTS)('partner webhooks that keep failing on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    // Disabled at the first failure, so the test does not wait days.
    t = await startTestGateway(dialect, { WEBHOOK_RETRY_SCHEDULE: '10ms', WEBHOOK_DISABLE_AFTER: '0ms' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('disables an endpoint failing past WEBHOOK_DISABLE_AFTER; rotating the secret enables it and it catches up', async () => {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const hooks = await receiver(1);
    try {
      const created = await t.graphql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(key, CREATE, {
        url: hooks.url,
        events: ['reference.changed'],
      });
      const endpointId = created.data!.createWebhookEndpoint.endpoint.id;
      await t.gateway.dataSource.transaction((m) =>
        t.gateway.services.webhooks.emit(m, tenantId, { type: 'reference.changed', data: { seq: 0 } }),
      );
      const status = async () =>
        (await t.gateway.dataSource.getRepository(WebhookEndpointEntity).findOneByOrFail({ id: endpointId }))
          .status;
      await until(async () => (await status()) === 'DISABLED');
      // While disabled nothing goes out, and it is given no new events.
      await t.gateway.dataSource.transaction((m) =>
        t.gateway.services.webhooks.emit(m, tenantId, { type: 'reference.changed', data: { seq: 1 } }),
      );
      const deliveries = await t.graphql<{
        webhookEndpoints: Array<{
          status: string;
          deliveries: { edges: Array<{ node: { status: string; lastStatusCode: number } }> };
        }>;
      }>(key, '{ webhookEndpoints { status deliveries { edges { node { status lastStatusCode } } } } }');
      expect(deliveries.data!.webhookEndpoints[0]).toMatchObject({ status: 'DISABLED' });
      expect(hooks.received).toHaveLength(1);
      await t.graphql(
        key,
        'mutation($id: ID!) { rotateWebhookSecret(endpointId: $id) { endpoint { status } } }',
        {
          id: endpointId,
        },
      );
      // Enabled again: the event that failed goes out, then new ones.
      await until(() => hooks.delivered().length === 1);
      await t.gateway.dataSource.transaction((m) =>
        t.gateway.services.webhooks.emit(m, tenantId, { type: 'reference.changed', data: { seq: 2 } }),
      );
      await until(() => hooks.delivered().length === 2);
      expect(
        hooks.delivered().map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq),
      ).toEqual([0, 2]);
      expect(await status()).toBe('ACTIVE');
    } finally {
      await hooks.close();
    }
  });
});
