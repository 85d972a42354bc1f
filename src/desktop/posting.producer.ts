import { In, type DataSource, type EntityManager } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  type ConnectionEntity,
  type ConnectionSettingsData,
  type DesktopRequestEntity,
  type PostedTransactionData,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../entities';
import type { Logger } from '../logger';
import type { BatchService } from '../services/batch.service';
import { MappingProblem, orderMarkerPrefix } from '../services/posting/posting-mapper';
import type { ReferenceService } from '../services/reference.service';
import { toStoredError } from '../services/stored-error';
import type { SyncLogEntry, SyncLogService } from '../services/sync-log.service';
import { dialectOf, toDbTime, updateEach, type Dialect } from '../db/sql';
import {
  desktopCustomerName,
  desktopItemName,
  nameKey,
  postedFrom,
  transactionAdd,
  type DesktopTxn,
} from './mapper';
import { isError, statusError, text, type QbObject } from './qbxml';
import { DesktopListResolver, RESOLVE } from './list-resolver';
import {
  insertOnce,
  type DesktopAnswer,
  type DesktopProducer,
  type DesktopQueue,
  type NewDesktopRequest,
} from './request-queue';

const PRODUCER = 'POST_ORDERS';
/** QuickBooks' "busy, try again" answers: sent again this many times. */
const TRANSIENT = new Set([3170, 3175, 3231]);
const TRANSIENT_ATTEMPTS = 3;
const LOOKUP_SIZE = 50;
const WINDOW = 500;

interface PostContext {
  orderId: string;
  seq: number;
  generation: number;
  customerId: string;
  itemIds: Record<string, string>;
}

type Recorded = {
  order: OrderEntity;
  seq: number;
  posted: PostedTransactionData;
  action: 'CREATE' | 'MATCH';
  request: DesktopRequestEntity;
  context?: PostContext;
  message?: string;
};
type Failed = {
  order: OrderEntity;
  seq: number;
  error: StoredSyncError;
  unknown: boolean;
  requestId?: string;
};

/**
 * Posting orders to QuickBooks Desktop, exactly once, through the Web Connector's queue.
 *
 * A batch is planned in two stages. First the customers and items its orders need that the mirror does not know are
 * added (CustomerAdd / Item…Add; a 3100 "name in use" is looked up and adopted, an inactive customer is reactivated
 * with CustomerMod, and a 3200 stale EditSequence is fixed by re-reading and retrying). When no request of that stage
 * is open, each order gets one SalesReceiptAdd / InvoiceAdd with the order number as RefNumber and the posting marker
 * in Memo. Before such a request leaves, its order gets `sentAt` in the same commit; a request whose answer never came
 * is looked up by RefNumber and marker before anything is sent again, so a lost answer never posts twice.
 */
export class DesktopPostingProducer implements DesktopProducer {
  readonly name = PRODUCER;
  private readonly dialect: Dialect;
  private readonly lists: DesktopListResolver;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    references: ReferenceService,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
  ) {
    this.dialect = dialectOf(dataSource);
    this.lists = new DesktopListResolver(dataSource, queue, references, syncLogs);
  }

  // ------------------------------------------------------------------------------------------------ planning

  /** Stage one: adds for the customers and items the mirror does not have (stage two at once if none). */
  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    if ((await this.queue.ofBatch(batch.id, [...RESOLVE, 'post', 'lookup'])).length > 0)
      return this.resume(batch, connection);
    const settings = settingsOf(connection);
    const index = await this.lists.index(connection);
    const customers = new Map<string, { name: string; order: OrderEntity }>();
    const items = new Map<string, OrderEntity['lines'][number]>();
    const failures: Failed[] = [];
    for await (const window of this.windows(batch.id)) {
      for (const { order, seq } of window) {
        let name: string;
        try {
          name = desktopCustomerName(order, settings);
        } catch (error) {
          failures.push({ order, seq, error: toStoredError(error), unknown: false });
          continue;
        }
        const email = order.customer?.email?.toLowerCase();
        const known = index.customers.get(nameKey(name)) ?? (email ? index.emails.get(email) : undefined);
        if (!known && !customers.has(nameKey(name))) customers.set(nameKey(name), { name, order });
        for (const line of order.lines) {
          const key = nameKey(desktopItemName(line));
          if (!index.items.has(key) && !items.has(key)) items.set(key, line);
        }
      }
    }
    const { requests, unbuildable } = this.lists.stageOne(PRODUCER, batch.id, customers, items, settings);
    const inserted = await insertOnce(this.dataSource, async (manager) => {
      await this.queue.add(manager, connection, [...requests, ...unbuildable]);
      await this.recordFailures(batch.id, connection, failures, manager);
    });
    if (inserted && requests.length === 0) await this.planPosts(batch.id, connection);
  }

  /**
   * A batch planned before: whatever a crash between two commits left undone is done now (stage two once stage one
   * is settled, the batch finished once every item is). Idempotent, so every Web Connector sign-in runs it.
   */
  private async resume(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    if (await this.queue.open(batch.id, RESOLVE)) return;
    await this.planPosts(batch.id, connection);
  }

  /** Stage two: one transaction request per order still waiting, on the customers and items stage one settled. */
  private async planPosts(batchId: string, connection: ConnectionEntity): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch) return;
    const settings = settingsOf(connection);
    const entity = entityOf(batch, settings);
    const index = await this.lists.index(connection);
    const problems = await this.lists.settled(batchId, index);
    for await (const window of this.windows(batchId)) {
      const waiting = window.filter(({ order }) => order.status === 'QUEUED');
      const keys = waiting.map(({ order }) => postKey(batchId, order));
      const existing = await this.queue.existingKeys(keys);
      const requests: NewDesktopRequest[] = [];
      const failures: Failed[] = [];
      for (const { order, seq } of waiting) {
        if (existing.has(postKey(batchId, order))) continue;
        try {
          const name = desktopCustomerName(order, settings);
          const email = order.customer?.email?.toLowerCase();
          const customerId =
            index.customers.get(nameKey(name)) ?? (email ? index.emails.get(email) : undefined);
          const customerProblem = problems.get(`customer:${nameKey(name)}`);
          if (!customerId) {
            if (customerProblem) throw new StoredProblem(customerProblem);
            throw new MappingProblem(
              `No QuickBooks customer for order ${order.orderNumber}`,
              'post the order again',
            );
          }
          const itemIds = new Map<string, string>();
          for (const line of order.lines) {
            const key = nameKey(desktopItemName(line));
            const itemId = index.items.get(key);
            if (!itemId) {
              const problem = problems.get(`item:${key}`);
              if (problem) throw new StoredProblem(problem);
              throw new MappingProblem(
                `No QuickBooks item for "${line.sku ?? line.name}"`,
                'post the order again',
              );
            }
            itemIds.set(key, itemId);
          }
          const content = transactionAdd(entity, order, { settings, customerId, itemIds });
          const context: PostContext = {
            orderId: order.id,
            seq,
            generation: order.postingGeneration,
            customerId,
            itemIds: Object.fromEntries(itemIds),
          };
          requests.push({
            producer: PRODUCER,
            purpose: 'post',
            type: `${entity}Add`,
            content,
            batchId,
            entityKey: order.id,
            label: labelOf(order),
            dedupeKey: postKey(batchId, order),
            context: context as unknown as Record<string, unknown>,
            // Sent by an earlier posting whose outcome is still unknown: looked up before it is sent again.
            ...(order.sentAt ? { status: 'LOST' as const } : {}),
          });
        } catch (error) {
          const stored = error instanceof StoredProblem ? error.stored : toStoredError(error);
          failures.push({ order, seq, error: stored, unknown: false });
        }
      }
      // The requests, the look-ups of those sent before without an answer and the failures: one commit.
      const inserted = await insertOnce(this.dataSource, async (manager) => {
        const ids = await this.queue.add(manager, connection, requests);
        const unknown = requests.flatMap((r, i) => (r.status === 'LOST' ? [{ ...r, id: ids[i] }] : []));
        await this.queue.add(manager, connection, lookups(unknown));
        await this.recordFailures(batchId, connection, failures, manager);
      });
      if (!inserted) return;
    }
    await this.batches.finishIfDone(batchId);
  }

  // ------------------------------------------------------------------------------------------------ sending

  /** The durable record: orders whose transaction may now be created get `sentAt` in the claim's commit. */
  async beforeSend(manager: EntityManager, requests: DesktopRequestEntity[]): Promise<void> {
    const posts = requests.filter((r) => r.purpose === 'post');
    const now = toDbTime(this.dialect, new Date());
    for (const batchId of new Set(posts.map((r) => r.batchId!))) {
      const ids = posts.filter((r) => r.batchId === batchId).map((r) => r.entityKey!);
      await updateEach(
        manager,
        'orders',
        'id',
        ids,
        (id) => id,
        {},
        { status: 'POSTING', sentAt: now, updatedAt: now },
        {
          sql: "`postingBatchId` = ? AND `status` IN ('QUEUED', 'POSTING')",
          params: [batchId],
        },
      );
    }
  }

  // ------------------------------------------------------------------------------------------------ answers

  async handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    const resolving = answers.filter((a) => RESOLVE.includes(a.request.purpose));
    for (const answer of resolving) await this.lists.handle(connection, answer);
    const posts = answers.filter((a) => a.request.purpose === 'post');
    if (posts.length) await this.handlePosts(connection, posts);
    for (const answer of answers.filter((a) => a.request.purpose === 'lookup'))
      await this.handleLookup(connection, answer);
    for (const batchId of new Set(answers.map((a) => a.request.batchId!))) {
      if (resolving.some((a) => a.request.batchId === batchId) && !(await this.queue.open(batchId, RESOLVE)))
        await this.planPosts(batchId, connection);
      await this.batches.finishIfDone(batchId);
    }
  }

  /** Lost answers: transactions are looked up by RefNumber and marker; everything else is safe to send again. */
  async recover(connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void> {
    const posts = requests.filter((r) => r.purpose === 'post');
    await this.dataSource.transaction(async (manager) => {
      for (const request of requests)
        await this.queue.settle(manager, request, request.purpose === 'post' ? 'LOST' : 'PENDING');
      await this.queue.add(
        manager,
        connection,
        lookups(posts.map((r) => ({ id: r.id, type: r.type, batchId: r.batchId, content: bodyOf(r) }))),
      );
    });
  }

  private async handlePosts(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    const orders = await this.orders(answers.map((a) => a.request.entityKey!));
    const recorded: Recorded[] = [];
    const failed: Array<Failed & { request: DesktopRequestEntity; code: number }> = [];
    const retry: DesktopRequestEntity[] = [];
    for (const { request, response } of answers) {
      const context = request.context as unknown as PostContext;
      const order = orders.get(context.orderId);
      if (!order) continue;
      if (!isError(response) && response.rets[0]) {
        recorded.push({
          order,
          seq: context.seq,
          posted: postedFrom(entityName(request.type), response.rets[0].value),
          action: 'CREATE',
          request,
          context,
          message: response.statusCode !== 0 ? response.statusMessage : undefined,
        });
      } else if (TRANSIENT.has(response.statusCode) && request.attempts < TRANSIENT_ATTEMPTS) {
        retry.push(request);
      } else {
        failed.push({
          order,
          seq: context.seq,
          error: statusError(response),
          unknown: false,
          requestId: request.id,
          request,
          code: response.statusCode,
        });
      }
    }
    // The answers and what they mean for the orders in one commit: a crash leaves them SENT, to be looked up.
    await this.dataSource.transaction(async (manager) => {
      for (const request of retry) await this.queue.settle(manager, request, 'PENDING');
      for (const r of recorded)
        await this.queue.settle(manager, r.request, 'DONE', {
          statusCode: 0,
          result: { txnId: r.posted.id },
        });
      for (const f of failed)
        await this.queue.settle(manager, f.request, 'FAILED', {
          statusCode: f.code,
          statusMessage: f.error.message,
          result: { error: f.error },
        });
      await this.recordPosted(connection, recorded, manager);
      await this.recordFailures(answers[0].request.batchId!, connection, failed, manager);
    });
  }

  /** A look-up after lost answers: this order's live transaction is adopted; the others are sent again. */
  private async handleLookup(
    connection: ConnectionEntity,
    { request, response }: DesktopAnswer,
  ): Promise<void> {
    const lost = await this.queue.byIds(connection.id, (request.context?.lost as string[]) ?? []);
    if (isError(response)) {
      if (request.attempts < TRANSIENT_ATTEMPTS) {
        await this.dataSource.transaction((m) => this.queue.settle(m, request, 'PENDING'));
        return;
      }
      // Still unknown: the orders fail but keep sentAt, so posting them again looks them up first.
      const orders = await this.orders(lost.map((r) => r.entityKey!));
      const failures = lost.flatMap((r) => {
        const order = orders.get(r.entityKey!);
        const seq = (r.context as unknown as PostContext).seq;
        return order ? [{ order, seq, error: statusError(response), unknown: true }] : [];
      });
      await this.dataSource.transaction(async (manager) => {
        await this.queue.settle(manager, request, 'FAILED', {
          statusCode: response.statusCode,
          statusMessage: response.statusMessage,
        });
        await this.recordFailures(request.batchId!, connection, failures, manager);
      });
      return;
    }
    const entity = entityName(request.type);
    const orders = await this.orders(lost.map((r) => r.entityKey!));
    const adopted: Recorded[] = [];
    const again: NewDesktopRequest[] = [];
    for (const row of lost) {
      const order = orders.get(row.entityKey!);
      if (!order || order.status === 'POSTED') continue;
      const context = row.context as unknown as PostContext;
      const found = response.rets.find(
        ({ value }) =>
          text(value.RefNumber) === order.orderNumber &&
          text(value.Memo).includes(orderMarkerPrefix(order.id)) &&
          !text(value.Memo).startsWith('VOID:'),
      );
      if (found) {
        adopted.push({
          order,
          seq: context.seq,
          posted: postedFrom(entity, found.value),
          action: 'MATCH',
          request: row,
          context,
        });
      } else {
        again.push({
          producer: PRODUCER,
          purpose: 'post',
          type: row.type,
          content: bodyOf(row),
          batchId: row.batchId,
          entityKey: row.entityKey,
          label: row.label,
          context: row.context,
        });
      }
    }
    // Settled, sent again and adopted in one commit: a crash in between would strand the adopted orders.
    await this.dataSource.transaction(async (manager) => {
      await this.queue.settle(manager, request, 'DONE', { statusCode: response.statusCode });
      await this.queue.add(manager, connection, again);
      await this.recordPosted(connection, adopted, manager);
    });
    if (adopted.length)
      this.logger.info(
        { connectionId: connection.id, adopted: adopted.length },
        'found transactions already in QuickBooks Desktop',
      );
  }

  // ------------------------------------------------------------------------------------------------ recording

  /** Orders now in QuickBooks: POSTED (fenced on the batch), batch item SUCCEEDED, a sync log with the status code. */
  private async recordPosted(
    connection: ConnectionEntity,
    results: Recorded[],
    manager: EntityManager,
  ): Promise<void> {
    for (const batchId of new Set(results.map((r) => r.request.batchId!))) {
      const group = results.filter((r) => r.request.batchId === batchId && r.order.status !== 'POSTED');
      if (group.length === 0) continue;
      const now = toDbTime(this.dialect, new Date());
      await updateEach(
        manager,
        'orders',
        'id',
        group,
        (r) => r.order.id,
        {
          postedTransaction: (r) => JSON.stringify(r.posted),
          postedTransactionId: (r) => r.posted.id,
          customer: (r) =>
            JSON.stringify(
              r.context ? { ...r.order.customer, quickbooksId: r.context.customerId } : r.order.customer,
            ),
          lines: (r) =>
            JSON.stringify(
              r.context
                ? r.order.lines.map((line) => ({
                    ...line,
                    quickbooksItemId: r.context!.itemIds[nameKey(desktopItemName(line))] ?? null,
                  }))
                : r.order.lines,
            ),
        },
        { status: 'POSTED', sentAt: null, lastError: null, postedAt: now, updatedAt: now },
        { sql: '`postingBatchId` = ?', params: [batchId] },
      );
      await this.batches.recordItems(
        batchId,
        group.map((r) => ({ seq: r.seq, status: 'SUCCEEDED' as const, quickbooksId: r.posted.id })),
        manager,
      );
      await this.syncLogs.recordIn(
        manager,
        group.map((r) => ({
          ...this.orderLog(connection, batchId, r.order),
          action: r.action,
          status: 'SUCCEEDED' as const,
          quickbooksId: r.posted.id,
          code: '0',
          requestId: r.request.id,
          message:
            r.action === 'MATCH'
              ? `found ${r.posted.kind === 'INVOICE' ? 'Invoice' : 'SalesReceipt'} ${r.posted.docNumber ?? r.posted.id} already in QuickBooks; not sent again`
              : (r.message ?? null),
        })),
      );
    }
  }

  /** Orders that could not be posted: FAILED with QuickBooks' code and a hint, batch item FAILED, a FAILED sync log. */
  private async recordFailures(
    batchId: string,
    connection: ConnectionEntity,
    failures: Failed[],
    manager: EntityManager,
  ): Promise<void> {
    if (failures.length === 0) return;
    const now = toDbTime(this.dialect, new Date());
    for (const unknown of [true, false]) {
      await updateEach(
        manager,
        'orders',
        'id',
        failures.filter((f) => f.unknown === unknown),
        (f) => f.order.id,
        { lastError: (f) => JSON.stringify(f.error) },
        { status: 'FAILED', updatedAt: now, ...(unknown ? {} : { sentAt: null }) },
        { sql: '`postingBatchId` = ?', params: [batchId] },
      );
    }
    await this.batches.recordItems(
      batchId,
      failures.map((f) => ({ seq: f.seq, status: 'FAILED' as const, error: f.error })),
      manager,
    );
    await this.syncLogs.recordIn(
      manager,
      failures.map((f) => ({
        ...this.orderLog(connection, batchId, f.order),
        action: 'CREATE' as const,
        status: 'FAILED' as const,
        code: f.error.code,
        message: f.error.message,
        requestId: f.requestId ?? null,
      })),
    );
  }

  private orderLog(
    connection: ConnectionEntity,
    batchId: string,
    order: OrderEntity,
  ): Omit<SyncLogEntry, 'action' | 'status'> {
    return {
      tenantId: connection.tenantId,
      connectionId: connection.id,
      batchId,
      direction: 'TO_QUICKBOOKS',
      entityType: 'Order',
      entityId: order.id,
      label: labelOf(order),
    };
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private async *windows(batchId: string): AsyncGenerator<Array<{ order: OrderEntity; seq: number }>> {
    let afterSeq = -1;
    for (;;) {
      const items = await this.batches.pendingItemsAfter(batchId, afterSeq, WINDOW);
      if (items.length === 0) return;
      afterSeq = items[items.length - 1].seq;
      const orders = await this.orders(items.map((i) => i.entityId));
      yield items.flatMap((item) => {
        const order = orders.get(item.entityId);
        return order ? [{ order, seq: item.seq }] : [];
      });
    }
  }

  private async orders(ids: string[]): Promise<Map<string, OrderEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(OrderEntity).findBy({ id: In([...new Set(ids)]) });
    return new Map(rows.map((o) => [o.id, o]));
  }
}

/** A stored error carried through planning as an exception. */
class StoredProblem extends Error {
  constructor(readonly stored: StoredSyncError) {
    super(stored.message);
  }
}

const postKey = (batchId: string, order: OrderEntity): string =>
  `${batchId}:post:${order.id}:${order.postingGeneration}`;
const labelOf = (order: Pick<OrderEntity, 'orderNumber' | 'customerName'>): string =>
  `#${order.orderNumber}${order.customerName ? ` ${order.customerName}` : ''}`;
const bodyOf = (request: DesktopRequestEntity): QbObject => request.body.content;
const entityName = (type: string): DesktopTxn => (type.startsWith('Invoice') ? 'Invoice' : 'SalesReceipt');
const settingsOf = (connection: ConnectionEntity): ConnectionSettingsData => ({
  ...DEFAULT_CONNECTION_SETTINGS,
  ...connection.settings,
});
const entityOf = (batch: SyncBatchEntity, settings: ConnectionSettingsData): DesktopTxn =>
  ((batch.parameters?.postOrdersAs as string | undefined) ?? settings.postOrdersAs) === 'INVOICE'
    ? 'Invoice'
    : 'SalesReceipt';

/** Look-ups by RefNumber for transaction adds whose outcome is unknown (50 numbers a query, per transaction type). */
function lookups(
  lost: Array<{ id: string; type: string; batchId?: string | null; content: QbObject }>,
): NewDesktopRequest[] {
  const out: NewDesktopRequest[] = [];
  for (const type of ['SalesReceiptAdd', 'InvoiceAdd']) {
    const group = lost.filter((r) => r.type === type);
    for (let i = 0; i < group.length; i += LOOKUP_SIZE) {
      const chunk = group.slice(i, i + LOOKUP_SIZE);
      const numbers = chunk.map((r) => text((r.content[type] as QbObject).RefNumber));
      out.push({
        producer: PRODUCER,
        purpose: 'lookup',
        type: type.replace('Add', 'Query'),
        content: { RefNumber: [...new Set(numbers)], IncludeLineItems: 'false' },
        batchId: chunk[0].batchId,
        entityKey: null,
        label: `look up ${chunk.length} transactions sent without an answer`,
        context: { lost: chunk.map((r) => r.id) },
      });
    }
  }
  return out;
}
