import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  InvoiceEntity,
  OrderEntity,
  type ConnectionEntity,
  type OrderLineData,
} from '../../entities';
import type { ConnectionService } from '../connections/connection.service';
import { customerNameOf, itemKey, MappingProblem } from '../posting/posting-mapper';
import { customerKey, PostingReferences } from '../posting/posting-references';
import type { ReferenceService } from '../reference.service';
import type { SyncLogService } from '../sync-log.service';

/** A product the export matches or adds: one per SKU (or name, for lines without one). */
export interface ProductNeed {
  key: string;
  line: OrderLineData;
}

/** A customer the export matches or adds, with an order that carries its details (e-mail, addresses). */
export interface CustomerNeed {
  key: string;
  name: string;
  order: OrderEntity;
}

/** What an export of a connection does, each product and customer keyed by its batch item's entityId. */
export interface ExportPlan {
  products: Map<string, ProductNeed>;
  customers: Map<string, CustomerNeed>;
  invoices: Array<Pick<InvoiceEntity, 'id' | 'orderId' | 'invoiceNumber' | 'customerName'>>;
  ordersToPostCount: number;
}

/** Rows read at a time while scanning a connection's pending invoices and orders. */
const PAGE = 500;

/** A batch item's entityId for a product or customer key (at most 64 characters). */
export const needEntityId = (key: string): string =>
  key.length <= 64 ? key : `h:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;

/**
 * Rootstock's Sales Invoice Export, planned: the invoices created and not yet SENT, the orders still to post, and the
 * products (order lines' SKUs) and customers those need that QuickBooks is not known to have (by the rules posting
 * matches with: PostingReferences). The preview counts this plan and the export batch is built from it, so the counts
 * before and the results after agree.
 */
export class ExportPlanner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly referenceService: ReferenceService,
    private readonly syncLogs: SyncLogService,
  ) {}

  /**
   * The plan now. With `batchId`, the sources are the invoices that export batch holds, and every need is listed,
   * known or not (a resumed export resolves known ones from the index without calling QuickBooks).
   */
  async plan(
    connection: ConnectionEntity,
    scope: { batchId?: string; references?: PostingReferences } = {},
  ): Promise<ExportPlan> {
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const references = scope.references ?? (await this.index(connection));
    const plan: ExportPlan = {
      products: new Map(),
      customers: new Map(),
      invoices: [],
      ordersToPostCount: 0,
    };
    const everything = scope.batchId !== undefined;
    const need = (order: OrderEntity, lines: OrderLineData[]): void => {
      try {
        const name = customerNameOf(order, settings);
        const key = customerKey(name);
        if (everything || !references?.knownCustomer(name, null, order))
          plan.customers.set(needEntityId(key), { key, name, order });
      } catch (problem) {
        // No customer and no default: the invoice or order fails when sent, naming the setting.
        if (!(problem instanceof MappingProblem)) throw problem;
      }
      for (const line of lines) {
        const key = itemKey(line);
        if (everything || !references?.knownItem(key, line))
          plan.products.set(needEntityId(key), { key, line });
      }
    };
    for await (const page of this.invoicePages(connection.id, scope.batchId)) {
      for (const { invoice, order } of page) {
        plan.invoices.push(invoice);
        need(order, invoice.lines);
      }
    }
    // Further sources of products (e.g. partner product records with no QuickBooks id) are added here.
    for await (const orders of this.ordersToPost(connection.id)) {
      plan.ordersToPostCount += orders.length;
      for (const order of orders) need(order, order.lines);
    }
    return plan;
  }

  /** The mirror's index as posting matches with it; none before the company is connected (nothing is mirrored). */
  private async index(connection: ConnectionEntity): Promise<PostingReferences | undefined> {
    if (!connection.realmId) return undefined;
    const references = new PostingReferences(
      connection,
      this.connections.clientFor(connection),
      this.referenceService,
      this.syncLogs,
      '',
    );
    await references.load();
    return references;
  }

  /** Invoices created and not yet SENT (or held by the export batch), with their orders, by id. */
  private async *invoicePages(
    connectionId: string,
    batchId: string | undefined,
  ): AsyncGenerator<Array<{ invoice: InvoiceEntity; order: OrderEntity }>> {
    let after = '';
    for (;;) {
      const query = this.dataSource
        .getRepository(InvoiceEntity)
        .createQueryBuilder('i')
        .where('i.connectionId = :connectionId AND i.id > :after', { connectionId, after });
      if (batchId) query.andWhere('i.sendBatchId = :batchId', { batchId });
      else query.andWhere('i.pushStatus IN (:...statuses)', { statuses: ['NOT_SENT', 'FAILED'] });
      const invoices = await query.orderBy('i.id', 'ASC').take(PAGE).getMany();
      if (invoices.length === 0) return;
      after = invoices[invoices.length - 1].id;
      const orders = await this.dataSource
        .getRepository(OrderEntity)
        .createQueryBuilder('o')
        .where('o.id IN (:...ids)', { ids: invoices.map((i) => i.orderId) })
        .getMany();
      const byId = new Map(orders.map((o) => [o.id, o]));
      yield invoices.flatMap((invoice) => {
        const order = byId.get(invoice.orderId);
        return order ? [{ invoice, order }] : [];
      });
    }
  }

  /** NEW and FAILED orders without an invoice, by id. */
  private async *ordersToPost(connectionId: string): AsyncGenerator<OrderEntity[]> {
    let after = '';
    for (;;) {
      const orders = await this.dataSource
        .getRepository(OrderEntity)
        .createQueryBuilder('o')
        .where('o.connectionId = :connectionId AND o.id > :after AND o.status IN (:...statuses)', {
          connectionId,
          after,
          statuses: ['NEW', 'FAILED'],
        })
        .andWhere('NOT EXISTS (SELECT 1 FROM invoices i WHERE i.orderId = o.id)')
        .orderBy('o.id', 'ASC')
        .take(PAGE)
        .getMany();
      if (orders.length === 0) return;
      after = orders[orders.length - 1].id;
      yield orders;
    }
  }
}
