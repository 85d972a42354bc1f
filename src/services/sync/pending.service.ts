import { isDeepStrictEqual } from 'node:util';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import {
  PendingEntity,
  type FieldChanges,
  type ReferenceType,
  type SyncAction,
  type SyncDirection,
} from '../../entities';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import type { ConnectionEvents } from '../connection-events';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import { paginate, type Page, type PageArgs } from '../pagination';
import { dialectOf, type Dialect } from '../../db/sql';

/** One change to hold for the sync wizard (either direction). */
export interface HeldChange {
  direction: 'FROM_QUICKBOOKS' | 'TO_QUICKBOOKS';
  entityType: ReferenceType;
  quickBooksId?: string | null;
  externalId?: string | null;
  channel?: string | null;
  label: string;
  operation: SyncAction;
  changes: Record<string, { from: unknown; to: unknown }>;
  snapshot: Record<string, unknown>;
}

/** What makes two changes the same entity's: its QuickBooks id inbound, its partner key outbound. */
export function pendingKeyOf(
  change: Pick<HeldChange, 'direction' | 'quickBooksId' | 'externalId' | 'channel'>,
): string {
  if (change.direction === 'TO_QUICKBOOKS' && change.externalId)
    return `ext:${change.channel ?? ''}:${change.externalId}`.slice(0, 191);
  if (change.quickBooksId) return `qb:${change.quickBooksId}`;
  if (change.externalId) return `ext:${change.channel ?? ''}:${change.externalId}`.slice(0, 191);
  throw new RangeError('a held change needs a QuickBooks id or an externalId');
}

/** `changes` merged: each field keeps its oldest `from` and takes the newest `to`; fields back where they began drop. */
export function mergeChanges(older: FieldChanges, newer: FieldChanges): FieldChanges {
  const merged: FieldChanges = { ...older };
  for (const [field, change] of Object.entries(newer)) {
    merged[field] = { from: field in older ? older[field].from : change.from, to: change.to };
    if (isDeepStrictEqual(merged[field].from, merged[field].to)) delete merged[field];
  }
  return merged;
}

/** A snapshot without QuickBooks' version stamps: the same content notified twice (webhook and CDC) is one change. */
const contentOf = (snapshot: Record<string, unknown>): Record<string, unknown> => {
  const { MetaData: _meta, SyncToken: _token, ...content } = snapshot;
  return content;
};

const OPERATION_RANK: Partial<Record<SyncAction, number>> = { DELETE: 3, MERGE: 3, VOID: 3, CREATE: 2 };

/**
 * The sync wizard's waiting room (requireApproval): `hold` keeps one PendingEntity per entity and direction, the latest
 * change winning, and announces PENDING_ENTITIES_CHANGED once the caller's transaction commits.
 */
export class PendingService {
  private readonly dialect: Dialect;
  /** Connections whose pending entities changed, per transaction still open. */
  private readonly awaitingCommit = new Map<QueryRunner, Set<string>>();
  private commitHookInstalled = false;
  private webhooks?: WebhookEmitter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: ConnectionEvents,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Holds a change for approval, inside the caller's transaction. A cleared entity offered again with the same
   * snapshot (MetaData and SyncToken aside) stays cleared: it returns only when it changes again.
   */
  async hold(
    manager: EntityManager,
    tenantId: string,
    connectionId: string,
    change: {
      direction: 'FROM_QUICKBOOKS' | 'TO_QUICKBOOKS';
      entityType: ReferenceType;
      quickBooksId?: string | null;
      externalId?: string | null;
      channel?: string | null;
      label: string;
      operation: SyncAction;
      changes: Record<string, { from: unknown; to: unknown }>;
      snapshot: Record<string, unknown>;
    },
  ): Promise<PendingEntity> {
    return this.holdChange(manager, tenantId, connectionId, change, false);
  }

  /** A record changed on both sides since the last sync: held with both versions, never applied by itself. */
  async holdConflict(
    manager: EntityManager,
    tenantId: string,
    connectionId: string,
    change: HeldChange,
  ): Promise<PendingEntity> {
    return this.holdChange(manager, tenantId, connectionId, change, true);
  }

  private async holdChange(
    manager: EntityManager,
    tenantId: string,
    connectionId: string,
    change: HeldChange,
    conflict: boolean,
  ): Promise<PendingEntity> {
    const entityKey = pendingKeyOf(change);
    const query = manager
      .getRepository(PendingEntity)
      .createQueryBuilder('p')
      .where(
        'p.connectionId = :connectionId AND p.direction = :direction AND p.entityType = :entityType AND p.entityKey = :entityKey',
        { connectionId, direction: change.direction, entityType: change.entityType, entityKey },
      );
    if (this.dialect === 'mysql') query.setLock('pessimistic_write');
    const existing = await query.getOne();
    const now = new Date();
    if (existing && existing.tenantId !== tenantId) throw new RangeError('pending entity of another tenant');
    if (
      existing &&
      existing.status === 'CLEARED' &&
      !conflict &&
      isDeepStrictEqual(contentOf(existing.snapshot), contentOf(change.snapshot))
    ) {
      return existing; // nothing changed since it was cleared
    }
    const stillPending = existing?.status === 'PENDING';
    const row: PendingEntity = {
      id: existing?.id ?? newId('pendingEntity'),
      tenantId,
      connectionId,
      direction: change.direction,
      entityType: change.entityType,
      entityKey,
      quickbooksId: change.quickBooksId ?? existing?.quickbooksId ?? null,
      externalId: change.externalId ?? existing?.externalId ?? null,
      channel: change.channel ?? existing?.channel ?? null,
      label: change.label.slice(0, 255),
      operation:
        stillPending && (OPERATION_RANK[existing.operation] ?? 1) > (OPERATION_RANK[change.operation] ?? 1)
          ? existing.operation
          : change.operation,
      changes: stillPending ? mergeChanges(existing.changes, change.changes) : { ...change.changes },
      snapshot: change.snapshot,
      conflict: conflict || (stillPending && existing.conflict),
      status: 'PENDING',
      detectedAt: now,
      resolvedAt: null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (existing) {
      const { id, createdAt: _created, ...fields } = row;
      await manager.update(PendingEntity, { id }, fields as never);
    } else {
      await manager.insert(PendingEntity, row as never);
    }
    await this.announce(manager, tenantId, connectionId);
    return row;
  }

  /** Partner webhooks (pending_entities.changed) are written with the change; wired after construction. */
  attachWebhooks(webhooks: WebhookEmitter): void {
    this.webhooks = webhooks;
  }

  /** Pending changes of a connection, oldest first. */
  async list(
    tenantId: string,
    connectionId: string,
    direction: SyncDirection | null | undefined,
    args: PageArgs,
  ): Promise<Page<PendingEntity>> {
    const query = this.dataSource
      .getRepository(PendingEntity)
      .createQueryBuilder('p')
      .where('p.tenantId = :tenantId AND p.connectionId = :connectionId AND p.status = :status', {
        tenantId,
        connectionId,
        status: 'PENDING',
      });
    if (direction) query.andWhere('p.direction = :direction', { direction });
    return paginate(query, args, { defaultSize: 100 });
  }

  async get(tenantId: string, id: string): Promise<PendingEntity> {
    const row = await this.dataSource.getRepository(PendingEntity).findOneBy({ id, tenantId });
    if (!row) throw new AppError('NOT_FOUND', `Pending entity ${id} not found`);
    return row;
  }

  /** The number next to the wizard's icon, per connection. */
  async counts(connectionIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>(connectionIds.map((id) => [id, 0]));
    if (connectionIds.length === 0) return result;
    const rows = await this.dataSource
      .getRepository(PendingEntity)
      .createQueryBuilder('p')
      .select('p.connectionId', 'connectionId')
      .addSelect('COUNT(*)', 'n')
      .where('p.connectionId IN (:...ids) AND p.status = :status', { ids: connectionIds, status: 'PENDING' })
      .groupBy('p.connectionId')
      .getRawMany<{ connectionId: string; n: number | string }>();
    for (const row of rows) result.set(row.connectionId, Number(row.n));
    return result;
  }

  /**
   * Publishes PENDING_ENTITIES_CHANGED for the connection once `manager`'s transaction commits (at once outside one).
   * TypeORM announces commits to the DataSource's subscribers, so one subscriber is added, once.
   */
  async announce(manager: EntityManager, tenantId: string, connectionId: string): Promise<void> {
    const runner = manager.queryRunner;
    const waiting = runner?.isTransactionActive
      ? (this.awaitingCommit.get(runner) ?? new Set<string>())
      : undefined;
    // Partners' endpoints hear of it once per transaction and connection, in the same commit.
    if (!waiting?.has(connectionId)) {
      await this.webhooks?.emit(manager, tenantId, {
        type: 'pending_entities.changed',
        data: { connectionId },
      });
    }
    if (!runner || !waiting) {
      this.publish(connectionId);
      return;
    }
    waiting.add(connectionId);
    this.awaitingCommit.set(runner, waiting);
    if (this.commitHookInstalled) return;
    this.commitHookInstalled = true;
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => {
        if (queryRunner.isTransactionActive) return; // a savepoint: the outer transaction decides
        const connections = this.awaitingCommit.get(queryRunner);
        this.awaitingCommit.delete(queryRunner);
        for (const id of connections ?? []) this.publish(id);
      },
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.awaitingCommit.delete(queryRunner);
      },
    };
    this.dataSource.subscribers.push(subscriber);
  }

  private publish(connectionId: string): void {
    this.events.publish(connectionId, 'PENDING_ENTITIES_CHANGED', { message: 'pending entities changed' });
  }
}
