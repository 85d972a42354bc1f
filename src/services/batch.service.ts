import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import {
  BatchItemEntity,
  SyncBatchEntity,
  type BatchKind,
  type BatchStatus,
  type ItemResultStatus,
  type StoredSyncError,
} from '../entities';
import { notFound } from '../errors';
import { newId } from '../ids';
import {
  ProgressFanout,
  type BatchItemEvent,
  type BatchProgressEvent,
  type FanoutOptions,
  type GatewayPubSub,
} from '../pubsub';
import { ConnectionEvents } from './connection-events';
import type { WebhookEmitter } from './outbound-webhooks/webhook.service';
import { paginate, type Page, type PageArgs } from './pagination';
import { dialectOf, insertRows, placeholders, toDbTime, updateEach, type Dialect } from '../db/sql';

export interface NewBatchItem {
  entityType: string;
  entityId: string;
  label: string;
}

export interface ItemOutcome {
  status: Extract<ItemResultStatus, 'SUCCEEDED' | 'FAILED' | 'SKIPPED'>;
  quickbooksId?: string | null;
  error?: StoredSyncError | null;
}

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);
export const isTerminal = (status: BatchStatus): boolean => TERMINAL.has(status);

/** How long a progress stream waits for an event before re-reading the batch (a safety net for lost events). */
const STREAM_RECHECK_MS = 5_000;
const INSERT_CHUNK = 500;
const ITEM_COLUMNS = ['id', 'batchId', 'seq', 'entityType', 'entityId', 'label', 'status'] as const;

/**
 * Batches: creation (inside the caller's transaction, with their items), per-item results, counters, and the
 * progress stream. Results are recorded once per item (a re-run after a crash cannot count an item twice), and
 * events of one batch are published in order.
 */
export class BatchService {
  private readonly batches: Repository<SyncBatchEntity>;
  private readonly items: Repository<BatchItemEntity>;
  /** Per-batch chain that keeps result recording and publishing in order within this process. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly dialect: Dialect;
  private webhooks?: WebhookEmitter;
  private readonly connectionEvents: ConnectionEvents;
  /** This process's batchProgress subscribers (coalesced frames; the publisher never waits for them). */
  readonly fanout: ProgressFanout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pubSub: GatewayPubSub,
    /** Where `pubSub` dispatches (PubSubHandle.eventTarget): batchProgress subscribers listen there. */
    progressEvents: EventTarget,
    fanoutOptions: FanoutOptions = {},
  ) {
    this.batches = dataSource.getRepository(SyncBatchEntity);
    this.items = dataSource.getRepository(BatchItemEntity);
    this.dialect = dialectOf(dataSource);
    this.connectionEvents = new ConnectionEvents(pubSub);
    this.fanout = new ProgressFanout(progressEvents, fanoutOptions);
  }

  /** Partner webhooks (batch.completed, batch.failed) are written with the batch's end; wired after construction. */
  attachWebhooks(webhooks: WebhookEmitter): void {
    this.webhooks = webhooks;
  }

  async create(
    manager: EntityManager,
    input: {
      tenantId: string;
      connectionId: string;
      kind: BatchKind;
      items: NewBatchItem[];
      parameters?: Record<string, unknown>;
    },
  ): Promise<SyncBatchEntity> {
    const batch = manager.create(SyncBatchEntity, {
      id: newId('batch'),
      tenantId: input.tenantId,
      connectionId: input.connectionId,
      kind: input.kind,
      status: 'QUEUED',
      total: input.items.length,
      processed: 0,
      succeeded: 0,
      failed: 0,
      parameters: input.parameters ?? null,
      error: null,
      startedAt: null,
      finishedAt: null,
    });
    // The JSON column's type defeats TypeORM's deep-partial typing; the entity itself is complete.
    await manager.insert(SyncBatchEntity, batch as never);
    // Raw multi-row inserts: a batch may hold 100,000 items, and TypeORM's builder costs more than the database here.
    for (let start = 0; start < input.items.length; start += INSERT_CHUNK) {
      const rows = input.items
        .slice(start, start + INSERT_CHUNK)
        .map((item, offset) => [
          newId('batchItem'),
          batch.id,
          start + offset,
          item.entityType,
          item.entityId,
          item.label.slice(0, 255),
          'PENDING',
        ]);
      await insertRows(manager, 'batch_items', ITEM_COLUMNS, rows);
    }
    return batch;
  }

  /** The batch if it belongs to the tenant; NOT_FOUND otherwise (another tenant's id looks like no id at all). */
  async get(tenantId: string, batchId: string): Promise<SyncBatchEntity> {
    const batch = await this.batches.findOneBy({ id: batchId, tenantId });
    if (!batch) throw notFound('Batch', batchId);
    return batch;
  }

  async findById(batchId: string): Promise<SyncBatchEntity | null> {
    return this.batches.findOneBy({ id: batchId });
  }

  async list(
    tenantId: string,
    filter: { connectionId?: string | null },
    args: PageArgs,
  ): Promise<Page<SyncBatchEntity>> {
    const query = this.batches.createQueryBuilder('b').where('b.tenantId = :tenantId', { tenantId });
    if (filter.connectionId)
      query.andWhere('b.connectionId = :connectionId', { connectionId: filter.connectionId });
    return paginate(query, args, { defaultSize: 20, descending: true });
  }

  /** A batch's items in order; pages by id, which follows `seq` because items are created in order. */
  async listItems(
    batchId: string,
    filter: { status?: ItemResultStatus | null },
    args: PageArgs,
  ): Promise<Page<BatchItemEntity>> {
    const query = this.items.createQueryBuilder('i').where('i.batchId = :batchId', { batchId });
    if (filter.status) query.andWhere('i.status = :status', { status: filter.status });
    return paginate(query, args, { defaultSize: 100 });
  }

  /** Items still to do, in order (a re-run after a crash resumes where the last one stopped). */
  async pendingItems(batchId: string): Promise<BatchItemEntity[]> {
    return this.items.find({ where: { batchId, status: In(['PENDING', 'RUNNING']) }, order: { seq: 'ASC' } });
  }

  /** The next `limit` items still to do after `afterSeq`, for streaming through large batches. */
  async pendingItemsAfter(batchId: string, afterSeq: number, limit: number): Promise<BatchItemEntity[]> {
    return this.items
      .createQueryBuilder('i')
      .where('i.batchId = :batchId AND i.seq > :afterSeq AND i.status IN (:...open)', {
        batchId,
        afterSeq,
        open: ['PENDING', 'RUNNING'],
      })
      .orderBy('i.seq', 'ASC')
      .take(limit)
      .getMany();
  }

  async start(batchId: string): Promise<SyncBatchEntity> {
    return this.inOrder(batchId, async () => {
      await this.batches
        .createQueryBuilder()
        .update()
        .set({ status: 'RUNNING', startedAt: () => 'COALESCE(startedAt, :now)' })
        .setParameter('now', new Date())
        .where('id = :batchId AND status IN (:...open)', { batchId, open: ['QUEUED', 'RUNNING'] })
        .execute();
      const batch = await this.batches.findOneByOrFail({ id: batchId });
      this.publish(batch, null);
      return batch;
    });
  }

  /** Records an item's result once and publishes it; a second report for the same item is ignored. */
  async recordItem(batchId: string, seq: number, outcome: ItemOutcome): Promise<void> {
    await this.recordItems(batchId, [{ seq, ...outcome }]);
  }

  /**
   * Records several items' results in one transaction and publishes one event per item, in order, each carrying the
   * counts as of that item. Items already finished are skipped, so a re-run after a crash never counts twice.
   */
  async recordItems(
    batchId: string,
    outcomes: Array<ItemOutcome & { seq: number }>,
    manager?: EntityManager,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    await this.inOrder(batchId, async () => {
      const finishedAt = new Date();
      const run = async (tx: EntityManager) => {
        // Only items still open are recorded (and counted): a re-run after a crash cannot count an item twice. On
        // MySQL the rows are locked until commit, so two runs of one batch cannot both count an item.
        // By (batchId, seq) alone, status checked here: with the status in the statement SQLite would rather walk
        // every open item of the batch by (batchId, status) for each chunk.
        const seqs = outcomes.map((o) => o.seq);
        const open = (
          await tx.query<Array<Pick<BatchItemEntity, 'seq' | 'entityType' | 'entityId' | 'label' | 'status'>>>(
            `SELECT \`seq\`, \`entityType\`, \`entityId\`, \`label\`, \`status\` FROM \`batch_items\` WHERE \`batchId\` = ? AND \`seq\` IN (${placeholders(seqs.length)})${this.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
            [batchId, ...seqs],
          )
        ).filter((item) => item.status === 'PENDING' || item.status === 'RUNNING');
        if (open.length === 0) return undefined;
        const bySeq = new Map(outcomes.map((o) => [o.seq, o]));
        const recorded = open
          .map((item) => ({
            item: { ...item, seq: Number(item.seq) },
            outcome: bySeq.get(Number(item.seq))!,
          }))
          .sort((a, b) => a.item.seq - b.item.seq);
        await updateEach(
          tx,
          'batch_items',
          'seq',
          recorded,
          (r) => r.item.seq,
          {
            status: (r) => r.outcome.status,
            quickbooksId: (r) => r.outcome.quickbooksId ?? null,
            error: (r) => (r.outcome.error ? JSON.stringify(r.outcome.error) : null),
          },
          { finishedAt: toDbTime(this.dialect, finishedAt) },
          { sql: '`batchId` = ?', params: [batchId] },
        );
        const succeeded = recorded.filter((r) => r.outcome.status === 'SUCCEEDED').length;
        const failed = recorded.filter((r) => r.outcome.status === 'FAILED').length;
        await tx.query(
          // Items finishing again end any waiting the batch showed (its error while RUNNING).
          "UPDATE `sync_batches` SET `processed` = `processed` + ?, `succeeded` = `succeeded` + ?, `failed` = `failed` + ?, `updatedAt` = ?, `error` = CASE WHEN `status` = 'RUNNING' THEN NULL ELSE `error` END WHERE `id` = ?",
          [recorded.length, succeeded, failed, toDbTime(this.dialect, finishedAt), batchId],
        );
        const [row] = await tx.query<Array<BatchCounts>>(
          'SELECT `id`, `kind`, `status`, `total`, `processed`, `succeeded`, `failed` FROM `sync_batches` WHERE `id` = ?',
          [batchId],
        );
        const after = {
          ...row,
          total: Number(row.total),
          processed: Number(row.processed),
          succeeded: Number(row.succeeded),
          failed: Number(row.failed),
        };
        return { recorded, after };
      };
      const result = manager ? await run(manager) : await this.dataSource.transaction(run);
      if (!result) return;
      // One event per item, each with the counts as of that item.
      const { recorded, after } = result;
      let processed = after.processed - recorded.length;
      let succeeded = after.succeeded - recorded.filter((r) => r.outcome.status === 'SUCCEEDED').length;
      let failed = after.failed - recorded.filter((r) => r.outcome.status === 'FAILED').length;
      for (const { item, outcome } of recorded) {
        processed += 1;
        if (outcome.status === 'SUCCEEDED') succeeded += 1;
        if (outcome.status === 'FAILED') failed += 1;
        this.publish(
          { ...after, processed, succeeded, failed },
          {
            seq: item.seq,
            entityType: item.entityType,
            entityId: item.entityId,
            label: item.label,
            status: outcome.status,
            quickbooksId: outcome.quickbooksId ?? null,
            error: outcome.error ?? null,
          },
        );
      }
    });
  }

  /**
   * The batch is waiting out a transient problem (QuickBooks down or throttling) and its job will run again: the
   * problem is stored as the batch's error while it stays RUNNING, and published, so nobody sees RUNNING with nothing.
   */
  async waiting(batchId: string, problem: StoredSyncError): Promise<SyncBatchEntity | undefined> {
    return this.inOrder(batchId, async () => {
      await this.batches
        .createQueryBuilder()
        .update()
        .set({ error: problem })
        .where('id = :batchId AND status IN (:...open)', { batchId, open: ['QUEUED', 'RUNNING'] })
        .execute();
      const batch = await this.batches.findOneByOrFail({ id: batchId });
      if (isTerminal(batch.status)) return undefined;
      this.publish(batch, null);
      this.connectionEvents.publish(batch.connectionId, 'QUICKBOOKS_UNAVAILABLE', {
        entityType: 'SyncBatch',
        message: problem.message,
      });
      return batch;
    });
  }

  /** Gives a batch up: every item still open FAILS with the error, and the batch ends FAILED. */
  async abandon(batchId: string, error: StoredSyncError): Promise<void> {
    for (;;) {
      const items = await this.pendingItemsAfter(batchId, -1, 500);
      if (items.length === 0) break;
      await this.recordItems(
        batchId,
        items.map((item) => ({ seq: item.seq, status: 'FAILED' as const, error })),
      );
    }
    await this.finish(batchId, error);
  }

  /** Closes the batch once no item is pending (started first if it never was); the closed batch, or undefined. */
  async finishIfDone(batchId: string): Promise<SyncBatchEntity | undefined> {
    const batch = await this.findById(batchId);
    if (!batch || isTerminal(batch.status)) return undefined;
    if ((await this.pendingItemsAfter(batchId, -1, 1)).length > 0) return undefined;
    if (batch.status === 'QUEUED') await this.start(batchId);
    return this.finish(batchId);
  }

  /** Closes the batch: COMPLETED, COMPLETED_WITH_ERRORS when some item failed, or FAILED with an error. */
  async finish(batchId: string, failure?: StoredSyncError): Promise<SyncBatchEntity> {
    return this.inOrder(batchId, async () => {
      const current = await this.batches.findOneByOrFail({ id: batchId });
      if (isTerminal(current.status)) return current;
      const status: BatchStatus = failure
        ? 'FAILED'
        : current.failed > 0
          ? 'COMPLETED_WITH_ERRORS'
          : 'COMPLETED';
      const batch = await this.dataSource.transaction(async (manager) => {
        await manager.update(
          SyncBatchEntity,
          { id: batchId },
          {
            status,
            finishedAt: new Date(),
            error: failure ?? null,
          },
        );
        const finished = await manager.findOneByOrFail(SyncBatchEntity, { id: batchId });
        await this.webhooks?.emit(manager, finished.tenantId, {
          type: status === 'FAILED' ? 'batch.failed' : 'batch.completed',
          data: {
            batchId,
            connectionId: finished.connectionId,
            kind: finished.kind,
            status,
            total: finished.total,
            processed: finished.processed,
            succeeded: finished.succeeded,
            failed: finished.failed,
            error: failure ? { code: failure.code, message: failure.message, hint: failure.hint } : null,
          },
        });
        return finished;
      });
      this.publish(batch, null);
      return batch;
    });
  }

  /**
   * The progress stream of the contract: first the batch's state now, then one event per finished item (in order;
   * coalesced to at most ~20 a second by ProgressFanout), ending after the terminal event. It subscribes before reading the state so no event
   * falls between the two, and re-reads the batch when events stop coming, so a lost event cannot hang a client.
   */
  async *progress(tenantId: string, batchId: string): AsyncGenerator<BatchProgressEvent> {
    await this.get(tenantId, batchId);
    const events = this.fanout.subscribe(batchId);
    try {
      let last = toProgressEvent(await this.batches.findOneByOrFail({ id: batchId }), null);
      yield last;
      if (isTerminal(last.status)) return;
      const iterator = events[Symbol.asyncIterator]();
      // The pending read survives a timeout, so an event that arrives just after it is not lost.
      let pending: Promise<IteratorResult<BatchProgressEvent>> | undefined;
      for (;;) {
        pending ??= iterator.next();
        const next = await withTimeout(pending, STREAM_RECHECK_MS);
        if (next !== 'timeout') pending = undefined;
        let event: BatchProgressEvent | undefined;
        if (next === 'timeout') {
          const fresh = toProgressEvent(await this.batches.findOneByOrFail({ id: batchId }), null);
          if (fresh.processed > last.processed || fresh.status !== last.status || !sameError(fresh, last))
            event = fresh;
        } else if (next.done) {
          return;
        } else {
          event = next.value;
        }
        if (!event) continue;
        // Skip what the first event already covered (or anything older): never go backwards.
        const older =
          event.processed < last.processed ||
          (event.processed === last.processed && event.status === last.status && sameError(event, last));
        if (older) continue;
        last = event;
        yield event;
        if (isTerminal(event.status)) return;
      }
    } finally {
      await events.return?.();
    }
  }

  private publish(batch: BatchCounts, item: BatchItemEvent | null): void {
    this.pubSub.publish('batchProgress', batch.id, toProgressEvent(batch, item));
  }

  private inOrder<T>(batchId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(batchId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.chains.set(batchId, tail);
    void tail.then(() => {
      if (this.chains.get(batchId) === tail) this.chains.delete(batchId);
    });
    return next;
  }
}

export function toItemEvent(item: BatchItemEntity): BatchItemEvent {
  return {
    seq: item.seq,
    entityType: item.entityType,
    entityId: item.entityId,
    label: item.label,
    status: item.status,
    quickbooksId: item.quickbooksId,
    error: item.error,
  };
}

/** What a progress event needs of a batch. */
type BatchCounts = Pick<
  SyncBatchEntity,
  'id' | 'kind' | 'status' | 'total' | 'processed' | 'succeeded' | 'failed'
> & { error?: StoredSyncError | null };

const sameError = (a: BatchProgressEvent, b: BatchProgressEvent): boolean =>
  (a.error?.message ?? null) === (b.error?.message ?? null);

export function toProgressEvent(batch: BatchCounts, item: BatchItemEvent | null): BatchProgressEvent {
  return {
    batchId: batch.id,
    kind: batch.kind,
    status: batch.status,
    total: batch.total,
    processed: batch.processed,
    succeeded: batch.succeeded,
    failed: batch.failed,
    item,
    error: batch.error ?? null,
    at: new Date().toISOString(),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
