import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import type { PartnerRecordEntity, PendingEntity, ReferenceSyncState } from '../entities';
import { notFound } from '../errors';
import { SyncBatch } from '../schema/types/batch.types';
import { SyncDirectionEnum, SyncError, toSyncError } from '../schema/types/common.types';
import { Connection, ReferenceEntity } from '../schema/types/connection.types';
import { toConnectionType, toReferenceEntityType, toSyncBatchType } from '../schema/mappers';
import { toConnection } from '../schema/relay';
import { RequireScope } from '../schema/scopes';
import {
  ApproveEntitiesPayload,
  CustomerInput,
  PendingEntityConnection,
  PendingEntityType,
  ProductInput,
  ReferenceSyncStateEnum,
  UncheckedActionEnum,
  UpsertReferencePayload,
  type ReferenceSyncFields,
} from '../schema/types/sync.types';
import type { ReferenceService } from '../services/reference.service';
import type { OutboundSync, UpsertReferenceResult } from '../services/sync/outbound.service';
import type { PendingService } from '../services/sync/pending.service';
import type { Services } from '../core';
import type { SyncDirection } from '../entities';

type WithSync = ReferenceEntity & { sync?: ReferenceSyncFields };

const syncFieldsOf = (record: PartnerRecordEntity): ReferenceSyncFields => ({
  externalId: record.externalId,
  channel: record.channel,
  syncState: record.syncState,
  lastError: record.lastError,
});

export function toPendingEntityType(row: PendingEntity): PendingEntityType {
  return {
    id: row.id,
    connectionId: row.connectionId,
    direction: row.direction,
    entityType: row.entityType,
    label: row.label,
    operation: row.operation,
    changes: row.changes,
    detectedAt: row.detectedAt,
    status: row.status,
    conflict: row.conflict,
    quickbooksId: row.quickbooksId,
    externalId: row.externalId,
    channel: row.channel,
  };
}

/** A partner's record as a ReferenceEntity (before, or apart from, the mirrored QuickBooks record). */
export function toPartnerReferenceEntity(record: PartnerRecordEntity): WithSync {
  return {
    id: record.id,
    type: record.type,
    quickbooksId: record.quickbooksId ?? '',
    name: record.name,
    active: record.content.active !== false,
    syncToken: record.syncedSyncToken,
    quickbooksUpdatedAt: null,
    data: {},
    sync: syncFieldsOf(record),
  };
}

/** Per-request loaders of this resolver's fields (kept beside the request's context, gone with it). */
const requestLoaders = new WeakMap<
  object,
  {
    records: DataLoader<string, PartnerRecordEntity | null>;
    pendingCounts: DataLoader<string, number>;
  }
>();

function loadersOf(context: GatewayContext, outbound: OutboundSync, pending: PendingService) {
  let loaders = requestLoaders.get(context);
  if (!loaders) {
    loaders = {
      records: new DataLoader(async (ids) => {
        const found = await outbound.recordsOfReferences(ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      pendingCounts: new DataLoader(async (ids) => {
        const counts = await pending.counts(ids);
        return ids.map((id) => counts.get(id) ?? 0);
      }),
    };
    requestLoaders.set(context, loaders);
  }
  return loaders;
}

/** Two-way reference sync: partners' customers and products, the sync wizard, retries. */
@Resolver(() => PendingEntityType)
export class SyncResolver {
  constructor(private readonly services: Pick<Services, 'sync' | 'pending' | 'references'>) {}

  @Mutation(() => UpsertReferencePayload, {
    description:
      "Stores a channel's customers by externalId (≤ 1,000 a call); new or changed ones go to QuickBooks (matched to " +
      'existing customers by DisplayName, then e-mail, so nothing is duplicated) or wait in the sync wizard.',
  })
  @RequireScope('WRITE')
  async upsertCustomers(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('channel', () => String) channel: string,
    @Arg('customers', () => [CustomerInput]) customers: CustomerInput[],
    @Ctx() context: GatewayContext,
  ): Promise<UpsertReferencePayload> {
    const result = await this.services.sync.outbound.upsertCustomers(
      principalOf(context).tenantId,
      connectionId,
      channel,
      customers,
    );
    return this.payload(result);
  }

  @Mutation(() => UpsertReferencePayload, {
    description:
      "Stores a channel's products by externalId (≤ 1,000 a call); new or changed ones go to QuickBooks (matched to " +
      'existing items by Sku, then Name, so nothing is duplicated) or wait in the sync wizard.',
  })
  @RequireScope('WRITE')
  async upsertProducts(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('channel', () => String) channel: string,
    @Arg('products', () => [ProductInput]) products: ProductInput[],
    @Ctx() context: GatewayContext,
  ): Promise<UpsertReferencePayload> {
    const result = await this.services.sync.outbound.upsertProducts(
      principalOf(context).tenantId,
      connectionId,
      channel,
      products,
    );
    return this.payload(result);
  }

  @Query(() => PendingEntityConnection, { description: 'Changes waiting in the sync wizard, oldest first.' })
  @RequireScope('READ')
  async pendingEntities(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('direction', () => SyncDirectionEnum, { nullable: true }) direction: SyncDirection | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.services.pending.list(principalOf(context).tenantId, connectionId, direction, {
      first,
      after,
    });
    return toConnection(page, toPendingEntityType);
  }

  @Mutation(() => ApproveEntitiesPayload, {
    description:
      'Applies the checked pending entities in one APPLY_APPROVED batch; the unchecked ones are cleared (CLEAR) or stay (KEEP).',
  })
  @RequireScope('WRITE')
  async approveEntities(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('entityIds', () => [ID]) entityIds: string[],
    @Arg('unchecked', () => UncheckedActionEnum, { nullable: true, defaultValue: 'KEEP' })
    unchecked: 'KEEP' | 'CLEAR' | null,
    @Ctx() context: GatewayContext,
  ): Promise<ApproveEntitiesPayload> {
    const result = await this.services.sync.wizard.approve(
      principalOf(context).tenantId,
      connectionId,
      entityIds,
      unchecked ?? 'KEEP',
    );
    return { ...result, batch: result.batch ? toSyncBatchType(result.batch) : null };
  }

  @Mutation(() => SyncBatch, {
    description: 'Runs failed customer and product syncs again as one RETRY batch.',
  })
  @RequireScope('WRITE')
  async retrySync(
    @Arg('syncLogIds', () => [ID]) syncLogIds: string[],
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.services.sync.retry.retry(principalOf(context).tenantId, syncLogIds));
  }

  @FieldResolver(() => Connection)
  async connection(@Root() pending: PendingEntityType, @Ctx() context: GatewayContext): Promise<Connection> {
    const row = await context.loaders.connection.load(pending.connectionId);
    if (!row) throw notFound('Connection', pending.connectionId);
    return toConnectionType(row);
  }

  /** Entities in the order sent: the mirrored QuickBooks record once linked, the partner's record until then. */
  private async payload(result: UpsertReferenceResult): Promise<UpsertReferencePayload> {
    const references: ReferenceService = this.services.references;
    const mirrored = new Map<string, ReturnType<typeof toReferenceEntityType>>();
    for (const type of ['CUSTOMER', 'ITEM'] as const) {
      const ids = result.records.filter((r) => r.type === type && r.quickbooksId).map((r) => r.quickbooksId!);
      if (ids.length === 0) continue;
      const connectionId = result.records[0].connectionId;
      for (const row of await references.findByQuickbooksIds(connectionId, type, ids))
        mirrored.set(`${type}:${row.quickbooksId}`, toReferenceEntityType(row));
    }
    const entities = result.records.map((record): WithSync => {
      const sync = syncFieldsOf(record);
      const row = record.quickbooksId ? mirrored.get(`${record.type}:${record.quickbooksId}`) : undefined;
      return row ? { ...row, sync } : toPartnerReferenceEntity(record);
    });
    return {
      entities,
      created: result.created,
      updated: result.updated,
      pendingApproval: result.pendingApproval,
      queued: result.queued,
      batch: result.batch ? toSyncBatchType(result.batch) : null,
    };
  }
}

/** ReferenceEntity's sync fields: the partner record linked to the QuickBooks record, if any. */
@Resolver(() => ReferenceEntity)
export class ReferenceSyncResolver {
  constructor(
    private readonly outbound: OutboundSync,
    private readonly pending: PendingService,
  ) {}

  private async fields(entity: WithSync, context: GatewayContext): Promise<ReferenceSyncFields | null> {
    if (entity.sync) return entity.sync;
    const record = await loadersOf(context, this.outbound, this.pending).records.load(entity.id);
    return record ? syncFieldsOf(record) : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The partner's id of this record (upsertCustomers).",
  })
  async externalId(@Root() entity: ReferenceEntity, @Ctx() context: GatewayContext): Promise<string | null> {
    return (await this.fields(entity, context))?.externalId ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The channel that sent it.' })
  async channel(@Root() entity: ReferenceEntity, @Ctx() context: GatewayContext): Promise<string | null> {
    return (await this.fields(entity, context))?.channel ?? null;
  }

  @FieldResolver(() => ReferenceSyncStateEnum, {
    description: "Where a partner's record stands with QuickBooks; IN_SYNC for QuickBooks' own records.",
  })
  async syncState(
    @Root() entity: ReferenceEntity,
    @Ctx() context: GatewayContext,
  ): Promise<ReferenceSyncState> {
    return (await this.fields(entity, context))?.syncState ?? 'IN_SYNC';
  }

  @FieldResolver(() => SyncError, { nullable: true })
  async lastError(
    @Root() entity: ReferenceEntity,
    @Ctx() context: GatewayContext,
  ): Promise<SyncError | null> {
    return toSyncError((await this.fields(entity, context))?.lastError);
  }
}

/** Connection.pendingCount: the number next to the sync wizard's icon. */
@Resolver(() => Connection)
export class ConnectionPendingResolver {
  constructor(
    private readonly outbound: OutboundSync,
    private readonly pending: PendingService,
  ) {}

  @FieldResolver(() => Int, { description: 'Changes waiting in the sync wizard.' })
  async pendingCount(@Root() connection: Connection, @Ctx() context: GatewayContext): Promise<number> {
    return loadersOf(context, this.outbound, this.pending).pendingCounts.load(connection.id);
  }
}
