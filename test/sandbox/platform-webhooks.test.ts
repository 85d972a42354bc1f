/**
 * Webhooks: signed deliveries in both formats, only to connected apps, aggregation over a window, retries on Intuit's
 * (scaled) schedule, ordered delivery, retries brought forward by the emulator clock, and the duplicate and
 * out-of-order drills.
 */
import { createHmac } from 'node:crypto';
import type { Sandbox } from '../../src/sandbox';
import {
  admin,
  api,
  connectDemo,
  startReceiver,
  startSandbox,
  waitFor,
  type Receiver,
  type ReceivedWebhook,
} from './platform-helpers';

function validSignature(hook: ReceivedWebhook, verifierToken: string): boolean {
  const expected = createHmac('sha256', verifierToken).update(hook.raw).digest('base64');
  return hook.headers['intuit-signature'] === expected;
}

/** Entity ids named by a legacy delivery. */
function legacyIds(hook: ReceivedWebhook): string[] {
  return hook.body.eventNotifications[0].dataChangeEvent.entities.map((e: { id: string }) => e.id);
}

describe('sandbox webhooks', () => {
  let sandbox: Sandbox | undefined;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
    await receiver.close();
  });

  async function setup(options: Parameters<typeof startSandbox>[0] = {}) {
    const sb = await startSandbox(options);
    sandbox = sb;
    sb.updateApp(sb.demoApp.clientId, { webhookUrl: receiver.url });
    const { realmId, tokens } = await connectDemo(sb);
    const create = async (name: string): Promise<string> => {
      const res = await api(sb, tokens.access_token, realmId, 'POST', 'customer', { DisplayName: name });
      expect(res.status).toBe(200);
      return res.json.Customer.Id as string;
    };
    return { sb, realmId, token: tokens.access_token, create };
  }

  it('delivers signed legacy notifications for API changes', async () => {
    const { sb, realmId, create } = await setup();
    const id = await create('Webhook Legacy Co');
    await waitFor(() => receiver.received.length === 1, 'one delivery');
    const hook = receiver.received[0];
    expect(validSignature(hook, sb.demoApp.verifierToken)).toBe(true);
    expect(validSignature(hook, 'some-other-token')).toBe(false);
    expect(hook.headers['content-type']).toContain('application/json');
    expect(hook.headers['intuit-created-time']).toBeTruthy();
    expect(hook.headers['intuit-t-id']).toBeTruthy();
    expect(hook.body).toEqual({
      eventNotifications: [
        {
          realmId,
          dataChangeEvent: {
            entities: [{ name: 'Customer', id, operation: 'Create', lastUpdated: expect.any(String) }],
          },
        },
      ],
    });
    // The receiver has the request before the emulator has the answer: wait for the attempt to settle.
    await sb.flushWebhooks();
    expect(sb.stats().webhooksDelivered).toBe(1);
  });

  it('delivers CloudEvents arrays, also for changes made through the admin API', async () => {
    const { sb, realmId } = await setup();
    sb.updateApp(sb.demoApp.clientId, { webhookFormat: 'cloudevents' });
    const change = await admin(sb, 'POST', `/realms/${realmId}/changes`, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: 'Made By A Person' },
    });
    expect(change.status).toBe(200);
    const id = change.json.Customer.Id as string;
    await waitFor(() => receiver.received.length === 1, 'one delivery');
    const hook = receiver.received[0];
    expect(validSignature(hook, sb.demoApp.verifierToken)).toBe(true);
    expect(Array.isArray(hook.body)).toBe(true);
    expect(hook.body[0]).toMatchObject({
      specversion: '1.0',
      type: 'qbo.customer.created.v1',
      datacontenttype: 'application/json',
      intuitentityid: id,
      intuitaccountid: realmId,
      data: {},
    });
    expect(hook.body[0].id).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(hook.body[0].time))).toBe(false);
  });

  it('only notifies apps connected to the company, unless they ask for every company', async () => {
    const { sb, create } = await setup();
    const other = await startReceiver();
    try {
      sb.registerApp({
        clientId: 'other-app',
        clientSecret: 'x',
        redirectUris: ['http://localhost:1/cb'],
        webhookUrl: other.url,
      });
      await create('Only For Connected');
      await sb.flushWebhooks();
      expect(receiver.received).toHaveLength(1);
      expect(other.received).toHaveLength(0);
      sb.updateApp('other-app', { webhookAllRealms: true, verifierToken: 'other-verifier' });
      await create('For Everyone');
      await sb.flushWebhooks();
      expect(other.received).toHaveLength(1);
      expect(validSignature(other.received[0], 'other-verifier')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('aggregates the changes of one window into one delivery', async () => {
    // A minute-long window, ended early by the flush call, keeps the test independent of machine speed.
    const { sb, create } = await setup({ webhookWindowMs: 60_000 });
    const ids = [await create('Agg A'), await create('Agg B'), await create('Agg C')];
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(0);
    expect((await admin(sb, 'GET', '/webhooks')).json.pending.buffered).toBe(3);
    expect((await admin(sb, 'POST', '/webhooks/flush?wait=true')).status).toBe(200);
    expect(receiver.received).toHaveLength(1);
    expect(legacyIds(receiver.received[0])).toEqual(ids);
  });

  it('retries after receiver errors on the scaled schedule, holding later deliveries back', async () => {
    const { sb, create } = await setup({ webhookRetryScale: 0.001 });
    receiver.statuses.push(500, 503);
    const first = await create('Retry First');
    await waitFor(() => receiver.received.length >= 1, 'the first attempt');
    const second = await create('Retry Second');
    await waitFor(() => receiver.received.length === 4, 'three attempts and the next delivery');
    const [a1, a2, a3, b] = receiver.received;
    expect([a1.status, a2.status, a3.status, b.status]).toEqual([500, 503, 200, 200]);
    // Retries resend the same bytes with a valid signature.
    expect(a2.raw.equals(a1.raw)).toBe(true);
    expect(a3.raw.equals(a1.raw)).toBe(true);
    expect(validSignature(a3, sb.demoApp.verifierToken)).toBe(true);
    expect(legacyIds(a1)).toEqual([first]);
    expect(legacyIds(b)).toEqual([second]);
    await sb.flushWebhooks();
    const stats = sb.stats();
    expect(stats.webhooksFailed).toBe(2);
    expect(stats.webhooksDelivered).toBe(2);
    const log = (await admin(sb, 'GET', '/webhooks')).json.deliveries;
    expect(log.map((d: { attempt: number }) => d.attempt)).toEqual([1, 2, 3, 1]);
  });

  it('retries when the emulator clock passes the due time', async () => {
    const { sb, create } = await setup();
    receiver.statuses.push(500);
    await create('Clock Retry');
    await waitFor(() => receiver.received.length === 1, 'the failed attempt');
    await waitFor(() => sb.stats().webhooksFailed === 1, 'the emulator to see the failure');
    const pending = (await admin(sb, 'GET', '/webhooks')).json;
    expect(pending.pending.retrying).toBe(1);
    expect(pending.deliveries[0].nextRetryAt).toBeTruthy();
    // The first retry is due 10 s later; nothing happens before the clock gets there.
    await admin(sb, 'POST', '/clock', { advanceSeconds: 5 });
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(1);
    await admin(sb, 'POST', '/clock', { advanceSeconds: 6 });
    await waitFor(() => receiver.received.length === 2, 'the retry');
    expect(receiver.received[1].status).toBe(200);
  });

  it('sends duplicates and out-of-order deliveries when the drills are on', async () => {
    const { sb, create } = await setup();
    expect((await admin(sb, 'PUT', '/webhooks', { duplicateProbability: 1 })).status).toBe(200);
    await create('Twice');
    await waitFor(() => receiver.received.length === 2, 'a duplicate');
    expect(receiver.received[1].raw.equals(receiver.received[0].raw)).toBe(true);

    receiver.received.length = 0;
    sb.setWebhooks({ duplicateProbability: 0, outOfOrder: true, reorderHoldMs: 1000 });
    const a = await create('Early');
    const b = await create('Late');
    await waitFor(() => receiver.received.length === 2, 'two deliveries');
    expect(receiver.received.map((h) => legacyIds(h)[0])).toEqual([b, a]);
    expect((await admin(sb, 'PUT', '/webhooks', { bogus: true })).status).toBe(400);
  });
});
