import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany, wsClient } from '../../support/connect';
import { waitFor } from '../../jobs/helpers';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Progress {
  batchProgress: { status: string; processed: number; item: { label: string } | null };
}

/**
 * Two gateway processes' worth of wiring (separate pools, pub/subs and workers) on one database: the subscriber is on
 * a gateway that runs no worker, so every event it sees crossed Redis from the other one. The worker's gateway starts
 * only once the subscriber holds the batch's first event, so the item events cannot finish before anyone listens.
 */
describe('subscription events across gateways through Redis', () => {
  let database: TestDatabase;
  let front: TestGateway;
  let worker: TestGateway | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    front = await startTestGateway('sqlite', { REDIS_URL, RUN_WORKER: 'false' }, { database });
  });
  const listeners: Redis[] = [];
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.quit()));
    await worker?.close();
    await front?.close();
    await database?.drop();
  });

  /** Every message published on the Redis server from now on, as it was sent. */
  async function listenToRedis(): Promise<string[]> {
    const listener = new Redis(REDIS_URL);
    listeners.push(listener);
    const messages: string[] = [];
    listener.on('pmessage', (_pattern, _channel, message: string) => messages.push(message));
    await listener.psubscribe('*');
    return messages;
  }

  it("streams a batch run by another gateway's worker to completion", async () => {
    const { key } = await front.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(front, key);
    const started = await front.graphql<{ syncReferenceData: { id: string } }>(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id, types: [ACCOUNT, TERM, CUSTOMER]) { id } }',
      { id: connectionId },
    );
    const client = wsClient(front, key);
    const relayed = await listenToRedis();
    const events: Progress[] = [];
    let firstEvent!: () => void;
    const subscribed = new Promise<void>((resolve) => (firstEvent = resolve));
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe<Progress>(
        {
          query: 'subscription($id: ID!) { batchProgress(batchId: $id) { status processed item { label } } }',
          variables: { id: started.data!.syncReferenceData.id },
        },
        {
          next: (value) => {
            if (value.errors) return reject(new Error(JSON.stringify(value.errors)));
            events.push(value.data!);
            firstEvent();
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await subscribed;
    expect(events[0].batchProgress).toEqual({ status: 'QUEUED', processed: 0, item: null });

    worker = await startTestGateway(
      'sqlite',
      { REDIS_URL, QBO_SANDBOX_URL: front.gateway.config.quickbooks.sandboxUrl! },
      { database },
    );
    await done;
    await client.dispose();
    expect(events[events.length - 1].batchProgress).toMatchObject({ status: 'COMPLETED', processed: 3 });
    // Events may be coalesced, never reordered.
    const processed = events.map((e) => e.batchProgress.processed);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    // What the front gateway streamed crossed Redis: the worker's gateway published the items there.
    const batchId = started.data!.syncReferenceData.id;
    const itemEvents = () =>
      relayed.filter((message) => message.includes(batchId) && message.includes('"item":{')).length;
    await waitFor('an item event on Redis', () => itemEvents() >= 1 || undefined);
    expect(front.gateway.worker).toBeUndefined();
  });
});
