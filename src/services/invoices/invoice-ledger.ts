import Decimal from 'decimal.js';
import type { DataSource, EntityManager } from 'typeorm';
import { InvoiceEntity, OrderEntity, type StoredSyncError, type SyncBatchEntity } from '../../entities';
import { AppError } from '../../errors';
import { QuickBooksError, type QuickBooksEntity } from '../../quickbooks';
import {
  dialectOf,
  execute,
  findByIds,
  placeholders,
  toDbTime,
  updateEach,
  type Dialect,
} from '../../db/sql';
import type { BatchService, ItemOutcome } from '../batch.service';
import { ROWS_PER_TURN, WINDOW } from '../posting/exactly-once';
import { postedOrderColumns, toPosted } from '../posting/posting-mapper';
import { inTurns, ownTurn } from '../turns';
import { timed, type PostingPhase } from '../posting/timings';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import { invoiceLabel, sentFacts } from './invoice-mapper';

/** One invoice of a batch, with its order (the customer, addresses and notes come from the order). */
export interface InvoiceEntry {
  invoice: InvoiceEntity;
  order: OrderEntity;
  seq: number;
}

/** A sent (or found) invoice: the QuickBooks transaction, and the references it was built with when we built it. */
export interface SentInvoice {
  entry: InvoiceEntry;
  transaction: QuickBooksEntity;
  references?: { customerId: string; itemIds: ReadonlyMap<string, string> };
  requestId?: string;
  durationMs?: number;
}

export interface FailedInvoice {
  entry: InvoiceEntry;
  error: Error;
  requestId?: string;
}

const ID_CHUNK = 1000;
/** Invoices and orders a sending may take over: anything not in QuickBooks and not claimed by another batch. */
export const SENDABLE: readonly string[] = ['NOT_SENT', 'FAILED'];
export const CLAIMABLE_ORDERS: readonly string[] = ['NEW', 'FAILED', 'ARCHIVED'];

/**
 * The durable record of invoice sending, in the database: which batch holds an invoice and its order (the claim),
 * `sentAt` before a request leaves, and each result recorded once with its batch item and sync log in one commit.
 * Every write is fenced on the batch, so a run that lost its lease cannot overwrite the run that took over.
 */
export class InvoiceLedger {
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchService,
    private readonly syncLogs: SyncLogService,
    /** Partner webhooks invoice.sent and invoice.failed, written in the commit of the results they report. */
    private readonly webhooks?: WebhookEmitter,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Inside the caller's transaction: the invoices become QUEUED for `batchId` (a new sending generation) and their
   * orders QUEUED with it, so nothing else posts, archives or undoes them meanwhile. All or nothing: CONFLICT when
   * another request changed one of them since they were checked.
   */
  async claim(
    manager: EntityManager,
    tenantId: string,
    batchId: string,
    invoices: ReadonlyArray<{ id: string; orderId: string }>,
  ): Promise<void> {
    let claimed = 0;
    let orders = 0;
    for (let i = 0; i < invoices.length; i += ID_CHUNK) {
      const chunk = invoices.slice(i, i + ID_CHUNK);
      claimed += await execute(
        manager,
        `UPDATE \`invoices\` SET \`pushStatus\` = 'QUEUED', \`sendGeneration\` = \`sendGeneration\` + 1, \`sendBatchId\` = ?, \`lastError\` = NULL WHERE \`tenantId\` = ? AND \`id\` IN (${placeholders(chunk.length)}) AND \`pushStatus\` IN ('NOT_SENT', 'FAILED')`,
        [batchId, tenantId, ...chunk.map((c) => c.id)],
      );
      orders += await execute(
        manager,
        `UPDATE \`orders\` SET \`status\` = 'QUEUED', \`postingBatchId\` = ?, \`lastError\` = NULL WHERE \`tenantId\` = ? AND \`id\` IN (${placeholders(chunk.length)}) AND \`status\` IN ('NEW', 'FAILED', 'ARCHIVED')`,
        [batchId, tenantId, ...chunk.map((c) => c.orderId)],
      );
    }
    if (claimed !== invoices.length || orders !== invoices.length) {
      throw new AppError(
        'CONFLICT',
        'some of these invoices or their orders were changed or queued by another request; reload and retry',
      );
    }
  }

  /**
   * A transaction of the sending pipeline, its time counted under `phase` (posting/timings.ts, for the benches); or
   * part of the caller's transaction (`within`), when the record must commit with the caller's own writes.
   */
  private timedTransaction<T>(
    phase: PostingPhase,
    within: EntityManager | undefined,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return within ? work(within) : timed(phase, () => this.dataSource.transaction(work));
  }

  /** The batch's pending invoices in item order, WINDOW at a time (other kinds of items are skipped). */
  async *windows(batchId: string): AsyncGenerator<InvoiceEntry[]> {
    let afterSeq = -1;
    for (;;) {
      // SQLite answers synchronously: reading takes a turn of its own, so calls under way are not held back.
      await ownTurn();
      const items = await this.batches.pendingItemsAfter(batchId, afterSeq, WINDOW);
      if (items.length === 0) return;
      afterSeq = items[items.length - 1].seq;
      const wanted = items.filter((item) => item.entityType === 'Invoice');
      if (wanted.length === 0) continue;
      const [invoices, orders] = await timed('readOrders', async () => {
        const found = await inTurns(
          wanted.map((i) => i.entityId),
          ROWS_PER_TURN,
          (ids) => findByIds(this.dataSource, InvoiceEntity, ids),
        );
        await ownTurn();
        return [
          found,
          await inTurns(
            found.map((i) => i.orderId),
            ROWS_PER_TURN,
            (ids) => findByIds(this.dataSource, OrderEntity, ids),
          ),
        ] as const;
      });
      const invoiceById = new Map(invoices.map((i) => [i.id, i]));
      const orderById = new Map(orders.map((o) => [o.id, o]));
      yield wanted.flatMap((item) => {
        const invoice = invoiceById.get(item.entityId);
        const order = invoice && orderById.get(invoice.orderId);
        return invoice && order ? [{ invoice, order, seq: item.seq }] : [];
      });
    }
  }

  /**
   * The durable record, in its own commit: from here on these invoices' outcome must be checked in QuickBooks before
   * anything is sent again. Fenced on the batch: a run that lost its lease cannot claim them back.
   */
  async markSent(batchId: string, invoiceIds: string[]): Promise<void> {
    const now = toDbTime(this.dialect, new Date());
    const marked = await this.timedTransaction('markSent', undefined, (manager) =>
      execute(
        manager,
        `UPDATE \`invoices\` SET \`sentAt\` = ?, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(invoiceIds.length)}) AND \`sendBatchId\` = ? AND \`pushStatus\` = 'QUEUED'`,
        [now, now, ...invoiceIds, batchId],
      ),
    );
    if (marked !== invoiceIds.length) {
      throw new AppError(
        'CONFLICT',
        'these invoices were taken over by another run of the batch; stopping here',
      );
    }
  }

  /**
   * Invoices now in QuickBooks, in one commit: the invoice SENT with QuickBooks' id, number and balance; its order
   * POSTED as that Invoice (one transaction for both); the batch items SUCCEEDED; a sync log each.
   */
  async recordSent(
    batch: SyncBatchEntity,
    results: SentInvoice[],
    action: 'CREATE' | 'MATCH',
    within?: EntityManager,
  ): Promise<void> {
    if (results.length === 0) return;
    const now = toDbTime(this.dialect, new Date());
    const rows = results.map((result) => ({
      ...result,
      facts: sentFacts(result.transaction),
      posted: toPosted('Invoice', result.transaction),
    }));
    const logs = rows.map(({ entry, facts, posted, requestId, durationMs }) =>
      this.log(batch, entry, {
        action,
        status: 'SUCCEEDED',
        quickbooksId: facts.quickbooksId,
        requestId,
        durationMs,
        message:
          action === 'MATCH'
            ? `found Invoice ${facts.docNumber ?? facts.quickbooksId} already in QuickBooks; not sent again`
            : posted.totalAmount !== null && !new Decimal(posted.totalAmount).equals(entry.invoice.total)
              ? `QuickBooks total ${posted.totalAmount} differs from the invoice total ${entry.invoice.total}`
              : null,
      }),
    );
    const fence = (column: string) => ({ sql: `\`${column}\` = ?`, params: [batch.id] });
    await this.timedTransaction('recordResults', within, async (manager) => {
      await updateEach(
        manager,
        'invoices',
        'id',
        rows,
        (r) => r.entry.invoice.id,
        {
          quickbooksId: (r) => r.facts.quickbooksId,
          docNumber: (r) => r.facts.docNumber,
          customerQuickbooksId: (r) => r.facts.customerQuickbooksId,
          balance: (r) => r.facts.balance,
          dueDate: (r) => r.entry.invoice.dueDate ?? r.facts.dueDate,
          emailStatus: (r) => r.facts.emailStatus,
        },
        { pushStatus: 'SENT', sentAt: null, lastError: null, balanceCheckedAt: now, updatedAt: now },
        fence('sendBatchId'),
      );
      await updateEach(
        manager,
        'orders',
        'id',
        rows,
        (r) => r.entry.order.id,
        postedOrderColumns((r: (typeof rows)[number]) => ({
          order: r.entry.order,
          posted: r.posted,
          customerId: r.facts.customerQuickbooksId,
          itemIds: r.references?.itemIds ?? null,
        })),
        { status: 'POSTED', postedAt: now, lastError: null, updatedAt: now },
        fence('postingBatchId'),
      );
      await this.batches.recordItems(
        batch.id,
        rows.map(({ entry, facts }) => ({
          seq: entry.seq,
          status: 'SUCCEEDED',
          quickbooksId: facts.quickbooksId,
        })),
        manager,
      );
      await this.syncLogs.recordIn(manager, logs);
      await this.webhooks?.emit(
        manager,
        batch.tenantId,
        rows.map(({ entry, facts }) => ({
          type: 'invoice.sent' as const,
          data: {
            ...invoiceFacts(entry.invoice, batch.id),
            quickbooksId: facts.quickbooksId,
            docNumber: facts.docNumber,
            balance: facts.balance,
          },
        })),
      );
    });
  }

  /**
   * Invoices that could not be sent: FAILED with the reason and a hint (the error badge), their orders FAILED with
   * it, the batch items FAILED. A retryable fault after the retries leaves the outcome unknown: `sentAt` stays, so the
   * next sending looks for the invoice in QuickBooks first.
   */
  async recordFailed(
    batch: SyncBatchEntity,
    failures: FailedInvoice[],
    within?: EntityManager,
  ): Promise<void> {
    if (failures.length === 0) return;
    const stored = failures.map((f) => ({
      ...f,
      stored: toStoredError(f.error),
      unknown: f.error instanceof QuickBooksError && f.error.category === 'RETRYABLE',
    }));
    const logs = stored.map(({ entry, stored: error, requestId }) =>
      this.log(batch, entry, {
        action: 'CREATE',
        status: 'FAILED',
        code: error.code,
        message: error.message,
        requestId,
      }),
    );
    const now = toDbTime(this.dialect, new Date());
    await this.timedTransaction('recordFailures', within, async (manager) => {
      for (const unknown of [true, false]) {
        await updateEach(
          manager,
          'invoices',
          'id',
          stored.filter((f) => f.unknown === unknown),
          (f) => f.entry.invoice.id,
          { lastError: (f) => JSON.stringify(f.stored) },
          { pushStatus: 'FAILED', updatedAt: now, ...(unknown ? {} : { sentAt: null }) },
          { sql: '`sendBatchId` = ?', params: [batch.id] },
        );
      }
      await updateEach(
        manager,
        'orders',
        'id',
        stored,
        (f) => f.entry.order.id,
        { lastError: (f) => JSON.stringify(f.stored) },
        { status: 'FAILED', updatedAt: now },
        { sql: "`postingBatchId` = ? AND `status` = 'QUEUED'", params: [batch.id] },
      );
      await this.batches.recordItems(
        batch.id,
        stored.map(({ entry, stored: error }) => ({ seq: entry.seq, status: 'FAILED' as const, error })),
        manager,
      );
      await this.syncLogs.recordIn(manager, logs);
      await this.webhooks?.emit(
        manager,
        batch.tenantId,
        stored.map(({ entry, stored: error }) => ({
          type: 'invoice.failed' as const,
          data: {
            ...invoiceFacts(entry.invoice, batch.id),
            error: { code: error.code, message: error.message, hint: error.hint },
          },
        })),
      );
    });
  }

  /** Batch items of invoices an earlier run already recorded as SENT (its item result was not recorded yet). */
  async recordAlreadySent(batch: SyncBatchEntity, entries: InvoiceEntry[]): Promise<void> {
    await this.batches.recordItems(
      batch.id,
      entries.map(({ invoice, seq }) => ({ seq, status: 'SUCCEEDED', quickbooksId: invoice.quickbooksId })),
    );
  }

  /**
   * Ends a batch that cannot go on: every item still open FAILS with the reason; the invoices among them FAIL with it
   * (those sent without a recorded outcome keep `sentAt`) and so do their orders.
   */
  async failPending(batch: SyncBatchEntity, stored: StoredSyncError): Promise<void> {
    for (;;) {
      const items = await this.batches.pendingItemsAfter(batch.id, -1, 500);
      if (items.length === 0) break;
      const invoiceIds = items.filter((i) => i.entityType === 'Invoice').map((i) => i.entityId);
      await this.dataSource.transaction(async (manager) => {
        if (invoiceIds.length > 0) {
          const params = [JSON.stringify(stored), ...invoiceIds, batch.id];
          const where = `\`id\` IN (${placeholders(invoiceIds.length)}) AND \`sendBatchId\` = ? AND \`pushStatus\` = 'QUEUED'`;
          await manager.query(
            `UPDATE \`orders\` SET \`status\` = 'FAILED', \`lastError\` = ? WHERE \`id\` IN (SELECT \`orderId\` FROM \`invoices\` WHERE ${where}) AND \`status\` = 'QUEUED'`,
            params,
          );
          await manager.query(
            `UPDATE \`invoices\` SET \`pushStatus\` = 'FAILED', \`lastError\` = ? WHERE ${where}`,
            params,
          );
        }
        await this.batches.recordItems(
          batch.id,
          items.map((i) => ({ seq: i.seq, status: 'FAILED' as const, error: stored })),
          manager,
        );
      });
    }
  }

  /** Records other items of a batch (an export's products and customers) with their sync logs, in one commit. */
  async recordOther(
    batchId: string,
    outcomes: Array<ItemOutcome & { seq: number }>,
    logs: SyncLogEntry[],
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.batches.recordItems(batchId, outcomes, manager);
      await this.syncLogs.recordIn(manager, logs);
    });
  }

  private log(
    batch: SyncBatchEntity,
    entry: InvoiceEntry,
    fields: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>,
  ): SyncLogEntry {
    return {
      tenantId: batch.tenantId,
      connectionId: batch.connectionId,
      batchId: batch.id,
      direction: 'TO_QUICKBOOKS',
      entityType: 'Invoice',
      entityId: entry.invoice.id,
      label: invoiceLabel(entry.invoice),
      ...fields,
    };
  }
}

/**
 * An undo removed an order's transaction from QuickBooks: if it was the order's invoice, the invoice is no longer
 * there either (NOT_SENT again, sendable once more).
 */
export async function forgetRemovedInvoice(
  manager: EntityManager,
  orderId: string,
  quickbooksId: string,
): Promise<void> {
  await manager.query(
    "UPDATE `invoices` SET `pushStatus` = 'NOT_SENT', `quickbooksId` = NULL, `docNumber` = NULL, `balance` = NULL, " +
      "`balanceCheckedAt` = NULL, `emailStatus` = 'NOT_SET', `deliveredTo` = NULL, `sentAt` = NULL, `lastError` = NULL " +
      "WHERE `orderId` = ? AND `quickbooksId` = ? AND `pushStatus` = 'SENT'",
    [orderId, quickbooksId],
  );
}

/** What a partner webhook says about an invoice. */
const invoiceFacts = (invoice: InvoiceEntity, batchId: string) => ({
  invoiceId: invoice.id,
  orderId: invoice.orderId,
  connectionId: invoice.connectionId,
  invoiceNumber: invoice.invoiceNumber,
  batchId,
});
