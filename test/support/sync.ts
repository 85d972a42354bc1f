import { LessThanOrEqual } from 'typeorm';
import { ConnectionEntity, JobEntity } from '../../src/entities';
import type { QuickBooksClient } from '../../src/quickbooks';
import { collect, connectCompany, wsClient } from './connect';
import type { TestGateway } from './gateway';
import { configurePosting, type ProgressEvent } from './orders';
import { until } from './wait';

/** A connected company, its lists imported, with posting settings; optionally requireApproval. */
export async function syncCompany(t: TestGateway, name: string, settings: Record<string, unknown> = {}) {
  const { key, tenantId } = await t.newTenantKey(['ADMIN']);
  const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
  const connected = await connectCompany(t, key, { realmId, name });
  await follow(t, key, String(connected.body.importBatchId));
  await configurePosting(t, key, connected.connectionId, settings);
  return { key, tenantId, realmId, connectionId: connected.connectionId };
}

/**
 * Waits until the gateway has taken in all the emulator had to tell it: buffered webhooks delivered, and no job
 * running or due within a few seconds (processing changes calls QuickBooks, and re-reads what changed within the
 * last second about three seconds later). Then the emulator's counters show only what the test does next.
 */
export async function quiesce(t: TestGateway): Promise<void> {
  await t.gateway.sandbox!.flushWebhooks();
  const jobs = t.gateway.dataSource.getRepository(JobEntity);
  await until(
    async () =>
      (await jobs.count({
        where: [
          { status: 'RUNNING' },
          { status: 'QUEUED', runAt: LessThanOrEqual(new Date(Date.now() + 5_000)) },
        ],
      })) === 0,
  );
}

/** Follows a batch over graphql-ws to its end. */
export async function follow(t: TestGateway, key: string, batchId: string): Promise<ProgressEvent[]> {
  const client = wsClient(t, key);
  try {
    const events = await collect<{ batchProgress: ProgressEvent }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded failed total item { entityId status quickbooksId error { code hint } } } }',
      { id: batchId },
    );
    return events.map((e) => e.batchProgress);
  } finally {
    await client.dispose();
  }
}

/** The gateway's own QuickBooks client of the connection: calls the emulator over HTTP like any client. */
export async function quickbooksOf(t: TestGateway, connectionId: string): Promise<QuickBooksClient> {
  const row = await t.gateway.dataSource
    .getRepository(ConnectionEntity)
    .findOneByOrFail({ id: connectionId });
  return t.gateway.services.connections.clientFor(row);
}

export const UPSERT_CUSTOMERS = `mutation UpsertCustomers($id: ID!, $channel: String!, $customers: [CustomerInput!]!) {
  upsertCustomers(connectionId: $id, channel: $channel, customers: $customers) {
    created updated pendingApproval queued batch { id }
    entities { id quickbooksId name externalId channel syncState lastError { code message } }
  }
}`;

export const UPSERT_PRODUCTS = `mutation UpsertProducts($id: ID!, $channel: String!, $products: [ProductInput!]!) {
  upsertProducts(connectionId: $id, channel: $channel, products: $products) {
    created updated pendingApproval queued batch { id }
    entities { id quickbooksId name externalId channel syncState lastError { code message } }
  }
}`;

export interface UpsertPayload {
  created: number;
  updated: number;
  pendingApproval: number;
  queued: number;
  batch: { id: string } | null;
  entities: Array<{
    id: string;
    quickbooksId: string;
    name: string;
    externalId: string | null;
    channel: string | null;
    syncState: string;
    lastError: { code: string; message: string } | null;
  }>;
}
