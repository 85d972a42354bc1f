import { createHash } from 'node:crypto';
import type { DataSource, EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import {
  ConnectionEntity,
  InvoiceEntity,
  OrderEntity,
  SyncLogEntity,
  type AddressData,
  type ChargeKind,
  type OrderChargeData,
  type OrderCustomerData,
  type OrderLineData,
  type OrderStatus,
} from '../entities';
import { AppError, badInput, notFound } from '../errors';
import { newId } from '../ids';
import {
  EXCHANGE_RATE_RULE,
  MONEY_RULE,
  QUANTITY_RULE,
  decimalProblem,
  fitsMoneyColumn,
  formatMoney,
  formatQuantity,
  isCurrencyCode,
  lineAmount,
  orderTotal,
  parseDecimal,
  sumMoney,
  type DecimalRule,
} from './money';
import { OrderPageReader, type OrderPageRow } from './order-page';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageArgs } from './pagination';

export const ORDER_VIEWS = ['ORDERS', 'ERRORS', 'ARCHIVED'] as const;
export type OrderView = (typeof ORDER_VIEWS)[number];

/** The statuses each view shows (Webgility's Orders, Errors and Archived views). */
export const VIEW_STATUSES: Record<OrderView, readonly OrderStatus[]> = {
  ORDERS: ['NEW', 'QUEUED', 'POSTING', 'POSTED', 'UNCERTAIN'],
  ERRORS: ['FAILED'],
  ARCHIVED: ['ARCHIVED'],
};

/**
 * Orders whose content a re-send may replace; the others are on their way to QuickBooks (or being taken out of it),
 * and replacing their content under the worker could make it look for the wrong DocNumber.
 */
const REPLACEABLE: ReadonlySet<OrderStatus> = new Set(['NEW', 'FAILED', 'ARCHIVED', 'POSTED']);
/** Orders a posting is working on: archiving them would pull them from under the worker. */
const IN_FLIGHT: ReadonlySet<OrderStatus> = new Set(['QUEUED', 'POSTING', 'UNCERTAIN']);

export const MAX_ORDERS_PER_CALL = 1000;
/** SyncLogs of orders: written by the posting code with this entityType and entityId = order id. */
export const ORDER_LOG_ENTITY_TYPE = 'Order';

/** Rows per INSERT: ~30 columns each keeps a statement well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 100;
/** Tries of an upsert that loses a race with a concurrent call (duplicate key, deadlock). */
const WRITE_ATTEMPTS = 5;
const CHANNEL_MAX = 100;
const CONTROL_CHARACTERS = /\p{Cc}/u;

/** An address as a channel sends it: the stored shape. */
export type AddressInputData = AddressData;

/** An order as a channel sends it (the shape of the GraphQL `OrderInput`). */
export interface OrderInputData {
  externalId: string;
  orderNumber: string;
  orderDate: Date;
  /** Default USD. */
  currency?: string | null;
  /** Home-currency units per unit of `currency`; absent: QuickBooks' rate for the order date. */
  exchangeRate?: string | null;
  /** Absent: the order posts to the connection's defaultCustomerName. */
  customer?: {
    name: string;
    email?: string | null;
    company?: string | null;
    phone?: string | null;
    billingAddress?: AddressInputData | null;
    shippingAddress?: AddressInputData | null;
  } | null;
  lines: Array<{
    sku?: string | null;
    name: string;
    description?: string | null;
    quantity: string;
    unitPrice: string;
    taxable?: boolean | null;
  }>;
  charges?: Array<{ kind: ChargeKind; description?: string | null; amount: string }> | null;
  /** Default "0". */
  discountTotal?: string | null;
  /** Default "0". */
  taxTotal?: string | null;
  paymentMethod?: string | null;
  notes?: string | null;
}

export interface UpsertOrdersResult {
  /** Every order of the call, in the order sent. */
  orders: OrderEntity[];
  /** Orders that did not exist. */
  created: number;
  /** Existing orders whose content was replaced (not counting queued/posted orders that were only flagged). */
  updated: number;
}

export interface OrderListFilter {
  connectionId?: string | null;
  view?: OrderView | null;
  statuses?: readonly OrderStatus[] | null;
  /** Part of the order number, customer name or e-mail (case-insensitive). */
  search?: string | null;
  /** Inclusive. */
  orderDateFrom?: Date | null;
  /** Inclusive. */
  orderDateTo?: Date | null;
}

/** One order's page of sync logs (the key of the per-request loader). */
export interface OrderSyncLogRequest {
  orderId: string;
  first?: number | null;
  after?: string | null;
}

/** The content fields of an order row, computed from its input. */
type OrderContent = Pick<
  OrderEntity,
  | 'orderNumber'
  | 'orderDate'
  | 'currency'
  | 'exchangeRate'
  | 'customerName'
  | 'customerEmail'
  | 'customer'
  | 'lines'
  | 'charges'
  | 'discountTotal'
  | 'taxTotal'
  | 'total'
  | 'paymentMethod'
  | 'notes'
  | 'contentHash'
>;

/** Columns a re-send replaces (everything that comes from the channel, and when it changed). */
const CONTENT_COLUMNS: Array<keyof OrderContent | 'updatedAt'> = [
  'orderNumber',
  'orderDate',
  'currency',
  'exchangeRate',
  'customerName',
  'customerEmail',
  'customer',
  'lines',
  'charges',
  'discountTotal',
  'taxTotal',
  'total',
  'paymentMethod',
  'notes',
  'contentHash',
  'updatedAt',
];

/**
 * Orders: ingest from channels (validated, idempotent, one transaction per call, bulk statements), the views of
 * the Orders / Errors / Archived lists, archiving, and the batched reads behind the per-request loaders. Every
 * method is scoped to a tenant: another tenant's ids are NOT_FOUND.
 */
export class OrderService {
  private readonly orders: Repository<OrderEntity>;
  private readonly connections: Repository<ConnectionEntity>;
  private readonly invoices: Repository<InvoiceEntity>;
  private readonly logs: Repository<SyncLogEntity>;
  private readonly lockRows: boolean;
  private readonly pageReader: OrderPageReader;

  constructor(private readonly dataSource: DataSource) {
    this.orders = dataSource.getRepository(OrderEntity);
    this.connections = dataSource.getRepository(ConnectionEntity);
    this.invoices = dataSource.getRepository(InvoiceEntity);
    this.logs = dataSource.getRepository(SyncLogEntity);
    this.pageReader = new OrderPageReader(dataSource);
    // SQLite has one writer at a time and no row locks; MySQL needs FOR UPDATE to read-then-write safely.
    this.lockRows = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  }

  /**
   * Creates or updates a channel's orders, idempotent by (connection, channel, externalId). One transaction: any
   * invalid order rejects the whole call with BAD_USER_INPUT naming `orders.<index>.<field>`, and nothing is
   * written. Re-sending the same content writes nothing; different content replaces a NEW, FAILED or ARCHIVED
   * order and only flags (`modifiedAfterPosting`) a QUEUED, POSTING or POSTED one, which QuickBooks keeps as posted.
   * Costs a constant number of statements per 100 orders, never one per order.
   */
  async upsert(
    tenantId: string,
    connectionId: string,
    channel: string,
    inputs: readonly OrderInputData[],
  ): Promise<UpsertOrdersResult> {
    if (inputs.length > MAX_ORDERS_PER_CALL) {
      throw badInput(
        'orders',
        `at most ${MAX_ORDERS_PER_CALL} orders a call (got ${inputs.length}); split the call`,
      );
    }
    checkChannel(channel);
    const connection = await this.connections.findOneBy({ id: connectionId, tenantId });
    if (!connection) throw notFound('Connection', connectionId);
    const prepared = prepareOrders(inputs);
    if (prepared.length === 0) return { orders: [], created: 0, updated: 0 };

    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.writeOrders(tenantId, connectionId, channel, prepared);
      } catch (error) {
        // Another call stored one of these orders between our read and our insert (a duplicate key), or MySQL
        // chose us as a deadlock victim: run again, now seeing the other call's rows.
        const conflict = writeConflict(error);
        if (!conflict) throw error;
        if (attempt >= WRITE_ATTEMPTS) {
          throw new AppError(
            'CONFLICT',
            conflict === 'duplicate'
              ? 'orders: the same orders are being stored by another call at this moment, or two external ids ' +
                  'differ only in letter case or trailing spaces (which this database treats as equal)'
              : 'orders: other calls are storing orders of this channel at this moment',
            { field: 'orders', hint: 'send the call again' },
          );
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  private async writeOrders(
    tenantId: string,
    connectionId: string,
    channel: string,
    prepared: PreparedOrder[],
  ): Promise<UpsertOrdersResult> {
    // READ COMMITTED on MySQL: no gap locks on the ids we look up and do not find, so concurrent calls inserting
    // neighbouring orders do not deadlock; a real race ends in a duplicate key, which upsert() retries.
    const run = (work: (manager: EntityManager) => Promise<UpsertOrdersResult>) =>
      this.lockRows ? this.dataSource.transaction('READ COMMITTED', work) : this.dataSource.transaction(work);
    return run(async (manager) => {
      const existing = await this.existingOrders(manager, connectionId, channel, prepared);
      const now = new Date();
      const inserts: OrderEntity[] = [];
      const replacements: OrderEntity[] = [];
      const flagged: string[] = [];
      const results = prepared.map((order): OrderEntity => {
        const current = existing.get(order.externalId);
        if (!current) {
          const row: OrderEntity = {
            id: newId('order'),
            tenantId,
            connectionId,
            channel,
            externalId: order.externalId,
            ...order.content,
            status: 'NEW',
            postedTransaction: null,
            postedTransactionId: null,
            postedAt: null,
            modifiedAfterPosting: false,
            lastError: null,
            postingGeneration: 0,
            postingBatchId: null,
            sentAt: null,
            statusBeforeUndo: null,
            createdAt: now,
            updatedAt: now,
          };
          inserts.push(row);
          return row;
        }
        if (current.contentHash === order.content.contentHash) return current;
        if (REPLACEABLE.has(current.status)) {
          // An order already in QuickBooks keeps its transaction and is flagged: postOrders brings QuickBooks up to date.
          const modifiedAfterPosting = current.modifiedAfterPosting || current.postedTransaction !== null;
          const row: OrderEntity = { ...current, ...order.content, modifiedAfterPosting, updatedAt: now };
          replacements.push(row);
          return row;
        }
        // Queued or being posted: only flagged (re-send it once the posting is done to bring the new content).
        if (!current.modifiedAfterPosting) flagged.push(current.id);
        return { ...current, modifiedAfterPosting: true };
      });

      // The same order of keys in every call: concurrent calls lock rows in the same sequence.
      inserts.sort(byExternalId);
      replacements.sort(byExternalId);
      for (let start = 0; start < inserts.length; start += INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(OrderEntity)
          .values(inserts.slice(start, start + INSERT_CHUNK))
          .updateEntity(false)
          .execute();
      }
      // Replacements are written as inserts that collide on the primary key and update the content columns:
      // one statement per chunk on both dialects (ON DUPLICATE KEY UPDATE / ON CONFLICT DO UPDATE).
      for (let start = 0; start < replacements.length; start += INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(OrderEntity)
          .values(replacements.slice(start, start + INSERT_CHUNK))
          .orUpdate([...CONTENT_COLUMNS, 'modifiedAfterPosting'], ['id'])
          .updateEntity(false)
          .execute();
      }
      if (flagged.length > 0) {
        await manager
          .createQueryBuilder()
          .update(OrderEntity)
          .set({ modifiedAfterPosting: true })
          .where('id IN (:...ids)', { ids: flagged })
          .execute();
      }
      return { orders: results, created: inserts.length, updated: replacements.length };
    });
  }

  /** The call's orders that already exist, by external id, in one statement (locked on MySQL). */
  private async existingOrders(
    manager: EntityManager,
    connectionId: string,
    channel: string,
    prepared: PreparedOrder[],
  ): Promise<Map<string, OrderEntity>> {
    const query = manager
      .createQueryBuilder(OrderEntity, 'o')
      .where(
        'o.connectionId = :connectionId AND o.channel = :channel AND o.externalId IN (:...externalIds)',
        {
          connectionId,
          channel,
          externalIds: prepared.map((order) => order.externalId),
        },
      );
    if (this.lockRows) query.setLock('pessimistic_write');
    const rows = await query.getMany();
    const byExternalId = new Map(rows.map((row) => [row.externalId, row]));
    // MySQL's case-insensitive collation can match an id that differs in case: refuse rather than guess.
    for (const row of rows) {
      if (prepared.some((order) => order.externalId === row.externalId)) continue;
      const order = prepared.find((candidate) => sameUnderCollation(candidate.externalId, row.externalId));
      throw badInput(
        order ? `orders.${order.index}.externalId` : 'orders',
        `equals the existing order's external id "${row.externalId}" apart from letter case, accents or trailing ` +
          'spaces, which this database does not tell apart',
      );
    }
    return byExternalId;
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

  /**
   * Pages of sync logs for many orders at once, newest first, one result per request in order (an Error where a
   * request's arguments are bad). One grouped COUNT for all orders, plus one windowed statement per distinct
   * (first, after): ROW_NUMBER() OVER (PARTITION BY entityId) keeps the first + 1 logs of each order.
   */
  async syncLogPages(
    tenantId: string,
    requests: readonly OrderSyncLogRequest[],
  ): Promise<Array<Page<SyncLogEntity> | AppError>> {
    if (requests.length === 0) return [];
    const orderIds = [...new Set(requests.map((request) => request.orderId))];
    const counts = new Map<string, number>();
    const countRows = await this.logs
      .createQueryBuilder('l')
      .select('l.entityId', 'entityId')
      .addSelect('COUNT(*)', 'count')
      .where('l.tenantId = :tenantId AND l.entityType = :entityType AND l.entityId IN (:...orderIds)', {
        tenantId,
        entityType: ORDER_LOG_ENTITY_TYPE,
        orderIds,
      })
      .groupBy('l.entityId')
      .getRawMany<{ entityId: string; count: string | number }>();
    for (const row of countRows) counts.set(row.entityId, Number(row.count));

    const groups = new Map<string, { first: number; after: string | null; orderIds: Set<string> }>();
    const results: Array<Page<SyncLogEntity> | AppError | undefined> = requests.map(() => undefined);
    requests.forEach((request, index) => {
      try {
        const first = pageSize(request.first, 20);
        const after = request.after ? decodeCursor(request.after) : null;
        const key = `${first}\u0000${after ?? ''}`;
        const group = groups.get(key) ?? { first, after, orderIds: new Set<string>() };
        group.orderIds.add(request.orderId);
        groups.set(key, group);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        results[index] = error;
      }
    });

    const pages = new Map<string, Page<SyncLogEntity>>();
    for (const [key, group] of groups) {
      const rows = await this.rankedLogs(tenantId, [...group.orderIds], group.first + 1, group.after);
      const byOrder = new Map<string, SyncLogEntity[]>();
      for (const row of rows) {
        const list = byOrder.get(row.entityId!) ?? [];
        list.push(row);
        byOrder.set(row.entityId!, list);
      }
      for (const orderId of group.orderIds) {
        const logs = byOrder.get(orderId) ?? [];
        const nodes = logs.slice(0, group.first);
        pages.set(`${key}\u0000${orderId}`, {
          nodes,
          cursors: nodes.map((node) => encodeCursor(node.id)),
          hasNextPage: logs.length > group.first,
          hasPreviousPage: group.after !== null,
          totalCount: counts.get(orderId) ?? 0,
        });
      }
    }
    return requests.map((request, index) => {
      const failed = results[index];
      if (failed) return failed;
      const key = `${pageSize(request.first, 20)}\u0000${request.after ? decodeCursor(request.after) : ''}`;
      return pages.get(`${key}\u0000${request.orderId}`)!;
    });
  }

  /** The newest `limit` logs of each order (older than `afterId` when given), in one statement. */
  private async rankedLogs(
    tenantId: string,
    orderIds: string[],
    limit: number,
    afterId: string | null,
  ): Promise<SyncLogEntity[]> {
    const query: SelectQueryBuilder<SyncLogEntity> = this.logs
      .createQueryBuilder('l')
      .where(
        'l.id IN (SELECT ranked.id FROM (' +
          'SELECT s.id AS id, ROW_NUMBER() OVER (PARTITION BY s.entityId ORDER BY s.id DESC) AS rn ' +
          'FROM sync_logs s ' +
          `WHERE s.tenantId = :tenantId AND s.entityType = :entityType AND s.entityId IN (:...orderIds)${afterId ? ' AND s.id < :afterId' : ''}` +
          ') ranked WHERE ranked.rn <= :limit)',
        { tenantId, entityType: ORDER_LOG_ENTITY_TYPE, orderIds, afterId, limit },
      );
    return query.orderBy('l.id', 'DESC').getMany();
  }
}

// ------------------------------------------------------------------------------------------------ validation

interface PreparedOrder {
  index: number;
  externalId: string;
  content: OrderContent;
}

function checkChannel(channel: string): void {
  if (!channel.trim()) throw badInput('channel', 'must not be empty');
  if (channel.length > CHANNEL_MAX)
    throw badInput('channel', `must be at most ${CHANNEL_MAX} characters long`);
  if (CONTROL_CHARACTERS.test(channel)) throw badInput('channel', 'must not contain control characters');
}

/** The statuses to show, or undefined for all: the view's, narrowed by `statuses`. */
function selectedStatuses(filter: OrderListFilter): readonly OrderStatus[] | undefined {
  const fromView = filter.view ? VIEW_STATUSES[filter.view] : undefined;
  const asked = filter.statuses?.length ? filter.statuses : undefined;
  if (fromView && asked) return fromView.filter((status) => asked.includes(status));
  return fromView ?? asked;
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

/**
 * The rules that need arithmetic or the whole call (the declarative ones live on the GraphQL input classes):
 * exact decimals, amounts that fit, a discount no larger than what it discounts, no external id twice. Also
 * computes each order's stored content: line amounts, total and the hash that tells a changed re-send.
 */
/** What one order's lines may take as stored JSON (the MySQL TEXT column holds 65,535 bytes). */
const MAX_LINES_JSON_BYTES = 60_000;

function prepareOrders(inputs: readonly OrderInputData[]): PreparedOrder[] {
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    const path = `orders.${index}`;
    const earlier = seen.get(input.externalId);
    if (earlier !== undefined) {
      throw badInput(
        `${path}.externalId`,
        `repeats orders.${earlier}.externalId "${input.externalId}" in the same call`,
        'send each order once per call',
      );
    }
    seen.set(input.externalId, index);
    if (input.lines.length === 0) throw badInput(`${path}.lines`, 'must contain at least one line');
    const currency = input.currency ?? 'USD';
    if (!isCurrencyCode(currency)) {
      throw badInput(`${path}.currency`, 'must be an ISO 4217 currency code in capitals, such as USD');
    }
    const exchangeRate =
      input.exchangeRate === undefined || input.exchangeRate === null
        ? null
        : formatQuantity(checkedDecimal(input.exchangeRate, EXCHANGE_RATE_RULE, `${path}.exchangeRate`));

    const lines: OrderLineData[] = input.lines.map((line, lineIndex) => {
      const linePath = `${path}.lines.${lineIndex}`;
      const quantity = checkedDecimal(line.quantity, QUANTITY_RULE, `${linePath}.quantity`);
      const unitPrice = checkedDecimal(line.unitPrice, MONEY_RULE, `${linePath}.unitPrice`);
      const amount = lineAmount(quantity, unitPrice);
      if (!fitsMoneyColumn(amount)) {
        throw badInput(`${linePath}.unitPrice`, 'quantity × unitPrice must be less than 10^16');
      }
      return {
        sku: line.sku ?? null,
        name: line.name,
        description: line.description ?? null,
        quantity: formatQuantity(quantity),
        unitPrice: formatMoney(unitPrice),
        amount: formatMoney(amount),
        taxable: line.taxable ?? false,
        quickbooksItemId: null,
      };
    });
    // Lines are kept as JSON in a TEXT column (64 KiB on MySQL), with room for the QuickBooks item ids posting adds.
    if (Buffer.byteLength(JSON.stringify(lines)) + lines.length * 40 > MAX_LINES_JSON_BYTES) {
      throw badInput(`${path}.lines`, 'are too large to store: shorten the descriptions or split the order');
    }
    const charges: OrderChargeData[] = (input.charges ?? []).map((charge, chargeIndex) => ({
      kind: charge.kind,
      description: charge.description ?? null,
      amount: formatMoney(checkedDecimal(charge.amount, MONEY_RULE, `${path}.charges.${chargeIndex}.amount`)),
    }));
    const discount = checkedDecimal(input.discountTotal ?? '0', MONEY_RULE, `${path}.discountTotal`);
    const tax = checkedDecimal(input.taxTotal ?? '0', MONEY_RULE, `${path}.taxTotal`);
    const subtotal = sumMoney([
      ...lines.map((line) => line.amount),
      ...charges.map((charge) => charge.amount),
    ]);
    if (discount.gt(subtotal)) {
      throw badInput(
        `${path}.discountTotal`,
        `must not exceed the lines and charges it discounts (${formatMoney(subtotal)}): QuickBooks refuses a negative total`,
      );
    }
    const total = orderTotal({
      lines: lines.map((line) => line.amount),
      charges: charges.map((charge) => charge.amount),
      discount,
      tax,
    });
    if (!fitsMoneyColumn(total)) throw badInput(path, 'the order total must be less than 10^16');

    const customer: OrderCustomerData = {
      name: input.customer?.name ?? '',
      email: input.customer?.email ?? null,
      company: input.customer?.company ?? null,
      phone: input.customer?.phone ?? null,
      billingAddress: address(input.customer?.billingAddress),
      shippingAddress: address(input.customer?.shippingAddress),
    };
    const content: Omit<OrderContent, 'contentHash'> = {
      orderNumber: input.orderNumber,
      orderDate: input.orderDate,
      currency,
      exchangeRate,
      customerName: customer.name,
      customerEmail: customer.email ?? null,
      customer,
      lines,
      charges,
      discountTotal: formatMoney(discount),
      taxTotal: formatMoney(tax),
      total: formatMoney(total),
      paymentMethod: input.paymentMethod ?? null,
      notes: input.notes ?? null,
    };
    return {
      index,
      externalId: input.externalId,
      content: { ...content, contentHash: contentHash(content) },
    };
  });
}

function checkedDecimal(value: string, rule: DecimalRule, field: string) {
  const problem = decimalProblem(value, rule);
  if (problem) throw badInput(field, problem);
  return parseDecimal(value);
}

function address(input: AddressInputData | null | undefined): AddressData | null {
  if (!input) return null;
  return {
    line1: input.line1 ?? null,
    line2: input.line2 ?? null,
    city: input.city ?? null,
    region: input.region ?? null,
    postalCode: input.postalCode ?? null,
    country: input.country ?? null,
  };
}

/**
 * SHA-256 of the normalized content (amounts in their stored form, fields in a fixed order), so "2.50" and "2.5"
 * or a re-ordered JSON object are the same order, and any real change is a different hash.
 */
function contentHash(content: Omit<OrderContent, 'contentHash'>): string {
  const canonical = [
    content.orderNumber,
    content.orderDate.toISOString(),
    content.currency,
    [
      content.customer.name,
      content.customer.email,
      content.customer.company,
      content.customer.phone,
      addressTuple(content.customer.billingAddress),
      addressTuple(content.customer.shippingAddress),
    ],
    content.lines.map((line) => [
      line.sku,
      line.name,
      line.description,
      line.quantity,
      line.unitPrice,
      line.taxable,
    ]),
    content.charges.map((charge) => [charge.kind, charge.description, charge.amount]),
    content.discountTotal,
    content.taxTotal,
    content.paymentMethod,
    content.notes,
    // Appended only when set, so orders stored before the field existed keep their hash.
    ...(content.exchangeRate === null ? [] : [content.exchangeRate]),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function addressTuple(value: AddressData | null | undefined): unknown {
  if (!value) return null;
  return [value.line1, value.line2, value.city, value.region, value.postalCode, value.country];
}

/** Roughly what utf8mb4_unicode_ci considers equal: letter case, accents and trailing spaces ignored. */
function sameUnderCollation(a: string, b: string): boolean {
  return a.trimEnd().localeCompare(b.trimEnd(), undefined, { sensitivity: 'base' }) === 0;
}

/** A write that lost a race with another call: worth running again. */
export function writeConflict(error: unknown): 'duplicate' | 'deadlock' | undefined {
  const code =
    (error as { driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  if (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  ) {
    return 'duplicate';
  }
  if (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT') return 'deadlock';
  return undefined;
}

const byExternalId = (a: OrderEntity, b: OrderEntity): number =>
  a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
