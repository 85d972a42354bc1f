import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OrderEntity,
  OrderRefundEntity,
  type OrderLineData,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { assertReady } from '../connections/readiness';
import {
  decimalProblem,
  formatMoney,
  formatQuantity,
  lineAmount,
  MONEY_RULE,
  QUANTITY_RULE,
  sumMoney,
} from '../money';
import { itemKey, MappingProblem, text } from '../posting/posting-mapper';
import { label } from '../posting/posting.service';
import { toStoredError } from '../stored-error';
import type { OrderInputData } from '../orders/order-input';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import { entityOf } from '../posting/updates';
import { refundBody, refundDocNumber, refundMarker } from './refund-body';

/** What refundOrder is asked (the GraphQL RefundInput). */
export interface RefundInputData {
  /** Lines to refund (each one of the order's lines, by SKU or name), at most as many as were sold. */
  lines?: OrderInputData['lines'] | null;
  /** An amount to refund. Neither lines nor amount: everything not refunded yet. */
  amount?: string | null;
  reason?: string | null;
  refundedAt?: Date | null;
}

/** Refunds whose money may have left: they count against what an order can still refund. */
const COUNTING = ['QUEUED', 'POSTING', 'POSTED'] as const;

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Refunds of posted orders: a RefundReceipt for a sales receipt, a CreditMemo for an invoice. Never more than the
 * order's transaction holds (all refunds together), checked with the order row locked. Exactly once like posting:
 * the refund row (the durable record) and its batch are committed before anything is sent; `sentAt` is committed
 * before the create leaves, which carries a requestid fixed by the refund and the marker `[qbg-refund:<id>]`; a
 * refund whose outcome is unknown is looked up by DocNumber and marker before it is sent again.
 */
export class RefundService {
  private readonly refunds: Repository<OrderRefundEntity>;
  private readonly lockRows: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
  ) {
    this.refunds = dataSource.getRepository(OrderRefundEntity);
    this.lockRows = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  }

  /** Queues a refund of a posted order and returns its REFUND_ORDERS batch at once. */
  async refundOrder(tenantId: string, orderId: string, input: RefundInputData): Promise<SyncBatchEntity> {
    if (input.lines && input.amount) throw badInput('input', 'give lines or an amount, not both');
    const found = await this.dataSource.getRepository(OrderEntity).findOneBy({ id: orderId, tenantId });
    if (!found) throw notFound('Order', orderId);
    const connection = await this.connections.assertReady(tenantId, found.connectionId, 'REFUND', {
      kinds: [found.postedTransaction?.kind === 'INVOICE' ? 'CREDIT_MEMO' : 'REFUND_RECEIPT'],
    });
    return this.dataSource.transaction(async (manager) => {
      // Locked, so that two refunds of one order cannot both fit under what is left.
      const query = manager
        .createQueryBuilder(OrderEntity, 'o')
        .where('o.id = :orderId AND o.tenantId = :tenantId', { orderId, tenantId });
      if (this.lockRows) query.setLock('pessimistic_write');
      const order = (await query.getOne())!;
      const posted = order.postedTransaction;
      if (!posted || !['POSTED', 'ARCHIVED', 'FAILED'].includes(order.status)) {
        throw badInput(
          'orderId',
          `order ${order.orderNumber} is ${order.status} and not in QuickBooks; only posted orders can be refunded`,
          order.status === 'QUEUED' || order.status === 'POSTING'
            ? 'wait until its posting finishes'
            : undefined,
        );
      }
      const earlier = await manager.find(OrderRefundEntity, { where: { orderId }, order: { seq: 'ASC' } });
      const paid = new Decimal(posted.totalAmount ?? order.total);
      const refunded = sumMoney(
        earlier
          .filter((r) => (COUNTING as readonly string[]).includes(r.status) || r.sentAt)
          .map((r) => r.amount),
      );
      const remaining = paid.minus(refunded);
      const { lines, amount, full } = refundAmount(order, input, remaining, earlier.length === 0);
      if (amount.lte(0)) throw badInput('input', `order ${order.orderNumber} has nothing left to refund`);
      if (amount.gt(remaining)) {
        throw badInput(
          input.lines ? 'input.lines' : input.amount ? 'input.amount' : 'input',
          `refunds ${formatMoney(amount)}, more than is left to refund on order ${order.orderNumber} ` +
            `(${formatMoney(remaining)} of ${formatMoney(paid)} ${order.currency})`,
        );
      }
      const seq = (earlier[earlier.length - 1]?.seq ?? 0) + 1;
      const refund: OrderRefundEntity = {
        id: newId('refund'),
        tenantId,
        connectionId: connection.id,
        orderId,
        seq,
        batchId: '',
        kind: posted.kind === 'INVOICE' ? 'CREDIT_MEMO' : 'REFUND_RECEIPT',
        status: 'QUEUED',
        lines,
        amount: formatMoney(amount),
        full,
        reason: input.reason?.slice(0, 1000) ?? null,
        refundedAt: input.refundedAt ?? new Date(),
        docNumber: refundDocNumber(order.orderNumber, seq),
        quickbooksId: null,
        syncToken: null,
        totalAmount: null,
        sentAt: null,
        lastError: null,
        createdAt: new Date(),
        updatedAt: new Date(),
      };
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId: connection.id,
        kind: 'REFUND_ORDERS',
        items: [
          { entityType: 'Order', entityId: orderId, label: `${label(order)} refund ${refund.docNumber}` },
        ],
        parameters: { refundId: refund.id },
      });
      refund.batchId = batch.id;
      await manager.insert(OrderRefundEntity, refund);
      await this.jobs.enqueue('orders.refund', { batchId: batch.id }, { manager, maxAttempts: 25 });
      return batch;
    });
  }

  /** The job: sends the batch's refund (looking it up first if it was sent before without a recorded outcome). */
  async runRefundBatch(batchId: string, options: { finalAttempt?: boolean } = {}): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return;
    await this.batches.start(batchId);
    const [item] = await this.batches.pendingItems(batchId);
    const refund = await this.refunds.findOneBy({ batchId });
    if (!item || !refund) {
      await this.batches.finish(batchId);
      return;
    }
    const order = await this.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: refund.orderId });
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: refund.connectionId });
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const entity = refund.kind === 'CREDIT_MEMO' ? 'CreditMemo' : 'RefundReceipt';
    const log = (entry: Pick<SyncLogEntry, 'status'> & Partial<SyncLogEntry>): SyncLogEntry => ({
      tenantId: refund.tenantId,
      connectionId: refund.connectionId,
      batchId,
      direction: 'TO_QUICKBOOKS',
      action: 'CREATE',
      entityType: 'Order',
      entityId: order.id,
      label: `${label(order)} refund ${refund.docNumber}`,
      ...entry,
    });
    const requestId = createHash('sha256').update(`refund|${refund.id}`).digest('hex').slice(0, 32);
    try {
      assertReady(connection);
      const client = this.connections.clientFor(connection);
      if (refund.sentAt) {
        const found = await this.findSent(client, entity, refund);
        if (found) {
          await this.record(
            refund,
            item.seq,
            found,
            log({
              status: 'SUCCEEDED',
              action: 'MATCH',
              message: `found ${entity} ${refund.docNumber} already in QuickBooks; not sent again`,
            }),
          );
          return;
        }
      }
      const original = await client.read(entityOf(order.postedTransaction!), order.postedTransaction!.id);
      const body = refundBody(order, refund, original, settings);
      await this.refunds.update({ id: refund.id }, { status: 'POSTING', sentAt: new Date() });
      let created: QuickBooksEntity;
      try {
        created = await client.create(entity, body, { requestId });
      } catch (error) {
        if (!(error instanceof QuickBooksError) || error.quickbooksCode !== '6140') throw error;
        // The number is taken: ours (an answer we never saw), or someone else's.
        const found = await this.findSent(client, entity, refund);
        if (!found) throw error;
        created = found;
      }
      await this.record(
        refund,
        item.seq,
        created,
        log({
          status: 'SUCCEEDED',
          quickbooksId: String(created.Id),
          requestId,
          message: `refunded ${refund.amount} ${order.currency} as ${entity} ${refund.docNumber}`,
        }),
      );
    } catch (error) {
      // Throttling, outages and bugs: the job runs again (it looks the refund up first). Refusals end it now.
      const unknown = error instanceof QuickBooksError && error.category === 'RETRYABLE';
      const refusal = (error instanceof AppError && !unknown) || error instanceof MappingProblem;
      if (!refusal && !options.finalAttempt) throw error;
      const stored = toStoredError(error);
      await this.dataSource.transaction(async (manager) => {
        // A retryable failure leaves the outcome unknown: sentAt stays, and the refund keeps counting against the order.
        await manager.update(OrderRefundEntity, { id: refund.id }, {
          status: 'FAILED',
          lastError: stored,
          ...(unknown ? {} : { sentAt: null }),
        } as never);
        await this.batches.recordItems(
          batchId,
          [{ seq: item.seq, status: 'FAILED', error: stored }],
          manager,
        );
        await this.syncLogs.recordIn(manager, [
          log({ status: 'FAILED', code: stored.code, message: stored.message, requestId }),
        ]);
      });
      await this.batches.finish(batchId);
    }
  }

  /** Posted refunds of these orders (for `Order.refunds`), restricted to the tenant, oldest first. */
  async refundsOf(tenantId: string, orderIds: readonly string[]): Promise<OrderRefundEntity[]> {
    if (orderIds.length === 0) return [];
    return this.refunds.find({
      where: { tenantId, orderId: In([...new Set(orderIds)]), status: 'POSTED' },
      order: { orderId: 'ASC', seq: 'ASC' },
    });
  }

  private async findSent(
    client: QuickBooksClient,
    entity: string,
    refund: OrderRefundEntity,
  ): Promise<QuickBooksEntity | undefined> {
    const found = await client.query(`SELECT * FROM ${entity} WHERE DocNumber = ${quote(refund.docNumber)}`);
    return found.items.find((t) => text(t.PrivateNote).includes(refundMarker(refund.id)));
  }

  private async record(
    refund: OrderRefundEntity,
    seq: number,
    transaction: QuickBooksEntity,
    log: SyncLogEntry,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await manager.update(OrderRefundEntity, { id: refund.id }, {
        status: 'POSTED',
        sentAt: null,
        lastError: null,
        quickbooksId: String(transaction.Id),
        syncToken: typeof transaction.SyncToken === 'string' ? transaction.SyncToken : null,
        totalAmount:
          transaction.TotalAmt === undefined ? null : new Decimal(transaction.TotalAmt as number).toFixed(2),
      } as never);
      await this.batches.recordItems(
        refund.batchId,
        [{ seq, status: 'SUCCEEDED', quickbooksId: String(transaction.Id) }],
        manager,
      );
      await this.syncLogs.recordIn(manager, [log]);
    });
    await this.batches.finish(refund.batchId);
    this.logger.info({ refundId: refund.id, quickbooksId: transaction.Id }, 'refund recorded');
  }
}

/**
 * What a refund gives back. Lines must be the order's own (by SKU or name), at most the quantity sold and at most the
 * price paid; an amount is any positive amount; neither is everything left (the whole order when nothing was refunded).
 */
function refundAmount(
  order: OrderEntity,
  input: RefundInputData,
  remaining: Decimal,
  firstRefund: boolean,
): { lines: OrderLineData[] | null; amount: Decimal; full: boolean } {
  if (input.lines) {
    if (input.lines.length === 0) throw badInput('input.lines', 'must name at least one line');
    const lines = input.lines.map((line, index): OrderLineData => {
      const path = `input.lines.${index}`;
      const sold = order.lines.find((l) => itemKey(l) === itemKey(line));
      if (!sold) throw badInput(path, `matches no line of order ${order.orderNumber} (by SKU, else name)`);
      for (const [field, rule] of [
        ['quantity', QUANTITY_RULE],
        ['unitPrice', MONEY_RULE],
      ] as const) {
        const problem = decimalProblem(line[field], rule);
        if (problem) throw badInput(`${path}.${field}`, problem);
      }
      if (new Decimal(line.quantity).gt(sold.quantity)) {
        throw badInput(`${path}.quantity`, `is more than the ${sold.quantity} sold`);
      }
      if (new Decimal(line.unitPrice).gt(sold.unitPrice)) {
        throw badInput(`${path}.unitPrice`, `is more than the ${sold.unitPrice} paid`);
      }
      return {
        sku: sold.sku ?? null,
        name: sold.name,
        description: line.description ?? null,
        quantity: formatQuantity(line.quantity),
        unitPrice: formatMoney(line.unitPrice),
        amount: formatMoney(lineAmount(line.quantity, line.unitPrice)),
        taxable: sold.taxable,
        quickbooksItemId: sold.quickbooksItemId ?? null,
      };
    });
    return { lines, amount: sumMoney(lines.map((l) => l.amount)), full: false };
  }
  if (input.amount !== undefined && input.amount !== null) {
    const problem = decimalProblem(input.amount, { ...MONEY_RULE, sign: 'positive' });
    if (problem) throw badInput('input.amount', problem);
    return { lines: null, amount: new Decimal(input.amount), full: false };
  }
  // Everything: the whole order as posted, or what is left after earlier refunds (as an amount).
  if (firstRefund && remaining.equals(order.total)) return { lines: null, amount: remaining, full: true };
  return { lines: null, amount: remaining, full: false };
}
