import { createHash } from 'node:crypto';
import { In, type DataSource, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type OrderStatus,
  type PostedTransactionData,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { assertReady } from '../connections/readiness';
import { runPool } from './exactly-once';
import { timed } from './timings';
import { label, toStoredError } from './posting.service';
import { withHint } from '../stored-error';
import { Coalescer } from '../coalescer';
import { text } from './posting-mapper';
import { entityOf } from './updates';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import { undoLog, UndoLedger, type Removal, type RemovalOutcome } from './undo-ledger';

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
/** QuickBooks' batch endpoint takes at most 30 operations; the governor keeps ten calls in flight per realm. */
const CHUNK = 30;
const CHUNKS_IN_FLIGHT = 10;
/** The columns an undo batch reads of its orders. */
const UNDO_COLUMNS = {
  id: true,
  tenantId: true,
  connectionId: true,
  orderNumber: true,
  customerName: true,
  status: true,
  statusBeforeUndo: true,
  postedTransaction: true,
  postingGeneration: true,
} as const;
/** Orders whose posting can be undone. */
const UNDOABLE: readonly OrderStatus[] = ['POSTED', 'ARCHIVED', 'FAILED'];

/** An undo that QuickBooks did not answer in time: the order is UNCERTAIN until QuickBooks is read. */
class UndoTimeout extends Error {
  constructor(seconds: number) {
    super(`QuickBooks did not answer within ${seconds} s`);
    this.name = 'UndoTimeout';
  }
}

/**
 * Undo sync: removes a posted order's transaction from QuickBooks (delete or void, per settings) and makes it NEW.
 *
 * Honest about what it does not know: before the delete or void leaves, the order becomes UNCERTAIN in its own commit
 * (its status kept in `statusBeforeUndo`), with an `orders.reconcile` job queued beside it. An undo that QuickBooks
 * refuses returns the order to its status; one QuickBooks answers removes it; one that times out (undoSync waits at
 * most UNDO_TIMEOUT_SECONDS, well under a proxy's 60 s) or dies with its process stays UNCERTAIN until the job reads
 * QuickBooks. So an order never shows POSTED for a transaction QuickBooks deleted.
 */
export class UndoService {
  /** DESKTOP connections undo through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: {
    plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void>;
    undoOrder(order: OrderEntity, connection: ConnectionEntity): Promise<SyncBatchEntity>;
  };
  private readonly orders: Repository<OrderEntity>;
  private readonly connectionRows: Repository<ConnectionEntity>;
  private readonly ledger: UndoLedger;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
    private readonly timeoutMs = 20_000,
  ) {
    this.orders = dataSource.getRepository(OrderEntity);
    this.connectionRows = dataSource.getRepository(ConnectionEntity);
    this.ledger = new UndoLedger(dataSource, batches, jobs, syncLogs);
  }

  /** undoSync: one order, within the timeout. */
  async undoOrder(tenantId: string, orderId: string): Promise<UndoResult> {
    const order = await this.orders.findOneBy({ id: orderId, tenantId });
    if (!order) throw notFound('Order', orderId);
    const posted = order.postedTransaction;
    if (!posted || !UNDOABLE.includes(order.status)) {
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
    const mode = settings.undoMode;
    await this.ledger.markUncertain([order], this.timeoutMs + 10_000);
    const started = performance.now();
    const log = (entry: Pick<SyncLogEntry, 'status'> & Partial<SyncLogEntry>) =>
      this.syncLogs.record(
        undoLog(order, mode, posted, null, {
          durationMs: Math.round(performance.now() - started),
          ...entry,
        }),
      );
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new UndoTimeout(this.timeoutMs / 1000)), this.timeoutMs);
    let removed: { requestId: string; note: string | null };
    try {
      removed = await this.remove(client, posted, mode, order, controller.signal);
    } catch (error) {
      if (controller.signal.aborted || (error instanceof QuickBooksError && error.category === 'RETRYABLE')) {
        // Unknown: QuickBooks may have removed it. Settled from QuickBooks by the job, soon.
        await this.jobs.enqueue('orders.reconcile', {
          orderId: order.id,
          generation: order.postingGeneration,
        });
        await log({
          status: 'FAILED',
          message: `no answer from QuickBooks; the order is UNCERTAIN until it is checked`,
        });
        throw new AppError(
          'QUICKBOOKS_ERROR',
          `QuickBooks did not confirm the undo of order ${order.orderNumber} within ${this.timeoutMs / 1000} s; ` +
            'the order is UNCERTAIN while the gateway checks QuickBooks',
          {
            hint: 'follow the order: it becomes NEW if QuickBooks removed the transaction, or returns to its status if not (then undo again)',
            extensions: { orderId: order.id, orderStatus: 'UNCERTAIN' },
          },
        );
      }
      const failure = error instanceof QuickBooksError ? withUndoHint(error) : error;
      await this.ledger.restore([order], toStoredError(failure));
      await log({
        status: 'FAILED',
        code: failure instanceof QuickBooksError ? (failure.quickbooksCode ?? null) : null,
        message: failure instanceof Error ? failure.message : String(failure),
      });
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    await this.dataSource.transaction((manager) => this.ledger.reset(manager, [order]));
    await log({ status: 'SUCCEEDED', message: removed.note, requestId: removed.requestId });
    const updated = await this.orders.findOneByOrFail({ id: order.id });
    return { order: updated, removedTransaction: posted, ...kept(order) };
  }

  /** Queues an undo of every posted order of a batch; returns the UNDO_ORDERS batch. */
  async undoBatch(tenantId: string, batchId: string): Promise<SyncBatchEntity> {
    return timed('queue', () => this.queueUndo(tenantId, batchId));
  }

  private async queueUndo(tenantId: string, batchId: string): Promise<SyncBatchEntity> {
    const source = await this.batches.get(tenantId, batchId);
    const connection = await this.connections.get(tenantId, source.connectionId);
    assertReady(connection);
    const orders = await this.orders.find({
      select: UNDO_COLUMNS,
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

  /**
   * The job of an UNDO_ORDERS batch: deletes or voids through the batch endpoint, 30 a call, ten calls in flight (the
   * realm's governor paces them). Safe to run again after a crash: orders already UNCERTAIN are sent again, and
   * "already deleted" (610) or "already voided" counts as done.
   */
  async runUndoBatch(batchId: string, options: { finalAttempt?: boolean } = {}): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return;
    const connection = await this.connectionRows.findOneByOrFail({ id: batch.connectionId });
    if (connection.environment === 'DESKTOP' && this.desktop) return this.desktop.plan(batch, connection);
    await timed('start', () => this.batches.start(batchId));
    const items = await timed('readOrders', () => this.batches.pendingItems(batchId));
    // Only what undo needs: an order's lines and customer are not read here (300 orders' JSON cost more than the rest).
    const byId = new Map(
      (
        await timed('readOrders', () =>
          this.orders.find({
            select: UNDO_COLUMNS,
            where: { id: In(items.map((i) => i.entityId)) },
          }),
        )
      ).map((o) => [o.id, o]),
    );
    const todo: Removal[] = [];
    const done: Array<{ seq: number; order: OrderEntity }> = [];
    const skipped: Array<{ seq: number; order: OrderEntity }> = [];
    for (const item of items) {
      const order = byId.get(item.entityId);
      if (!order) continue;
      if (order.postedTransaction && (UNDOABLE.includes(order.status) || order.status === 'UNCERTAIN')) {
        todo.push({
          order,
          seq: item.seq,
          posted: order.postedTransaction,
          syncToken: order.postedTransaction.syncToken ?? '0',
        });
      } else if (!order.postedTransaction && order.status === 'NEW') {
        done.push({ seq: item.seq, order }); // undone by an earlier run that could not record it
      } else {
        skipped.push({ seq: item.seq, order });
      }
    }
    await this.batches.recordItems(batchId, [
      ...done.map(({ seq }) => ({ seq, status: 'SUCCEEDED' as const })),
      ...skipped.map(({ seq, order }) => ({
        seq,
        status: 'FAILED' as const,
        error: toStoredError(
          badInput('orderId', `order ${order.orderNumber} is ${order.status}; nothing to undo`),
        ),
      })),
    ]);
    try {
      assertReady(connection);
      const mode = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings }.undoMode;
      const client = this.connections.clientFor(connection);
      await timed('markSent', () =>
        this.ledger.markUncertain(
          todo.filter((r) => r.order.status !== 'UNCERTAIN').map((r) => r.order),
          undefined,
        ),
      );
      const chunks = async function* () {
        for (let i = 0; i < todo.length; i += CHUNK) yield todo.slice(i, i + CHUNK);
      };
      // Chunks answered at about the same time are recorded together: one transaction instead of one each.
      const record = new Coalescer<RemovalOutcome>((outcomes) =>
        timed('recordResults', () => this.ledger.recordRemovals(batchId, mode, outcomes)),
      );
      await runPool(chunks(), CHUNKS_IN_FLIGHT, (chunk) =>
        this.removeChunk(client, batchId, mode, chunk, record),
      );
    } catch (error) {
      const retryable =
        !(error instanceof AppError) || (error instanceof QuickBooksError && error.category === 'RETRYABLE');
      if (retryable && !options.finalAttempt) throw error; // the job runs again and resumes
      // Giving up: orders sent without an answer are settled from QuickBooks by their own jobs.
      const uncertain = await this.orders.findBy({
        id: In(todo.map((r) => r.order.id)),
        status: 'UNCERTAIN',
      });
      await this.dataSource.transaction(async (manager) => {
        for (const order of uncertain) {
          await this.jobs.enqueue(
            'orders.reconcile',
            { orderId: order.id, generation: order.postingGeneration },
            { manager },
          );
        }
      });
      await this.batches.abandon(batchId, toStoredError(error));
      return;
    }
    await timed('finish', () => this.batches.finish(batchId));
  }

  /**
   * The job that settles an UNCERTAIN order from QuickBooks: its transaction gone (deleted, or voided when undoing
   * voids) makes it NEW; still there returns it to its status, with an error saying the undo did not happen.
   */
  async reconcile(orderId: string, generation: number): Promise<void> {
    const order = await this.orders.findOneBy({ id: orderId });
    if (!order || order.status !== 'UNCERTAIN' || order.postingGeneration !== generation) return;
    const posted = order.postedTransaction!;
    const connection = await this.connectionRows.findOneByOrFail({ id: order.connectionId });
    const mode = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings }.undoMode;
    const client = this.connections.clientFor(connection);
    const gone = await this.isRemoved(client, posted, mode);
    if (gone) {
      await this.dataSource.transaction((manager) => this.ledger.reset(manager, [order]));
    } else {
      await this.ledger.restore(
        [order],
        toStoredError(
          new AppError(
            'QUICKBOOKS_ERROR',
            `The undo of order ${order.orderNumber} did not happen in QuickBooks`,
            {
              hint: 'undo it again',
            },
          ),
        ),
      );
    }
    await this.syncLogs.record(
      undoLog(order, mode, posted, null, {
        action: 'MATCH',
        status: 'SUCCEEDED',
        message: gone
          ? 'checked QuickBooks after an unanswered undo: the transaction is gone; the order is NEW'
          : 'checked QuickBooks after an unanswered undo: the transaction is still there; the order is back as it was',
      }),
    );
  }

  /** Sends one chunk's deletes or voids in one batch call, re-reading stale SyncTokens, and records the outcomes. */
  private async removeChunk(
    client: QuickBooksClient,
    batchId: string,
    mode: 'DELETE' | 'VOID',
    chunk: Removal[],
    record: Coalescer<RemovalOutcome>,
  ): Promise<void> {
    let pending = chunk;
    for (let pass = 0; pending.length > 0; pass++) {
      const requestId = createHash('sha256')
        .update(`undo|${batchId}|${pass}|${pending.map((r) => `${r.order.id}:${r.syncToken}`).join(',')}`)
        .digest('hex')
        .slice(0, 32);
      const started = performance.now();
      const outcomes = await client.batch(
        pending.map((r, index) => ({
          bId: String(index + 1),
          operation: mode === 'VOID' ? ('void' as const) : ('delete' as const),
          entity: entityOf(r.posted),
          body: { Id: r.posted.id, SyncToken: r.syncToken },
        })),
        { requestId },
      );
      const durationMs = Math.round(performance.now() - started);
      const removed: Removal[] = [];
      const refused: Array<{ removal: Removal; error: QuickBooksError }> = [];
      const again: Removal[] = [];
      await Promise.all(
        pending.map(async (removal, index) => {
          const outcome = outcomes[index];
          if (outcome.ok) return void removed.push(removal);
          const { error } = outcome;
          if (error.quickbooksCode === '610' && mode === 'DELETE') return void removed.push(removal);
          if (error.quickbooksCode === '5010' || (error.category === 'RETRYABLE' && pass < STALE_RETRIES)) {
            // Changed in QuickBooks since posting, or an earlier run got here first: read what is there now.
            const current = await this.current(client, removal.posted);
            if (!current || (mode === 'VOID' && isVoided(current))) return void removed.push(removal);
            if (pass < STALE_RETRIES) {
              return void again.push({
                ...removal,
                syncToken: String(current.SyncToken ?? removal.syncToken),
              });
            }
          }
          refused.push({ removal, error: withUndoHint(error) });
        }),
      );
      await record.add([
        ...removed.map((removal) => ({ removal, requestId, durationMs })),
        ...refused.map(({ removal, error }) => ({ removal, error, requestId })),
      ]);
      pending = again;
    }
  }

  /** The transaction as QuickBooks has it now, or undefined when it was deleted. */
  private async current(
    client: QuickBooksClient,
    posted: PostedTransactionData,
    signal?: AbortSignal,
  ): Promise<QuickBooksEntity | undefined> {
    try {
      return await client.read(entityOf(posted), posted.id, { signal });
    } catch (error) {
      if (error instanceof QuickBooksError && error.quickbooksCode === '610') return undefined;
      throw error;
    }
  }

  private async isRemoved(
    client: QuickBooksClient,
    posted: PostedTransactionData,
    mode: 'DELETE' | 'VOID',
  ): Promise<boolean> {
    const current = await this.current(client, posted);
    return !current || (mode === 'VOID' && isVoided(current));
  }

  /** undoSync's delete or void, with the SyncToken re-read on 5010; "already deleted" counts as done. */
  private async remove(
    client: QuickBooksClient,
    posted: PostedTransactionData,
    mode: 'DELETE' | 'VOID',
    order: OrderEntity,
    signal: AbortSignal,
  ): Promise<{ requestId: string; note: string | null }> {
    const entity = entityOf(posted);
    let syncToken = posted.syncToken ?? (await client.read(entity, posted.id, { signal })).SyncToken ?? '0';
    for (let attempt = 0; ; attempt++) {
      const requestId = createHash('sha256')
        .update(`undo|${order.id}|${order.postingGeneration}|${posted.id}|${syncToken}`)
        .digest('hex')
        .slice(0, 32);
      try {
        const version = { Id: posted.id, SyncToken: String(syncToken) };
        if (mode === 'VOID') await client.void(entity, version, { requestId, signal });
        else await client.delete(entity, version, { requestId, signal });
        return {
          requestId,
          note: attempt > 0 ? 'the transaction had changed in QuickBooks; re-read and retried' : null,
        };
      } catch (error) {
        if (!(error instanceof QuickBooksError)) throw error;
        if (error.quickbooksCode === '5010' && attempt < STALE_RETRIES) {
          const current = await this.current(client, posted, signal);
          if (!current) return { requestId, note: 'the transaction was already deleted in QuickBooks' };
          if (mode === 'VOID' && isVoided(current))
            return { requestId, note: 'the transaction was already voided' };
          syncToken = current.SyncToken ?? syncToken;
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

/** QuickBooks keeps a voided sales form with zero amounts and "Voided" in PrivateNote. */
const isVoided = (transaction: QuickBooksEntity): boolean => /^Voided\b/.test(text(transaction.PrivateNote));

function withUndoHint(error: QuickBooksError): QuickBooksError {
  if (error.quickbooksCode !== '6000' && error.quickbooksCode !== '6540') return error;
  return withHint(error, CLOSE_FIRST_HINT);
}
