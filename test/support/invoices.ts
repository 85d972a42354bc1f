import type { TestGateway } from './gateway';
import { collect, connectCompany, wsClient } from './connect';
import { configurePosting, type ProgressEvent } from './orders';

/** A connected company whose reference data is imported, with posting settings (unless `settings` is null). */
export async function invoicingCompany(
  t: TestGateway,
  name: string,
  settings: Record<string, unknown> | null = {},
): Promise<{
  key: string;
  tenantId: string;
  realmId: string;
  connectionId: string;
  settings: Record<string, string>;
}> {
  const { key, tenantId } = await t.newTenantKey(['ADMIN']);
  const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
  const connected = await connectCompany(t, key, { realmId, name });
  await followBatch(t, key, connected.body.importBatchId as string);
  const configured = settings ? await configurePosting(t, key, connected.connectionId, settings) : {};
  return { key, tenantId, realmId, connectionId: connected.connectionId, settings: configured };
}

/** Follows a batch over graphql-ws to its end; returns every event. */
export async function followBatch(t: TestGateway, key: string, batchId: string): Promise<ProgressEvent[]> {
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

/** The QuickBooks item ids of the company's mirrored items, by Type ("Service", ...). */
export async function itemIdsByType(
  t: TestGateway,
  key: string,
  connectionId: string,
): Promise<Record<string, string>> {
  const items = await t.graphql<{
    connection: {
      referenceData: { edges: Array<{ node: { quickbooksId: string; data: { Type: string } } }> };
    };
  }>(
    key,
    'query($id: ID!) { connection(id: $id) { referenceData(type: ITEM, first: 100) { edges { node { quickbooksId data } } } } }',
    { id: connectionId },
  );
  const byType: Record<string, string> = {};
  for (const { node } of items.data!.connection.referenceData.edges)
    byType[node.data.Type] ??= node.quickbooksId;
  return byType;
}

export const INVOICE_FIELDS =
  'id invoiceNumber docNumber pushStatus quickbooksId total balance emailStatus deliveredTo dueDate lastError { code message detail hint }';

/** Calls a mutation that must succeed; returns its data. */
export async function must<T>(
  t: TestGateway,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const result = await t.graphql<T>(key, query, variables);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}
