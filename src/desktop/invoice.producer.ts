import type { DataSource, EntityManager } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  type ConnectionEntity,
  type ConnectionSettingsData,
  type DesktopRequestEntity,
  type OrderEntity,
  type OrderLineData,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../entities';
import type { QuickBooksEntity } from '../quickbooks';
import { QuickBooksError } from '../quickbooks';
import type { BatchService } from '../services/batch.service';
import type { InvoiceEntry, InvoiceLedger } from '../services/invoices/invoice-ledger';
import { invoiceMarker } from '../services/invoices/invoice-mapper';
import { itemKey, MappingProblem } from '../services/posting/posting-mapper';
import { dialectOf, placeholders, execute, toDbTime, type Dialect } from '../db/sql';
import { DesktopListResolver, RESOLVE } from './list-resolver';
import { desktopCustomerName, desktopItemName, nameKey, transactionAdd } from './mapper';
import { isError, statusError, text, type QbObject } from './qbxml';
import type { ReferenceService } from '../services/reference.service';
import type { SyncLogService } from '../services/sync-log.service';
import {
  insertOnce,
  type DesktopAnswer,
  type DesktopProducer,
  type DesktopQueue,
  type NewDesktopRequest,
} from './request-queue';

const PRODUCER = 'SEND_INVOICES';
const TRANSIENT = new Set([3170, 3175, 3231]);
const TRANSIENT_ATTEMPTS = 3;
const LOOKUP_SIZE = 50;

interface SendContext {
  invoiceId: string;
  seq: number;
  generation: number;
  customerId: string;
  itemIds: Record<string, string>;
}

/**
 * Sending invoices (SEND_INVOICES) to QuickBooks Desktop, exactly once, through the Web Connector's queue: stage one
 * adds the customers and items the mirror lacks (`DesktopListResolver`, as posting does), then each invoice is one
 * InvoiceAdd with RefNumber = the invoice number and the invoice marker `[qbg:<invoice>:<sendGeneration>]` in Memo.
 * The invoice gets `sentAt` in the commit that hands the request out; an InvoiceAdd whose answer never came is looked
 * up by RefNumber and marker before it is sent again. Results go through `InvoiceLedger` (invoice SENT, its order
 * POSTED as that Invoice, batch item, sync log, partner webhook) as on QuickBooks Online.
 */
export class DesktopInvoiceProducer implements DesktopProducer {
  readonly name = PRODUCER;
  private readonly dialect: Dialect;
  private readonly lists: DesktopListResolver;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    references: ReferenceService,
    syncLogs: SyncLogService,
    private readonly ledger: InvoiceLedger,
  ) {
    this.dialect = dialectOf(dataSource);
    this.lists = new DesktopListResolver(dataSource, queue, references, syncLogs);
  }

  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    if ((await this.queue.ofBatch(batch.id, [...RESOLVE, 'post', 'lookup'])).length > 0)
      return this.resume(batch, connection);
    const settings = settingsOf(connection);
    const index = await this.lists.index(connection);
    const customers = new Map<string, { name: string; order: OrderEntity }>();
    const items = new Map<string, OrderLineData>();
    const failures: Array<{ entry: InvoiceEntry; error: Error }> = [];
    for await (const window of this.ledger.windows(batch.id)) {
      for (const entry of window) {
        let name: string;
        try {
          name = desktopCustomerName(entry.order, settings);
        } catch (error) {
          failures.push({ entry, error: error as Error });
          continue;
        }
        const email = entry.order.customer?.email?.toLowerCase();
        const known = index.customers.get(nameKey(name)) ?? (email ? index.emails.get(email) : undefined);
        if (!known && !customers.has(nameKey(name)))
          customers.set(nameKey(name), { name, order: entry.order });
        for (const line of entry.invoice.lines) {
          const key = nameKey(desktopItemName(line));
          if (!index.items.has(key) && !items.has(key)) items.set(key, line);
        }
      }
    }
    const { requests, unbuildable } = this.lists.stageOne(PRODUCER, batch.id, customers, items, settings);
    const inserted = await insertOnce(this.dataSource, async (manager) => {
      await this.queue.add(manager, connection, [...requests, ...unbuildable]);
      await this.ledger.recordFailed(batch, failures, manager);
    });
    if (inserted && requests.length === 0) await this.planSends(batch.id, connection);
  }

  /** A batch planned before: stage two once stage one is settled, the batch finished once every item is (idempotent). */
  private async resume(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    if (await this.queue.open(batch.id, RESOLVE)) return;
    await this.planSends(batch.id, connection);
  }

  /** Stage two: one InvoiceAdd per invoice still waiting (a look-up first for one sent before without an answer). */
  private async planSends(batchId: string, connection: ConnectionEntity): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch) return;
    const settings = settingsOf(connection);
    const index = await this.lists.index(connection);
    const problems = await this.lists.settled(batchId, index);
    for await (const window of this.ledger.windows(batchId)) {
      const waiting = window.filter((e) => e.invoice.pushStatus === 'QUEUED');
      const existing = await this.queue.existingKeys(waiting.map((e) => sendKey(batchId, e)));
      const requests: NewDesktopRequest[] = [];
      const failures: Array<{ entry: InvoiceEntry; error: Error }> = [];
      for (const entry of waiting) {
        if (existing.has(sendKey(batchId, entry))) continue;
        try {
          const { order, invoice } = entry;
          const name = desktopCustomerName(order, settings);
          const email = order.customer?.email?.toLowerCase();
          const customerId =
            index.customers.get(nameKey(name)) ?? (email ? index.emails.get(email) : undefined);
          if (!customerId) throw problemOf(problems.get(`customer:${nameKey(name)}`), 'customer', name);
          const itemIds = new Map<string, string>();
          for (const line of invoice.lines) {
            const key = nameKey(desktopItemName(line));
            const itemId = index.items.get(key);
            if (!itemId) throw problemOf(problems.get(`item:${key}`), 'item', line.sku ?? line.name);
            itemIds.set(key, itemId);
          }
          const context: SendContext = {
            invoiceId: invoice.id,
            seq: entry.seq,
            generation: invoice.sendGeneration,
            customerId,
            itemIds: Object.fromEntries(itemIds),
          };
          requests.push({
            producer: PRODUCER,
            purpose: 'post',
            type: 'InvoiceAdd',
            content: invoiceAdd(entry, settings, customerId, itemIds),
            batchId,
            entityKey: invoice.id,
            label: `Invoice ${invoice.invoiceNumber}`,
            dedupeKey: sendKey(batchId, entry),
            context: context as unknown as Record<string, unknown>,
            // Sent by an earlier sending whose outcome is unknown: looked up before it is sent again.
            ...(invoice.sentAt ? { status: 'LOST' as const } : {}),
          });
        } catch (error) {
          failures.push({ entry, error: error as Error });
        }
      }
      // The requests, the look-ups of those sent before without an answer and the failures: one commit.
      const inserted = await insertOnce(this.dataSource, async (manager) => {
        const ids = await this.queue.add(manager, connection, requests);
        const unknown = requests.flatMap((r, i) => (r.status === 'LOST' ? [{ ...r, id: ids[i] }] : []));
        await this.queue.add(manager, connection, lookups(unknown));
        await this.ledger.recordFailed(batch, failures, manager);
      });
      if (!inserted) return;
    }
    await this.batches.finishIfDone(batchId);
  }

  /** The durable record: invoices whose InvoiceAdd may now happen get `sentAt` in the claim's commit. */
  async beforeSend(manager: EntityManager, requests: DesktopRequestEntity[]): Promise<void> {
    const posts = requests.filter((r) => r.purpose === 'post');
    const now = toDbTime(this.dialect, new Date());
    for (const batchId of new Set(posts.map((r) => r.batchId!))) {
      const ids = posts.filter((r) => r.batchId === batchId).map((r) => r.entityKey!);
      await execute(
        manager,
        `UPDATE \`invoices\` SET \`sentAt\` = ?, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(ids.length)}) AND \`sendBatchId\` = ? AND \`pushStatus\` = 'QUEUED'`,
        [now, now, ...ids, batchId],
      );
    }
  }

  async handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    const resolving = answers.filter((a) => RESOLVE.includes(a.request.purpose));
    for (const answer of resolving) await this.lists.handle(connection, answer);
    const posts = answers.filter((a) => a.request.purpose === 'post');
    if (posts.length) await this.handleSends(posts);
    for (const answer of answers.filter((a) => a.request.purpose === 'lookup'))
      await this.handleLookup(connection, answer);
    for (const batchId of new Set(answers.map((a) => a.request.batchId!))) {
      if (resolving.some((a) => a.request.batchId === batchId) && !(await this.queue.open(batchId, RESOLVE)))
        await this.planSends(batchId, connection);
      await this.batches.finishIfDone(batchId);
    }
  }

  /** Lost answers: InvoiceAdds are looked up by RefNumber and marker; everything else is safe to send again. */
  async recover(connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void> {
    const posts = requests.filter((r) => r.purpose === 'post');
    await this.dataSource.transaction(async (manager) => {
      for (const request of requests)
        await this.queue.settle(manager, request, request.purpose === 'post' ? 'LOST' : 'PENDING');
      await this.queue.add(
        manager,
        connection,
        lookups(posts.map((r) => ({ id: r.id, batchId: r.batchId, content: r.body.content }))),
      );
    });
  }

  private async handleSends(answers: DesktopAnswer[]): Promise<void> {
    const batchId = answers[0].request.batchId!;
    const batch = await this.batches.findById(batchId);
    if (!batch) return;
    const entries = await this.entries(
      batchId,
      answers.map((a) => a.request),
    );
    const sent: Parameters<InvoiceLedger['recordSent']>[1] = [];
    const failed: Array<{ entry: InvoiceEntry; error: Error; requestId: string }> = [];
    const retry: DesktopRequestEntity[] = [];
    const settled: Array<{
      request: DesktopRequestEntity;
      status: 'DONE' | 'FAILED';
      code: number;
      message: string;
    }> = [];
    for (const { request, response } of answers) {
      const entry = entries.get(request.entityKey!);
      const context = request.context as unknown as SendContext;
      const ret = response.rets[0];
      if (!isError(response) && ret) {
        settled.push({ request, status: 'DONE', code: response.statusCode, message: response.statusMessage });
        if (entry) sent.push(this.sentOf(entry, ret.value, context, request.id));
      } else if (TRANSIENT.has(response.statusCode) && request.attempts < TRANSIENT_ATTEMPTS) {
        retry.push(request);
      } else {
        settled.push({
          request,
          status: 'FAILED',
          code: response.statusCode,
          message: response.statusMessage,
        });
        if (entry)
          failed.push({ entry, error: quickBooksError(statusError(response)), requestId: request.id });
      }
    }
    // The answers and what they mean for the invoices in one commit: a crash leaves them SENT, to be looked up.
    await this.dataSource.transaction(async (manager) => {
      for (const request of retry) await this.queue.settle(manager, request, 'PENDING');
      for (const s of settled)
        await this.queue.settle(manager, s.request, s.status, {
          statusCode: s.code,
          statusMessage: s.message,
        });
      await this.ledger.recordSent(batch, sent, 'CREATE', manager);
      await this.ledger.recordFailed(batch, failed, manager);
    });
  }

  /** A look-up after lost answers: an invoice found with its number and marker is adopted; the others are sent again. */
  private async handleLookup(
    connection: ConnectionEntity,
    { request, response }: DesktopAnswer,
  ): Promise<void> {
    const batch = await this.batches.findById(request.batchId!);
    if (!batch) return;
    const lost = await this.queue.byIds(connection.id, (request.context?.lost as string[]) ?? []);
    const entries = await this.entries(batch.id, lost);
    if (isError(response)) {
      if (request.attempts < TRANSIENT_ATTEMPTS) {
        await this.dataSource.transaction((m) => this.queue.settle(m, request, 'PENDING'));
        return;
      }
      // Still unknown: the invoices fail but keep sentAt (a retryable error), so sending again looks them up first.
      const failures = lost.flatMap((r) => {
        const entry = entries.get(r.entityKey!);
        return entry ? [{ entry, error: quickBooksError(statusError(response), 'RETRYABLE') }] : [];
      });
      await this.dataSource.transaction(async (manager) => {
        await this.queue.settle(manager, request, 'FAILED', {
          statusCode: response.statusCode,
          statusMessage: response.statusMessage,
        });
        await this.ledger.recordFailed(batch, failures, manager);
      });
      return;
    }
    const adopted: Parameters<InvoiceLedger['recordSent']>[1] = [];
    const again: NewDesktopRequest[] = [];
    for (const row of lost) {
      const entry = entries.get(row.entityKey!);
      if (!entry || entry.invoice.pushStatus !== 'QUEUED') continue;
      const marker = `[qbg:${entry.invoice.id}:`;
      const found = response.rets.find(
        ({ value }) =>
          text(value.RefNumber) === entry.invoice.invoiceNumber &&
          text(value.Memo).includes(marker) &&
          !text(value.Memo).startsWith('VOID:'),
      );
      if (found) adopted.push(this.sentOf(entry, found.value, row.context as unknown as SendContext, row.id));
      else
        again.push({
          producer: PRODUCER,
          purpose: 'post',
          type: row.type,
          content: row.body.content,
          batchId: row.batchId,
          entityKey: row.entityKey,
          label: row.label,
          context: row.context,
        });
    }
    // Settled, sent again and adopted in one commit: a crash in between would strand the adopted invoices.
    await this.dataSource.transaction(async (manager) => {
      await this.queue.settle(manager, request, 'DONE', { statusCode: response.statusCode });
      await this.queue.add(manager, connection, again);
      await this.ledger.recordSent(batch, adopted, 'MATCH', manager);
    });
  }

  /** An InvoiceRet as the ledger records it (QuickBooks Online's field names). */
  private sentOf(entry: InvoiceEntry, ret: QbObject, context: SendContext | undefined, requestId: string) {
    const customer = ret.CustomerRef as QbObject | undefined;
    const transaction: QuickBooksEntity = {
      Id: text(ret.TxnID),
      DocNumber: text(ret.RefNumber),
      SyncToken: text(ret.EditSequence),
      TotalAmt: text(ret.TotalAmount) || text(ret.Subtotal) || undefined,
      Balance: text(ret.BalanceRemaining) || undefined,
      DueDate: text(ret.DueDate) || undefined,
      CustomerRef: { value: text(customer?.ListID) },
    };
    const itemIds = new Map<string, string>();
    if (context)
      for (const line of entry.order.lines) {
        const id = context.itemIds[nameKey(desktopItemName(line))];
        if (id) itemIds.set(itemKey(line), id);
      }
    return {
      entry,
      transaction,
      references: context ? { customerId: context.customerId, itemIds } : undefined,
      requestId,
    };
  }

  /** The batch's invoices (with their orders) that these requests are about. */
  private async entries(
    batchId: string,
    requests: DesktopRequestEntity[],
  ): Promise<Map<string, InvoiceEntry>> {
    const wanted = new Set(requests.map((r) => r.entityKey!));
    const out = new Map<string, InvoiceEntry>();
    for await (const window of this.ledger.windows(batchId))
      for (const entry of window) if (wanted.has(entry.invoice.id)) out.set(entry.invoice.id, entry);
    return out;
  }
}

const settingsOf = (connection: ConnectionEntity): ConnectionSettingsData => ({
  ...DEFAULT_CONNECTION_SETTINGS,
  ...connection.settings,
});
const sendKey = (batchId: string, entry: InvoiceEntry): string =>
  `${batchId}:invoice:${entry.invoice.id}:${entry.invoice.sendGeneration}`;

/** What stage one could not settle, as the error the invoice fails with. */
function problemOf(stored: StoredSyncError | undefined, what: string, name: string): Error {
  if (stored) return quickBooksError(stored);
  return new MappingProblem(`No QuickBooks ${what} for "${name}"`, 'send the invoice again');
}

/** A qbXML status as the QuickBooksError the ledger stores (code, message, hint kept). */
function quickBooksError(stored: StoredSyncError, category: 'FIX_DATA' | 'RETRYABLE' = 'FIX_DATA'): Error {
  if (!stored.code || !/^\d+$/.test(stored.code))
    return new MappingProblem(stored.message, stored.hint ?? '');
  return new QuickBooksError({
    quickbooksCode: stored.code,
    quickbooksMessage: stored.message,
    category,
    hint: stored.hint ?? undefined,
  });
}

/**
 * InvoiceAdd for an invoice: the order's transaction built from the invoice's number, date, lines and charges, the
 * invoice marker in Memo, and DueDate where qbXML wants it (before Memo).
 */
function invoiceAdd(
  { invoice, order }: InvoiceEntry,
  settings: ConnectionSettingsData,
  customerId: string,
  itemIds: ReadonlyMap<string, string>,
): QbObject {
  const asOrder = {
    ...order,
    orderNumber: invoice.invoiceNumber,
    orderDate: invoice.issuedAt,
    lines: invoice.lines,
    charges: invoice.charges,
    discountTotal: invoice.discountTotal,
    taxTotal: invoice.taxTotal,
  };
  const built = transactionAdd('Invoice', asOrder, { settings, customerId, itemIds });
  const add = built.InvoiceAdd as QbObject;
  const ordered: QbObject = {};
  for (const [key, value] of Object.entries(add)) {
    if (key === 'Memo') {
      if (invoice.dueDate) ordered.DueDate = invoice.dueDate;
      ordered.Memo =
        `Invoice ${invoice.invoiceNumber} by QuickBooks Gateway: ${order.channel} order ${order.externalId} ${invoiceMarker(invoice)}`.slice(
          -4095,
        );
    } else ordered[key] = value;
  }
  return { InvoiceAdd: ordered };
}

/** InvoiceQuery by RefNumber for InvoiceAdds whose outcome is unknown (50 numbers a query). */
function lookups(
  lost: Array<{ id: string; batchId?: string | null; content: QbObject }>,
): NewDesktopRequest[] {
  const out: NewDesktopRequest[] = [];
  for (let i = 0; i < lost.length; i += LOOKUP_SIZE) {
    const chunk = lost.slice(i, i + LOOKUP_SIZE);
    const numbers = chunk.map((r) => text((r.content.InvoiceAdd as QbObject).RefNumber));
    out.push({
      producer: PRODUCER,
      purpose: 'lookup',
      type: 'InvoiceQuery',
      content: { RefNumber: [...new Set(numbers)], IncludeLineItems: 'false' },
      batchId: chunk[0].batchId,
      entityKey: null,
      label: `look up ${chunk.length} invoices sent without an answer`,
      context: { lost: chunk.map((r) => r.id) },
    });
  }
  return out;
}
