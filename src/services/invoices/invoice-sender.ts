import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  type ConnectionSettingsData,
  type OrderEntity,
  type OrderLineData,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../../entities';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { ConnectionService } from '../connections/connection.service';
import {
  CHUNK,
  CHUNKS_IN_FLIGHT,
  ITEM_RETRY_PASSES,
  isRefusal,
  quote,
  requestIdOf,
  runPool,
} from '../posting/exactly-once';
import { customerNameOf, itemKey, MappingProblem, text } from '../posting/posting-mapper';
import { currencyName, customerKey, PostingReferences } from '../posting/posting-references';
import { HomeCustomers } from '../posting/home-customers';
import { Resolutions } from '../posting/resolutions';
import {
  checkCurrency,
  companyCurrencyOf,
  currencyFields,
  ensureCompanyCurrencies,
  foreignCurrencyOf,
  type CompanyCurrency,
} from '../posting/currency';
import type { ReferenceService } from '../reference.service';
import type { SyncLogService } from '../sync-log.service';
import { ownTurn } from '../turns';
import { invoiceBody, isOwnTransaction } from './invoice-mapper';
import type { InvoiceEntry, InvoiceLedger, SentInvoice } from './invoice-ledger';
import type { BatchJobs, RunOptions } from './batch-job';

/** What one run of a sending (or export) batch works with. */
export interface SendRun {
  batch: SyncBatchEntity;
  connection: ConnectionEntity;
  settings: ConnectionSettingsData;
  client: QuickBooksClient;
  references: PostingReferences;
  /** Customers and items of this run by customerKey / itemKey, as they are found or created. */
  customers: Resolutions;
  items: Resolutions;
  allowShipping: boolean;
  /** The company's home currency and multicurrency preference (posting/currency.ts), read once per run. */
  currency: CompanyCurrency;
  signal?: AbortSignal;
}

/** Up to 30 invoices to send, and the resolution of their window's customers and items. */
interface InvoiceChunk {
  entries: InvoiceEntry[];
  references: Promise<void>;
  /** The company's preferences are in (its currency: the customers' keys depend on it). */
  known: Promise<void>;
}

interface PreparedInvoice extends InvoiceEntry {
  body: QuickBooksEntity;
  customerId: string;
  itemIds: Map<string, string>;
}

/** Invoices per DocNumber look-up when recovering sent invoices whose outcome was not recorded. */
const LOOKUP_GROUP = 50;

/**
 * Sends invoices to QuickBooks exactly once, on the posting spine: customers and items matched or created in bulk
 * first (PostingReferences), then Invoices 30 a batch call, up to 16 calls under way (the realm's governor keeps
 * QuickBooks' limits), each with a requestid derived from its content and pass, `sentAt` committed before it leaves,
 * and a look-up by DocNumber and marker for anything sent without a recorded outcome. Results are recorded a chunk
 * per commit (InvoiceLedger).
 */
export class InvoiceSender {
  /** Per connection: reference resolution takes turns in this process, so two batches do not create the same item. */
  private readonly referenceTurns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly connections: ConnectionService,
    private readonly referenceService: ReferenceService,
    private readonly ledger: InvoiceLedger,
    private readonly jobs: BatchJobs,
    private readonly syncLogs: SyncLogService,
    private readonly logger: Logger,
  ) {}

  /** DESKTOP connections send through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: { planIfDesktop(batchId: string): Promise<boolean> };

  /** The job of a SEND_INVOICES batch. */
  async runSendBatch(batchId: string, options: RunOptions = {}): Promise<void> {
    if (await this.desktop?.planIfDesktop(batchId)) return;
    await this.run(batchId, options, (run) => this.sendPending(run));
  }

  /**
   * Runs `work` for a batch with a fresh SendRun, resuming safely after any interruption. When the batch cannot go
   * on, its pending invoices and their orders FAIL with the reason (see BatchJobs); those whose outcome is unknown
   * are looked up first when QuickBooks can still be asked, and keep `sentAt` otherwise.
   */
  async run(batchId: string, options: RunOptions, work: (run: SendRun) => Promise<void>): Promise<void> {
    let run: SendRun | undefined;
    await this.jobs.run(batchId, options, {
      work: async (batch, connection) => {
        const client = this.connections.clientFor(connection);
        run = {
          batch,
          connection,
          settings: { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings },
          client,
          references: new PostingReferences(
            connection,
            client,
            this.referenceService,
            this.syncLogs,
            batchId,
          ),
          customers: new Resolutions(),
          items: new Resolutions(),
          allowShipping: false,
          currency: { home: 'USD', multicurrency: false },
          signal: options.signal,
        };
        await run.references.load();
        try {
          await work(run);
        } finally {
          // Nothing waits past the run (a key no window settled is missing, as it would be after the run).
          run.customers.close();
          run.items.close();
        }
        await run.references.flush().catch((error: unknown) => {
          this.logger.warn(
            { err: error, batchId },
            'could not update the reference mirror; the next import will',
          );
        });
      },
      fail: (batch, reason, lookUp) => this.failRemaining(batch, reason, lookUp ? run : undefined),
    });
  }

  /**
   * Sends the batch's pending invoices, a window (300) at a time: the customers and items a window needs that the run
   * does not know yet are found or created in bulk, and each chunk of 30 of its invoices leaves as soon as its own are
   * (items first: an invoice needs several), while the next window is read and resolved (so sending starts before a
   * large batch has been read, and nothing is read twice).
   */
  async sendPending(run: SendRun): Promise<void> {
    const started = performance.now();
    // The shipping preference is only needed to build the bodies: read while the first references are resolved.
    const preferences = run.client.preferences();
    preferences.catch(() => undefined);
    await runPool(this.pipeline(run, preferences), CHUNKS_IN_FLIGHT, (chunk) => this.sendChunk(run, chunk));
    this.logger.info(
      { batchId: run.batch.id, ms: Math.round(performance.now() - started) },
      'invoice batch finished its pass',
    );
  }

  /**
   * Window by window: the references the window needs, and its chunks, each waiting for its own references. A window's
   * chunks are handed out as soon as it is read; its resolution follows the previous window's (so an item two windows
   * share is created once) once the company's preferences and its look-ups are in.
   */
  private async *pipeline(
    run: SendRun,
    preferences: Promise<QuickBooksEntity>,
  ): AsyncGenerator<InvoiceChunk> {
    const homeCustomers = new HomeCustomers(run.connection.homeCurrency, run.references, run.customers);
    // Customers are matched per currency: the company's currency is known before any resolution or chunk uses it.
    const known = preferences.then(async (prefs) => {
      run.allowShipping =
        (prefs.SalesFormsPrefs as { AllowShipping?: boolean } | undefined)?.AllowShipping === true;
      run.currency = companyCurrencyOf(prefs);
      run.references.homeCurrency = run.currency.home;
      await this.connections.rememberHomeCurrency(run.connection, run.currency.home);
    });
    known.catch(() => undefined); // awaited by every window and chunk
    let tail: Promise<void> = Promise.resolve();
    for await (const window of this.ledger.windows(run.batch.id)) {
      run.signal?.throwIfAborted();
      // The look-ups of what the mirror does not know leave now, all in one batch call, and so does the creation of the
      // customers in the home currency the connection knows (HomeCustomers).
      const lookedUp = this.prefetch(run, window, homeCustomers);
      lookedUp.catch(() => undefined); // awaited below, in turn
      const customersCreated = homeCustomers.create(this.customersOf(run, window));
      const resolved = tail.then(async () => {
        await Promise.all([known, lookedUp]);
        await this.inTurn(run.connection.id, () => this.resolveReferences(run, window, homeCustomers));
      });
      tail = resolved;
      const references = Promise.all([resolved, customersCreated]).then(() => undefined);
      references.catch(() => undefined); // each of the window's chunks waits on it, and fails with its error
      for await (const entries of this.chunksOf(run, window)) yield { entries, references, known };
    }
  }

  /** The customers of the window's invoices still to send (a name that cannot be had fails its invoice later). */
  private customersOf(run: SendRun, window: InvoiceEntry[]): Array<{ name: string; order: OrderEntity }> {
    return window.flatMap(({ invoice, order }) => {
      if (invoice.pushStatus !== 'QUEUED') return [];
      try {
        return [{ name: customerNameOf(order, run.settings), order }];
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
        return [];
      }
    });
  }

  /** Runs `work` after any reference resolution already under way for the connection in this process. */
  inTurn<T>(connectionId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.referenceTurns.get(connectionId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.referenceTurns.set(connectionId, tail);
    void tail.then(() => {
      if (this.referenceTurns.get(connectionId) === tail) this.referenceTurns.delete(connectionId);
    });
    return next;
  }

  /**
   * Looks up the window's items and the customers HomeCustomers does not create, where the mirror does not know them
   * (see PostingReferences.prefetch).
   */
  private prefetch(run: SendRun, window: InvoiceEntry[], homeCustomers: HomeCustomers): Promise<void> {
    const names: string[] = [];
    const lines: OrderLineData[] = [];
    for (const { invoice, order } of window) {
      if (invoice.pushStatus !== 'QUEUED') continue;
      lines.push(...invoice.lines);
      if (homeCustomers.covers(order.currency)) continue;
      try {
        const name = customerNameOf(order, run.settings);
        names.push(name);
        // The home currency is not known yet: the last one known (resolveCustomers asks for anything missed).
        if (order.currency !== (homeCustomers.home ?? run.currency.home)) {
          names.push(currencyName(name, order.currency));
        }
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
      }
    }
    return run.references.prefetch(names, lines);
  }

  /** The customers and items these invoices need and the run does not know yet, found or created in bulk. */
  private async resolveReferences(
    run: SendRun,
    window: InvoiceEntry[],
    homeCustomers: HomeCustomers,
  ): Promise<void> {
    const customers = new Map<string, { name: string; currency: string | null; order: OrderEntity }>();
    const items = new Map<string, OrderLineData>();
    const currencies = new Set<string>();
    for (const { invoice, order } of window) {
      if (invoice.pushStatus !== 'QUEUED') continue;
      try {
        checkCurrency(order, run.currency);
        const name = customerNameOf(order, run.settings);
        const currency = foreignCurrencyOf(order, run.currency);
        const key = customerKey(name, currency);
        if (currency) currencies.add(currency);
        if (!run.customers.has(key) && !homeCustomers.has(key) && !customers.has(key))
          customers.set(key, { name, currency, order });
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
      }
      for (const line of invoice.lines) {
        const key = itemKey(line);
        if (!run.items.has(key) && !items.has(key)) items.set(key, line);
      }
    }
    // QuickBooks takes a customer's currency only from the company's currency list.
    await ensureCompanyCurrencies(run.client, currencies);
    await Promise.all([
      run.references.resolveItems(items, run.settings, run.items),
      run.references.resolveCustomers(customers, run.customers),
    ]);
  }

  /** A window's chunks of at most 30 invoices to send, after recovering those sent without a recorded outcome. */
  private async *chunksOf(run: SendRun, window: InvoiceEntry[]): AsyncGenerator<InvoiceEntry[]> {
    // SENT by an earlier run whose batch item was not recorded yet.
    await this.ledger.recordAlreadySent(
      run.batch,
      window.filter(({ invoice }) => invoice.pushStatus === 'SENT'),
    );
    const todo = window.filter(
      ({ invoice }) => invoice.pushStatus === 'QUEUED' && invoice.sendBatchId === run.batch.id,
    );
    const adopted = await this.recover(
      run,
      todo.filter(({ invoice }) => invoice.sentAt),
    );
    const rest = todo.filter(({ invoice }) => !adopted.has(invoice.id));
    for (let i = 0; i < rest.length; i += CHUNK) yield rest.slice(i, i + CHUNK);
  }

  /**
   * Invoices that were sent without a recorded outcome: finds them in QuickBooks by DocNumber and marker, and records
   * the ones found as SENT. The rest are safe to send again.
   */
  async recover(run: SendRun, entries: InvoiceEntry[]): Promise<Set<string>> {
    const adopted = new Set<string>();
    for (let i = 0; i < entries.length; i += LOOKUP_GROUP) {
      const group = entries.slice(i, i + LOOKUP_GROUP);
      const found = await this.findSent(run, group);
      const results = group.flatMap((entry) => {
        const transaction = found.get(entry.invoice.id);
        return transaction ? [{ entry, transaction }] : [];
      });
      for (const { entry } of results) adopted.add(entry.invoice.id);
      if (results.length > 0) {
        this.logger.info(
          { batchId: run.batch.id, adopted: results.length },
          'recovered invoices already in QuickBooks',
        );
      }
      await this.ledger.recordSent(run.batch, results, 'MATCH');
    }
    return adopted;
  }

  /** These invoices' transactions in QuickBooks, by invoice id. */
  private async findSent(run: SendRun, entries: InvoiceEntry[]): Promise<Map<string, QuickBooksEntity>> {
    const result = new Map<string, QuickBooksEntity>();
    if (entries.length === 0) return result;
    const found = await this.byDocNumber(run, entries);
    for (const { invoice } of entries) {
      const match = found.find((t) => isOwnTransaction(t, invoice));
      if (match) result.set(invoice.id, match);
    }
    return result;
  }

  private async byDocNumber(run: SendRun, entries: InvoiceEntry[]): Promise<QuickBooksEntity[]> {
    const numbers = [...new Set(entries.map((e) => e.invoice.invoiceNumber))];
    const found = await run.client.query(
      `SELECT * FROM Invoice WHERE DocNumber IN (${numbers.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    return found.items;
  }

  private async sendChunk(run: SendRun, chunk: InvoiceChunk): Promise<void> {
    await chunk.known;
    await Promise.race([chunk.references, this.ownReferences(run, chunk.entries)]);
    let pending = await this.prepare(run, chunk.entries);
    for (let pass = 0; pending.length > 0; pass++) {
      run.signal?.throwIfAborted();
      // Same invoices, same pass: same requestid, so a re-send after a lost answer is replayed, never re-executed.
      const requestId = requestIdOf(
        `${run.batch.id}|${pass}|${pending.map((p) => `${p.invoice.id}:${p.invoice.sendGeneration}`).join(',')}`,
      );
      await this.ledger.markSent(
        run.batch.id,
        pending.map((p) => p.invoice.id),
      );
      run.signal?.throwIfAborted();
      const started = performance.now();
      let outcomes;
      try {
        outcomes = await run.client.batch(
          pending.map((p, index) => ({
            bId: String(index + 1),
            operation: 'create',
            entity: 'Invoice',
            body: p.body,
          })),
          { requestId },
        );
      } catch (error) {
        // QuickBooks refused the whole call (not a network or throttling failure): nothing was created.
        if (!isRefusal(error)) throw error;
        await this.ledger.recordFailed(
          run.batch,
          pending.map((p) => ({ entry: p, error, requestId })),
        );
        return;
      }
      const durationMs = Math.round(performance.now() - started);
      await ownTurn(); // answers that came in together each free their slot first (see turns.ts)
      const sent: SentInvoice[] = [];
      const failed: Array<{ entry: PreparedInvoice; error: QuickBooksError; requestId: string }> = [];
      const duplicates: PreparedInvoice[] = [];
      const retry: PreparedInvoice[] = [];
      for (const [index, prepared] of pending.entries()) {
        const outcome = outcomes[index];
        if (outcome.ok && 'value' in outcome) {
          sent.push({
            entry: prepared,
            transaction: outcome.value,
            references: prepared,
            requestId,
            durationMs,
          });
        } else if (!outcome.ok && outcome.error.quickbooksCode === '6140') duplicates.push(prepared);
        else if (!outcome.ok && outcome.error.category === 'RETRYABLE' && pass < ITEM_RETRY_PASSES)
          retry.push(prepared);
        else
          failed.push({ entry: prepared, error: (outcome as { error: QuickBooksError }).error, requestId });
      }
      await this.ledger.recordSent(run.batch, sent, 'CREATE');
      await this.ledger.recordFailed(run.batch, failed);
      await this.resolveDuplicates(run, duplicates);
      pending = retry;
    }
  }

  /**
   * 6140, duplicate number. This invoice's own transaction (a replay we could not see): adopt it. Only voided
   * transactions hold the number: send again allowing the duplicate. Someone else's: the invoice fails with what to do.
   */
  private async resolveDuplicates(run: SendRun, duplicates: PreparedInvoice[]): Promise<void> {
    if (duplicates.length === 0) return;
    const existing = await this.byDocNumber(run, duplicates);
    for (const prepared of duplicates) {
      const { invoice } = prepared;
      const same = existing.filter((t) => t.DocNumber === invoice.invoiceNumber);
      const ours = same.find((t) => isOwnTransaction(t, invoice));
      if (ours) {
        await this.ledger.recordSent(run.batch, [{ entry: prepared, transaction: ours }], 'MATCH');
        continue;
      }
      if (!same.every((t) => /^Voided\b/.test(text(t.PrivateNote)))) {
        await this.ledger.recordFailed(run.batch, [
          {
            entry: prepared,
            error: new QuickBooksError({
              httpStatus: 400,
              quickbooksCode: '6140',
              quickbooksMessage: `Duplicate Document Number Error: another Invoice in QuickBooks already uses number ${invoice.invoiceNumber}`,
              category: 'FIX_DATA',
              hint: 'remove or renumber the other invoice in QuickBooks, or create this invoice again with another invoiceNumber',
            }),
          },
        ]);
        continue;
      }
      const requestId = requestIdOf(`dup|${invoice.id}|${invoice.sendGeneration}`);
      try {
        const created = await run.client.create('Invoice', prepared.body, {
          requestId,
          params: { include: 'allowduplicatedocnum' },
        });
        await this.ledger.recordSent(
          run.batch,
          [{ entry: prepared, transaction: created, references: prepared, requestId }],
          'CREATE',
        );
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await this.ledger.recordFailed(run.batch, [{ entry: prepared, error, requestId }]);
      }
    }
  }

  /** Settles once these invoices' customers and items are found or created (their window's resolution may go on). */
  private async ownReferences(run: SendRun, entries: InvoiceEntry[]): Promise<void> {
    const customers: string[] = [];
    const items: string[] = [];
    for (const { invoice, order } of entries) {
      try {
        customers.push(
          customerKey(customerNameOf(order, run.settings), foreignCurrencyOf(order, run.currency)),
        );
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
      }
      for (const line of invoice.lines) items.push(itemKey(line));
    }
    await Promise.all([run.customers.whenSettled(customers), run.items.whenSettled(items)]);
  }

  /** Builds the Invoice bodies; invoices that cannot be mapped fail now with the setting to change. */
  private async prepare(run: SendRun, chunk: InvoiceEntry[]): Promise<PreparedInvoice[]> {
    const prepared: PreparedInvoice[] = [];
    const failures: Array<{ entry: InvoiceEntry; error: Error }> = [];
    for (const entry of chunk) {
      const { invoice, order } = entry;
      try {
        // An invoice in a currency the company cannot book fails alone, with what to do (never booked as home currency).
        checkCurrency(order, run.currency);
        const customer = run.customers.get(
          customerKey(customerNameOf(order, run.settings), foreignCurrencyOf(order, run.currency)),
        );
        if (!customer)
          throw new MappingProblem(
            `No QuickBooks customer for invoice ${invoice.invoiceNumber}`,
            'send it again',
          );
        if ('problem' in customer) throw customer.problem;
        const itemIds = new Map<string, string>();
        for (const line of invoice.lines) {
          const item = run.items.get(itemKey(line));
          if (!item)
            throw new MappingProblem(`No QuickBooks item for "${line.sku ?? line.name}"`, 'send it again');
          if ('problem' in item) throw item.problem;
          itemIds.set(itemKey(line), item.id);
        }
        const body = invoiceBody(invoice, order, {
          settings: run.settings,
          customerId: customer.id,
          itemIds,
          allowShipping: run.allowShipping,
          currency: currencyFields(order, run.currency),
        });
        prepared.push({ ...entry, body, customerId: customer.id, itemIds });
      } catch (error) {
        if (!(error instanceof MappingProblem) && !(error instanceof QuickBooksError)) {
          this.logger.error({ err: error, invoiceId: invoice.id }, 'could not build the QuickBooks invoice');
        }
        failures.push({ entry, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    await this.ledger.recordFailed(run.batch, failures);
    return prepared;
  }

  /**
   * Ends a batch that cannot go on. When QuickBooks can still be asked, invoices sent without a recorded outcome are
   * looked up first; any still unknown keep `sentAt`.
   */
  private async failRemaining(batch: SyncBatchEntity, stored: StoredSyncError, run?: SendRun): Promise<void> {
    if (run) {
      try {
        for await (const window of this.ledger.windows(batch.id)) {
          await this.recover(
            run,
            window.filter(({ invoice }) => invoice.sentAt && invoice.pushStatus === 'QUEUED'),
          );
        }
      } catch (lookupError) {
        this.logger.warn(
          { err: lookupError, batchId: batch.id },
          'could not look up sent invoices before failing the batch',
        );
      }
    }
    await this.ledger.failPending(batch, stored);
  }
}
