/**
 * Stores a signed QuickBooks delivery and its normalized events in one transaction, and queues their processing. The
 * request answers as soon as this commits; nothing here calls QuickBooks.
 */
import { createHash } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import {
  ConnectionEntity,
  QuickBooksChangeEventEntity,
  QuickBooksWebhookDeliveryEntity,
  type QuickBooksDeliveryStatus,
  type QuickBooksPayloadFormat,
} from '../entities';
import { newId } from '../ids';
import type { JobEnqueuer } from '../job-catalogue';
import type { NormalizedChange, ParsedPayload } from './payload';

/** Statuses whose connections still own their realm's notifications (a lapsed authorization catches up later). */
const LISTENING = ['CONNECTED', 'NEEDS_REAUTHORIZATION'];
const KEY_MAX = 191;

export interface IntakeResult {
  deliveryId: string;
  status: QuickBooksDeliveryStatus;
  eventCount: number;
  storedCount: number;
  reason: string | null;
}

export interface IntakeOptions {
  /** Events arriving within one window share one processing job per connection. */
  coalesceMs: number;
}

export class WebhookIntake {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobEnqueuer,
    private readonly options: IntakeOptions,
  ) {}

  async store(
    body: Buffer,
    parsed: ParsedPayload,
    meta: { intuitTid?: string | null },
  ): Promise<IntakeResult> {
    const deliveryId = newId('quickbooksDelivery');
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    const base = {
      id: deliveryId,
      bodySha256,
      bodyBytes: body.length,
      intuitTid: meta.intuitTid?.slice(0, 100) ?? null,
      receivedAt: new Date(),
    };
    if (!parsed.ok) {
      await this.insertDelivery(this.dataSource.manager, {
        ...base,
        status: 'REJECTED',
        format: parsed.format,
        eventCount: 0,
        storedCount: 0,
        reason: parsed.reason,
      });
      return { deliveryId, status: 'REJECTED', eventCount: 0, storedCount: 0, reason: parsed.reason };
    }
    const { changes, format } = parsed;
    return this.dataSource.transaction(async (manager) => {
      const realms = [...new Set(changes.map((c) => c.realmId))];
      const owners = realms.length
        ? await manager.getRepository(ConnectionEntity).find({
            select: { id: true, tenantId: true, realmId: true },
            where: { realmId: In(realms), status: In(LISTENING) },
          })
        : [];
      const byRealm = new Map<string, Array<Pick<ConnectionEntity, 'id' | 'tenantId'>>>();
      for (const owner of owners) {
        if (owner.realmId === null) continue;
        const list = byRealm.get(owner.realmId) ?? [];
        list.push(owner);
        byRealm.set(owner.realmId, list);
      }
      const now = new Date();
      const rows: QuickBooksChangeEventEntity[] = [];
      const seen = new Set<string>();
      let unowned = 0;
      for (const change of changes) {
        const connections = byRealm.get(change.realmId);
        if (!connections) {
          unowned++;
          continue;
        }
        for (const connection of connections) {
          const dedupeKey = eventKey(connection.id, change);
          if (seen.has(dedupeKey)) continue;
          seen.add(dedupeKey);
          rows.push(toRow(deliveryId, connection, change, dedupeKey, now));
        }
      }
      let stored: Array<{ id: string; connectionId: string }> = [];
      if (rows.length > 0) {
        for (let i = 0; i < rows.length; i += 200) {
          await manager
            .createQueryBuilder()
            .insert()
            .into(QuickBooksChangeEventEntity)
            .values(rows.slice(i, i + 200))
            .orIgnore()
            .updateEntity(false)
            .execute();
        }
        // Which rows are new (the others were stored by an earlier delivery of the same events).
        stored = await manager.getRepository(QuickBooksChangeEventEntity).find({
          select: { id: true, connectionId: true },
          where: { id: In(rows.map((r) => r.id)) },
        });
      }
      const status: QuickBooksDeliveryStatus =
        stored.length > 0 ? 'ACCEPTED' : rows.length > 0 ? 'DUPLICATE' : 'IGNORED';
      const reason =
        unowned > 0
          ? `${unowned} event(s) for a company no connection owns${parsed.skipped ? `; ${parsed.skipped} unreadable` : ''}`
          : parsed.skipped
            ? `${parsed.skipped} unreadable event(s) skipped`
            : null;
      await this.insertDelivery(manager, {
        ...base,
        status,
        format,
        eventCount: changes.length + parsed.skipped,
        storedCount: stored.length,
        reason,
      });
      const window = Math.max(1, this.options.coalesceMs);
      const slot = Math.floor(Date.now() / window);
      for (const connectionId of new Set(stored.map((s) => s.connectionId))) {
        await this.jobs.enqueue(
          'quickbooks.changes',
          { connectionId },
          {
            manager,
            dedupeKey: `qbo-changes:${connectionId}:${slot}`,
            runAt: new Date((slot + 1) * window),
          },
        );
      }
      return { deliveryId, status, eventCount: changes.length, storedCount: stored.length, reason };
    });
  }

  private async insertDelivery(
    manager: EntityManager,
    row: Omit<QuickBooksWebhookDeliveryEntity, 'format'> & { format: QuickBooksPayloadFormat },
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(QuickBooksWebhookDeliveryEntity)
      .values(row)
      .updateEntity(false)
      .execute();
  }
}

function eventKey(connectionId: string, change: NormalizedChange): string {
  const key = `${connectionId}:${change.key}`;
  return key.length <= KEY_MAX
    ? key
    : `${connectionId}:h:${createHash('sha256').update(change.key).digest('hex')}`;
}

function toRow(
  deliveryId: string,
  connection: Pick<ConnectionEntity, 'id' | 'tenantId'>,
  change: NormalizedChange,
  dedupeKey: string,
  now: Date,
): QuickBooksChangeEventEntity {
  return {
    id: newId('webhookEvent'),
    dedupeKey,
    deliveryId,
    tenantId: connection.tenantId,
    connectionId: connection.id,
    realmId: change.realmId,
    entityName: change.entityName,
    entityId: change.entityId,
    operation: change.operation,
    deletedId: change.deletedId,
    occurredAt: change.occurredAt,
    status: 'PENDING',
    claimedBy: null,
    claimedAt: null,
    processedAt: null,
    outcome: null,
    createdAt: now,
  };
}
