import type { DataSource } from 'typeorm';
import {
  ConnectionEntity,
  type DesktopRequestEntity,
  type ReferenceType,
  type SyncBatchEntity,
} from '../entities';
import type { BatchService } from '../services/batch.service';
import type { ConnectionEvents } from '../services/connection-events';
import { QUICKBOOKS_ENTITY, type ReferenceService } from '../services/reference.service';
import type { SyncLogService } from '../services/sync-log.service';
import { mirrorObject } from './mapper';
import { isError, statusError, type QbObject } from './qbxml';
import type { DesktopAnswer, DesktopProducer, DesktopQueue, NewDesktopRequest } from './request-queue';

const PRODUCER = 'REFERENCE_IMPORT';
/** Objects per page of an iterated query: Customer and Item lists can be long. */
const PAGE = 500;
/** An iterator lost with its run is started again this many times. */
const RESTARTS = 3;

/** The Desktop query for each mirrored list (Desktop's sales tax items are QuickBooks Online's tax rates). */
const QUERIES: Record<ReferenceType, { type: string; iterate: boolean } | null> = {
  ACCOUNT: { type: 'AccountQuery', iterate: false },
  TERM: { type: 'TermsQuery', iterate: false },
  CLASS: { type: 'ClassQuery', iterate: false },
  LOCATION: null,
  PAYMENT_METHOD: { type: 'PaymentMethodQuery', iterate: false },
  TAX_CODE: { type: 'SalesTaxCodeQuery', iterate: false },
  TAX_RATE: { type: 'ItemSalesTaxQuery', iterate: false },
  CUSTOMER: { type: 'CustomerQuery', iterate: true },
  ITEM: { type: 'ItemQuery', iterate: true },
};

interface ImportContext {
  type: ReferenceType;
  seq: number;
  count: number;
  restarts: number;
}

/**
 * Reference import for DESKTOP connections: one query per list (all objects, inactive ones too), Customer and Item
 * lists paged with iterators (500 at a time; an iterator dies with its run, so a lost page restarts the list), each
 * page upserted into the same mirror the QuickBooks Online import fills.
 */
export class DesktopReferenceProducer implements DesktopProducer {
  readonly name = PRODUCER;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    private readonly references: ReferenceService,
    private readonly syncLogs: SyncLogService,
    private readonly events: ConnectionEvents,
  ) {}

  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    // Planned before: only the finish a crash may have cut off is left to do here.
    if ((await this.queue.ofBatch(batch.id, ['import'])).length > 0)
      return this.finishIfDone(batch.id, connection);
    const requests: NewDesktopRequest[] = [];
    for (const item of await this.batches.pendingItems(batch.id)) {
      const type = item.entityId as ReferenceType;
      if (!QUERIES[type]) {
        await this.batches.recordItem(batch.id, item.seq, {
          status: 'SKIPPED',
          error: {
            code: null,
            message: `QuickBooks Desktop has no ${type.toLowerCase()} list`,
            detail: null,
            hint: null,
            direction: 'FROM_QUICKBOOKS',
            at: new Date().toISOString(),
          },
        });
        continue;
      }
      requests.push({
        ...this.query(batch.id, { type, seq: item.seq, count: 0, restarts: 0 }),
        dedupeKey: `${batch.id}:import:${type}`,
      });
    }
    try {
      await this.dataSource.transaction((manager) => this.queue.add(manager, connection, requests));
    } catch (error) {
      if (!/duplicate|unique/i.test(String((error as Error).message))) throw error;
      return; // planned by someone else meanwhile
    }
    await this.finishIfDone(batch.id, connection);
  }

  async handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    for (const { request, response } of answers) {
      const context = request.context as unknown as ImportContext;
      const next: NewDesktopRequest[] = [];
      let status: 'DONE' | 'FAILED' = 'DONE';
      if (isError(response)) {
        if (request.body.attributes?.iterator === 'Continue' && context.restarts < RESTARTS) {
          next.push(this.query(request.batchId!, { ...context, count: 0, restarts: context.restarts + 1 }));
        } else {
          status = 'FAILED';
          const error = statusError(response, 'FROM_QUICKBOOKS');
          await this.batches.recordItem(request.batchId!, context.seq, { status: 'FAILED', error });
          await this.log(connection, request, context, 'FAILED', String(response.statusCode), error.message);
        }
      } else {
        const objects = response.rets.map(({ name, value }) => mirrorObject(name, value));
        await this.references.upsert(connection, context.type, objects);
        const count = context.count + objects.length;
        if ((response.iteratorRemainingCount ?? 0) > 0 && response.iteratorId) {
          next.push(this.query(request.batchId!, { ...context, count }, response.iteratorId));
        } else {
          await this.batches.recordItem(request.batchId!, context.seq, { status: 'SUCCEEDED' });
          await this.log(
            connection,
            request,
            context,
            'SUCCEEDED',
            String(response.statusCode),
            `${count} imported`,
          );
        }
      }
      await this.dataSource.transaction(async (manager) => {
        await this.queue.settle(manager, request, status, {
          statusCode: response.statusCode,
          statusMessage: response.statusMessage,
        });
        await this.queue.add(manager, connection, next);
      });
    }
    for (const batchId of new Set(answers.map((a) => a.request.batchId!)))
      await this.finishIfDone(batchId, connection);
  }

  /** A lost query is asked again; a lost page restarts its list (the iterator ended with the run). */
  async recover(connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const restarts: NewDesktopRequest[] = [];
      for (const request of requests) {
        const continued = request.body.attributes?.iterator === 'Continue';
        await this.queue.settle(manager, request, continued ? 'LOST' : 'PENDING');
        const context = request.context as unknown as ImportContext;
        if (continued)
          restarts.push(
            this.query(request.batchId!, { ...context, count: 0, restarts: context.restarts + 1 }),
          );
      }
      await this.queue.add(manager, connection, restarts);
    });
  }

  private query(batchId: string, context: ImportContext, iteratorId?: string): NewDesktopRequest {
    const query = QUERIES[context.type]!;
    const content: QbObject = query.iterate ? { MaxReturned: String(PAGE) } : {};
    if (!iteratorId) content.ActiveStatus = 'All';
    return {
      producer: PRODUCER,
      purpose: 'import',
      type: query.type,
      attributes: query.iterate
        ? iteratorId
          ? { iterator: 'Continue', iteratorID: iteratorId }
          : { iterator: 'Start' }
        : undefined,
      content,
      batchId,
      entityKey: context.type,
      label: QUICKBOOKS_ENTITY[context.type],
      context: context as unknown as Record<string, unknown>,
    };
  }

  private async log(
    connection: ConnectionEntity,
    request: DesktopRequestEntity,
    context: ImportContext,
    status: 'SUCCEEDED' | 'FAILED',
    code: string,
    message: string,
  ): Promise<void> {
    await this.syncLogs.record({
      tenantId: connection.tenantId,
      connectionId: connection.id,
      batchId: request.batchId,
      direction: 'FROM_QUICKBOOKS',
      action: 'READ',
      entityType: QUICKBOOKS_ENTITY[context.type],
      entityId: context.type,
      label: request.label,
      status,
      code,
      message,
      requestId: request.id,
    });
  }

  private async finishIfDone(batchId: string, connection: ConnectionEntity): Promise<void> {
    const finished = await this.batches.finishIfDone(batchId);
    if (!finished) return;
    if (finished.succeeded > 0) {
      await this.dataSource
        .getRepository(ConnectionEntity)
        .update({ id: connection.id }, { lastReferenceSyncAt: new Date() });
      this.events.publish(connection.id, 'REFERENCE_DATA_CHANGED', {
        message: `${finished.succeeded} lists imported`,
      });
    }
  }
}
