import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { In, IsNull, Not, type DataSource, type EntityManager, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type ConnectionSettingsData,
  type OrderLineData,
  type PostedTransactionData,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { BatchService, ItemOutcome } from '../batch.service';
import { assertReady, type ConnectionService } from '../connections/connection.service';
import {
  customerNameOf,
  itemKey,
  MappingProblem,
  orderMarkerPrefix,
  text,
  transactionBody,
} from './posting-mapper';
import { customerKey, PostingReferences, type Resolution } from './posting-references';
import {
  checkCurrency,
  companyCurrencyOf,
  currencyFields,
  ensureCompanyCurrencies,
  foreignCurrencyOf,
  type CompanyCurrency,
} from './currency';
import { PaymentMethodResolver, paymentMethodIdOf } from './payment-methods';
import { illFormedOrderProblem } from './text';
import { classifyJobFailure, waitingProblem } from './failure';
import { entityOf, postUpdates, recoverUpdates, type UpdateHost } from './updates';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import type { ReferenceService } from '../reference.service';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import { dialectOf, execute, placeholders, toDbTime, updateEach, type Dialect } from '../../sql';
import { toStoredError } from '../stored-error';
import {
  CHUNK,
  CHUNKS_IN_FLIGHT,
  ITEM_RETRY_PASSES,
  WINDOW,
  isRefusal,
  quote,
  runPool,
} from './exactly-once';

export { toStoredError };

export const POSTABLE_STATUSES = ['NEW', 'FAILED', 'ARCHIVED'] as const;
/** Largest batch postOrders accepts (the worker streams through it, so memory does not grow with it). */
const MAX_BATCH_ORDERS = 100_000;
/** Ids per `IN (...)`: SQLite allows 32,766 parameters a statement. */
const ID_CHUNK = 1000;

interface OrderSummary {
  id: string;
  connectionId: string;
  status: OrderEntity['status'];
  orderNumber: string;
  customerName: string;
  posted: boolean;
  modifiedAfterPosting: boolean;
  /** What the order needs of the settings (checked for all orders at once before anything is queued). */
  discountTotal: string;
  charges: string;
}

interface PreparedOrder {
  order: OrderEntity;
  seq: number;
  body: QuickBooksEntity;
  customerId: string;
  itemIds: Map<string, string>;
}

interface RunContext {
  batch: SyncBatchEntity;
  connection: ConnectionEntity;
  settings: ConnectionSettingsData;
  client: QuickBooksClient;
  references: PostingReferences;
  entity: 'SalesReceipt' | 'Invoice';
  allowShipping: boolean;
  customers: Map<string, Resolution>;
  items: Map<string, Resolution>;
  /** The company's home currency and whether multicurrency is on (from Preferences). */
  currency: CompanyCurrency;
  /** PaymentMethod ids by lower-cased name, for orders that name one. */
  paymentMethods: Map<string, string>;
  signal?: AbortSignal;
}

/** What the job tells a run: its abort signal and which attempt this is. */
export interface PostRunOptions {
  signal?: AbortSignal;
  finalAttempt?: boolean;
  attempt?: number;
  maxAttempts?: number;
}

/** A run of orders to send: new transactions, or updates of posted ones changed since. */
type Chunk = { kind: 'create' | 'update'; entries: Array<{ order: OrderEntity; seq: number }> };

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
  private readonly orders: Repository<OrderEntity>;
  private readonly connectionRows: Repository<ConnectionEntity>;
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly referenceService: ReferenceService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
    /** Partner webhooks order.posted and order.failed, written with each chunk's results. */
    private readonly webhooks?: WebhookEmitter,
  ) {
    this.orders = dataSource.getRepository(OrderEntity);
    this.connectionRows = dataSource.getRepository(ConnectionEntity);
    this.dialect = dialectOf(dataSource);
  }

  /** Orders with an invoice reach QuickBooks as that invoice: postOrders hands them over (wired at start-up). */
  private invoicedOrders?: (tenantId: string, orderIds: string[]) => Promise<SyncBatchEntity | undefined>;

  attachInvoicing(
    route: (tenantId: string, orderIds: string[]) => Promise<SyncBatchEntity | undefined>,
  ): void {
    this.invoicedOrders = route;
  }

  /**
   * Queues NEW, FAILED or ARCHIVED orders of one ready connection for posting, and posted orders whose content changed
   * since (`modifiedAfterPosting`: their QuickBooks transaction is updated), and returns the QUEUED batch at once.
   * Anything else is refused before anything is queued, naming the order and why. Orders with invoices are sent as
   * their invoices (a SEND_INVOICES batch).
   */
  async postOrders(tenantId: string, orderIds: string[]): Promise<SyncBatchEntity> {
    const ids = [...new Set(orderIds)];
    if (ids.length === 0) throw badInput('orderIds', 'must name at least one order');
    if (ids.length > MAX_BATCH_ORDERS)
      throw badInput('orderIds', `at most ${MAX_BATCH_ORDERS} orders a batch`);
    const invoiced = await this.invoicedOrders?.(tenantId, ids);
    if (invoiced) return invoiced;
    const orders = await this.loadSummaries(tenantId, ids);
    const connectionIds = new Set(orders.map((o) => o.connectionId));
    if (connectionIds.size > 1) {
      throw badInput(
        'orderIds',
        "the orders belong to several connections; post each connection's orders separately",
      );
    }
    for (const [index, order] of orders.entries()) {
      const changedSincePosting = order.posted && order.modifiedAfterPosting;
      if (!(POSTABLE_STATUSES as readonly string[]).includes(order.status) && !changedSincePosting) {
        throw badInput(
          `orderIds.${index}`,
          `order ${order.orderNumber} is ${order.status}; only NEW, FAILED or ARCHIVED orders, and posted orders ` +
            'changed since, can be posted',
          order.status === 'POSTED'
            ? 'it is in QuickBooks as sent; undo the posting first to post it again from scratch'
            : undefined,
        );
      }
      if (order.posted && !changedSincePosting) {
        throw badInput(
          `orderIds.${index}`,
          `order ${order.orderNumber} is already in QuickBooks and has not changed since`,
          'undo the posting first to post it again from scratch',
        );
      }
    }
    // Every missing setting these orders need, named at once, before anything is queued.
    const connection = await this.connections.assertReady(tenantId, [...connectionIds][0], 'POST_ORDERS', {
      discount: orders.some((o) => Number(o.discountTotal) > 0),
      noCustomer: orders.some((o) => !o.customerName),
      charges: new Set(
        orders.flatMap((o) => (JSON.parse(o.charges) as OrderEntity['charges']).map((c) => c.kind)),
      ),
    });

    return this.dataSource.transaction(async (manager) => {
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId: connection.id,
        kind: 'POST_ORDERS',
        items: orders.map((order) => ({ entityType: 'Order', entityId: order.id, label: label(order) })),
        parameters: { postOrdersAs: { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings }.postOrdersAs },
      });
      let claimed = 0;
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const chunk = ids.slice(i, i + ID_CHUNK);
        const result = await manager
          .createQueryBuilder()
          .update(OrderEntity)
          .set({
            status: 'QUEUED',
            postingGeneration: () => 'postingGeneration + 1',
            postingBatchId: batch.id,
            lastError: null,
            // Cleared now: a re-send while the order is queued sets it again, so the change is not lost.
            modifiedAfterPosting: false,
          })
          .where(
            'tenantId = :tenantId AND id IN (:...chunk) AND (status IN (:...postable) OR ' +
              '(postedTransaction IS NOT NULL AND modifiedAfterPosting = :modified AND status = :posted))',
            { tenantId, chunk, postable: POSTABLE_STATUSES, modified: true, posted: 'POSTED' },
          )
          .execute();
        claimed += result.affected ?? 0;
      }
      if (claimed !== ids.length) {
        throw new AppError(
          'CONFLICT',
          'some of these orders were changed or queued by another request; reload and retry',
        );
      }
      await this.jobs.enqueue('orders.post', { batchId: batch.id }, { manager, maxAttempts: 25 });
      return batch;
    });
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
      customers: new Map(),
      items: new Map(),
      currency: { home: 'USD', multicurrency: false },
      paymentMethods: new Map(),
      signal: options.signal,
    };
    try {
      const [preferences] = await Promise.all([client.preferences(), context.references.load()]);
      context.allowShipping =
        (preferences.SalesFormsPrefs as { AllowShipping?: boolean } | undefined)?.AllowShipping === true;
      context.currency = companyCurrencyOf(preferences);
      context.references.homeCurrency = context.currency.home;
      const started = performance.now();
      await this.resolveReferences(context);
      const resolved = performance.now();
      await runPool(this.chunks(context), CHUNKS_IN_FLIGHT, (chunk) =>
        chunk.kind === 'update'
          ? this.postUpdateChunk(context, chunk.entries)
          : this.postChunk(context, chunk.entries),
      );
      this.logger.info(
        {
          batchId,
          referencesMs: Math.round(resolved - started),
          postingMs: Math.round(performance.now() - resolved),
        },
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
        await this.syncLogs.record(this.batchLog(context, toStoredError(error), options.attempt));
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
      await this.syncLogs.record(this.batchLog(context, problem, attempt));
    } catch (recordError) {
      this.logger.warn({ err: recordError, batchId: context.batch.id }, 'could not show the batch waiting');
    }
  }

  /** A sync log about the batch itself (a job-level failure), so the batch's log view says what happened. */
  private batchLog(context: RunContext, error: StoredSyncError, attempt = 1): SyncLogEntry {
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

  /**
   * Phase one: every customer and item the batch needs, found or created in bulk before any transaction is sent. It
   * reads the orders once here and again while posting: keeping them between the phases would make memory grow with
   * the batch (100,000 orders are fine as it is).
   */
  private async resolveReferences(context: RunContext): Promise<void> {
    const customers = new Map<string, { name: string; currency: string | null; order: OrderEntity }>();
    const items = new Map<string, OrderLineData>();
    const currencies = new Set<string>();
    const paymentMethods = new Set<string>();
    for await (const window of this.windows(context.batch.id)) {
      for (const { order } of window) {
        if (order.status === 'POSTED') continue;
        if (illFormedOrderProblem(order)) continue; // fails alone in prepare(), with the field named
        try {
          checkCurrency(order, context.currency);
          const name = customerNameOf(order, context.settings);
          const currency = foreignCurrencyOf(order, context.currency);
          if (currency) currencies.add(currency);
          const key = customerKey(name, currency);
          if (!customers.has(key)) customers.set(key, { name, currency, order });
        } catch (problem) {
          if (!(problem instanceof MappingProblem)) throw problem;
          continue; // fails in prepare(), with the reason
        }
        if (order.paymentMethod && this.entityFor(context, order) === 'SalesReceipt') {
          paymentMethods.add(order.paymentMethod);
        }
        for (const line of order.lines) if (!items.has(itemKey(line))) items.set(itemKey(line), line);
      }
    }
    // QuickBooks takes a customer's currency only from the company's currency list.
    await ensureCompanyCurrencies(context.client, currencies);
    const methods = new PaymentMethodResolver(context.connection, context.client, this.referenceService);
    const [customerIds, itemIds, resolvedMethods] = await Promise.all([
      context.references.resolveCustomers(customers),
      context.references.resolveItems(items, context.settings),
      methods.resolve(paymentMethods, context.settings, (entry) =>
        this.log(context, null, {
          entityType: 'PaymentMethod',
          entityId: null,
          status: 'SUCCEEDED',
          ...entry,
        }),
      ),
    ]);
    await this.syncLogs.record(...resolvedMethods.logs);
    context.customers = customerIds;
    context.items = itemIds;
    context.paymentMethods = resolvedMethods.ids;
  }

  /** The transaction an order becomes: the one it is already in QuickBooks as, else the batch's kind. */
  private entityFor(context: RunContext, order: OrderEntity): 'SalesReceipt' | 'Invoice' {
    return order.postedTransaction ? entityOf(order.postedTransaction) : context.entity;
  }

  /** Streams the batch's pending orders in item order, WINDOW at a time. */
  private async *windows(batchId: string): AsyncGenerator<Array<{ order: OrderEntity; seq: number }>> {
    let afterSeq = -1;
    for (;;) {
      const items = await this.batches.pendingItemsAfter(batchId, afterSeq, WINDOW);
      if (items.length === 0) return;
      afterSeq = items[items.length - 1].seq;
      const orders = await this.orders.findBy({ id: In(items.map((i) => i.entityId)) });
      const byId = new Map(orders.map((o) => [o.id, o]));
      yield items.flatMap((item) => {
        const order = byId.get(item.entityId);
        return order ? [{ order, seq: item.seq }] : [];
      });
    }
  }

  /**
   * Phase two, as chunks of at most 30 orders, after recovering orders whose earlier sending has no recorded outcome:
   * new transactions, and updates of orders already in QuickBooks.
   */
  private async *chunks(context: RunContext): AsyncGenerator<Chunk> {
    for await (const window of this.windows(context.batch.id)) {
      context.signal?.throwIfAborted();
      const todo: Array<{ order: OrderEntity; seq: number }> = [];
      const done: Array<{ order: OrderEntity; seq: number }> = [];
      for (const entry of window) (entry.order.status === 'POSTED' ? done : todo).push(entry);
      // Already POSTED by an earlier run whose batch item was not recorded yet.
      await this.recordResults(
        context,
        done.map(({ order, seq }) => ({ order, seq, posted: order.postedTransaction! })),
      );
      const creates = todo.filter(({ order }) => !order.postedTransaction);
      const updates = todo.filter(({ order }) => order.postedTransaction);
      const adopted = await this.recover(
        context,
        creates.filter(({ order }) => order.sentAt && !illFormedOrderProblem(order)),
      );
      const rest = creates.filter(({ order }) => !adopted.has(order.id));
      for (let i = 0; i < rest.length; i += CHUNK)
        yield { kind: 'create', entries: rest.slice(i, i + CHUNK) };
      for (let i = 0; i < updates.length; i += CHUNK) {
        yield { kind: 'update', entries: updates.slice(i, i + CHUNK) };
      }
    }
  }

  /** Updates of posted orders changed since (see posting/updates.ts), after recovering those sent before. */
  private async postUpdateChunk(
    context: RunContext,
    chunk: Array<{ order: OrderEntity; seq: number }>,
  ): Promise<void> {
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
      markSent: (orderIds) => this.markSent(context, orderIds),
      recordUpdated: (results, action) =>
        this.recordResults(
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
        this.recordFailures(
          context,
          failures.map(({ prepared, error, requestId }) => ({ ...prepared, error, requestId })),
        ),
    };
  }

  /**
   * The durable record, in its own commit: from here on these orders' outcome must be checked in QuickBooks before
   * anything is sent again. Fenced on the batch: a run that lost its lease cannot claim them back.
   */
  private async markSent(context: RunContext, orderIds: string[]): Promise<void> {
    const sentAt = toDbTime(this.dialect, new Date());
    const marked = await this.dataSource.transaction((manager) =>
      execute(
        manager,
        `UPDATE \`orders\` SET \`status\` = 'POSTING', \`sentAt\` = ?, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(orderIds.length)}) AND \`postingBatchId\` = ? AND \`status\` IN ('QUEUED', 'POSTING')`,
        [sentAt, sentAt, ...orderIds, context.batch.id],
      ),
    );
    if (marked !== orderIds.length) {
      throw new AppError(
        'CONFLICT',
        'these orders were taken over by another run of the batch; stopping here',
      );
    }
  }

  /**
   * Orders that were sent without a recorded outcome: finds their transactions in QuickBooks by DocNumber and the
   * marker of this posting, and records the ones found as POSTED. The rest are safe to send again.
   */
  private async recover(
    context: RunContext,
    entries: Array<{ order: OrderEntity; seq: number }>,
  ): Promise<Set<string>> {
    const adopted = new Set<string>();
    for (let i = 0; i < entries.length; i += 50) {
      const group = entries.slice(i, i + 50);
      const found = await this.findPosted(
        context,
        group.map((g) => g.order),
      );
      const results = group.flatMap(({ order, seq }) => {
        const transaction = found.get(order.id);
        return transaction ? [{ order, seq, posted: toPosted(context.entity, transaction) }] : [];
      });
      for (const result of results) adopted.add(result.order.id);
      if (results.length) {
        this.logger.info(
          { batchId: context.batch.id, adopted: results.length },
          'recovered orders already in QuickBooks',
        );
      }
      await this.recordResults(context, results, 'MATCH');
    }
    return adopted;
  }

  /** This posting's transactions in QuickBooks, by order id (DocNumber IN (...) and the marker). */
  private async findPosted(
    context: RunContext,
    orders: OrderEntity[],
  ): Promise<Map<string, QuickBooksEntity>> {
    const result = new Map<string, QuickBooksEntity>();
    if (orders.length === 0) return result;
    const numbers = [...new Set(orders.map((o) => o.orderNumber))];
    const found = await context.client.query(
      `SELECT * FROM ${context.entity} WHERE DocNumber IN (${numbers.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    for (const order of orders) {
      // Any generation: a live transaction carrying this order's marker is this order's (undo deletes or voids, and
      // QuickBooks replaces a voided transaction's note), whichever posting sent it.
      const marker = orderMarkerPrefix(order.id);
      const match = found.items.find(
        (t) => t.DocNumber === order.orderNumber && text(t.PrivateNote).includes(marker),
      );
      if (match) result.set(order.id, match);
    }
    return result;
  }

  private async postChunk(
    context: RunContext,
    chunk: Array<{ order: OrderEntity; seq: number }>,
  ): Promise<void> {
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
      await this.markSent(
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
        await this.recordFailures(
          context,
          pending.map((prepared) => ({ ...prepared, error, requestId })),
        );
        return;
      }
      const durationMs = Math.round(performance.now() - started);
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
      await this.recordResults(
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
      await this.recordFailures(
        context,
        failed.map(({ prepared, error }) => ({ ...prepared, error, requestId })),
      );
      await this.resolveDuplicates(context, duplicates);
      pending = retry;
    }
  }

  /**
   * 6140, duplicate document number. If it is this posting's own transaction (a replay we could not see), adopt it.
   * If the number is held only by earlier, undone postings of the same order, post again allowing the duplicate.
   * Otherwise someone else's transaction has this number: the order fails with what to do.
   */
  private async resolveDuplicates(context: RunContext, duplicates: PreparedOrder[]): Promise<void> {
    if (duplicates.length === 0) return;
    const numbers = [...new Set(duplicates.map((d) => d.order.orderNumber))];
    const existing = await context.client.query(
      `SELECT * FROM ${context.entity} WHERE DocNumber IN (${numbers.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    for (const prepared of duplicates) {
      const { order } = prepared;
      const same = existing.items.filter((t) => t.DocNumber === order.orderNumber);
      // A live transaction of this order, from any posting: adopt it rather than create another.
      const ours = same.find((t) => text(t.PrivateNote).includes(orderMarkerPrefix(order.id)));
      if (ours) {
        await this.recordResults(
          context,
          [{ order, seq: prepared.seq, posted: toPosted(context.entity, ours) }],
          'MATCH',
        );
        continue;
      }
      // Only voided transactions hold the number (an undo by VOID keeps the number in QuickBooks; QuickBooks replaces
      // a voided transaction's note with "Voided"): the number may be used again. Anything else is someone else's.
      const onlyVoided = same.every((t) => /^Voided\b/.test(text(t.PrivateNote)));
      if (!onlyVoided) {
        await this.recordFailures(context, [
          {
            ...prepared,
            error: new QuickBooksError({
              httpStatus: 400,
              quickbooksCode: '6140',
              quickbooksMessage: `Duplicate Document Number Error: another ${context.entity} in QuickBooks already uses number ${order.orderNumber}`,
              category: 'FIX_DATA',
              hint: 'change the order number, or remove or renumber the other transaction in QuickBooks, then post again',
            }),
          },
        ]);
        continue;
      }
      const requestId = createHash('sha256')
        .update(`dup|${order.id}|${order.postingGeneration}`)
        .digest('hex')
        .slice(0, 32);
      try {
        const created = await context.client.create(context.entity, prepared.body, {
          requestId,
          params: { include: 'allowduplicatedocnum' },
        });
        await this.recordResults(context, [
          { order, seq: prepared.seq, posted: toPosted(context.entity, created), prepared, requestId },
        ]);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await this.recordFailures(context, [{ ...prepared, error, requestId }]);
      }
    }
  }

  /** Builds the transaction bodies; orders that cannot be mapped fail now with the setting to change. */
  private async prepare(
    context: RunContext,
    chunk: Array<{ order: OrderEntity; seq: number }>,
  ): Promise<PreparedOrder[]> {
    const prepared: PreparedOrder[] = [];
    const failures: Array<{ order: OrderEntity; seq: number; error: Error }> = [];
    for (const { order, seq } of chunk) {
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
    await this.recordFailures(context, failures);
    return prepared;
  }

  /** Orders now in QuickBooks: the order becomes POSTED, its batch item SUCCEEDED, and a sync log says how. */
  private async recordResults(
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
    await this.dataSource.transaction(async (manager: EntityManager) => {
      // One statement for the chunk: each order's transaction, customer and item ids, by CASE over id.
      await updateEach(
        manager,
        'orders',
        'id',
        changed,
        (r) => r.order.id,
        {
          postedTransaction: (r) => JSON.stringify(r.posted),
          postedTransactionId: (r) => r.posted.id,
          customer: (r) =>
            JSON.stringify(
              r.prepared ? { ...r.order.customer, quickbooksId: r.prepared.customerId } : r.order.customer,
            ),
          lines: (r) =>
            JSON.stringify(
              r.prepared
                ? r.order.lines.map((line) => ({
                    ...line,
                    quickbooksItemId: r.prepared!.itemIds.get(itemKey(line)) ?? null,
                  }))
                : r.order.lines,
            ),
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
    });
  }

  /** Orders that could not be posted: FAILED with the reason and a hint (the Errors view), batch item FAILED. */
  private async recordFailures(
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
    await this.dataSource.transaction(async (manager) => {
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
            modifiedAfterPosting: (f) => (f.order.postedTransaction || f.order.modifiedAfterPosting ? 1 : 0),
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
    });
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
          await this.recover(
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

  /** A sync log of this run: about an order, or (order null) about what the run created for the orders. */
  private log(
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

  /** What postOrders checks, without loading whole orders (a batch may hold 100,000). */
  private async loadSummaries(tenantId: string, ids: string[]): Promise<OrderSummary[]> {
    const found = new Map<string, OrderSummary>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      const rows = await this.dataSource.query<
        Array<
          Omit<OrderSummary, 'posted' | 'modifiedAfterPosting'> & {
            posted: number | string;
            modifiedAfterPosting: number | string | boolean;
          }
        >
      >(
        'SELECT `id`, `connectionId`, `status`, `orderNumber`, `customerName`, `modifiedAfterPosting`, ' +
          '`discountTotal`, `charges`, ' +
          'CASE WHEN `postedTransaction` IS NULL THEN 0 ELSE 1 END AS `posted` ' +
          `FROM \`orders\` WHERE \`tenantId\` = ? AND \`id\` IN (${placeholders(chunk.length)})`,
        [tenantId, ...chunk],
      );
      for (const row of rows) {
        found.set(row.id, {
          ...row,
          posted: Number(row.posted) === 1,
          modifiedAfterPosting: Number(row.modifiedAfterPosting) === 1,
        });
      }
    }
    return ids.map((id, index) => {
      const order = found.get(id);
      if (!order) throw notFound(`Order (orderIds.${index})`, id);
      return order;
    });
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

export function toPosted(
  entity: 'SalesReceipt' | 'Invoice',
  transaction: QuickBooksEntity,
): PostedTransactionData {
  return {
    kind: entity === 'Invoice' ? 'INVOICE' : 'SALES_RECEIPT',
    id: String(transaction.Id),
    docNumber: typeof transaction.DocNumber === 'string' ? transaction.DocNumber : null,
    syncToken: typeof transaction.SyncToken === 'string' ? transaction.SyncToken : null,
    totalAmount:
      typeof transaction.TotalAmt === 'number' || typeof transaction.TotalAmt === 'string'
        ? new Decimal(transaction.TotalAmt).toFixed(2)
        : null,
  };
}
