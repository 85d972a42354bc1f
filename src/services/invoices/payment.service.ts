import Decimal from 'decimal.js';
import { In, type DataSource, type Repository } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  InvoiceEntity,
  PaymentEntity,
  ReferenceEntityRow,
  type ConnectionEntity,
  type PaymentLineData,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import { dialectOf, execute, placeholders, toDbTime, updateEach, type Dialect } from '../../db/sql';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { CHUNK, ITEM_RETRY_PASSES, isRefusal, quote, requestIdOf, runPool } from '../posting/exactly-once';
import { decimalProblem, formatMoney, MONEY_RULE, sumMoney } from '../money';
import { text } from '../posting/posting-mapper';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { BatchJobs, RunOptions } from './batch-job';
import type { InvoiceService } from './invoice.service';
import { assertInvoicingReady } from './readiness';

/** A payment against a gateway invoice, as `recordPayments` takes it. */
export interface PaymentInputData {
  invoiceId: string;
  amount: string;
  receivedAt?: Date | null;
  /** A payment method's name or QuickBooks id (default: the connection's defaultPaymentMethodId). */
  paymentMethod?: string | null;
  /** The check or transaction number (QuickBooks' PaymentRefNum, at most 21 characters). */
  reference?: string | null;
}

export const MAX_PAYMENTS_PER_CALL = 1000;
const MAX_REFERENCE = 21;
/** Payment chunks under way at once (the realm's governor keeps QuickBooks' limits). */
const CHUNKS_IN_FLIGHT = 10;

/** The marker that finds a payment in QuickBooks when its answer was lost. */
const paymentMarker = (paymentId: string): string => `[qbg:${paymentId}]`;

/**
 * Payments against gateway invoices, exactly once: each call's payments are grouped into QuickBooks Payments (one per
 * customer, date, method and reference, applied to several invoices when they share those), never more than an
 * invoice's open balance, and sent as a RECORD_PAYMENTS batch on the posting spine (durable `sentAt`, requestid,
 * look-up through the invoices' linked payments and the marker). Invoice balances follow from QuickBooks afterwards.
 */
export class PaymentService {
  private readonly payments: Repository<PaymentEntity>;
  private readonly invoiceRows: Repository<InvoiceEntity>;
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly invoices: InvoiceService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly batchJobs: BatchJobs,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
  ) {
    this.payments = dataSource.getRepository(PaymentEntity);
    this.invoiceRows = dataSource.getRepository(InvoiceEntity);
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Checks every payment (BAD_USER_INPUT with the field path, nothing written), then queues the QuickBooks Payments and
   * returns their RECORD_PAYMENTS batch at once.
   */
  async record(tenantId: string, inputs: readonly PaymentInputData[]): Promise<SyncBatchEntity> {
    if (inputs.length === 0) throw badInput('payments', 'must name at least one payment');
    if (inputs.length > MAX_PAYMENTS_PER_CALL)
      throw badInput('payments', `at most ${MAX_PAYMENTS_PER_CALL} payments a call`);
    for (const [index, input] of inputs.entries()) {
      const problem = decimalProblem(input.amount, { ...MONEY_RULE, sign: 'positive' });
      if (problem) throw badInput(`payments.${index}.amount`, problem);
      if ((input.reference?.trim().length ?? 0) > MAX_REFERENCE)
        throw badInput(
          `payments.${index}.reference`,
          `must be at most ${MAX_REFERENCE} characters (QuickBooks' PaymentRefNum)`,
        );
    }
    const ids = [...new Set(inputs.map((p) => p.invoiceId))];
    const rows = await this.invoiceRows.findBy({ tenantId, id: In(ids) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [index, input] of inputs.entries()) {
      const invoice = byId.get(input.invoiceId);
      if (!invoice) throw notFound(`Invoice (payments.${index}.invoiceId)`, input.invoiceId);
      if (invoice.pushStatus !== 'SENT' || !invoice.quickbooksId || !invoice.customerQuickbooksId) {
        throw badInput(
          `payments.${index}.invoiceId`,
          `invoice ${invoice.invoiceNumber} is not in QuickBooks yet`,
          'send it first (sendInvoice)',
        );
      }
    }
    if (new Set(rows.map((r) => r.connectionId)).size > 1)
      throw badInput(
        'payments',
        "the invoices belong to several connections; record each connection's payments separately",
      );
    const connection = await this.connections.get(tenantId, rows[0].connectionId);
    assertInvoicingReady(connection);
    await this.invoices.refreshFromQuickBooks(connection, rows).catch((error: unknown) => {
      this.logger.warn(
        { err: error },
        'could not read invoice balances from QuickBooks; checking against the stored ones',
      );
    });
    const open = await this.openBalances(rows);
    const methods = await this.paymentMethods(connection);
    const groups = new Map<string, PaymentEntity>();
    for (const [index, input] of inputs.entries()) {
      const invoice = byId.get(input.invoiceId)!;
      const amount = new Decimal(input.amount);
      const left = open.get(invoice.id)!;
      if (amount.greaterThan(left)) {
        throw badInput(
          `payments.${index}.amount`,
          `${formatMoney(amount)} is more than the open balance ${formatMoney(left)} of invoice ${invoice.invoiceNumber}`,
        );
      }
      open.set(invoice.id, left.minus(amount));
      const methodId = this.methodOf(input, index, methods, connection);
      const txnDate = (input.receivedAt ?? new Date()).toISOString().slice(0, 10);
      const reference = input.reference?.trim() || null;
      const key = [invoice.customerQuickbooksId, txnDate, methodId ?? '', reference ?? ''].join('|');
      const payment = groups.get(key) ?? this.newPayment(connection, invoice, txnDate, methodId, reference);
      groups.set(key, payment);
      const line = payment.lines.find((l) => l.invoiceId === invoice.id);
      if (line) line.amount = formatMoney(new Decimal(line.amount).plus(amount));
      else
        payment.lines.push({
          invoiceId: invoice.id,
          quickbooksInvoiceId: invoice.quickbooksId!,
          amount: formatMoney(amount),
        });
      payment.total = formatMoney(sumMoney(payment.lines.map((l) => l.amount)));
    }
    const payments = [...groups.values()];
    return this.dataSource.transaction(async (manager) => {
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId: connection.id,
        kind: 'RECORD_PAYMENTS',
        items: payments.map((payment) => ({
          entityType: 'Payment',
          entityId: payment.id,
          label: `Payment ${payment.total} for ${payment.lines.map((l) => `invoice ${byId.get(l.invoiceId)!.invoiceNumber}`).join(', ')}`,
        })),
      });
      for (const payment of payments) payment.batchId = batch.id;
      await manager.insert(PaymentEntity, payments);
      await this.jobs.enqueue('invoices.payments', { batchId: batch.id }, { manager, maxAttempts: 25 });
      return batch;
    });
  }

  /** The job of a RECORD_PAYMENTS batch. */
  async runPaymentBatch(batchId: string, options: RunOptions = {}): Promise<void> {
    let client: QuickBooksClient | undefined;
    let settings = DEFAULT_CONNECTION_SETTINGS;
    await this.batchJobs.run(batchId, options, {
      work: async (batch, connection) => {
        client = this.connections.clientFor(connection);
        settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
        const pending = await this.pending(batch);
        await this.batches.recordItems(
          batch.id,
          pending
            .filter(({ payment }) => payment.status === 'SENT')
            .map(({ payment, seq }) => ({ seq, status: 'SUCCEEDED', quickbooksId: payment.quickbooksId })),
        );
        const queued = pending.filter(({ payment }) => payment.status === 'QUEUED');
        const adopted = await this.recover(
          batch,
          client,
          queued.filter(({ payment }) => payment.sentAt),
        );
        const rest = queued.filter(({ payment }) => !adopted.has(payment.id));
        async function* chunks() {
          for (let i = 0; i < rest.length; i += CHUNK) yield rest.slice(i, i + CHUNK);
        }
        await runPool(chunks(), CHUNKS_IN_FLIGHT, (chunk) =>
          this.sendChunk(batch, connection, client!, settings, chunk, options.signal),
        );
      },
      fail: async (batch, reason, lookUp) => {
        const pending = await this.pending(batch);
        if (lookUp && client) {
          await this.recover(
            batch,
            client,
            pending.filter(({ payment }) => payment.status === 'QUEUED' && payment.sentAt),
          ).catch((error: unknown) =>
            this.logger.warn(
              { err: error, batchId },
              'could not look up sent payments before failing the batch',
            ),
          );
        }
        await this.recordFailed(
          batch,
          (await this.pending(batch)).map((entry) => ({ ...entry, stored: reason, unknown: true })),
        );
      },
    });
  }

  private async sendChunk(
    batch: SyncBatchEntity,
    connection: ConnectionEntity,
    client: QuickBooksClient,
    settings: typeof DEFAULT_CONNECTION_SETTINGS,
    chunk: PendingPayment[],
    signal?: AbortSignal,
  ): Promise<void> {
    let pending = chunk;
    for (let pass = 0; pending.length > 0; pass++) {
      signal?.throwIfAborted();
      const requestId = requestIdOf(`${batch.id}|${pass}|${pending.map((p) => p.payment.id).join(',')}`);
      const now = toDbTime(this.dialect, new Date());
      const ids = pending.map((p) => p.payment.id);
      const marked = await this.dataSource.transaction((manager) =>
        execute(
          manager,
          `UPDATE \`payments\` SET \`sentAt\` = ?, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(ids.length)}) AND \`batchId\` = ? AND \`status\` = 'QUEUED'`,
          [now, now, ...ids, batch.id],
        ),
      );
      if (marked !== ids.length)
        throw new AppError('CONFLICT', 'these payments were recorded by another run of the batch');
      signal?.throwIfAborted();
      let outcomes;
      try {
        outcomes = await client.batch(
          pending.map((p, index) => ({
            bId: String(index + 1),
            operation: 'create',
            entity: 'Payment',
            body: paymentBody(p.payment, settings.depositAccountId),
          })),
          { requestId },
        );
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await this.recordFailed(
          batch,
          pending.map((p) => ({ ...p, stored: toStoredError(error), unknown: false, requestId })),
        );
        return;
      }
      const sent: Array<PendingPayment & { value: QuickBooksEntity }> = [];
      const failed: Array<PendingPayment & { stored: StoredSyncError; unknown: boolean; requestId: string }> =
        [];
      const retry: PendingPayment[] = [];
      for (const [index, entry] of pending.entries()) {
        const outcome = outcomes[index];
        if (outcome.ok && 'value' in outcome) sent.push({ ...entry, value: outcome.value });
        else if (!outcome.ok && outcome.error.category === 'RETRYABLE' && pass < ITEM_RETRY_PASSES)
          retry.push(entry);
        else {
          const error = (outcome as { error: QuickBooksError }).error;
          failed.push({
            ...entry,
            stored: toStoredError(error),
            unknown: error.category === 'RETRYABLE',
            requestId,
          });
        }
      }
      await this.recordSent(batch, connection, sent, 'CREATE', requestId);
      await this.recordFailed(batch, failed);
      pending = retry;
    }
  }

  /**
   * Payments sent without a recorded outcome: QuickBooks lists the payments applied to each invoice (LinkedTxn); the
   * one carrying this payment's marker is it. Returns the ids found (recorded as SENT).
   */
  private async recover(
    batch: SyncBatchEntity,
    client: QuickBooksClient,
    entries: PendingPayment[],
  ): Promise<Set<string>> {
    const adopted = new Set<string>();
    if (entries.length === 0) return adopted;
    const connection = await this.connections.get(batch.tenantId, batch.connectionId);
    for (let i = 0; i < entries.length; i += 30) {
      const group = entries.slice(i, i + 30);
      const invoiceIds = [
        ...new Set(group.flatMap((e) => e.payment.lines.map((l) => l.quickbooksInvoiceId))),
      ];
      const invoices = await client.query(
        `SELECT * FROM Invoice WHERE Id IN (${invoiceIds.map(quote).join(', ')}) MAXRESULTS 1000`,
      );
      const paymentIds = [
        ...new Set(
          invoices.items.flatMap((invoice) =>
            ((invoice.LinkedTxn as Array<{ TxnId?: unknown; TxnType?: unknown }> | undefined) ?? [])
              .filter((l) => l.TxnType === 'Payment')
              .map((l) => String(l.TxnId)),
          ),
        ),
      ];
      if (paymentIds.length === 0) continue;
      const payments = await client.query(
        `SELECT * FROM Payment WHERE Id IN (${paymentIds.map(quote).join(', ')}) MAXRESULTS 1000`,
      );
      const found = group.flatMap((entry) => {
        const value = payments.items.find((p) =>
          text(p.PrivateNote).includes(paymentMarker(entry.payment.id)),
        );
        return value ? [{ ...entry, value }] : [];
      });
      for (const entry of found) adopted.add(entry.payment.id);
      await this.recordSent(batch, connection, found, 'MATCH');
    }
    return adopted;
  }

  /** Payments now in QuickBooks: SENT, their items SUCCEEDED, a sync log each; then the invoices' balances follow. */
  private async recordSent(
    batch: SyncBatchEntity,
    connection: ConnectionEntity,
    sent: Array<PendingPayment & { value: QuickBooksEntity }>,
    action: 'CREATE' | 'MATCH',
    requestId?: string,
  ): Promise<void> {
    if (sent.length === 0) return;
    const now = toDbTime(this.dialect, new Date());
    const invoiceIds = [...new Set(sent.flatMap((s) => s.payment.lines.map((l) => l.invoiceId)))];
    await this.dataSource.transaction(async (manager) => {
      // Their stored balances are out of date now: the next read asks QuickBooks even if the refresh below fails.
      await manager.query(
        `UPDATE \`invoices\` SET \`balanceCheckedAt\` = NULL WHERE \`id\` IN (${placeholders(invoiceIds.length)})`,
        invoiceIds,
      );
      await updateEach(
        manager,
        'payments',
        'id',
        sent,
        (s) => s.payment.id,
        { quickbooksId: (s) => String(s.value.Id) },
        { status: 'SENT', sentAt: null, lastError: null, updatedAt: now },
        { sql: '`batchId` = ?', params: [batch.id] },
      );
      await this.batches.recordItems(
        batch.id,
        sent.map((s) => ({ seq: s.seq, status: 'SUCCEEDED' as const, quickbooksId: String(s.value.Id) })),
        manager,
      );
      await this.syncLogs.recordIn(
        manager,
        sent.map((s) =>
          this.log(batch, s.payment, {
            action,
            status: 'SUCCEEDED',
            quickbooksId: String(s.value.Id),
            requestId,
            message: action === 'MATCH' ? 'found in QuickBooks; not sent again' : null,
          }),
        ),
      );
    });
    await this.invoices
      .refreshFromQuickBooks(connection, await this.invoiceRows.findBy({ id: In(invoiceIds) }))
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not read invoice balances after payments'),
      );
  }

  private async recordFailed(
    batch: SyncBatchEntity,
    failures: Array<PendingPayment & { stored: StoredSyncError; unknown: boolean; requestId?: string }>,
  ): Promise<void> {
    if (failures.length === 0) return;
    const now = toDbTime(this.dialect, new Date());
    await this.dataSource.transaction(async (manager) => {
      for (const unknown of [true, false]) {
        await updateEach(
          manager,
          'payments',
          'id',
          failures.filter((f) => f.unknown === unknown),
          (f) => f.payment.id,
          { lastError: (f) => JSON.stringify(f.stored) },
          { status: 'FAILED', updatedAt: now, ...(unknown ? {} : { sentAt: null }) },
          { sql: "`batchId` = ? AND `status` = 'QUEUED'", params: [batch.id] },
        );
      }
      await this.batches.recordItems(
        batch.id,
        failures.map((f) => ({ seq: f.seq, status: 'FAILED' as const, error: f.stored })),
        manager,
      );
      await this.syncLogs.recordIn(
        manager,
        failures.map((f) =>
          this.log(batch, f.payment, {
            action: 'CREATE',
            status: 'FAILED',
            code: f.stored.code,
            message: f.stored.message,
            requestId: f.requestId,
          }),
        ),
      );
    });
  }

  /** The batch's payments whose items are still open. */
  private async pending(batch: SyncBatchEntity): Promise<PendingPayment[]> {
    const items = await this.batches.pendingItems(batch.id);
    const payments = items.length ? await this.payments.findBy({ id: In(items.map((i) => i.entityId)) }) : [];
    const byId = new Map(payments.map((p) => [p.id, p]));
    return items.flatMap((item) => {
      const payment = byId.get(item.entityId);
      return payment ? [{ payment, seq: item.seq }] : [];
    });
  }

  /** What is still open on each invoice: QuickBooks' balance less payments queued and not yet in QuickBooks. */
  private async openBalances(invoices: InvoiceEntity[]): Promise<Map<string, Decimal>> {
    const open = new Map(invoices.map((i) => [i.id, new Decimal(i.balance ?? i.total)]));
    const queued = await this.payments.findBy({ connectionId: invoices[0].connectionId, status: 'QUEUED' });
    for (const payment of queued) {
      for (const line of payment.lines) {
        const left = open.get(line.invoiceId);
        if (left) open.set(line.invoiceId, left.minus(line.amount));
      }
    }
    return open;
  }

  private async paymentMethods(connection: ConnectionEntity): Promise<ReferenceEntityRow[]> {
    return this.dataSource
      .getRepository(ReferenceEntityRow)
      .findBy({ connectionId: connection.id, type: 'PAYMENT_METHOD', active: true });
  }

  /** The QuickBooks payment method: by id or name (case-insensitive), else the connection's default. */
  private methodOf(
    input: PaymentInputData,
    index: number,
    methods: ReferenceEntityRow[],
    connection: ConnectionEntity,
  ): string | null {
    const wanted = input.paymentMethod?.trim();
    if (!wanted) return connection.settings.defaultPaymentMethodId ?? null;
    const method =
      methods.find((m) => m.quickbooksId === wanted) ??
      methods.find((m) => m.name.toLowerCase() === wanted.toLowerCase());
    if (!method) {
      throw badInput(
        `payments.${index}.paymentMethod`,
        `QuickBooks has no active payment method "${wanted}"`,
        'use a name or id from referenceData(type: PAYMENT_METHOD), or sync reference data',
      );
    }
    return method.quickbooksId;
  }

  private newPayment(
    connection: ConnectionEntity,
    invoice: InvoiceEntity,
    txnDate: string,
    paymentMethodId: string | null,
    reference: string | null,
  ): PaymentEntity {
    return {
      id: newId('payment'),
      tenantId: connection.tenantId,
      connectionId: connection.id,
      batchId: '',
      customerQuickbooksId: invoice.customerQuickbooksId!,
      lines: [],
      total: '0.00',
      txnDate,
      paymentMethodId,
      reference,
      status: 'QUEUED',
      quickbooksId: null,
      sentAt: null,
      lastError: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
  }

  private log(
    batch: SyncBatchEntity,
    payment: PaymentEntity,
    fields: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>,
  ): SyncLogEntry {
    return {
      tenantId: batch.tenantId,
      connectionId: batch.connectionId,
      batchId: batch.id,
      direction: 'TO_QUICKBOOKS',
      entityType: 'Payment',
      entityId: payment.id,
      label: `Payment ${payment.total}`,
      ...fields,
    };
  }
}

interface PendingPayment {
  payment: PaymentEntity;
  seq: number;
}

/** The QuickBooks Payment: the customer's money, applied line by line to its invoices. */
function paymentBody(payment: PaymentEntity, depositAccountId: string | null): QuickBooksEntity {
  return {
    CustomerRef: { value: payment.customerQuickbooksId },
    TotalAmt: Number(payment.total),
    TxnDate: payment.txnDate,
    ...(payment.paymentMethodId ? { PaymentMethodRef: { value: payment.paymentMethodId } } : {}),
    ...(payment.reference ? { PaymentRefNum: payment.reference } : {}),
    ...(depositAccountId ? { DepositToAccountRef: { value: depositAccountId } } : {}),
    PrivateNote: `Recorded by QuickBooks Gateway ${paymentMarker(payment.id)}`,
    Line: payment.lines.map((line: PaymentLineData) => ({
      Amount: Number(line.amount),
      LinkedTxn: [{ TxnId: line.quickbooksInvoiceId, TxnType: 'Invoice' }],
    })),
  };
}
