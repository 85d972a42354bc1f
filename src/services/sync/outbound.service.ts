import { isDeepStrictEqual } from 'node:util';
import { In, type DataSource, type EntityManager } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  PartnerRecordEntity,
  PendingEntity,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import type { ConnectionEvents } from '../connection-events';
import { QUICKBOOKS_ENTITY, type ReferenceService } from '../reference.service';
import { writeConflict } from '../../db/sql';
import { toStoredError } from '../stored-error';
import type { SyncLogService } from '../sync-log.service';
import { applyInboundSnapshot } from './mirror';
import { text } from '../posting/posting-mapper';
import {
  changesBetween,
  customerContent,
  labelOf,
  productContent,
  QUICKBOOKS_ENTITY_OF,
  type Content,
  type CustomerFields,
  type PartnerType,
  type ProductFields,
} from './outbound-fields';
import { OutboundPush, type PushEntry } from './outbound-push';
import type { PendingService } from './pending.service';

export const MAX_RECORDS_PER_CALL = 1000;
const CHANNEL_MAX = 100;
const READ_CHUNK = 500;
const WRITE_ATTEMPTS = 5;

export interface UpsertReferenceResult {
  records: PartnerRecordEntity[];
  created: number;
  updated: number;
  pendingApproval: number;
  queued: number;
  batch: SyncBatchEntity | null;
}

/**
 * Partners' customers and products (upsertCustomers, upsertProducts): stored by (connection, channel, externalId);
 * new or changed ones wait in the sync wizard (requireApproval) or go to QuickBooks at once in an APPLY_APPROVED
 * batch. `runApplyBatch` is the job of APPLY_APPROVED and RETRY batches, whose items are partner records (outbound)
 * or approved pending entities (either direction).
 */
export class OutboundSync {
  /** DESKTOP connections apply through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: { plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> };

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly references: ReferenceService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
    private readonly pending: PendingService,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
  ) {}

  upsertCustomers(
    tenantId: string,
    connectionId: string,
    channel: string,
    inputs: readonly CustomerFields[],
  ) {
    return this.upsert(
      tenantId,
      connectionId,
      channel,
      'CUSTOMER',
      inputs.map(customerContent),
      inputs,
      'customers',
    );
  }

  upsertProducts(tenantId: string, connectionId: string, channel: string, inputs: readonly ProductFields[]) {
    return this.upsert(
      tenantId,
      connectionId,
      channel,
      'ITEM',
      inputs.map(productContent),
      inputs,
      'products',
    );
  }

  private async upsert(
    tenantId: string,
    connectionId: string,
    channel: string,
    type: PartnerType,
    contents: Content[],
    inputs: ReadonlyArray<{ externalId: string }>,
    field: string,
  ): Promise<UpsertReferenceResult> {
    if (inputs.length > MAX_RECORDS_PER_CALL)
      throw badInput(field, `at most ${MAX_RECORDS_PER_CALL} a call (got ${inputs.length}); split the call`);
    if (!channel.trim() || channel.length > CHANNEL_MAX || /\p{Cc}/u.test(channel))
      throw badInput('channel', `must be 1 to ${CHANNEL_MAX} visible characters`);
    const seen = new Map<string, number>();
    inputs.forEach((input, index) => {
      const key = input.externalId.trim().toLowerCase();
      if (seen.has(key))
        throw badInput(
          `${field}.${index}.externalId`,
          `repeats ${field}.${seen.get(key)}.externalId in this call`,
        );
      seen.set(key, index);
    });
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneBy({ id: connectionId, tenantId });
    if (!connection) throw notFound('Connection', connectionId);
    if (connection.environment === 'DESKTOP' && !this.desktop)
      throw new AppError(
        'BAD_USER_INPUT',
        'connectionId: two-way sync of customers and products is for QuickBooks Online connections',
        { field: 'connectionId' },
      );
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    if (inputs.length === 0)
      return { records: [], created: 0, updated: 0, pendingApproval: 0, queued: 0, batch: null };

    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.write(connection, channel, type, contents, inputs, settings.requireApproval);
      } catch (error) {
        // Another call stored one of these records between our read and our insert, or MySQL chose us as a
        // deadlock victim: run again, now seeing the other call's rows.
        if (!writeConflict(error)) throw error;
        if (attempt >= WRITE_ATTEMPTS)
          throw new AppError(
            'CONFLICT',
            `${field}: the same records are being stored by another call at this moment`,
            {
              field,
              hint: 'send the call again',
            },
          );
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  private write(
    connection: ConnectionEntity,
    channel: string,
    type: PartnerType,
    contents: Content[],
    inputs: ReadonlyArray<{ externalId: string }>,
    requireApproval: boolean,
  ): Promise<UpsertReferenceResult> {
    const { tenantId, id: connectionId } = connection;
    return this.dataSource.transaction(async (manager) => {
      const existing = new Map<string, PartnerRecordEntity>();
      const ids = inputs.map((i) => i.externalId.trim());
      for (let start = 0; start < ids.length; start += READ_CHUNK) {
        const rows = await manager.getRepository(PartnerRecordEntity).findBy({
          connectionId,
          type,
          channel,
          externalId: In(ids.slice(start, start + READ_CHUNK)),
        });
        for (const row of rows) existing.set(row.externalId.toLowerCase(), row);
      }
      const now = new Date();
      const records: PartnerRecordEntity[] = [];
      const queued: PartnerRecordEntity[] = [];
      let created = 0;
      let updated = 0;
      let pendingApproval = 0;
      for (const [index, input] of inputs.entries()) {
        const content = contents[index];
        const externalId = input.externalId.trim();
        const old = existing.get(externalId.toLowerCase());
        if (old && isDeepStrictEqual(old.content, content)) {
          records.push(old); // unchanged: nothing to send (a cleared change returns only when it changes again)
          continue;
        }
        const state = requireApproval ? 'PENDING_APPROVAL' : 'QUEUED';
        const record: PartnerRecordEntity = old
          ? { ...old, content, name: labelOf(type, content) || externalId, syncState: state, updatedAt: now }
          : {
              id: newId('partnerRecord'),
              tenantId,
              connectionId,
              type,
              channel,
              externalId,
              name: labelOf(type, content) || externalId,
              content,
              quickbooksId: null,
              syncedContent: null,
              syncedSyncToken: null,
              syncState: state,
              lastError: null,
              sentAt: null,
              createdAt: now,
              updatedAt: now,
            };
        if (old) {
          updated += 1;
          await manager.update(PartnerRecordEntity, { id: old.id }, {
            content,
            name: record.name,
            syncState: state,
          } as never);
        } else {
          created += 1;
          await manager.insert(PartnerRecordEntity, record as never);
        }
        records.push(record);
        if (requireApproval) {
          pendingApproval += 1;
          await this.pending.hold(manager, tenantId, connectionId, {
            direction: 'TO_QUICKBOOKS',
            entityType: type,
            quickBooksId: record.quickbooksId,
            externalId,
            channel,
            label: record.name,
            operation: record.quickbooksId ? 'UPDATE' : 'CREATE',
            changes: changesBetween(record.syncedContent ?? {}, content),
            snapshot: { partnerRecordId: record.id, ours: content },
          });
        } else {
          queued.push(record);
        }
      }
      const batch = queued.length
        ? await this.queueBatch(
            manager,
            connection,
            'APPLY_APPROVED',
            queued.map((r) => ({ entityType: QUICKBOOKS_ENTITY_OF[r.type], entityId: r.id, label: r.name })),
          )
        : null;
      return { records, created, updated, pendingApproval, queued: queued.length, batch };
    });
  }

  async getRecord(tenantId: string, id: string): Promise<PartnerRecordEntity> {
    const row = await this.dataSource.getRepository(PartnerRecordEntity).findOneBy({ id, tenantId });
    if (!row) throw notFound('Partner record', id);
    return row;
  }

  /** The partner records linked to these mirror rows (by reference row id). */
  recordsOfReferences(referenceIds: readonly string[]): Promise<Map<string, PartnerRecordEntity>> {
    return partnerRecordsOfReferences(this.dataSource, referenceIds);
  }

  /** Creates an APPLY_APPROVED or RETRY batch and its job inside the caller's transaction. */
  async queueBatch(
    manager: EntityManager,
    connection: ConnectionEntity,
    kind: 'APPLY_APPROVED' | 'RETRY',
    items: Array<{ entityType: string; entityId: string; label: string }>,
  ): Promise<SyncBatchEntity> {
    const batch = await this.batches.create(manager, {
      tenantId: connection.tenantId,
      connectionId: connection.id,
      kind,
      items,
    });
    await this.jobs.enqueue('sync.apply', { batchId: batch.id }, { manager });
    return batch;
  }

  /** The job of APPLY_APPROVED and RETRY batches. */
  async runApplyBatch(batchId: string, options: { finalAttempt?: boolean } = {}): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return;
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: batch.connectionId });
    if (connection.environment === 'DESKTOP' && this.desktop) return this.desktop.plan(batch, connection);
    await this.batches.start(batchId);
    const items = await this.batches.pendingItems(batchId);
    const pendingIds = items.filter((i) => i.entityId.startsWith('pen_')).map((i) => i.entityId);
    const pendings = new Map(
      (pendingIds.length
        ? await this.dataSource.getRepository(PendingEntity).findBy({ id: In(pendingIds) })
        : []
      ).map((p) => [p.id, p]),
    );
    // Outbound: partner records, directly or through an approved pending entity.
    const recordIds = new Map<string, { seq: number; force: boolean }>();
    let inboundApplied = 0;
    for (const item of items) {
      const pending = pendings.get(item.entityId);
      if (!pending) {
        if (item.entityId.startsWith('pen_')) {
          await this.batches.recordItem(batchId, item.seq, { status: 'SKIPPED' });
          continue;
        }
        recordIds.set(item.entityId, { seq: item.seq, force: false });
      } else if (pending.direction === 'FROM_QUICKBOOKS') {
        await this.applyInbound(batch, pending, item.seq);
        inboundApplied += 1;
      } else {
        const recordId = text(pending.snapshot.partnerRecordId);
        recordIds.set(recordId, { seq: item.seq, force: pending.conflict });
      }
    }
    if (inboundApplied)
      this.events.publish(connection.id, 'REFERENCE_DATA_CHANGED', {
        message: `${inboundApplied} approved changes applied`,
      });
    const records = recordIds.size
      ? await this.dataSource
          .getRepository(PartnerRecordEntity)
          .findBy({ id: In([...recordIds.keys()]), connectionId: connection.id })
      : [];
    const missing = [...recordIds].filter(([id]) => !records.some((r) => r.id === id));
    for (const [, { seq }] of missing) await this.batches.recordItem(batchId, seq, { status: 'SKIPPED' });
    if (records.length) {
      try {
        const client = this.connections.clientFor(connection);
        const push = new OutboundPush(
          this.dataSource,
          connection,
          client,
          this.references,
          this.batches,
          this.syncLogs,
          this.pending,
          batchId,
        );
        for (const type of ['ITEM', 'CUSTOMER'] as const) {
          const entries: PushEntry[] = records
            .filter((r) => r.type === type)
            .map((record) => ({ record, ...recordIds.get(record.id)! }));
          await push.run(type, entries);
        }
      } catch (error) {
        const lost = error instanceof QuickBooksError && error.category === 'NEEDS_REAUTHORIZATION';
        if (!lost && !options.finalAttempt) throw error; // the job runs again: records with sentAt are looked up first
        this.logger.error({ err: error, batchId }, 'reference sync gave up');
        const stored = toStoredError(error);
        const open = (await this.batches.pendingItems(batchId)).map((i) => i.entityId);
        if (open.length)
          await this.dataSource
            .getRepository(PartnerRecordEntity)
            .update({ id: In(open) }, { syncState: 'FAILED', lastError: stored });
        await this.batches.abandon(batchId, stored);
        return;
      }
    }
    await this.batches.finish(batchId);
  }

  /** An approved inbound change: its QuickBooks object goes into the mirror. */
  private async applyInbound(batch: SyncBatchEntity, pending: PendingEntity, seq: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await applyInboundSnapshot(
        manager,
        pending.tenantId,
        pending.connectionId,
        pending.entityType,
        pending.snapshot,
      );
      await this.syncLogs.recordIn(manager, [
        {
          tenantId: pending.tenantId,
          connectionId: pending.connectionId,
          batchId: batch.id,
          direction: 'FROM_QUICKBOOKS',
          action: pending.operation,
          entityType: QUICKBOOKS_ENTITY[pending.entityType],
          entityId: pending.id,
          label: pending.label,
          quickbooksId: pending.quickbooksId,
          status: 'SUCCEEDED',
          message: row ? null : 'QuickBooks has a newer version already in the mirror',
        },
      ]);
      await this.batches.recordItems(
        batch.id,
        [{ seq, status: 'SUCCEEDED', quickbooksId: pending.quickbooksId }],
        manager,
      );
    });
  }
}

/** The partner records linked to these mirror rows (by reference row id), for ReferenceEntity's sync fields. */
async function partnerRecordsOfReferences(
  dataSource: DataSource,
  referenceIds: readonly string[],
): Promise<Map<string, PartnerRecordEntity>> {
  const result = new Map<string, PartnerRecordEntity>();
  if (referenceIds.length === 0) return result;
  const links = await dataSource
    .createQueryBuilder()
    .select('r.id', 'referenceId')
    .addSelect('p.id', 'recordId')
    .from('reference_entities', 'r')
    .innerJoin(
      'partner_records',
      'p',
      'p.connectionId = r.connectionId AND p.type = r.type AND p.quickbooksId = r.quickbooksId',
    )
    .where('r.id IN (:...ids)', { ids: referenceIds })
    .orderBy('p.id', 'ASC')
    .getRawMany<{ referenceId: string; recordId: string }>();
  if (links.length === 0) return result;
  const records = await dataSource
    .getRepository(PartnerRecordEntity)
    .findBy({ id: In([...new Set(links.map((l) => l.recordId))]) });
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const link of links) {
    const record = byId.get(link.recordId);
    if (record && !result.has(link.referenceId)) result.set(link.referenceId, record);
  }
  return result;
}
