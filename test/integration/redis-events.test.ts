import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { collect, connectCompany, wsClient } from '../support/connect';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Progress {
  batchProgress: { status: string; processed: number };
}

/**
 * Two gateway processes' worth of wiring (separate pools, pub/subs and workers) on one database: the subscriber is on
 * a gateway that runs no worker, so every event it sees crossed Redis from the other one.
 */
describe('subscription events across gateways through Redis', () => {
  let database: TestDatabase;
  let worker: TestGateway;
  let front: TestGateway;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    worker = await startTestGateway('sqlite', { REDIS_URL }, { database });
    front = await startTestGateway(
      'sqlite',
      { REDIS_URL, RUN_WORKER: 'false', QBO_SANDBOX_URL: worker.gateway.config.quickbooks.sandboxUrl! },
      { database },
    );
  });
  afterAll(async () => {
    await front?.close();
    await worker?.close();
    await database?.drop();
  });

  it("streams a batch run by another gateway's worker to completion", async () => {
    const { key } = await front.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(front, key);
    const started = await front.graphql<{ syncReferenceData: { id: string } }>(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id, types: [ACCOUNT, TERM, CUSTOMER]) { id } }',
      { id: connectionId },
    );
    const client = wsClient(front, key);
    const events = await collect<Progress>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed } }',
      {
        id: started.data!.syncReferenceData.id,
      },
    );
    await client.dispose();
    expect(events[events.length - 1].batchProgress).toEqual({ status: 'COMPLETED', processed: 3 });
    // More than the first event and the terminal one: item events arrived (a re-read fallback would yield only two).
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(front.gateway.worker).toBeUndefined();
  });
});
