import Decimal from 'decimal.js';
import type { DataSource, EntityManager } from 'typeorm';
import type { OrderEntity, PostedTransactionData, StoredSyncError } from '../../entities';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { QuickBooksError } from '../../quickbooks';
import { execute, placeholders, toDbTime, updateEach, type Dialect } from '../../db/sql';
import type { BatchService, ItemOutcome } from '../batch.service';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { PreparedOrder, RunContext } from './posting-context';
import { postedOrderColumns } from './posting-mapper';
import { timed } from './timings';

/**
 * What a posting run writes to the database: the durable record before a call (`markSent`), and each outcome — the
 * order POSTED or FAILED, its batch item, a sync log and the partner webhook — in one commit per chunk. The posted
 * columns an order gets are written in one place, `postedOrderColumns` (posting-mapper).
 */
export class PostingRecorder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: Dialect,
    private readonly batches: BatchService,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
    /** Partner webhooks order.posted and order.failed, written with each chunk's results. */
    private readonly webhooks?: WebhookEmitter,
  ) {}

  /**
   * The durable record, in its own commit: from here on these orders' outcome must be checked in QuickBooks before
   * anything is sent again. Fenced on the batch: a run that lost its lease cannot claim them back.
   */
  async markSent(context: RunContext, orderIds: string[]): Promise<void> {
    const sentAt = toDbTime(this.dialect, new Date());
    const marked = await timed('markSent', () =>
      this.dataSource.transaction((manager) =>
        execute(
          manager,
          `UPDATE \`orders\` SET \`status\` = 'POSTING', \`sentAt\` = ?, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(orderIds.length)}) AND \`postingBatchId\` = ? AND \`status\` IN ('QUEUED', 'POSTING')`,
          [sentAt, sentAt, ...orderIds, context.batch.id],
        ),
      ),
    );
    if (marked !== orderIds.length) {
      throw new AppError(
        'CONFLICT',
        'these orders were taken over by another run of the batch; stopping here',
      );
    }
  }

  /** Orders now in QuickBooks: the order becomes POSTED, its batch item SUCCEEDED, and a sync log says how. */
  async recordResults(
    context: RunContext,
    results: Array<{
      order: OrderEntity;
      seq: number;
      posted: PostedTransactionData;
      prepared?: PreparedOrder;
      requestId?: string;
      durationMs?: number;
    }>,
    action: 'CREATE' | 'MATCH' | 'UPDATE' = 'CREATE',
  ): Promise<void> {
    if (results.length === 0) return;
    const postedAt = new Date();
    const outcomes: Array<ItemOutcome & { seq: number }> = results.map(({ seq, posted }) => ({
      seq,
      status: 'SUCCEEDED',
      quickbooksId: posted.id,
    }));
    const mismatches = results.filter(
      ({ order, posted }) =>
        posted.totalAmount !== null && !new Decimal(posted.totalAmount).equals(order.total),
    );
    for (const { order, posted } of mismatches) {
      this.logger.warn(
        { orderId: order.id, orderTotal: order.total, quickbooksTotal: posted.totalAmount },
        'QuickBooks computed a different total than the order',
      );
    }
    const logs = results.map(({ order, posted, requestId, durationMs }) =>
      this.log(context, order, {
        action,
        status: 'SUCCEEDED',
        quickbooksId: posted.id,
        requestId,
        durationMs,
        message:
          action === 'MATCH'
            ? `found ${posted.kind === 'INVOICE' ? 'Invoice' : 'SalesReceipt'} ${posted.docNumber ?? posted.id} already in QuickBooks as sent; not sent again`
            : mismatches.some((m) => m.order.id === order.id)
              ? `QuickBooks total ${posted.totalAmount} differs from the order total ${order.total}`
              : null,
      }),
    );
    const changed = results.filter(
      ({ order, posted }) => !(order.status === 'POSTED' && order.postedTransaction?.id === posted.id),
    );
    const now = toDbTime(this.dialect, postedAt);
    await timed('recordResults', () =>
      this.dataSource.transaction(async (manager: EntityManager) => {
        // One statement for the chunk: each order's transaction, customer and item ids, by CASE over id.
        await updateEach(
          manager,
          'orders',
          'id',
          changed,
          (r) => r.order.id,
          {
            ...postedOrderColumns((r: (typeof changed)[number]) => ({
              order: r.order,
              posted: r.posted,
              customerId: r.prepared?.customerId,
              itemIds: r.prepared?.itemIds,
            })),
            postedAt: (r) => (r.order.postedAt ? toDbTime(this.dialect, r.order.postedAt) : now),
          },
          { status: 'POSTED', sentAt: null, lastError: null, updatedAt: now },
          { sql: '`postingBatchId` = ?', params: [context.batch.id] },
        );
        await this.batches.recordItems(context.batch.id, outcomes, manager);
        await this.syncLogs.recordIn(manager, logs);
        await this.webhooks?.emit(
          manager,
          context.connection.tenantId,
          changed.map(({ order, posted }) => ({
            type: 'order.posted' as const,
            data: {
              ...orderFacts(order, context.batch.id),
              transaction: {
                kind: posted.kind,
                id: posted.id,
                docNumber: posted.docNumber,
                totalAmount: posted.totalAmount,
              },
              updated: action === 'UPDATE',
            },
          })),
        );
      }),
    );
  }

  /** Orders that could not be posted: FAILED with the reason and a hint (the Errors view), batch item FAILED. */
  async recordFailures(
    context: RunContext,
    failures: Array<{ order: OrderEntity; seq: number; error: Error; requestId?: string }>,
  ): Promise<void> {
    if (failures.length === 0) return;
    const stored = failures.map((f) => ({
      ...f,
      stored: toStoredError(f.error),
      // A retryable fault after the retries leaves the outcome unknown: `sentAt` stays, so the next posting of the
      // order looks for it in QuickBooks before sending it again.
      unknown: f.error instanceof QuickBooksError && f.error.category === 'RETRYABLE',
    }));
    const logs = stored.map(({ order, stored: error, requestId }) =>
      this.log(context, order, {
        action: order.postedTransaction ? 'UPDATE' : 'CREATE',
        status: 'FAILED',
        code: error.code,
        message: error.message,
        requestId,
      }),
    );
    const now = toDbTime(this.dialect, new Date());
    const fence = { sql: '`postingBatchId` = ?', params: [context.batch.id] };
    await timed('recordFailures', () =>
      this.dataSource.transaction(async (manager) => {
        for (const unknown of [true, false]) {
          await updateEach(
            manager,
            'orders',
            'id',
            stored.filter((f) => f.unknown === unknown),
            (f) => f.order.id,
            {
              lastError: (f) => JSON.stringify(f.stored),
              // A failed update leaves QuickBooks behind the order: flagged again, so it shows as changed.
              modifiedAfterPosting: (f) =>
                f.order.postedTransaction || f.order.modifiedAfterPosting ? 1 : 0,
            },
            { status: 'FAILED', updatedAt: now, ...(unknown ? {} : { sentAt: null }) },
            fence,
          );
        }
        await this.batches.recordItems(
          context.batch.id,
          stored.map(({ seq, stored: error }) => ({ seq, status: 'FAILED' as const, error })),
          manager,
        );
        await this.syncLogs.recordIn(manager, logs);
        await this.webhooks?.emit(
          manager,
          context.connection.tenantId,
          stored.map(({ order, stored: error }) => ({
            type: 'order.failed' as const,
            data: {
              ...orderFacts(order, context.batch.id),
              error: { code: error.code, message: error.message, hint: error.hint },
            },
          })),
        );
      }),
    );
  }

  /** A sync log of this run: about an order, or (order null) about what the run created for the orders. */
  log(
    context: RunContext,
    order: OrderEntity | null,
    entry: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>,
  ): SyncLogEntry {
    return {
      tenantId: context.connection.tenantId,
      connectionId: context.connection.id,
      batchId: context.batch.id,
      direction: 'TO_QUICKBOOKS',
      entityType: 'Order',
      entityId: order?.id ?? null,
      label: order ? label(order) : null,
      ...entry,
    };
  }

  /** A sync log about the batch itself (a job-level failure), so the batch's log view says what happened. */
  batchLog(context: RunContext, error: StoredSyncError, attempt = 1): SyncLogEntry {
    return {
      ...this.log(context, null, { action: 'CREATE', status: 'FAILED' }),
      entityType: 'SyncBatch',
      entityId: context.batch.id,
      label: `${context.batch.kind} batch`,
      code: error.code,
      message: error.message.slice(0, 1000),
      attempt,
    };
  }
}

/** What a partner webhook says about an order. */
const orderFacts = (order: OrderEntity, batchId: string) => ({
  orderId: order.id,
  connectionId: order.connectionId,
  channel: order.channel,
  externalId: order.externalId,
  orderNumber: order.orderNumber,
  batchId,
});

export const label = (order: Pick<OrderEntity, 'orderNumber' | 'customerName'>): string =>
  `#${order.orderNumber}${order.customerName ? ` ${order.customerName}` : ''}`;
