import type { DataSource, EntityManager } from 'typeorm';
import { OrderEntity, type PostedTransactionData } from '../../entities';
import { AppError } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import type { QuickBooksError } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import { forgetRemovedInvoice } from '../invoices/invoice-ledger';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import { label, toStoredError } from './posting.service';
import { dialectOf, execute, placeholders, toDbTime, updateEach, type Dialect } from '../../db/sql';

/** What one delete or void came to: removed (no error) or refused (the error). */
export interface RemovalOutcome {
  removal: Removal;
  error?: QuickBooksError;
  requestId: string;
  durationMs?: number;
}

export interface Removal {
  order: OrderEntity;
  seq?: number;
  posted: PostedTransactionData;
  syncToken: string;
}

/**
 * The durable record of undoing, in the database: an order becomes UNCERTAIN (its status kept) in its own commit before
 * its delete or void leaves, then NEW once removed or back to its status when QuickBooks refused; each batch chunk's
 * outcomes with their items and sync logs in one commit. Every write is fenced on UNCERTAIN, so only the undo under
 * way settles an order.
 */
export class UndoLedger {
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /** Removed orders become NEW, refused ones return to their status; items and sync logs, in one transaction. */
  async recordRemovals(batchId: string, mode: 'DELETE' | 'VOID', outcomes: RemovalOutcome[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.reset(
        manager,
        outcomes.filter((o) => !o.error).map((o) => o.removal.order),
      );
      await this.restoreIn(
        manager,
        outcomes.filter((o) => o.error).map((o) => o.removal.order),
        undefined,
      );
      await this.batches.recordItems(
        batchId,
        outcomes.map(({ removal, error }) =>
          error
            ? { seq: removal.seq!, status: 'FAILED' as const, error: toStoredError(error) }
            : { seq: removal.seq!, status: 'SUCCEEDED' as const, quickbooksId: removal.posted.id },
        ),
        manager,
      );
      await this.syncLogs.recordIn(
        manager,
        outcomes.map(({ removal, error, requestId, durationMs }) =>
          undoLog(removal.order, mode, removal.posted, batchId, {
            status: error ? 'FAILED' : 'SUCCEEDED',
            code: error?.quickbooksCode ?? null,
            message: error?.message ?? null,
            requestId,
            durationMs: durationMs ?? null,
          }),
        ),
      );
    });
  }

  /**
   * The durable record of an undo under way, in its own commit: UNCERTAIN, the status to return to kept. With
   * `reconcileAfterMs`, an `orders.reconcile` job is queued in the same commit to settle it if nothing else does.
   */
  async markUncertain(orders: OrderEntity[], reconcileAfterMs: number | undefined): Promise<void> {
    if (orders.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      const now = toDbTime(this.dialect, new Date());
      for (const status of new Set(orders.map((o) => o.status))) {
        const group = orders.filter((o) => o.status === status);
        const affected = await execute(
          manager,
          `UPDATE \`orders\` SET \`statusBeforeUndo\` = \`status\`, \`status\` = 'UNCERTAIN', \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(group.length)}) AND \`status\` = ?`,
          [now, ...group.map((o) => o.id), status],
        );
        if (affected !== group.length) {
          throw new AppError(
            'CONFLICT',
            'an order changed while its undo was starting; reload it and undo again',
          );
        }
      }
      if (reconcileAfterMs !== undefined) {
        for (const order of orders) {
          await this.jobs.enqueue(
            'orders.reconcile',
            { orderId: order.id, generation: order.postingGeneration },
            { manager, runAt: new Date(Date.now() + reconcileAfterMs) },
          );
        }
      }
    });
  }

  /** Removed from QuickBooks: the orders become NEW (only those still in this undo). */
  async reset(manager: EntityManager, orders: OrderEntity[]): Promise<void> {
    if (orders.length === 0) return;
    await manager
      .createQueryBuilder()
      .update(OrderEntity)
      .set({
        status: 'NEW',
        statusBeforeUndo: null,
        postedTransaction: null,
        postedTransactionId: null,
        postedAt: null,
        sentAt: null,
        lastError: null,
        modifiedAfterPosting: false,
        postingBatchId: null,
      } as never)
      .where('id IN (:...ids) AND status = :uncertain', {
        ids: orders.map((o) => o.id),
        uncertain: 'UNCERTAIN',
      })
      .execute();
    // An invoiced order's invoice no longer stands in QuickBooks either: it can be sent again.
    for (const order of orders) {
      if (order.postedTransaction?.kind === 'INVOICE')
        await forgetRemovedInvoice(manager, order.id, order.postedTransaction.id);
    }
  }

  /** Still in QuickBooks: the orders return to their status (with the reason when given). */
  async restore(orders: OrderEntity[], error: ReturnType<typeof toStoredError> | undefined): Promise<void> {
    if (orders.length === 0) return;
    await this.dataSource.transaction((manager) => this.restoreIn(manager, orders, error));
  }

  async restoreIn(
    manager: EntityManager,
    orders: OrderEntity[],
    error: ReturnType<typeof toStoredError> | undefined,
  ): Promise<void> {
    await updateEach(
      manager,
      'orders',
      'id',
      orders,
      (o) => o.id,
      // Orders read before this undo marked them: their own status is where they return to.
      { status: (o) => o.statusBeforeUndo ?? (o.status === 'UNCERTAIN' ? 'POSTED' : o.status) },
      {
        statusBeforeUndo: null,
        updatedAt: toDbTime(this.dialect, new Date()),
        ...(error ? { lastError: JSON.stringify(error) } : {}),
      },
      { sql: "`status` = 'UNCERTAIN'", params: [] },
    );
  }
}

/** The sync log of an order's delete or void. */
export function undoLog(
  order: OrderEntity,
  mode: 'DELETE' | 'VOID',
  posted: PostedTransactionData,
  batchId: string | null,
  entry: Pick<SyncLogEntry, 'status'> & Partial<SyncLogEntry>,
): SyncLogEntry {
  return {
    tenantId: order.tenantId,
    connectionId: order.connectionId,
    batchId,
    direction: 'TO_QUICKBOOKS',
    action: mode === 'VOID' ? 'VOID' : 'DELETE',
    entityType: 'Order',
    entityId: order.id,
    label: label(order),
    quickbooksId: posted.id,
    ...entry,
  };
}
