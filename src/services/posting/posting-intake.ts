import { type DataSource } from 'typeorm';
import { DEFAULT_CONNECTION_SETTINGS, OrderEntity, type SyncBatchEntity } from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import { placeholders } from '../../db/sql';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { label } from './posting-recorder';

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

/** Orders with an invoice reach QuickBooks as that invoice: the invoicing service takes them (wired at start-up). */
export type InvoicedOrdersRoute = (
  tenantId: string,
  orderIds: string[],
) => Promise<SyncBatchEntity | undefined>;

/** postOrders: what may be posted, checked for all orders before anything is queued, and the claim. */
export class PostingIntake {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
  ) {}

  /**
   * Queues NEW, FAILED or ARCHIVED orders of one ready connection for posting, and posted orders whose content changed
   * since (`modifiedAfterPosting`: their QuickBooks transaction is updated), and returns the QUEUED batch at once.
   * Anything else is refused before anything is queued, naming the order and why. Orders with invoices are sent as
   * their invoices (a SEND_INVOICES batch).
   */
  async postOrders(
    tenantId: string,
    orderIds: string[],
    invoicedOrders?: InvoicedOrdersRoute,
  ): Promise<SyncBatchEntity> {
    const ids = [...new Set(orderIds)];
    if (ids.length === 0) throw badInput('orderIds', 'must name at least one order');
    if (ids.length > MAX_BATCH_ORDERS)
      throw badInput('orderIds', `at most ${MAX_BATCH_ORDERS} orders a batch`);
    const invoiced = await invoicedOrders?.(tenantId, ids);
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
