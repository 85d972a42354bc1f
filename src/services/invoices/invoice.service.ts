import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  InvoiceEntity,
  OrderEntity,
  ReferenceEntityRow,
  type InvoicePushStatus,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { JobEnqueuer } from '../../job-catalogue';
import { isUniqueViolation } from '../../jobs/job-store';
import type { Logger } from '../../logger';
import { dialectOf, placeholders, toDbTime, updateEach, type Dialect } from '../../db/sql';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { quote } from '../posting/exactly-once';
import { paginate, type Page, type PageArgs } from '../pagination';
import { invoiceLabel, sentFacts } from './invoice-mapper';
import { CLAIMABLE_ORDERS, SENDABLE, type InvoiceLedger } from './invoice-ledger';
import { assertInvoicingReady, invoicingReady } from './readiness';

export interface InvoiceInputData {
  invoiceNumber?: string | null;
  issuedAt?: Date | null;
  /** YYYY-MM-DD. */
  dueDate?: string | null;
}

export interface InvoiceListFilter {
  connectionId?: string | null;
  pushStatuses?: readonly InvoicePushStatus[] | null;
  /** Part of the invoice number, QuickBooks DocNumber or customer name (case-insensitive). */
  search?: string | null;
}

/** QuickBooks' DocNumber is at most 21 characters. */
export const MAX_INVOICE_NUMBER = 21;
/** Largest sending sendInvoice accepts (the worker streams through it). */
const MAX_BATCH_INVOICES = 100_000;
const ID_CHUNK = 1000;
/** A balance read from QuickBooks this recently is shown as it is (QuickBooks allows 500 requests a minute). */
const BALANCE_FRESH_MS = 60_000;
const CONTROL_CHARACTERS = /\p{Cc}/u;

interface InvoiceSummary {
  id: string;
  connectionId: string;
  orderId: string;
  invoiceNumber: string;
  customerName: string;
  pushStatus: InvoicePushStatus;
  quickbooksId: string | null;
  orderNumber: string;
  orderStatus: OrderEntity['status'];
}

/**
 * Invoices of orders (WindingFlow, Rootstock): one per order, numbered like the order unless told otherwise, pushed at
 * once with Auto Invoice or on demand with sendInvoice (a SEND_INVOICES batch, see InvoiceSender). An order and its
 * invoice reach QuickBooks as one transaction. Every method is scoped to a tenant: another tenant's ids are NOT_FOUND.
 */
export class InvoiceService {
  /** DESKTOP connections send invoices through the Web Connector's queue (src/desktop); wired at start-up. */
  desktop?: unknown;

  private readonly invoices: Repository<InvoiceEntity>;
  private readonly orders: Repository<OrderEntity>;
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly ledger: InvoiceLedger,
    private readonly logger: Logger,
  ) {
    this.invoices = dataSource.getRepository(InvoiceEntity);
    this.orders = dataSource.getRepository(OrderEntity);
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Raises the invoice of an order: lines, charges, discount and tax copied from it. An order in QuickBooks as an
   * Invoice adopts that transaction (SENT); as a SalesReceipt it cannot be invoiced. With Auto Invoice on (and the
   * connection ready) the invoice is queued and pushed at once; otherwise it waits, NOT_SENT, for sendInvoice.
   */
  async create(tenantId: string, orderId: string, input: InvoiceInputData = {}): Promise<InvoiceEntity> {
    const order = await this.orders.findOneBy({ id: orderId, tenantId });
    if (!order) throw notFound('Order', orderId);
    const existing = await this.invoices.findOneBy({ orderId });
    if (existing) {
      throw new AppError(
        'CONFLICT',
        `order ${order.orderNumber} already has invoice ${existing.invoiceNumber} (${existing.id})`,
        {
          hint: 'an order has one invoice: send, or look at, the existing one',
          extensions: { invoiceId: existing.id },
        },
      );
    }
    const posted = order.postedTransaction;
    if (order.status === 'QUEUED' || order.status === 'POSTING') {
      throw new AppError('CONFLICT', `order ${order.orderNumber} is being posted to QuickBooks`, {
        hint: 'wait until its posting finishes; if it fails, create the invoice then',
      });
    }
    if (posted?.kind === 'SALES_RECEIPT') {
      throw new AppError(
        'CONFLICT',
        `order ${order.orderNumber} is already in QuickBooks as sales receipt ${posted.docNumber ?? posted.id}: an order reaches QuickBooks once, as one transaction`,
        { hint: 'undo the posting first (undoSync), then create the invoice' },
      );
    }
    if (!posted && order.sentAt) {
      throw new AppError('CONFLICT', `the outcome of order ${order.orderNumber}'s last posting is unknown`, {
        hint: 'post the order again (postOrders) so the gateway finds it in QuickBooks, or undo it, then create the invoice',
      });
    }
    const connection = await this.connections.get(tenantId, order.connectionId);
    const invoiceNumber = this.invoiceNumberOf(order, input);
    const clash = await this.invoices.findOneBy({ connectionId: connection.id, invoiceNumber });
    if (clash) throw numberTaken(invoiceNumber, clash);
    const issuedAt = input.issuedAt ?? new Date();
    const row: InvoiceEntity = {
      id: newId('invoice'),
      tenantId,
      connectionId: connection.id,
      orderId: order.id,
      invoiceNumber,
      customerName: order.customerName,
      issuedAt,
      dueDate: input.dueDate ?? (await this.termDueDate(connection, issuedAt)),
      lines: order.lines,
      charges: order.charges,
      discountTotal: order.discountTotal,
      taxTotal: order.taxTotal,
      total: order.total,
      pushStatus: posted ? 'SENT' : 'NOT_SENT',
      quickbooksId: posted?.id ?? null,
      docNumber: posted ? (posted.docNumber ?? invoiceNumber) : null,
      customerQuickbooksId: posted ? (order.customer.quickbooksId ?? null) : null,
      balance: null,
      balanceCheckedAt: null,
      emailStatus: 'NOT_SET',
      deliveredTo: null,
      sentAt: null,
      sendGeneration: 0,
      sendBatchId: null,
      lastError: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const autoSend =
      !posted &&
      connection.settings.autoInvoice &&
      invoicingReady(connection, { desktopSending: Boolean(this.desktop) });
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(InvoiceEntity, row);
        if (autoSend) await this.queue(manager, connection, [row]);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const other =
        (await this.invoices.findOneBy({ orderId })) ??
        (await this.invoices.findOneBy({ connectionId: connection.id, invoiceNumber }));
      if (other?.orderId === orderId) {
        throw new AppError(
          'CONFLICT',
          `order ${order.orderNumber} already has invoice ${other.invoiceNumber} (${other.id})`,
          {
            extensions: { invoiceId: other.id },
          },
        );
      }
      if (other) throw numberTaken(invoiceNumber, other);
      throw error;
    }
    return this.invoices.findOneByOrFail({ id: row.id });
  }

  /** Pages the tenant's invoices, newest first. */
  async list(tenantId: string, filter: InvoiceListFilter, args: PageArgs): Promise<Page<InvoiceEntity>> {
    const query = this.invoices.createQueryBuilder('i').where('i.tenantId = :tenantId', { tenantId });
    if (filter.connectionId) {
      await this.connections.get(tenantId, filter.connectionId);
      query.andWhere('i.connectionId = :connectionId', { connectionId: filter.connectionId });
    }
    if (filter.pushStatuses) {
      if (filter.pushStatuses.length > 0)
        query.andWhere('i.pushStatus IN (:...statuses)', { statuses: filter.pushStatuses });
      else query.andWhere('1 = 0');
    }
    const search = filter.search?.trim();
    if (search) {
      // '!' as the escape character: a backslash means different things in MySQL and SQLite string literals.
      const like = `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.andWhere(
        "(i.invoiceNumber LIKE :like ESCAPE '!' OR i.docNumber LIKE :like ESCAPE '!' OR i.customerName LIKE :like ESCAPE '!')",
        { like },
      );
    }
    return paginate(query, args, { defaultSize: 50, descending: true });
  }

  async get(tenantId: string, id: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.findOneBy({ id, tenantId });
    if (!invoice) throw notFound('Invoice', id);
    return invoice;
  }

  /**
   * Queues invoices of one ready connection for sending to QuickBooks and returns the SEND_INVOICES batch at once. A
   * failed invoice may be sent again once its cause is fixed; it lands once. `field` names the argument in errors.
   */
  async send(tenantId: string, invoiceIds: string[], field = 'invoiceIds'): Promise<SyncBatchEntity> {
    const ids = [...new Set(invoiceIds)];
    if (ids.length === 0) throw badInput(field, 'must name at least one invoice');
    if (ids.length > MAX_BATCH_INVOICES)
      throw badInput(field, `at most ${MAX_BATCH_INVOICES} invoices a batch`);
    const summaries = await this.summaries(tenantId, ids, field);
    const connectionIds = new Set(summaries.map((s) => s.connectionId));
    if (connectionIds.size > 1) {
      throw badInput(
        field,
        "the invoices belong to several connections; send each connection's invoices separately",
      );
    }
    for (const [index, invoice] of summaries.entries()) {
      if (!SENDABLE.includes(invoice.pushStatus)) {
        throw badInput(
          `${field}.${index}`,
          invoice.pushStatus === 'SENT'
            ? `invoice ${invoice.invoiceNumber} is already in QuickBooks (Id ${invoice.quickbooksId ?? '?'})`
            : `invoice ${invoice.invoiceNumber} is already queued for sending`,
        );
      }
      if (!CLAIMABLE_ORDERS.includes(invoice.orderStatus)) {
        throw new AppError(
          'CONFLICT',
          `${field}.${index}: order ${invoice.orderNumber} of invoice ${invoice.invoiceNumber} is ${invoice.orderStatus}`,
          {
            field: `${field}.${index}`,
            hint: 'wait until the order is no longer being posted, then send again',
          },
        );
      }
    }
    const connection = await this.connections.get(tenantId, [...connectionIds][0]);
    assertInvoicingReady(connection, { desktopSending: Boolean(this.desktop) });
    return this.dataSource.transaction((manager) => this.queue(manager, connection, summaries));
  }

  /**
   * `postOrders` on invoiced orders: an invoiced order reaches QuickBooks as its invoice, so posting it sends the
   * invoice (the SEND_INVOICES batch is returned). Undefined when none of the orders has an invoice; orders with and
   * without invoices in one call are refused, naming the first invoiced one.
   */
  async postInvoicedOrders(tenantId: string, orderIds: string[]): Promise<SyncBatchEntity | undefined> {
    const ids = [...new Set(orderIds)];
    const invoiceByOrder = new Map<string, string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await this.dataSource.query<Array<{ id: string; orderId: string }>>(
        `SELECT \`id\`, \`orderId\` FROM \`invoices\` WHERE \`tenantId\` = ? AND \`orderId\` IN (${placeholders(Math.min(ID_CHUNK, ids.length - i))})`,
        [tenantId, ...ids.slice(i, i + ID_CHUNK)],
      );
      for (const row of rows) invoiceByOrder.set(row.orderId, row.id);
    }
    if (invoiceByOrder.size === 0) return undefined;
    if (invoiceByOrder.size < ids.length) {
      const index = orderIds.findIndex((id) => invoiceByOrder.has(id));
      throw badInput(
        `orderIds.${index}`,
        'this order has an invoice and reaches QuickBooks as that invoice; the others do not',
        'post orders with invoices and orders without them in separate calls (or send the invoices with sendInvoice)',
      );
    }
    return this.send(
      tenantId,
      ids.map((id) => invoiceByOrder.get(id)!),
      'orderIds',
    );
  }

  /**
   * Open balances of these invoices, read from QuickBooks when the stored one is older than a minute (one query per
   * connection); the stored balance when QuickBooks cannot be asked. In the order of `ids`; null when not sent.
   */
  async balances(tenantId: string, ids: readonly string[]): Promise<Array<string | null>> {
    const rows = ids.length ? await this.invoices.findBy({ tenantId, id: In([...new Set(ids)]) }) : [];
    const stale = rows.filter(
      (r) =>
        r.pushStatus === 'SENT' &&
        r.quickbooksId &&
        (!r.balanceCheckedAt || Date.now() - r.balanceCheckedAt.getTime() > BALANCE_FRESH_MS),
    );
    const byConnection = new Map<string, InvoiceEntity[]>();
    for (const row of stale)
      byConnection.set(row.connectionId, [...(byConnection.get(row.connectionId) ?? []), row]);
    await Promise.all(
      [...byConnection].map(async ([connectionId, invoices]) => {
        try {
          await this.refreshFromQuickBooks(await this.connections.get(tenantId, connectionId), invoices);
        } catch (error) {
          this.logger.warn(
            { err: error, connectionId },
            'could not read invoice balances from QuickBooks; showing the stored ones',
          );
        }
      }),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const row = byId.get(id);
      if (!row || row.pushStatus !== 'SENT') return null;
      return row.balance ?? row.total;
    });
  }

  /** Reads the invoices from QuickBooks (100 a query) and stores their balance and e-mail status; updates `rows`. */
  async refreshFromQuickBooks(connection: ConnectionEntity, rows: InvoiceEntity[]): Promise<void> {
    if (connection.status !== 'CONNECTED' || rows.length === 0) return;
    if (connection.environment === 'DESKTOP') return; // no QuickBooks Online to ask: the stored balances stand
    const client = this.connections.clientFor(connection);
    for (let i = 0; i < rows.length; i += 100) {
      const group = rows.slice(i, i + 100);
      const found = await client.query(
        `SELECT * FROM Invoice WHERE Id IN (${group.map((r) => quote(r.quickbooksId!)).join(', ')}) MAXRESULTS 1000`,
      );
      const now = new Date();
      const read = found.items.flatMap((transaction) => {
        const row = group.find((r) => r.quickbooksId === String(transaction.Id));
        return row ? [{ row, facts: sentFacts(transaction) }] : [];
      });
      for (const { row, facts } of read)
        Object.assign(row, { balance: facts.balance, balanceCheckedAt: now, emailStatus: facts.emailStatus });
      await updateEach(
        this.dataSource.manager,
        'invoices',
        'id',
        read,
        (r) => r.row.id,
        { balance: (r) => r.facts.balance, emailStatus: (r) => r.facts.emailStatus },
        { balanceCheckedAt: toDbTime(this.dialect, now) },
      );
    }
  }

  /** Creates the SEND_INVOICES batch, claims the invoices and their orders for it, and enqueues the job. */
  private async queue(
    manager: EntityManager,
    connection: ConnectionEntity,
    invoices: ReadonlyArray<Pick<InvoiceSummary, 'id' | 'orderId' | 'invoiceNumber' | 'customerName'>>,
  ): Promise<SyncBatchEntity> {
    const batch = await this.batches.create(manager, {
      tenantId: connection.tenantId,
      connectionId: connection.id,
      kind: 'SEND_INVOICES',
      items: invoices.map((invoice) => ({
        entityType: 'Invoice',
        entityId: invoice.id,
        label: invoiceLabel(invoice),
      })),
    });
    await this.ledger.claim(manager, connection.tenantId, batch.id, invoices);
    await this.jobs.enqueue('invoices.send', { batchId: batch.id }, { manager, maxAttempts: 25 });
    return batch;
  }

  private invoiceNumberOf(order: OrderEntity, input: InvoiceInputData): string {
    const posted = order.postedTransaction;
    const given = input.invoiceNumber?.trim();
    if (posted && given && given !== posted.docNumber) {
      throw badInput(
        'input.invoiceNumber',
        `order ${order.orderNumber} is already in QuickBooks as invoice ${posted.docNumber ?? posted.id}; the invoice keeps that number`,
      );
    }
    const number = given || (posted?.docNumber ?? order.orderNumber);
    if (input.invoiceNumber !== undefined && input.invoiceNumber !== null && !given)
      throw badInput('input.invoiceNumber', 'must not be empty');
    if (number.length > MAX_INVOICE_NUMBER) {
      throw badInput(
        given ? 'input.invoiceNumber' : 'orderId',
        `invoice number "${number}" is longer than QuickBooks allows (${MAX_INVOICE_NUMBER} characters)`,
        given ? undefined : 'pass a shorter invoiceNumber',
      );
    }
    if (CONTROL_CHARACTERS.test(number))
      throw badInput('input.invoiceNumber', 'must not contain control characters');
    return number;
  }

  /** The due date of the connection's default term (Term.DueDays after the issue date), when one is set. */
  private async termDueDate(connection: ConnectionEntity, issuedAt: Date): Promise<string | null> {
    const termId = connection.settings.defaultTermId;
    if (!termId) return null;
    const term = await this.dataSource
      .getRepository(ReferenceEntityRow)
      .findOneBy({ connectionId: connection.id, type: 'TERM', quickbooksId: termId });
    const days = term?.data.DueDays;
    if (typeof days !== 'number') return null;
    const due = new Date(issuedAt.getTime());
    due.setUTCDate(due.getUTCDate() + days);
    return due.toISOString().slice(0, 10);
  }

  /** What send checks, without loading whole invoices. */
  private async summaries(tenantId: string, ids: string[], field: string): Promise<InvoiceSummary[]> {
    const found = new Map<string, InvoiceSummary>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      const rows = await this.dataSource.query<InvoiceSummary[]>(
        'SELECT i.`id`, i.`connectionId`, i.`orderId`, i.`invoiceNumber`, i.`customerName`, i.`pushStatus`, ' +
          'i.`quickbooksId`, o.`orderNumber`, o.`status` AS `orderStatus` ' +
          'FROM `invoices` i JOIN `orders` o ON o.`id` = i.`orderId` ' +
          `WHERE i.\`tenantId\` = ? AND i.\`id\` IN (${placeholders(chunk.length)})`,
        [tenantId, ...chunk],
      );
      for (const row of rows) found.set(row.id, row);
    }
    return ids.map((id, index) => {
      const invoice = found.get(id);
      if (!invoice) throw notFound(`Invoice (${field}.${index})`, id);
      return invoice;
    });
  }
}

function numberTaken(invoiceNumber: string, other: InvoiceEntity): AppError {
  return new AppError(
    'CONFLICT',
    `invoice number ${invoiceNumber} is already used by invoice ${other.id} on this connection`,
    {
      field: 'input.invoiceNumber',
      hint: 'invoice numbers are unique per connection: pass another invoiceNumber',
      extensions: { invoiceId: other.id },
    },
  );
}
