import DataLoader from 'dataloader';
import type {
  ConnectionEntity,
  InvoiceEntity,
  OrderEntity,
  OrderRefundEntity,
  SyncLogEntity,
} from './entities';
import type { ConnectionService } from './services/connections/connection.service';
import type { Invoicing } from './services/invoices';
import type { OrderSyncLogRequest } from './services/orders/order-sync-logs';
import type { OrderService } from './services/orders/order.service';
import type { Page } from './services/pagination';
import type { RefundService } from './services/refunds/refund.service';

/**
 * Per-operation DataLoaders: nested fields of a page load in one statement per field, whatever the page size.
 * Created for each request (and each subscription event), never shared, so no tenant can see another's cache.
 */
export interface Loaders {
  connection: DataLoader<string, ConnectionEntity | null>;
  order: DataLoader<string, OrderEntity | null>;
  /** An order's invoice, by order id. */
  invoiceByOrder: DataLoader<string, InvoiceEntity | null>;
  /** A page of an order's sync logs: keyed by (orderId, first, after), loaded for a whole page of orders at once. */
  orderSyncLogs: DataLoader<OrderSyncLogRequest, Page<SyncLogEntity>, string>;
  /** An invoice's open balance, read from QuickBooks when stale (one query per connection for a whole page). */
  invoiceBalance: DataLoader<string, string | null>;
  /** An order's posted refunds, by order id. */
  refundsByOrder: DataLoader<string, OrderRefundEntity[]>;
}

export interface LoaderSources {
  connections: ConnectionService;
  orders: OrderService;
  invoicing: Invoicing;
  refunds: RefundService;
}

const EMPTY_PAGE: Page<never> = {
  nodes: [],
  cursors: [],
  hasNextPage: false,
  hasPreviousPage: false,
  totalCount: 0,
};

export function createLoaders(sources: LoaderSources, tenantId: string | undefined): Loaders {
  return {
    connection: new DataLoader(async (ids) => {
      if (!tenantId) return ids.map(() => null);
      const rows = await sources.connections.getMany(tenantId, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    order: new DataLoader(async (ids) => {
      if (!tenantId) return ids.map(() => null);
      const rows = await sources.orders.getMany(tenantId, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    invoiceByOrder: new DataLoader(async (orderIds) => {
      if (!tenantId) return orderIds.map(() => null);
      const rows = await sources.orders.invoicesForOrders(tenantId, orderIds);
      const byOrder = new Map(rows.map((row) => [row.orderId, row]));
      return orderIds.map((orderId) => byOrder.get(orderId) ?? null);
    }),
    orderSyncLogs: new DataLoader<OrderSyncLogRequest, Page<SyncLogEntity>, string>(
      async (requests) => {
        if (!tenantId) return requests.map(() => EMPTY_PAGE);
        return sources.orders.syncLogPages(tenantId, requests);
      },
      { cacheKeyFn: (request) => `${request.orderId}|${request.first ?? ''}|${request.after ?? ''}` },
    ),
    invoiceBalance: new DataLoader(async (ids) => {
      if (!tenantId) return ids.map(() => null);
      return sources.invoicing.invoices.balances(tenantId, ids);
    }),
    refundsByOrder: new DataLoader(async (orderIds) => {
      if (!tenantId) return orderIds.map(() => []);
      const rows = await sources.refunds.refundsOf(tenantId, orderIds);
      return orderIds.map((orderId) => rows.filter((row) => row.orderId === orderId));
    }),
  };
}
