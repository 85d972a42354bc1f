import type { DataSource } from 'typeorm';
import type {
  ConnectionEntity,
  ConnectionSettingsData,
  OrderEntity,
  OrderLineData,
  StoredSyncError,
} from '../entities';
import { MappingProblem } from '../services/posting/posting-mapper';
import type { ReferenceService } from '../services/reference.service';
import { toStoredError } from '../services/stored-error';
import type { SyncLogEntry, SyncLogService } from '../services/sync-log.service';
import { customerAdd, desktopItemName, itemAdd, mirrorObject, nameKey, CUSTOMER_NAME_MAX } from './mapper';
import { isError, statusError, text, type QbObject } from './qbxml';
import type { DesktopAnswer, DesktopQueue, NewDesktopRequest } from './request-queue';

/** Steps before any transaction is sent: customers and items found or created. */
export const RESOLVE = ['customer', 'customer-match', 'reactivate', 'reactivate-read', 'item', 'item-match'];
/** "Fix Edit Sequence": re-read and retry a stale mod this many times. */
const EDIT_SEQUENCE_FIXES = 3;
const MAX_NAME_SUFFIX = 9;

interface ResolveContext {
  /** The name the orders asked for, and the suffix being tried ("Name (2)") when a vendor holds it. */
  base: string;
  name: string;
  suffix: number;
  fixes?: number;
  listId?: string;
}

/** The mirror's active customers (by name and e-mail) and items (by name), as ListIDs. */
export interface ListIndex {
  customers: Map<string, string>;
  emails: Map<string, string>;
  items: Map<string, string>;
}

/**
 * Stage one of posting orders and sending invoices to QuickBooks Desktop: the customers and items a batch needs that
 * the mirror does not know, added (CustomerAdd / Item…Add) by the producer that owns the batch. A 3100 "name in use"
 * is looked up by name and adopted; a name held by a vendor, employee or other name gets "Name (2)"; an inactive
 * customer is reactivated with CustomerMod, and a 3200 stale EditSequence is fixed by re-reading and retrying.
 * Requests carry the owning producer's name, which routes their answers back to it and from there to `handle`.
 */
export class DesktopListResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly references: ReferenceService,
    private readonly syncLogs: SyncLogService,
  ) {}

  /**
   * The adds for these customers and items (keyed by `nameKey`), with dedupe keys; items that cannot be created as
   * configured come back as FAILED rows to queue, so that what needs them fails with the reason in stage two.
   */
  stageOne(
    producer: string,
    batchId: string,
    customers: Map<string, { name: string; order: OrderEntity }>,
    items: Map<string, OrderLineData>,
    settings: ConnectionSettingsData,
  ): { requests: NewDesktopRequest[]; unbuildable: NewDesktopRequest[] } {
    const requests: NewDesktopRequest[] = [];
    for (const [key, { name, order }] of customers) {
      requests.push(
        this.request(producer, batchId, 'customer', 'CustomerAdd', key, customerAdd(name, order), {
          base: name,
          name,
          suffix: 1,
        }),
      );
    }
    const unbuildable: NewDesktopRequest[] = [];
    for (const [key, line] of items) {
      try {
        const { type, content } = itemAdd(line, settings);
        requests.push(
          this.request(producer, batchId, 'item', type, key, content, {
            base: desktopItemName(line),
            name: desktopItemName(line),
            suffix: 1,
          }),
        );
      } catch (error) {
        if (!(error instanceof MappingProblem)) throw error;
        unbuildable.push({
          producer,
          purpose: 'item',
          type: 'ItemNonInventoryAdd',
          content: {},
          batchId,
          entityKey: key,
          status: 'FAILED',
          result: { error: toStoredError(error) },
        });
      }
    }
    for (const request of requests) request.dedupeKey = `${batchId}:${request.purpose}:${request.entityKey}`;
    return { requests, unbuildable };
  }

  /** After stage one: what it found or added goes into `index`; what failed, by `customer:<key>` / `item:<key>`. */
  async settled(batchId: string, index: ListIndex): Promise<Map<string, StoredSyncError>> {
    const problems = new Map<string, StoredSyncError>();
    for (const row of await this.queue.ofBatch(batchId, RESOLVE)) {
      const key = `${row.purpose.startsWith('item') ? 'item' : 'customer'}:${row.entityKey}`;
      const listId = row.result?.listId;
      if (row.status === 'DONE' && typeof listId === 'string') {
        if (key.startsWith('item')) index.items.set(row.entityKey!, listId);
        else index.customers.set(row.entityKey!, listId);
      } else if (row.status === 'FAILED') {
        problems.set(
          key,
          (row.result?.error as StoredSyncError | undefined) ??
            statusError({ statusCode: Number(row.statusCode), statusMessage: row.statusMessage ?? '' }),
        );
      }
    }
    return problems;
  }

  /** Stage one's answers: customers and items added, matched, reactivated (with "Fix Edit Sequence"), or failed. */
  async handle(connection: ConnectionEntity, { request, response }: DesktopAnswer): Promise<void> {
    const context = request.context as unknown as ResolveContext;
    const isItem = request.purpose.startsWith('item');
    const type = isItem ? 'ITEM' : 'CUSTOMER';
    const entityType = isItem ? 'Item' : 'Customer';
    const next: NewDesktopRequest[] = [];
    const logs: SyncLogEntry[] = [];
    const log = (entry: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>): void => {
      logs.push({
        tenantId: connection.tenantId,
        connectionId: connection.id,
        batchId: request.batchId,
        direction: 'TO_QUICKBOOKS',
        entityType,
        label: context.name,
        requestId: request.id,
        code: String(response.statusCode),
        ...entry,
      });
    };
    const follow = (
      purpose: string,
      qbType: string,
      content: QbObject,
      patch: Partial<ResolveContext> = {},
    ): void => {
      next.push(
        this.request(request.producer, request.batchId!, purpose, qbType, request.entityKey!, content, {
          ...context,
          ...patch,
        }),
      );
    };
    let outcome: { status: 'DONE' | 'FAILED'; result?: Record<string, unknown> };
    const ret = response.rets[0];
    const adopt = async (
      found: { name: string; value: QbObject },
      action: 'CREATE' | 'MATCH' | 'UPDATE',
      message?: string,
    ) => {
      await this.references.upsert(connection, type, [mirrorObject(found.name, found.value)]);
      log({ action, status: 'SUCCEEDED', quickbooksId: text(found.value.ListID), message: message ?? null });
      return {
        status: 'DONE' as const,
        result: { listId: text(found.value.ListID), fullName: text(found.value.FullName) },
      };
    };
    const failure = (): { status: 'FAILED'; result: Record<string, unknown> } => {
      const error = statusError(response);
      log({
        action:
          request.purpose.endsWith('match') || request.purpose.endsWith('read')
            ? 'READ'
            : request.purpose === 'reactivate'
              ? 'UPDATE'
              : 'CREATE',
        status: 'FAILED',
        message: error.message,
      });
      return { status: 'FAILED', result: { error } };
    };
    switch (request.purpose) {
      case 'customer':
      case 'item':
        if (!isError(response) && ret) {
          const renamed = context.name !== context.base;
          outcome = await adopt(
            ret,
            'CREATE',
            renamed
              ? `"${context.base}" is used by a vendor, employee or other name in QuickBooks; created the customer as "${context.name}"`
              : undefined,
          );
        } else if (response.statusCode === 3100) {
          // The name is taken: by our own earlier add (a lost answer), another customer or item, or another list.
          outcome = { status: 'DONE' };
          follow(`${isItem ? 'item' : 'customer'}-match`, isItem ? 'ItemQuery' : 'CustomerQuery', {
            FullName: context.name,
          });
        } else outcome = failure();
        break;
      case 'customer-match':
      case 'item-match':
        if (!isError(response) && ret) {
          if (!isItem && text(ret.value.IsActive) === 'false') {
            outcome = { status: 'DONE' };
            follow('reactivate', 'CustomerMod', reactivate(ret.value), { listId: text(ret.value.ListID) });
          } else
            outcome = await adopt(
              ret,
              'MATCH',
              `matched an existing ${isItem ? 'item' : 'customer'} by name`,
            );
        } else if (
          !isItem &&
          (response.statusCode === 1 || response.statusCode === 500) &&
          context.suffix < MAX_NAME_SUFFIX
        ) {
          // No customer has it, so a vendor, employee or other name does: "Name (2)", "Name (3)", ...
          const suffix = context.suffix + 1;
          const name = `${context.base.slice(0, CUSTOMER_NAME_MAX - 4).trim()} (${suffix})`;
          outcome = { status: 'DONE' };
          follow('customer', 'CustomerAdd', { CustomerAdd: { Name: name } }, { name, suffix });
        } else outcome = failure();
        break;
      case 'reactivate':
        if (!isError(response) && ret)
          outcome = await adopt(ret, 'UPDATE', 'reactivated an inactive customer with this name');
        else if (response.statusCode === 3200 && (context.fixes ?? 0) < EDIT_SEQUENCE_FIXES) {
          // "Fix Edit Sequence": someone changed it in QuickBooks since we read it; read it again and retry.
          log({
            action: 'UPDATE',
            status: 'FAILED',
            quickbooksId: context.listId ?? null,
            message: `${response.statusMessage} Fix Edit Sequence: re-reading the customer and retrying.`,
          });
          outcome = { status: 'DONE' };
          follow(
            'reactivate-read',
            'CustomerQuery',
            { ListID: context.listId },
            { fixes: (context.fixes ?? 0) + 1 },
          );
        } else outcome = failure();
        break;
      case 'reactivate-read':
        if (!isError(response) && ret) {
          if (text(ret.value.IsActive) === 'false') {
            outcome = { status: 'DONE' };
            follow('reactivate', 'CustomerMod', reactivate(ret.value));
          } else outcome = await adopt(ret, 'MATCH', 'the customer was made active in QuickBooks meanwhile');
        } else outcome = failure();
        break;
      default:
        outcome = failure();
    }
    await this.dataSource.transaction(async (manager) => {
      await this.queue.settle(manager, request, outcome.status, {
        statusCode: response.statusCode,
        statusMessage: response.statusMessage,
        result: outcome.result ?? null,
      });
      await this.queue.add(manager, connection, next);
      await this.syncLogs.recordIn(manager, logs);
    });
  }

  request(
    producer: string,
    batchId: string,
    purpose: string,
    type: string,
    key: string,
    content: QbObject,
    context: ResolveContext,
  ): NewDesktopRequest {
    return {
      producer,
      purpose,
      type,
      content,
      batchId,
      entityKey: key,
      label: context.name,
      context: context as unknown as Record<string, unknown>,
    };
  }

  /** The mirror's customers (by name and e-mail) and items (by name), active ones only. */
  async index(connection: ConnectionEntity): Promise<ListIndex> {
    const [customers, items] = await Promise.all([
      this.references.matchIndex(connection.id, 'CUSTOMER'),
      this.references.matchIndex(connection.id, 'ITEM'),
    ]);
    const index = {
      customers: new Map<string, string>(),
      emails: new Map<string, string>(),
      items: new Map<string, string>(),
    };
    for (const row of customers.filter((r) => r.active)) {
      index.customers.set(nameKey(row.name), row.quickbooksId);
      if (row.email) index.emails.set(row.email.toLowerCase(), row.quickbooksId);
    }
    for (const row of items.filter((r) => r.active)) index.items.set(nameKey(row.name), row.quickbooksId);
    return index;
  }
}

/** CustomerMod that makes a customer active again, on its current EditSequence. */
const reactivate = (ret: QbObject): QbObject => ({
  CustomerMod: { ListID: text(ret.ListID), EditSequence: text(ret.EditSequence), IsActive: 'true' },
});
