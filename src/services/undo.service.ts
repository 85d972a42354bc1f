import { createHash } from 'node:crypto';
import { In, type DataSource, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type PostedTransactionData,
  type SyncBatchEntity,
} from '../entities';
import { AppError, badInput, notFound } from '../errors';
import type { JobEnqueuer } from '../job-catalogue';
import { QuickBooksError, type QuickBooksClient } from '../quickbooks';
import type { BatchService } from './batch.service';
import { assertReady, type ConnectionService } from './connection.service';
import { forgetRemovedInvoice } from './invoices/invoice-ledger';
import { label, toStoredError } from './posting.service';
import type { SyncLogEntry, SyncLogService } from './sync-log.service';

export interface UndoResult {
  order: OrderEntity;
  removedTransaction: PostedTransactionData;
  /** Customers and items the posting used stay in QuickBooks (as in Webgility: undo removes the transaction only). */
  keptCustomerIds: string[];
  keptItemIds: string[];
  /** QuickBooks Desktop: the batch that removes the transaction at the next Web Connector run. */
  batch?: SyncBatchEntity;
}

const CLOSE_FIRST_HINT =
  'QuickBooks will not remove this transaction while a payment or deposit is linked to it: close the order in QuickBooks first (unlink or delete the payment), then undo again';
/** "Fix Edit Sequence", done automatically: re-read the SyncToken and try again this many times. */
const STALE_RETRIES = 3;

/** Undo sync: removes a posted order's transaction from QuickBooks (delete or void, per settings) and makes it NEW. */
export class UndoService {
  /** DESKTOP connections undo through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: {
    plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void>;
    undoOrder(order: OrderEntity, connection: ConnectionEntity): Promise<SyncBatchEntity>;
  };
  private readonly orders: Repository<OrderEntity>;
  private readonly connectionRows: Repository<ConnectionEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
  ) {
    this.orders = dataSource.getRepository(OrderEntity);
    this.connectionRows = dataSource.getRepository(ConnectionEntity);
  }

  async undoOrder(tenantId: string, orderId: string, batchId?: string): Promise<UndoResult> {
    const order = await this.orders.findOneBy({ id: orderId, tenantId });
    if (!order) throw notFound('Order', orderId);
    const posted = order.postedTransaction;
    if (!posted || order.status === 'QUEUED' || order.status === 'POSTING') {
      throw badInput('orderId', `order ${order.orderNumber} is ${order.status} and has no posting to undo`);
    }
    const connection = await this.connectionRows.findOneByOrFail({ id: order.connectionId });
    assertReady(connection);
    if (connection.environment === 'DESKTOP' && this.desktop) {
      // Applied at the next Web Connector run: the order stays POSTED until then; the batch shows the outcome.
      const batch = await this.desktop.undoOrder(order, connection);
      return { order, removedTransaction: posted, batch, ...kept(order) };
    }
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const client = this.connections.clientFor(connection);
    const entity = posted.kind === 'INVOICE' ? 'Invoice' : 'SalesReceipt';
    const mode = settings.undoMode;
    const started = performance.now();
    const log = (entry: Pick<SyncLogEntry, 'status'> & Partial<SyncLogEntry>) =>
      this.syncLogs.record({
        tenantId,
        connectionId: connection.id,
        batchId: batchId ?? null,
        direction: 'TO_QUICKBOOKS',
        action: mode === 'VOID' ? 'VOID' : 'DELETE',
        entityType: 'Order',
        entityId: order.id,
        label: label(order),
        quickbooksId: posted.id,
        durationMs: Math.round(performance.now() - started),
        ...entry,
      });
    let requestId: string | undefined;
    let note: string | null = null;
    try {
      ({ requestId, note } = await this.remove(client, entity, posted, mode, order));
    } catch (error) {
      const failure = error instanceof QuickBooksError ? withUndoHint(error) : error;
      await log({
        status: 'FAILED',
        code: failure instanceof QuickBooksError ? (failure.quickbooksCode ?? null) : null,
        message: failure instanceof Error ? failure.message : String(failure),
      });
      throw failure;
    }
    // Only if the order is still the posting we removed (not undone and re-posted meanwhile by another request).
    const reset = await this.orders
      .createQueryBuilder()
      .update(OrderEntity)
      .set({
        status: 'NEW',
        postedTransaction: null,
        postedAt: null,
        sentAt: null,
        lastError: null,
        modifiedAfterPosting: false,
        postingBatchId: null,
      } as never)
      .where('id = :id AND postingGeneration = :generation AND status = :status', {
        id: order.id,
        generation: order.postingGeneration,
        status: order.status,
      })
      .execute();
    if (!reset.affected) {
      throw new AppError(
        'CONFLICT',
        `order ${order.orderNumber} changed while its posting was being removed; reload it`,
      );
    }
    if (posted.kind === 'INVOICE') await forgetRemovedInvoice(this.dataSource.manager, order.id, posted.id);
    await log({ status: 'SUCCEEDED', message: note, requestId: requestId ?? null });
    const updated = await this.orders.findOneByOrFail({ id: order.id });
    return { order: updated, removedTransaction: posted, ...kept(order) };
  }

  /** Queues an undo of every POSTED order of a batch; returns the UNDO_ORDERS batch. */
  async undoBatch(tenantId: string, batchId: string): Promise<SyncBatchEntity> {
    const source = await this.batches.get(tenantId, batchId);
    const connection = await this.connections.get(tenantId, source.connectionId);
    assertReady(connection);
    const orders = await this.orders.find({
      where: { tenantId, postingBatchId: batchId, status: In(['POSTED', 'ARCHIVED']) },
      order: { id: 'ASC' },
    });
    const undoable = orders.filter((o) => o.postedTransaction);
    if (undoable.length === 0) throw badInput('batchId', 'this batch has no posted orders to undo');
    return this.dataSource.transaction(async (manager) => {
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId: connection.id,
        kind: 'UNDO_ORDERS',
        items: undoable.map((order) => ({ entityType: 'Order', entityId: order.id, label: label(order) })),
        parameters: { sourceBatchId: batchId },
      });
      await this.jobs.enqueue('orders.undo', { batchId: batch.id }, { manager });
      return batch;
    });
  }

  /** The job of an UNDO_ORDERS batch: each order undone on its own; refusals are per-item results. */
  async runUndoBatch(batchId: string): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return;
    const connection = await this.connectionRows.findOneByOrFail({ id: batch.connectionId });
    if (connection.environment === 'DESKTOP' && this.desktop) return this.desktop.plan(batch, connection);
    await this.batches.start(batchId);
    for (const item of await this.batches.pendingItems(batchId)) {
      try {
        const result = await this.undoOrder(batch.tenantId, item.entityId, batchId);
        await this.batches.recordItem(batchId, item.seq, {
          status: 'SUCCEEDED',
          quickbooksId: result.removedTransaction.id,
        });
      } catch (error) {
        if (error instanceof QuickBooksError && error.category === 'RETRYABLE') throw error;
        if (!(error instanceof AppError)) throw error;
        await this.batches.recordItem(batchId, item.seq, { status: 'FAILED', error: toStoredError(error) });
      }
    }
    await this.batches.finish(batchId);
  }

  private async remove(
    client: QuickBooksClient,
    entity: 'SalesReceipt' | 'Invoice',
    posted: PostedTransactionData,
    mode: 'DELETE' | 'VOID',
    order: OrderEntity,
  ): Promise<{ requestId: string; note: string | null }> {
    let syncToken = posted.syncToken ?? (await client.read(entity, posted.id)).SyncToken ?? '0';
    for (let attempt = 0; ; attempt++) {
      const requestId = createHash('sha256')
        .update(`undo|${order.id}|${order.postingGeneration}|${posted.id}|${syncToken}`)
        .digest('hex')
        .slice(0, 32);
      try {
        const version = { Id: posted.id, SyncToken: String(syncToken) };
        if (mode === 'VOID') await client.void(entity, version, { requestId });
        else await client.delete(entity, version, { requestId });
        return {
          requestId,
          note: attempt > 0 ? 'the transaction had changed in QuickBooks; re-read and retried' : null,
        };
      } catch (error) {
        if (!(error instanceof QuickBooksError)) throw error;
        if (error.quickbooksCode === '5010' && attempt < STALE_RETRIES) {
          syncToken = (await client.read(entity, posted.id)).SyncToken ?? syncToken;
          continue;
        }
        // Already gone from QuickBooks (deleted there by a person): nothing left to remove.
        if (error.quickbooksCode === '610' && mode === 'DELETE') {
          return { requestId, note: 'the transaction was already deleted in QuickBooks' };
        }
        throw error;
      }
    }
  }
}

/** Customers and items the posting used stay in QuickBooks. */
function kept(order: OrderEntity): Pick<UndoResult, 'keptCustomerIds' | 'keptItemIds'> {
  return {
    keptCustomerIds: order.customer?.quickbooksId ? [order.customer.quickbooksId] : [],
    keptItemIds: [
      ...new Set(order.lines.map((l) => l.quickbooksItemId).filter((id): id is string => Boolean(id))),
    ],
  };
}

function withUndoHint(error: QuickBooksError): QuickBooksError {
  if (error.quickbooksCode !== '6000' && error.quickbooksCode !== '6540') return error;
  return new QuickBooksError({
    httpStatus: error.httpStatus,
    quickbooksCode: error.quickbooksCode,
    quickbooksMessage: error.quickbooksMessage,
    detail: error.detail,
    element: error.element,
    intuitTid: error.intuitTid,
    faultType: error.faultType,
    category: 'FIX_DATA',
    hint: CLOSE_FIRST_HINT,
  });
}
