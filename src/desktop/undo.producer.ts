import { In, type DataSource } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type ConnectionEntity,
  type DesktopRequestEntity,
  type PostedTransactionData,
  type SyncBatchEntity,
} from '../entities';
import type { BatchService } from '../services/batch.service';
import type { SyncLogService } from '../services/sync-log.service';
import { statusError, isError } from './qbxml';
import {
  insertOnce,
  type DesktopAnswer,
  type DesktopProducer,
  type DesktopQueue,
  type NewDesktopRequest,
} from './request-queue';

const PRODUCER = 'UNDO_ORDERS';

interface UndoContext {
  orderId: string;
  seq: number;
  generation: number;
  mode: 'DELETE' | 'VOID';
  posted: PostedTransactionData;
}

/**
 * Undo for DESKTOP connections: TxnDel or TxnVoid (per `undoMode`) of each order's transaction at the next Web
 * Connector run. A delete answered 3120 (already gone) counts as done, so a re-sent delete after a lost answer is
 * harmless; the order becomes NEW only if it is still the posting that was removed.
 */
export class DesktopUndoProducer implements DesktopProducer {
  readonly name = PRODUCER;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    private readonly syncLogs: SyncLogService,
  ) {}

  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    // Planned before: only the finish a crash may have cut off is left to do here.
    if ((await this.queue.ofBatch(batch.id, ['undo'])).length > 0) {
      await this.batches.finishIfDone(batch.id);
      return;
    }
    const mode = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings }.undoMode;
    const items = await this.batches.pendingItems(batch.id);
    const orders = await this.dataSource
      .getRepository(OrderEntity)
      .findBy({ id: In(items.map((i) => i.entityId)) });
    const byId = new Map(orders.map((o) => [o.id, o]));
    const requests: NewDesktopRequest[] = [];
    for (const item of items) {
      const order = byId.get(item.entityId);
      const posted = order?.postedTransaction;
      if (!order || !posted) {
        await this.batches.recordItem(batch.id, item.seq, { status: 'SKIPPED' });
        continue;
      }
      const type = posted.kind === 'INVOICE' ? 'Invoice' : 'SalesReceipt';
      const context: UndoContext = {
        orderId: order.id,
        seq: item.seq,
        generation: order.postingGeneration,
        mode,
        posted,
      };
      requests.push({
        producer: PRODUCER,
        purpose: 'undo',
        type: mode === 'VOID' ? 'TxnVoid' : 'TxnDel',
        content:
          mode === 'VOID' ? { TxnVoidType: type, TxnID: posted.id } : { TxnDelType: type, TxnID: posted.id },
        batchId: batch.id,
        entityKey: order.id,
        label: `#${order.orderNumber}`,
        dedupeKey: `${batch.id}:undo:${order.id}`,
        context: context as unknown as Record<string, unknown>,
      });
    }
    await insertOnce(this.dataSource, (manager) => this.queue.add(manager, connection, requests));
  }

  async handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    for (const { request, response } of answers) {
      const context = request.context as unknown as UndoContext;
      const gone = context.mode === 'DELETE' && response.statusCode === 3120;
      const ok = !isError(response) || gone;
      const error = ok ? null : statusError(response);
      await this.dataSource.transaction(async (manager) => {
        if (ok) {
          // Only if the order is still the posting that was removed (not undone and posted again meanwhile).
          await manager
            .createQueryBuilder()
            .update(OrderEntity)
            .set({
              status: 'NEW',
              postedTransaction: null,
              postedTransactionId: null,
              postedAt: null,
              sentAt: null,
              lastError: null,
              modifiedAfterPosting: false,
              postingBatchId: null,
            } as never)
            .where("id = :id AND postingGeneration = :generation AND status IN ('POSTED', 'ARCHIVED')", {
              id: context.orderId,
              generation: context.generation,
            })
            .execute();
        }
        await this.queue.settle(manager, request, ok ? 'DONE' : 'FAILED', {
          statusCode: response.statusCode,
          statusMessage: response.statusMessage,
          result: error ? { error } : null,
        });
        await this.batches.recordItems(
          request.batchId!,
          [{ seq: context.seq, status: ok ? 'SUCCEEDED' : 'FAILED', quickbooksId: context.posted.id, error }],
          manager,
        );
        await this.syncLogs.recordIn(manager, [
          {
            tenantId: connection.tenantId,
            connectionId: connection.id,
            batchId: request.batchId,
            direction: 'TO_QUICKBOOKS',
            action: context.mode === 'VOID' ? 'VOID' : 'DELETE',
            entityType: 'Order',
            entityId: context.orderId,
            label: request.label,
            quickbooksId: context.posted.id,
            status: ok ? 'SUCCEEDED' : 'FAILED',
            code: String(response.statusCode),
            message: gone ? 'the transaction was already deleted in QuickBooks' : (error?.message ?? null),
            requestId: request.id,
          },
        ]);
      });
    }
    for (const batchId of new Set(answers.map((a) => a.request.batchId!)))
      await this.batches.finishIfDone(batchId);
  }

  /** A delete or void sent again is harmless (3120 when already deleted; voiding twice changes nothing). */
  async recover(_connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const request of requests) await this.queue.settle(manager, request, 'PENDING');
    });
  }
}
