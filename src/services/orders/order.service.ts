import type { DataSource, Repository } from 'typeorm';
import {
  ConnectionEntity,
  InvoiceEntity,
  OrderEntity,
  type OrderStatus,
  type SyncLogEntity,
} from '../../entities';
import { badInput, notFound, type AppError } from '../../errors';
import { OrderPageReader, type OrderPageRow } from '../order-page';
import type { Page, PageArgs } from '../pagination';
import { dialectOf } from '../../db/sql';
import { OrderIngest, type UpsertOrdersResult } from './order-ingest';
import { MAX_ORDERS_PER_CALL, type OrderInputData } from './order-input';
import { OrderSyncLogReader, type OrderSyncLogRequest } from './order-sync-logs';
import { selectedStatuses, type OrderListFilter } from './order-views';

/** Orders a posting is working on: archiving them would pull them from under the worker. */
const IN_FLIGHT: ReadonlySet<OrderStatus> = new Set(['QUEUED', 'POSTING', 'UNCERTAIN']);

/**
 * Orders: ingest from channels (validated, idempotent, one transaction per call, bulk statements), the views of
 * the Orders / Errors / Archived lists, archiving, and the batched reads behind the per-request loaders. Every
 * method is scoped to a tenant: another tenant's ids are NOT_FOUND.
 */
export class OrderService {
  private readonly orders: Repository<OrderEntity>;
  private readonly connections: Repository<ConnectionEntity>;
  private readonly invoices: Repository<InvoiceEntity>;
  private readonly lockRows: boolean;
  private readonly pageReader: OrderPageReader;
  private readonly ingest: OrderIngest;
  private readonly syncLogs: OrderSyncLogReader;

  constructor(private readonly dataSource: DataSource) {
    this.orders = dataSource.getRepository(OrderEntity);
    this.connections = dataSource.getRepository(ConnectionEntity);
    this.invoices = dataSource.getRepository(InvoiceEntity);
    this.pageReader = new OrderPageReader(dataSource);
    this.ingest = new OrderIngest(dataSource);
    this.syncLogs = new OrderSyncLogReader(dataSource);
    // SQLite has one writer at a time and no row locks; MySQL needs FOR UPDATE to read-then-write safely.
    this.lockRows = dialectOf(dataSource) === 'mysql';
  }

  /**
   * Creates or updates a channel's orders, idempotent by (connection, channel, externalId), in one transaction
   * per call (all or nothing): see OrderIngest.upsert.
   */
  async upsert(
    tenantId: string,
    connectionId: string,
    channel: string,
    inputs: readonly OrderInputData[],
  ): Promise<UpsertOrdersResult> {
    return this.ingest.upsert(tenantId, connectionId, channel, inputs);
  }

  /**
   * Pages the tenant's orders, newest first (by id, so cursors stay stable while orders arrive). The view picks
   * the statuses, `statuses` narrows them, `search` matches order number, customer name or e-mail.
   */
  async list(tenantId: string, filter: OrderListFilter, args: PageArgs): Promise<Page<OrderPageRow>> {
    if (filter.connectionId) {
      const connection = await this.connections.findOneBy({ id: filter.connectionId, tenantId });
      if (!connection) throw notFound('Connection', filter.connectionId);
    }
    return this.pageReader.page(
      {
        tenantId,
        connectionId: filter.connectionId,
        statuses: selectedStatuses(filter),
        search: filter.search,
        orderDateFrom: filter.orderDateFrom,
        orderDateTo: filter.orderDateTo,
      },
      args,
    );
  }

  async get(tenantId: string, id: string): Promise<OrderEntity> {
    const order = await this.orders.findOneBy({ id, tenantId });
    if (!order) throw notFound('Order', id);
    return order;
  }

  /** Orders by id, restricted to the tenant, in no particular order (ids of other tenants are left out). */
  async getMany(tenantId: string, ids: readonly string[]): Promise<OrderEntity[]> {
    if (ids.length === 0) return [];
    return this.orders
      .createQueryBuilder('o')
      .where('o.tenantId = :tenantId AND o.id IN (:...ids)', { tenantId, ids: [...new Set(ids)] })
      .getMany();
  }

  /**
   * Moves orders to the Archived view. QUEUED and POSTING orders are refused (the worker owns them until it
   * finishes); POSTED orders may be archived and keep their postedTransaction. All or nothing.
   */
  async archive(tenantId: string, ids: readonly string[]): Promise<OrderEntity[]> {
    const unique = [...new Set(ids)];
    if (unique.length > MAX_ORDERS_PER_CALL) {
      throw badInput('orderIds', `at most ${MAX_ORDERS_PER_CALL} orders a call (got ${unique.length})`);
    }
    if (unique.length === 0) return [];
    return this.dataSource.transaction(async (manager) => {
      const query = manager
        .createQueryBuilder(OrderEntity, 'o')
        .where('o.tenantId = :tenantId AND o.id IN (:...ids)', { tenantId, ids: unique });
      if (this.lockRows) query.setLock('pessimistic_write');
      const byId = new Map((await query.getMany()).map((row) => [row.id, row]));
      const missing = unique.find((id) => !byId.has(id));
      if (missing) throw notFound('Order', missing);
      refuseInFlight(ids, byId);
      const toArchive = unique.filter((id) => byId.get(id)!.status !== 'ARCHIVED');
      if (toArchive.length > 0) {
        await manager
          .createQueryBuilder()
          .update(OrderEntity)
          .set({ status: 'ARCHIVED' })
          .where('id IN (:...ids) AND status NOT IN (:...inFlight)', {
            ids: toArchive,
            inFlight: [...IN_FLIGHT],
          })
          .execute();
      }
      const after = new Map(
        (
          await manager
            .createQueryBuilder(OrderEntity, 'o')
            .where('o.tenantId = :tenantId AND o.id IN (:...ids)', { tenantId, ids: unique })
            .getMany()
        ).map((row) => [row.id, row]),
      );
      // A posting that claimed an order between our read and our update (possible only without row locks).
      refuseInFlight(ids, after);
      return ids.map((id) => after.get(id)!);
    });
  }

  /** Invoices of these orders, restricted to the tenant (for the `Order.invoice` loader). */
  async invoicesForOrders(tenantId: string, orderIds: readonly string[]): Promise<InvoiceEntity[]> {
    if (orderIds.length === 0) return [];
    return this.invoices
      .createQueryBuilder('i')
      .where('i.tenantId = :tenantId AND i.orderId IN (:...orderIds)', {
        tenantId,
        orderIds: [...new Set(orderIds)],
      })
      .getMany();
  }

  /** Pages of sync logs for many orders at once (for the per-request loader): see OrderSyncLogReader.pages. */
  async syncLogPages(
    tenantId: string,
    requests: readonly OrderSyncLogRequest[],
  ): Promise<Array<Page<SyncLogEntity> | AppError>> {
    return this.syncLogs.pages(tenantId, requests);
  }
}

function refuseInFlight(ids: readonly string[], byId: Map<string, OrderEntity>): void {
  const blocked = ids
    .map((id, index) => ({ index, order: byId.get(id)! }))
    .filter(({ order }) => IN_FLIGHT.has(order.status));
  if (blocked.length === 0) return;
  const { index } = blocked[0];
  const names = blocked
    .map(({ order }) => `order ${order.orderNumber} (${order.id}) is ${order.status}`)
    .join('; ');
  throw badInput(
    `orderIds.${index}`,
    `${names}: an order being posted cannot be archived`,
    'wait until its posting batch finishes, then archive it',
  );
}
