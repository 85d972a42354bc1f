import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { SyncBatch } from '../schema/types/batch.types';
import { toOrderType, toSyncBatchType } from '../schema/mappers';
import { UndoSyncPayload } from '../schema/types/posting.types';
import { RequireScope } from '../schema/scopes';
import type { PostingService } from '../services/posting/posting.service';
import type { UndoService } from '../services/posting/undo.service';

@Resolver()
export class PostingResolver {
  constructor(
    private readonly posting: PostingService,
    private readonly undo: UndoService,
  ) {}

  @Mutation(() => SyncBatch, {
    description:
      'Posts NEW, FAILED or ARCHIVED orders of one connection to QuickBooks. Returns the QUEUED batch at once; follow it ' +
      'with batchProgress. Each order lands in QuickBooks exactly once.',
  })
  @RequireScope('WRITE')
  async postOrders(
    @Arg('orderIds', () => [ID]) orderIds: string[],
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.posting.postOrders(principalOf(context).tenantId, orderIds));
  }

  @Mutation(() => UndoSyncPayload, {
    description:
      "Removes a posted order's transaction from QuickBooks (delete or void, per settings); the order becomes NEW.",
  })
  @RequireScope('WRITE')
  async undoSync(
    @Arg('orderId', () => ID) orderId: string,
    @Ctx() context: GatewayContext,
  ): Promise<UndoSyncPayload> {
    const result = await this.undo.undoOrder(principalOf(context).tenantId, orderId);
    return {
      order: toOrderType(result.order),
      removedTransaction: result.removedTransaction,
      keptCustomerIds: result.keptCustomerIds,
      keptItemIds: result.keptItemIds,
      batch: result.batch ? toSyncBatchType(result.batch) : null,
    };
  }

  @Mutation(() => SyncBatch, {
    description: 'Undoes every posted order of a batch, as a new UNDO_ORDERS batch.',
  })
  @RequireScope('WRITE')
  async undoBatch(
    @Arg('batchId', () => ID) batchId: string,
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(await this.undo.undoBatch(principalOf(context).tenantId, batchId));
  }
}
