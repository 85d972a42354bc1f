/** Helpers for the inbound-sync tests: a gateway whose emulator sends it webhooks, a connected company, the mirror. */
import { ReferenceEntityRow, SyncBatchEntity, type ReferenceType } from '../../src/entities';
import { connectCompany, wsClient } from './connect';
import type { Dialect } from './database';
import { startTestGateway, type TestGateway } from './gateway';
import { until } from './wait';

export type QboObject = Record<string, unknown> & { Id: string; SyncToken?: string };

export async function startInboundGateway(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TestGateway> {
  const t = await startTestGateway(dialect, {
    QBO_WEBHOOK_COALESCE_MS: '20',
    QBO_CDC_INTERVAL_MINUTES: '0',
    ...env,
  });
  // Failed deliveries are retried within milliseconds instead of Intuit's 10 s.
  t.gateway.sandbox!.setWebhooks({ retryScale: 0.001 });
  return t;
}

/** A fresh emulator company connected to a new tenant, its reference import finished. */
export async function connectedCompany(
  t: TestGateway,
  companyName = 'Inbound Co',
): Promise<{ key: string; tenantId: string; realmId: string; connectionId: string }> {
  const { key, tenantId } = await t.newTenantKey(['ADMIN']);
  const realmId = t.gateway.sandbox!.createRealm({ companyName });
  const connected = await connectCompany(t, key, { realmId });
  const batchId = connected.body.importBatchId as string;
  await until(async () => {
    const batch = await t.gateway.dataSource.getRepository(SyncBatchEntity).findOneBy({ id: batchId });
    return batch?.finishedAt != null;
  });
  return { key, tenantId, realmId, connectionId: connected.connectionId };
}

/** A person's edit in QuickBooks (the emulator's admin "changes" call, which fires webhooks). */
export async function personChange(
  t: TestGateway,
  realmId: string,
  entity: string,
  operation: 'create' | 'update' | 'delete' | 'void' | 'merge',
  data: Record<string, unknown>,
): Promise<QboObject> {
  const response = await fetch(`${t.gateway.sandbox!.url}/_sandbox/realms/${realmId}/changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ entity, operation, data }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${entity} ${operation}: ${JSON.stringify(body)}`);
  return body[entity] as QboObject;
}

/** Every object of a type in the emulator, deleted ones included. */
export async function emulatorObjects(t: TestGateway, realmId: string, entity: string): Promise<QboObject[]> {
  const response = await fetch(`${t.gateway.sandbox!.url}/_sandbox/realms/${realmId}/entities/${entity}`);
  return ((await response.json()) as { items: QboObject[] }).items;
}

export async function mirrorRows(
  t: TestGateway,
  connectionId: string,
  type: ReferenceType,
): Promise<ReferenceEntityRow[]> {
  return t.gateway.dataSource.getRepository(ReferenceEntityRow).findBy({ connectionId, type });
}

/**
 * Differences between the emulator's objects of a type and the mirror, field by field (empty when equal): every live
 * object's data, name, SyncToken and active flag; deleted (merged-away) ones inactive in the mirror.
 */
export async function mirrorDifferences(
  t: TestGateway,
  realmId: string,
  connectionId: string,
  type: ReferenceType,
  entity: string,
): Promise<string[]> {
  const [objects, rows] = await Promise.all([
    emulatorObjects(t, realmId, entity),
    mirrorRows(t, connectionId, type),
  ]);
  const byId = new Map(rows.map((r) => [r.quickbooksId, r]));
  const out: string[] = [];
  for (const object of objects) {
    const row = byId.get(object.Id);
    if (object.status === 'Deleted') {
      if (row && row.active) out.push(`${entity} ${object.Id}: deleted in QuickBooks, active in the mirror`);
      continue;
    }
    if (!row) {
      out.push(`${entity} ${object.Id}: missing from the mirror`);
      continue;
    }
    for (const key of new Set([...Object.keys(object), ...Object.keys(row.data)])) {
      if (JSON.stringify(object[key]) !== JSON.stringify(row.data[key]))
        out.push(
          `${entity} ${object.Id}.${key}: ${JSON.stringify(row.data[key])} ≠ ${JSON.stringify(object[key])}`,
        );
    }
    if (row.syncToken !== object.SyncToken) out.push(`${entity} ${object.Id}: syncToken ${row.syncToken}`);
    if (row.active !== (object.Active !== false)) out.push(`${entity} ${object.Id}: active ${row.active}`);
  }
  return out;
}

export interface ConnectionEventSeen {
  kind: string;
  entityType: string | null;
  quickbooksId: string | null;
  message: string | null;
}

/**
 * Follows `connectionEvents` over graphql-ws; resolves once the subscription is live (a probe event published through
 * the gateway's own pub/sub has arrived), so nothing published afterwards can be missed.
 */
export async function followConnectionEvents(
  t: TestGateway,
  key: string,
  connectionId: string,
): Promise<{ events: ConnectionEventSeen[]; stop(): Promise<void> }> {
  const client = wsClient(t, key);
  const events: ConnectionEventSeen[] = [];
  const stop = client.subscribe<{ connectionEvents: ConnectionEventSeen }>(
    {
      query:
        'subscription($id: ID!) { connectionEvents(connectionId: $id) { kind entityType quickbooksId message } }',
      variables: { id: connectionId },
    },
    {
      next: (value) => {
        if (value.data) events.push(value.data.connectionEvents);
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  await until(() => {
    if (events.some((e) => e.message === 'probe')) return true;
    t.gateway.services.events.publish(connectionId, 'STATUS_CHANGED', { message: 'probe' });
    return false;
  });
  return {
    events,
    stop: async () => {
      stop();
      await client.dispose();
    },
  };
}
