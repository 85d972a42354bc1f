import { createHash } from 'node:crypto';
import { In, IsNull, Not, type DataSource, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type SyncBatchEntity,
} from '../../entities';
import { AppError } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksEntity } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { assertReady } from '../connections/readiness';
import { customerNameOf, itemKey, MappingProblem, toPosted, transactionBody } from './posting-mapper';
import { customerKey, PostingReferences } from './posting-references';
import { inTurns, ownTurn } from '../turns';
import { checkCurrency, currencyFields, foreignCurrencyOf } from './currency';
import { paymentMethodIdOf } from './payment-methods';
import { illFormedOrderProblem } from './text';
import { timed } from './timings';
import { ReferencePhase } from './reference-phase';
import type { Chunk, PostRunOptions, PreparedOrder, RunContext } from './posting-context';
import { PostingRecorder } from './posting-recorder';
import { PostingRecovery } from './posting-recovery';
import { PostingIntake } from './posting-intake';
import { Resolutions } from './resolutions';
import { classifyJobFailure, waitingProblem } from './failure';
import { entityOf, postUpdates, recoverUpdates, type UpdateHost } from './updates';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import type { ReferenceService } from '../reference.service';
import type { SyncLogService } from '../sync-log.service';
import { dialectOf, findByIds, type Dialect } from '../../db/sql';
import { toStoredError } from '../stored-error';
import {
  CHUNK,
  CHUNKS_IN_FLIGHT,
  ITEM_RETRY_PASSES,
  ROWS_PER_TURN,
  WINDOW,
  isRefusal,
  runPool,
} from './exactly-once';

export type { PostRunOptions } from './posting-context';
export { label } from './posting-recorder';
export { toPosted } from './posting-mapper';
export { toStoredError };

export { POSTABLE_STATUSES } from './posting-intake';

type OrderWindow = Array<{ order: OrderEntity; seq: number }>;

/**
 * Posting orders to QuickBooks, exactly once.
 *
 * The durable record of what was sent is on the order itself: `postingGeneration` (one per postOrders), `sentAt`
 * (set in the database before a request that may create the transaction leaves), and the marker
 * `[qbg:<order>:<generation>]` in the transaction's PrivateNote. An order with `sentAt` whose outcome was never
 * recorded (a crash, a lost response, a killed worker) is looked up in QuickBooks by DocNumber and marker before
 * anything is sent again; writes also carry a requestid derived from what they contain, so an identical retry is
 * answered from QuickBooks' replay store instead of being executed twice.
 */
export class PostingService {
  /** DESKTOP connections post through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: { plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> };
  private readonly connectionRows: Repository<ConnectionEntity>;
  private readonly dialect: Dialect;
  private readonly recorder: PostingRecorder;
  private readonly recovery: PostingRecovery;
  private readonly intake: PostingIntake;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly referenceService: ReferenceService,
    private readonly batches: BatchService,
    jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
    /** Partner webhooks order.posted and order.failed, written with each chunk's results. */
    webhooks?: WebhookEmitter,
  ) {
    this.connectionRows = dataSource.getRepository(ConnectionEntity);
    this.dialect = dialectOf(dataSource);
    this.recorder = new PostingRecorder(dataSource, this.dialect, batches, syncLogs, logger, webhooks);
    this.recovery = new PostingRecovery(this.recorder, logger);
    this.intake = new PostingIntake(dataSource, connections, batches, jobs);
  }

  /** Orders with an invoice reach QuickBooks as that invoice: postOrders hands them over (wired at start-up). */
  private invoicedOrders?: (tenantId: string, orderIds: string[]) => Promise<SyncBatchEntity | undefined>;

  attachInvoicing(
    route: (tenantId: string, orderIds: string[]) => Promise<SyncBatchEntity | undefined>,
  ): void {
    this.invoicedOrders = route;
  }

  /**
   * Queues orders for posting and returns the QUEUED batch at once (see PostingIntake: what may be posted, and the
   * claim of the orders in one commit with the batch and its job).
   */
  postOrders(tenantId: string, orderIds: string[]): Promise<SyncBatchEntity> {
    return this.intake.postOrders(tenantId, orderIds, this.invoicedOrders);
  }

  /**
   * The job: posts every pending order of the batch, resuming safely after any interruption. On the job's last
   * attempt, or when authorization is lost, the batch ends FAILED and its pending orders FAIL with the reason (orders
   * whose outcome is unknown keep `sentAt`, so posting them again first looks for them in QuickBooks).
   */
  async runPostBatch(batchId: string, options: PostRunOptions = {}): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return;
    const connection = await this.connectionRows.findOneByOrFail({ id: batch.connectionId });
    if (connection.environment === 'DESKTOP' && this.desktop) return this.desktop.plan(batch, connection);
    await this.batches.start(batchId);
    try {
      assertReady(connection);
    } catch (error) {
      await this.failRemaining(batch, error);
      return;
    }
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const client = this.connections.clientFor(connection);
    // The kind of transaction was fixed when the batch was queued, so recovery looks where the orders were sent.
    const postAs = (batch.parameters?.postOrdersAs as string | undefined) ?? settings.postOrdersAs;
    const context: RunContext = {
      batch,
      connection,
      settings,
      client,
      references: new PostingReferences(connection, client, this.referenceService, this.syncLogs, batchId),
      entity: postAs === 'INVOICE' ? 'Invoice' : 'SalesReceipt',
      allowShipping: false,
      customers: new Resolutions(),
      items: new Resolutions(),
      currency: { home: 'USD', multicurrency: false },
      paymentMethods: new Map(),
      signal: options.signal,
    };
    try {
      const started = performance.now();
      // The preferences and the mirror at once; then the orders window by window, each window's look-ups leaving as
      // soon as it is read, and its transactions as soon as their own customers and items exist (ReferencePhase).
      const preferences = client.preferences();
      preferences.catch(() => undefined); // awaited by the reference phase
      await context.references.load();
      const references = new ReferencePhase(
        context,
        preferences,
        {
          referenceService: this.referenceService,
          syncLogs: this.syncLogs,
          log: (entry) => this.recorder.log(context, null, entry),
          rememberHomeCurrency: (home) => this.connections.rememberHomeCurrency(connection, home),
        },
        (order) => this.entityFor(context, order),
      );
      try {
        await runPool(this.chunks(context, references), CHUNKS_IN_FLIGHT, (chunk) =>
          chunk.kind === 'update' ? this.postUpdateChunk(context, chunk) : this.postChunk(context, chunk),
        );
      } finally {
        // Nothing waits past the run (a key no window settled is missing, as it would be after the run).
        context.customers.close();
        context.items.close();
      }
      this.logger.info(
        { batchId, totalMs: Math.round(performance.now() - started) },
        'posting batch finished its pass',
      );
      await context.references.flush().catch((error: unknown) => {
        this.logger.warn(
          { err: error, batchId },
          'could not update the reference mirror; the next import will',
        );
      });
    } catch (error) {
      const authorizationLost =
        error instanceof QuickBooksError && error.category === 'NEEDS_REAUTHORIZATION';
      const kind = classifyJobFailure(error, options.signal);
      if (kind === 'superseded') throw error; // this run must stop; the job's next run decides
      if (!authorizationLost && kind === 'transient' && !options.finalAttempt) {
        await this.showWaiting(context, error, options);
        throw error; // the job runs again and resumes
      }
      if (!authorizationLost) {
        this.logger.error(
          { err: error, batchId, failure: kind, attempt: options.attempt },
          kind === 'deterministic'
            ? 'posting failed in a way another attempt would repeat; the batch ends FAILED'
            : 'posting gave up after its last attempt; the batch ends FAILED',
        );
        await this.syncLogs.record(this.recorder.batchLog(context, toStoredError(error), options.attempt));
      }
      await this.failRemaining(batch, error, authorizationLost ? undefined : context);
      return;
    }
    await this.batches.finish(batchId);
  }

  /**
   * A transient job-level failure (QuickBooks down or throttling, the network): the batch shows what it is waiting for
   * and which attempt this was, a connection event and a sync log of the batch say so, and the job runs again.
   */
  private async showWaiting(context: RunContext, error: unknown, options: PostRunOptions): Promise<void> {
    const attempt = options.attempt ?? 1;
    const problem = waitingProblem(toStoredError(error), attempt, options.maxAttempts);
    this.logger.warn(
      { err: error, batchId: context.batch.id, attempt, maxAttempts: options.maxAttempts },
      'posting is waiting for QuickBooks; the job will run again',
    );
    try {
      await this.batches.waiting(context.batch.id, problem);
      await this.syncLogs.record(this.recorder.batchLog(context, problem, attempt));
    } catch (recordError) {
      this.logger.warn({ err: recordError, batchId: context.batch.id }, 'could not show the batch waiting');
    }
  }

  /** The transaction an order becomes: the one it is already in QuickBooks as, else the batch's kind. */
  private entityFor(context: RunContext, order: OrderEntity): 'SalesReceipt' | 'Invoice' {
    return order.postedTransaction ? entityOf(order.postedTransaction) : context.entity;
  }

  /**
   * Streams the batch's pending orders in item order, WINDOW at a time. Each window first lets the event loop turn:
   * SQLite answers synchronously, so reading many windows would otherwise hold back every socket write and answer
   * (the calls already sent would wait for the reading).
   */
  private async *windows(batchId: string): AsyncGenerator<OrderWindow> {
    let afterSeq = -1;
    for (;;) {
      await ownTurn();
      const items = await this.batches.pendingItemsAfter(batchId, afterSeq, WINDOW);
      if (items.length === 0) return;
      afterSeq = items[items.length - 1].seq;
      const orders = await timed('readOrders', () =>
        inTurns(
          items.map((i) => i.entityId),
          ROWS_PER_TURN,
          (ids) => findByIds(this.dataSource, OrderEntity, ids),
        ),
      );
      const byId = new Map(orders.map((o) => [o.id, o]));
      yield items.flatMap((item) => {
        const order = byId.get(item.entityId);
        return order ? [{ order, seq: item.seq }] : [];
      });
    }
  }

  /**
   * The run, window by window: the window's references start resolving (its look-ups leave at once), then its chunks
   * of at most 30 orders, after recovering orders whose earlier sending has no recorded outcome: new transactions,
   * and updates of orders already in QuickBooks. Each chunk carries its window's references to wait on.
   */
  private async *chunks(context: RunContext, phase: ReferencePhase): AsyncGenerator<Chunk> {
    for await (const window of this.windows(context.batch.id)) {
      context.signal?.throwIfAborted();
      const references = phase.resolve(window);
      const todo: Array<{ order: OrderEntity; seq: number }> = [];
      const done: Array<{ order: OrderEntity; seq: number }> = [];
      for (const entry of window) (entry.order.status === 'POSTED' ? done : todo).push(entry);
      // Already POSTED by an earlier run whose batch item was not recorded yet.
      await this.recorder.recordResults(
        context,
        done.map(({ order, seq }) => ({ order, seq, posted: order.postedTransaction! })),
      );
      const creates = todo.filter(({ order }) => !order.postedTransaction);
      const updates = todo.filter(({ order }) => order.postedTransaction);
      const adopted = await this.recovery.recover(
        context,
        creates.filter(({ order }) => order.sentAt && !illFormedOrderProblem(order)),
      );
      const rest = creates.filter(({ order }) => !adopted.has(order.id));
      for (let i = 0; i < rest.length; i += CHUNK)
        yield { kind: 'create', entries: rest.slice(i, i + CHUNK), references };
      for (let i = 0; i < updates.length; i += CHUNK) {
        yield { kind: 'update', entries: updates.slice(i, i + CHUNK), references };
      }
    }
  }

  /** Updates of posted orders changed since (see posting/updates.ts), after recovering those sent before. */
  private async postUpdateChunk(context: RunContext, chunk: Chunk): Promise<void> {
    const prepared = await this.prepare(context, chunk);
    const host = this.updateHost(context);
    const settled = await recoverUpdates(
      host,
      prepared.filter(({ order }) => order.sentAt),
    );
    await postUpdates(
      host,
      prepared.filter(({ order }) => !settled.has(order.id)),
    );
  }

  private updateHost(context: RunContext): UpdateHost {
    return {
      batchId: context.batch.id,
      throwIfAborted: () => context.signal?.throwIfAborted(),
      sendBatch: async (items, requestId) => {
        const outcomes = await context.client.batch(
          items.map(({ entity, body }, index) => ({
            bId: String(index + 1),
            operation: 'update' as const,
            entity,
            body,
            sparse: false,
          })),
          { requestId },
        );
        return outcomes.map((outcome) =>
          outcome.ok && 'value' in outcome
            ? { ok: true as const, value: outcome.value }
            : { ok: false as const, error: (outcome as { error: QuickBooksError }).error },
        );
      },
      read: (entity, id) => context.client.read(entity, id),
      markSent: (orderIds) => this.recorder.markSent(context, orderIds),
      recordUpdated: (results, action) =>
        this.recorder.recordResults(
          context,
          results.map(({ prepared, value, requestId }) => ({
            order: prepared.order,
            seq: prepared.seq,
            posted: toPosted(entityOf(prepared.order.postedTransaction!), value),
            prepared,
            requestId,
          })),
          action,
        ),
      recordFailed: (failures) =>
        this.recorder.recordFailures(
          context,
          failures.map(({ prepared, error, requestId }) => ({ ...prepared, error, requestId })),
        ),
    };
  }

  private async postChunk(context: RunContext, chunk: Chunk): Promise<void> {
    let pending = await this.prepare(context, chunk);
    for (let pass = 0; pending.length > 0; pass++) {
      context.signal?.throwIfAborted();
      // Same orders, same pass: same requestid, so a re-send after a lost answer is replayed, never re-executed.
      // The pass is part of it: a retry of faulted items must run again, not replay the faults.
      const requestId = createHash('sha256')
        .update(
          `${context.batch.id}|${pass}|${pending.map((p) => `${p.order.id}:${p.order.postingGeneration}`).join(',')}`,
        )
        .digest('hex')
        .slice(0, 32);
      await this.recorder.markSent(
        context,
        pending.map((p) => p.order.id),
      );
      context.signal?.throwIfAborted();
      const started = performance.now();
      let outcomes;
      try {
        outcomes = await context.client.batch(
          pending.map((p, index) => ({
            bId: String(index + 1),
            operation: 'create',
            entity: context.entity,
            body: p.body,
          })),
          { requestId },
        );
      } catch (error) {
        // QuickBooks refused the whole call (not a network or throttling failure): nothing was created.
        if (!isRefusal(error)) throw error;
        await this.recorder.recordFailures(
          context,
          pending.map((prepared) => ({ ...prepared, error, requestId })),
        );
        return;
      }
      const durationMs = Math.round(performance.now() - started);
      // Recording takes a turn of its own: answers that came in together each free their slot (and send the next call)
      // first, instead of each waiting for the recording of those read before it.
      await ownTurn();
      const retry: PreparedOrder[] = [];
      const succeeded: Array<{ prepared: PreparedOrder; value: QuickBooksEntity }> = [];
      const failed: Array<{ prepared: PreparedOrder; error: QuickBooksError }> = [];
      const duplicates: PreparedOrder[] = [];
      for (const [index, prepared] of pending.entries()) {
        const outcome = outcomes[index];
        if (outcome.ok && 'value' in outcome) succeeded.push({ prepared, value: outcome.value });
        else if (!outcome.ok && outcome.error.quickbooksCode === '6140') duplicates.push(prepared);
        else if (!outcome.ok && outcome.error.category === 'RETRYABLE' && pass < ITEM_RETRY_PASSES)
          retry.push(prepared);
        else failed.push({ prepared, error: (outcome as { error: QuickBooksError }).error });
      }
      await this.recorder.recordResults(
        context,
        succeeded.map(({ prepared, value }) => ({
          order: prepared.order,
          seq: prepared.seq,
          posted: toPosted(context.entity, value),
          prepared,
          requestId,
          durationMs,
        })),
      );
      await this.recorder.recordFailures(
        context,
        failed.map(({ prepared, error }) => ({ ...prepared, error, requestId })),
      );
      await this.recovery.resolveDuplicates(context, duplicates);
      pending = retry;
    }
  }

  /**
   * Waits until the customers and items these orders need are found or created (or known to be missing): its own,
   * or its whole window's, whichever comes first. The window's payment methods (and the company's currency, which the
   * customers' keys depend on) come first.
   */
  private async referencesOf(context: RunContext, chunk: Chunk): Promise<void> {
    await chunk.references.methods;
    const customers: string[] = [];
    const items: string[] = [];
    for (const { order } of chunk.entries) {
      if (illFormedOrderProblem(order)) continue;
      try {
        customers.push(
          customerKey(customerNameOf(order, context.settings), foreignCurrencyOf(order, context.currency)),
        );
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
      }
      for (const line of order.lines) items.push(itemKey(line));
    }
    await Promise.race([
      chunk.references.all,
      Promise.all([context.customers.whenSettled(customers), context.items.whenSettled(items)]),
    ]);
  }

  /** Builds the transaction bodies; orders that cannot be mapped fail now with the setting to change. */
  private async prepare(context: RunContext, chunk: Chunk): Promise<PreparedOrder[]> {
    await this.referencesOf(context, chunk);
    const prepared: PreparedOrder[] = [];
    const failures: Array<{ order: OrderEntity; seq: number; error: Error }> = [];
    for (const { order, seq } of chunk.entries) {
      try {
        const illFormed = illFormedOrderProblem(order);
        if (illFormed) throw illFormed;
        checkCurrency(order, context.currency);
        const customer = context.customers.get(
          customerKey(customerNameOf(order, context.settings), foreignCurrencyOf(order, context.currency)),
        );
        if (!customer)
          throw new MappingProblem(
            `No QuickBooks customer for order ${order.orderNumber}`,
            'post the order again',
          );
        if ('problem' in customer) throw customer.problem;
        const itemIds = new Map<string, string>();
        for (const line of order.lines) {
          const item = context.items.get(itemKey(line));
          if (!item)
            throw new MappingProblem(
              `No QuickBooks item for "${line.sku ?? line.name}"`,
              'post the order again',
            );
          if ('problem' in item) throw item.problem;
          itemIds.set(itemKey(line), item.id);
        }
        const entity = this.entityFor(context, order);
        const body = transactionBody(order, {
          // An update keeps the kind of transaction the order is in QuickBooks as.
          settings: { ...context.settings, postOrdersAs: entity === 'Invoice' ? 'INVOICE' : 'SALES_RECEIPT' },
          customerId: customer.id,
          itemIds,
          allowShipping: context.allowShipping,
          currency: currencyFields(order, context.currency),
          paymentMethodId: paymentMethodIdOf(order.paymentMethod, context.paymentMethods, context.settings),
        });
        prepared.push({ order, seq, body, customerId: customer.id, itemIds });
      } catch (error) {
        // One order that cannot be mapped fails alone; an unexpected error is logged as the bug it is.
        if (!(error instanceof MappingProblem) && !(error instanceof AppError)) {
          this.logger.error(
            { err: error, orderId: order.id },
            'could not build the QuickBooks transaction for an order',
          );
        }
        failures.push({ order, seq, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    await this.recorder.recordFailures(context, failures);
    return prepared;
  }

  /**
   * Ends a batch that cannot go on (connection not ready, authorization lost, last attempt used): pending orders FAIL
   * with the reason. When QuickBooks can still be asked, orders sent without a recorded outcome are looked up first;
   * any still unknown keep `sentAt`, so posting them again looks for them before sending.
   */
  private async failRemaining(batch: SyncBatchEntity, error: unknown, context?: RunContext): Promise<void> {
    const stored = toStoredError(error);
    if (context) {
      try {
        for await (const window of this.windows(batch.id)) {
          await this.recovery.recover(
            context,
            window.filter(({ order }) => order.sentAt && order.status !== 'POSTED'),
          );
        }
      } catch (lookupError) {
        this.logger.warn(
          { err: lookupError, batchId: batch.id },
          'could not look up sent orders before failing the batch',
        );
      }
    }
    for (;;) {
      const items = await this.batches.pendingItemsAfter(batch.id, -1, 500);
      if (items.length === 0) break;
      const ids = items.map((i) => i.entityId);
      await this.dataSource.transaction(async (manager) => {
        await manager.update(
          OrderEntity,
          { id: In(ids), postingBatchId: batch.id, status: In(['QUEUED', 'POSTING']) },
          { status: 'FAILED', lastError: stored } as never,
        );
        // Orders that were to update their transaction stay flagged as changed since posting.
        await manager.update(
          OrderEntity,
          { id: In(ids), postingBatchId: batch.id, status: 'FAILED', postedTransaction: Not(IsNull()) },
          { modifiedAfterPosting: true },
        );
        await this.batches.recordItems(
          batch.id,
          items.map((i) => ({ seq: i.seq, status: 'FAILED' as const, error: stored })),
          manager,
        );
      });
    }
    await this.batches.finish(batch.id, stored);
  }
}
