import type { ConnectionEntity, ConnectionSettingsData, OrderEntity, OrderLineData } from '../../entities';
import {
  QuickBooksError,
  type BatchItemRequest,
  type QuickBooksClient,
  type QuickBooksEntity,
} from '../../quickbooks';
import {
  cleanDisplayName,
  itemKey as itemKeyOf,
  MappingProblem,
  newItemBody,
  quickbooksAddress,
  text,
} from './posting-mapper';
import type { ReferenceService } from '../reference.service';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import { ownTurn } from '../turns';

/** Why a customer or item could not be had; the orders needing it fail with it. */
export type Unresolved = MappingProblem | QuickBooksError;
export type Resolution = { id: string } | { problem: Unresolved };
/** Where resolutions go as they are settled: a Map, or a run's Resolutions that transactions wait on. */
export interface ResolutionSink {
  set(key: string, resolution: Resolution): unknown;
}

const BATCH_SIZE = 30;
/** Names per `IN (...)` look-up: long statements go by POST, so the list can be long. */
const IN_LIST_SIZE = 100;
const MAX_NAME_SUFFIX = 9;

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Finds or creates the customers and items a posting needs. Lookups go to an in-memory index of the mirrored lists
 * first, then to QuickBooks in bulk (`IN` queries), and only what is still missing is created, 30 per batch call.
 * Everything found or created is remembered for the rest of the run and written to the mirror.
 */
export class PostingReferences {
  private readonly customersByName = new Map<string, CustomerMatch>();
  private readonly customersByEmail = new Map<string, CustomerMatch>();
  private readonly itemsByKey = new Map<string, string>();
  /** The company's home currency: customers without a CurrencyRef are in it (see posting/currency.ts). */
  homeCurrency = 'USD';
  /** Names QuickBooks refused (6240) and the name we created instead: the suffix rule, recorded once per run. */
  readonly renamed = new Map<string, string>();
  /** `<entityType>:<id>` of every customer and item this run created (each creation is logged, see `log`). */
  private readonly created = new Set<string>();
  /** Customer names (`c:`), SKUs (`sku:`) and item names (`name:`), lower-cased, already looked up in this run. */
  private readonly lookedUp = new Set<string>();
  /** The same keys, from the moment a prefetch asks for them (a second prefetch does not ask again). */
  private readonly asked = new Set<string>();

  constructor(
    private readonly connection: ConnectionEntity,
    private readonly client: QuickBooksClient,
    private readonly references: ReferenceService,
    private readonly syncLogs: SyncLogService,
    private readonly batchId: string,
  ) {}

  async load(): Promise<void> {
    const [customers, items] = await Promise.all([
      this.references.matchIndex(this.connection.id, 'CUSTOMER'),
      this.references.matchIndex(this.connection.id, 'ITEM'),
    ]);
    for (const row of customers.filter((r) => r.active)) {
      const match = { id: row.quickbooksId, currency: row.currency };
      this.customersByName.set(row.name.toLowerCase(), match);
      if (row.email) this.customersByEmail.set(row.email.toLowerCase(), match);
    }
    for (const row of items.filter((r) => r.active)) {
      if (row.sku) this.itemsByKey.set(`sku:${row.sku.toLowerCase()}`, row.quickbooksId);
      this.itemsByKey.set(`name:${row.name.toLowerCase()}`, row.quickbooksId);
    }
    await this.loadPartnerLinks(new Map(customers.map((row) => [row.quickbooksId, row.currency])));
  }

  /**
   * Looks up in QuickBooks, all at once in batch calls of up to 30 queries, the customers (by display name) and items
   * (by SKU and by name) that the mirror does not know: one round trip instead of one per `IN` list, and it can run
   * before the company's preferences are in. `resolveCustomers` and `resolveItems` then ask only for what this did not
   * (a query that faulted, a name in another currency).
   */
  async prefetch(customerNames: Iterable<string>, lines: Iterable<OrderLineData>): Promise<void> {
    const fresh = (key: string) => !this.asked.has(key);
    const names = [...new Set(customerNames)].filter(
      (name) => !this.customersByName.has(name.toLowerCase()) && fresh(`c:${name.toLowerCase()}`),
    );
    const skus = new Set<string>();
    const itemNames = new Set<string>();
    for (const line of lines) {
      if (this.knownItem(itemKeyOf(line), line)) continue;
      if (line.sku?.trim() && fresh(`sku:${line.sku.trim().toLowerCase()}`)) skus.add(line.sku.trim());
      if (fresh(`name:${line.name.toLowerCase()}`)) itemNames.add(line.name);
    }
    const queries = [
      ...chunk(names, IN_LIST_SIZE).map((group) => ({
        type: 'CUSTOMER' as const,
        keys: group.map((n) => `c:${n.toLowerCase()}`),
        query: `SELECT * FROM Customer WHERE DisplayName IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
      })),
      ...chunk([...skus], IN_LIST_SIZE).map((group) => ({
        type: 'ITEM' as const,
        keys: group.map((sku) => `sku:${sku.toLowerCase()}`),
        query: `SELECT * FROM Item WHERE Sku IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
      })),
      ...chunk([...itemNames], IN_LIST_SIZE).map((group) => ({
        type: 'ITEM' as const,
        keys: group.map((name) => `name:${name.toLowerCase()}`),
        query: `SELECT * FROM Item WHERE Name IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
      })),
    ];
    for (const { keys } of queries) for (const key of keys) this.asked.add(key);
    await Promise.all(
      chunk(queries, BATCH_SIZE).map(async (group) => {
        const outcomes = await this.client.batch(group.map(({ query }) => ({ operation: 'query', query })));
        for (const [index, { type, keys }] of group.entries()) {
          const outcome = outcomes[index];
          if (!outcome.ok || !('query' in outcome)) continue; // asked again, alone, by resolve*
          this.remember(type, outcome.query.items);
          for (const key of keys) this.lookedUp.add(key);
        }
      }),
    );
  }

  /**
   * Two-way sync: an order's customer name or line SKU that equals a partner record's externalId maps to the
   * QuickBooks record it is linked to (before any match by name). An externalId two channels link to different
   * records is ambiguous here (orders are matched across channels) and left to the name rules.
   */
  private async loadPartnerLinks(currencyOf: Map<string, string | null>): Promise<void> {
    const links = new Map<string, string | null>();
    for (const link of await this.references.partnerLinks(this.connection.id)) {
      const key =
        link.type === 'CUSTOMER'
          ? `c:${link.externalId.toLowerCase()}`
          : `sku:${link.externalId.toLowerCase()}`;
      const seen = links.get(key);
      links.set(key, seen === undefined || seen === link.quickbooksId ? link.quickbooksId : null);
    }
    for (const [key, id] of links) {
      if (!id) continue;
      if (key.startsWith('c:'))
        this.customersByName.set(key.slice(2), { id, currency: currencyOf.get(id) ?? null });
      else this.itemsByKey.set(key, id);
    }
  }

  /**
   * The customer this run already knows for an order's customer in `currency` (null = the home currency): by display
   * name, else by e-mail.
   */
  knownCustomer(name: string, currency: string | null, order: OrderEntity): string | undefined {
    return this.findCustomer(name, currency, order);
  }

  /** The item this run already knows for a line: by its key (SKU or name), else by name. */
  knownItem(key: string, line: OrderLineData): string | undefined {
    return this.itemsByKey.get(key) ?? this.itemsByKey.get(`name:${line.name.toLowerCase()}`);
  }

  /** Whether this run created the customer or item (rather than finding it). */
  wasCreated(entityType: 'Customer' | 'Item', quickbooksId: string): boolean {
    return this.created.has(`${entityType}:${quickbooksId}`);
  }

  /**
   * Customer ids for the given orders' customers, by `customerKey` (name and, outside the home currency, currency).
   * QuickBooks fixes a customer's currency, so an order only matches a customer in its own currency; when the name is
   * taken by a customer in another currency, the customer is "Name (EUR)".
   */
  async resolveCustomers<S extends ResolutionSink = Map<string, Resolution>>(
    wanted: Map<string, { name: string; currency: string | null; order: OrderEntity }>,
    into?: S,
    { lookUp = true }: { lookUp?: boolean } = {},
  ): Promise<S> {
    const result = into ?? (new Map<string, Resolution>() as unknown as S);
    const missing: Array<{ key: string; name: string; currency: string | null; order: OrderEntity }> = [];
    for (const [key, { name, currency, order }] of wanted) {
      const id = this.findCustomer(name, currency, order);
      if (id) result.set(key, { id });
      else missing.push({ key, name, currency, order });
    }
    if (missing.length === 0) return result;

    // Created in QuickBooks since the last import? Asked first, unless the caller creates at once and lets QuickBooks'
    // duplicate-name refusal (6240) tell (`lookUp: false`: the names are unique, so nothing can be created twice).
    if (lookUp) await this.lookUpCustomers(missing);
    const toCreate = missing.filter(({ key, name, currency, order }) => {
      const id = this.findCustomer(name, currency, order);
      if (id) result.set(key, { id });
      return !id;
    });

    await Promise.all(
      chunk(toCreate, BATCH_SIZE).map(async (group) => {
        const requests: BatchItemRequest[] = group.map(({ name, currency, order }) => ({
          operation: 'create',
          entity: 'Customer',
          body: customerBody(this.nameToCreate(name, currency), order, currency),
        }));
        const outcomes = await this.client.batch(requests);
        await ownTurn();
        const logs: SyncLogEntry[] = [];
        // Names QuickBooks says are taken: one look-up for all of them finds the customers among the holders.
        const clashed = group.filter((_, index) => {
          const outcome = outcomes[index];
          return !outcome.ok && outcome.error.quickbooksCode === '6240';
        });
        if (clashed.length > 0) await this.lookUpCustomers(clashed, { again: true });
        await Promise.all(
          group.map(async ({ key, name, currency, order }, index) => {
            const outcome = outcomes[index];
            const body = requests[index] as { body: QuickBooksEntity };
            const created = String(body.body.DisplayName);
            if (outcome.ok && 'value' in outcome) {
              this.remember('CUSTOMER', [outcome.value]);
              result.set(key, { id: String(outcome.value.Id) });
              logs.push(
                this.log(
                  'Customer',
                  'CREATE',
                  created,
                  String(outcome.value.Id),
                  undefined,
                  created !== name
                    ? `"${name}" is a customer in another currency in QuickBooks; created "${created}" in ${currency ?? this.homeCurrency}`
                    : undefined,
                ),
              );
              return;
            }
            const error = (outcome as { error: QuickBooksError }).error;
            if (error.quickbooksCode === '6240') {
              const found = this.findCustomer(name, currency, order);
              result.set(
                key,
                found ? { id: found } : await this.resolveNameClash(name, created, currency, order, error),
              );
              return;
            }
            logs.push(this.log('Customer', 'CREATE', created, null, error));
            result.set(key, { problem: error });
          }),
        );
        await this.syncLogs.record(...logs);
      }),
    );
    return result;
  }

  /**
   * Asks QuickBooks for customers of these names (and "Name (EUR)" outside the home currency), in parallel `IN`
   * look-ups paced by the realm's governor; names this run asked for already are skipped unless `again`.
   */
  private async lookUpCustomers(
    wanted: Array<{ name: string; currency: string | null }>,
    { again = false } = {},
  ): Promise<void> {
    const names = [
      ...new Set(
        wanted.flatMap(({ name, currency }) => (currency ? [name, currencyName(name, currency)] : [name])),
      ),
    ].filter((name) => again || !this.lookedUp.has(`c:${name.toLowerCase()}`));
    await Promise.all(
      chunk(names, IN_LIST_SIZE).map(async (group) => {
        const found = await this.client.query(
          `SELECT * FROM Customer WHERE DisplayName IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
        );
        this.remember('CUSTOMER', found.items);
        for (const name of group) this.lookedUp.add(`c:${name.toLowerCase()}`);
      }),
    );
  }

  /** Item ids by itemKey for the given lines. */
  async resolveItems<S extends ResolutionSink = Map<string, Resolution>>(
    wanted: Map<string, OrderLineData>,
    settings: ConnectionSettingsData,
    into?: S,
  ): Promise<S> {
    const result = into ?? (new Map<string, Resolution>() as unknown as S);
    const missing: Array<[string, OrderLineData]> = [];
    for (const [key, line] of wanted) {
      const id = this.knownItem(key, line);
      if (id) result.set(key, { id });
      else missing.push([key, line]);
    }
    if (missing.length === 0) return result;

    const skus = missing
      .filter(([, line]) => line.sku?.trim())
      .map(([, line]) => line.sku!.trim())
      .filter((sku) => !this.lookedUp.has(`sku:${sku.toLowerCase()}`));
    const names = missing
      .map(([, line]) => line.name)
      .filter((name) => !this.lookedUp.has(`name:${name.toLowerCase()}`));
    const lookups = [
      ...chunk(skus, IN_LIST_SIZE).map((group) => `Sku IN (${group.map(quote).join(', ')})`),
      ...chunk(names, IN_LIST_SIZE).map((group) => `Name IN (${group.map(quote).join(', ')})`),
    ];
    await Promise.all(
      lookups.map(async (where) => {
        const found = await this.client.query(`SELECT * FROM Item WHERE ${where} MAXRESULTS 1000`);
        this.remember('ITEM', found.items);
      }),
    );
    const toCreate: Array<[string, OrderLineData, QuickBooksEntity]> = [];
    for (const [key, line] of missing) {
      const id =
        this.itemsByKey.get(key) ??
        (line.sku ? undefined : this.itemsByKey.get(`name:${line.name.toLowerCase()}`));
      if (id) {
        result.set(key, { id });
        continue;
      }
      try {
        toCreate.push([key, line, newItemBody(line, settings)]);
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
        result.set(key, { problem });
      }
    }

    await Promise.all(
      chunk(toCreate, BATCH_SIZE).map(async (group) => {
        const outcomes = await this.client.batch(
          group.map(([, , body]) => ({ operation: 'create', entity: 'Item', body })),
        );
        await ownTurn();
        const logs: SyncLogEntry[] = [];
        for (const [index, [key, line, body]] of group.entries()) {
          const outcome = outcomes[index];
          if (outcome.ok && 'value' in outcome) {
            this.remember('ITEM', [outcome.value]);
            result.set(key, { id: String(outcome.value.Id) });
            logs.push(this.log('Item', 'CREATE', String(body.Name), String(outcome.value.Id)));
            continue;
          }
          const error = (outcome as { error: QuickBooksError }).error;
          // Another item already has this name (a different SKU): keep the SKU in the name to make it unique.
          if (error.quickbooksCode === '6240' && line.sku) {
            try {
              const created = await this.client.create('Item', {
                ...body,
                Name: `${String(body.Name).slice(0, 80)} (${line.sku})`.slice(0, 100),
              });
              this.remember('ITEM', [created]);
              result.set(key, { id: String(created.Id) });
              logs.push(
                this.log(
                  'Item',
                  'CREATE',
                  String(created.Name),
                  String(created.Id),
                  undefined,
                  `name "${String(body.Name)}" was taken; created with the SKU in the name`,
                ),
              );
              continue;
            } catch (retry) {
              if (!(retry instanceof QuickBooksError)) throw retry;
              logs.push(this.log('Item', 'CREATE', String(body.Name), null, retry));
              result.set(key, { problem: retry });
              continue;
            }
          }
          logs.push(this.log('Item', 'CREATE', String(body.Name), null, error));
          result.set(key, { problem: error });
        }
        await this.syncLogs.record(...logs);
      }),
    );
    return result;
  }

  /** A known customer of this name (or of "Name (EUR)"), or by e-mail, in the order's currency. */
  private findCustomer(name: string, currency: string | null, order: OrderEntity): string | undefined {
    const fits = this.fitsCurrency(currency);
    const email = order.customer?.email?.toLowerCase();
    return (
      fits(this.customersByName.get(name.toLowerCase())) ??
      (currency ? fits(this.customersByName.get(currencyName(name, currency).toLowerCase())) : undefined) ??
      (email && order.customer.name ? fits(this.customersByEmail.get(email)) : undefined)
    );
  }

  private fitsCurrency(currency: string | null): (match: CustomerMatch | undefined) => string | undefined {
    const want = currency ?? this.homeCurrency;
    return (match) => (match && (match.currency ?? this.homeCurrency) === want ? match.id : undefined);
  }

  /** The name a new customer gets: its own, unless a customer in another currency has it ("Name (EUR)"). */
  private nameToCreate(name: string, currency: string | null): string {
    const holder = this.customersByName.get(name.toLowerCase());
    const want = currency ?? this.homeCurrency;
    return holder && (holder.currency ?? this.homeCurrency) !== want ? currencyName(name, want) : name;
  }

  /**
   * 6240: the name is taken. By a customer we did not know in the order's currency (inactive, or created meanwhile):
   * use it, reactivating it if needed. By a customer in another currency: "Name (EUR)". By a vendor or employee:
   * "Name (2)", "Name (3)", ... Each rename is recorded.
   */
  private async resolveNameClash(
    name: string,
    attempted: string,
    currency: string | null,
    order: OrderEntity,
    clash: QuickBooksError,
  ): Promise<Resolution> {
    const want = currency ?? this.homeCurrency;
    const fits = this.fitsCurrency(currency);
    const tried = new Set<string>();
    let candidate = attempted;
    let error = clash;
    let suffix = 1;
    for (;;) {
      tried.add(candidate.toLowerCase());
      const holder = await this.clashHolder(error, candidate, want);
      if ('id' in holder) return { id: holder.id };
      const viaCurrency = currencyName(name, want);
      let next: string;
      if (holder.otherCurrency && !tried.has(viaCurrency.toLowerCase())) next = viaCurrency;
      else if (++suffix <= MAX_NAME_SUFFIX) next = `${name.slice(0, 490)} (${suffix})`;
      else return { problem: clash };
      const known = fits(this.customersByName.get(next.toLowerCase()));
      if (known) return { id: known };
      try {
        const created = await this.client.create('Customer', customerBody(next, order, currency));
        this.remember('CUSTOMER', [created]);
        this.renamed.set(name, next);
        await this.syncLogs.record(
          this.log(
            'Customer',
            'CREATE',
            next,
            String(created.Id),
            undefined,
            holder.otherCurrency
              ? `"${candidate}" is a customer in another currency in QuickBooks; created "${next}" in ${want}`
              : `"${candidate}" is used by a vendor or employee in QuickBooks; created the customer as "${next}"`,
          ),
        );
        // Later orders with the same customer name find it under the original name too.
        if (!this.customersByName.has(name.toLowerCase())) {
          this.customersByName.set(name.toLowerCase(), { id: String(created.Id), currency: want });
        }
        return { id: String(created.Id) };
      } catch (failure) {
        if (failure instanceof QuickBooksError && failure.quickbooksCode === '6240') {
          candidate = next;
          error = failure;
          continue;
        }
        if (failure instanceof QuickBooksError) return { problem: failure };
        throw failure;
      }
    }
  }

  /** Who holds a name QuickBooks refused (6240 names the holder's Id): a usable customer, or why not. */
  private async clashHolder(
    clash: QuickBooksError,
    name: string,
    currency: string,
  ): Promise<{ id: string } | { otherCurrency: boolean }> {
    const existingId = /Id=(\d+)/.exec(`${clash.detail ?? ''} ${clash.quickbooksMessage}`)?.[1];
    if (!existingId) return { otherCurrency: false };
    try {
      let customer = await this.client.read('Customer', existingId);
      // Ids are per list: the clash may be a vendor or employee whose id is also some other customer's.
      if (text(customer.DisplayName).toLowerCase() !== name.toLowerCase()) return { otherCurrency: false };
      const own = (customer.CurrencyRef as { value?: string } | undefined)?.value ?? this.homeCurrency;
      if (own !== currency) {
        this.remember('CUSTOMER', [customer]);
        return { otherCurrency: true };
      }
      if (customer.Active === false) {
        customer = await this.client.update('Customer', {
          Id: existingId,
          SyncToken: customer.SyncToken,
          Active: true,
        });
      }
      this.remember('CUSTOMER', [customer]);
      await this.syncLogs.record(
        this.log('Customer', 'MATCH', name, existingId, undefined, 'matched an existing customer by name'),
      );
      return { id: existingId };
    } catch (error) {
      if (error instanceof QuickBooksError && error.category !== 'RETRYABLE') return { otherCurrency: false };
      throw error;
    }
  }

  /** Mirror writes one at a time: parallel look-ups may return the same object, and MySQL would deadlock on it. */
  private mirrorWrites: Promise<unknown> = Promise.resolve();
  private mirrorError?: Error;

  private remember(type: 'CUSTOMER' | 'ITEM', objects: QuickBooksEntity[]): void {
    if (objects.length === 0) return;
    for (const object of objects) {
      if (object.Active === false) continue;
      const id = String(object.Id);
      if (type === 'CUSTOMER') {
        const match = { id, currency: (object.CurrencyRef as { value?: string } | undefined)?.value ?? null };
        this.customersByName.set(text(object.DisplayName).toLowerCase(), match);
        const email = (object.PrimaryEmailAddr as { Address?: string } | undefined)?.Address;
        if (email) this.customersByEmail.set(email.toLowerCase(), match);
      } else {
        if (typeof object.Sku === 'string' && object.Sku)
          this.itemsByKey.set(`sku:${object.Sku.toLowerCase()}`, id);
        this.itemsByKey.set(`name:${text(object.Name).toLowerCase()}`, id);
      }
    }
    // The mirror is a cache of QuickBooks: it is written behind the posting (see `flush`), not in its way, and what
    // is remembered meanwhile (a batch call's thirty creations, one by one) is written in one statement.
    const waiting = this.unwritten[type];
    waiting.push(...objects);
    if (waiting.length > objects.length) return; // a write already queued takes these too
    this.mirrorWrites = this.mirrorWrites
      .then(() => {
        const batch = this.unwritten[type].splice(0);
        return this.references.upsert(this.connection, type, batch);
      })
      .catch((error: unknown) => {
        this.mirrorError ??= error instanceof Error ? error : new Error(String(error));
      });
  }

  /** Objects remembered and not yet written to the mirror, per list. */
  private readonly unwritten: Record<'CUSTOMER' | 'ITEM', QuickBooksEntity[]> = { CUSTOMER: [], ITEM: [] };

  /** Waits for the mirror writes; a failed one only means the next import refreshes those objects. */
  async flush(): Promise<void> {
    await this.mirrorWrites;
    if (this.mirrorError) throw this.mirrorError;
  }

  private log(
    entityType: 'Customer' | 'Item',
    action: 'CREATE' | 'MATCH',
    label: string,
    quickbooksId: string | null,
    error?: QuickBooksError,
    message?: string,
  ): SyncLogEntry {
    if (action === 'CREATE' && quickbooksId) this.created.add(`${entityType}:${quickbooksId}`);
    return {
      tenantId: this.connection.tenantId,
      connectionId: this.connection.id,
      batchId: this.batchId,
      direction: 'TO_QUICKBOOKS',
      action,
      entityType,
      label,
      quickbooksId,
      status: error ? 'FAILED' : 'SUCCEEDED',
      code: error?.quickbooksCode ?? null,
      message: error?.message ?? message ?? null,
      requestId: error?.requestId ?? null,
    };
  }
}

/** A known QuickBooks customer and its currency (null: the home currency). */
interface CustomerMatch {
  id: string;
  currency: string | null;
}

/** How orders share a customer: its display name (lower-cased) and, outside the home currency, the currency. */
export const customerKey = (name: string, currency: string | null = null): string =>
  `${cleanDisplayName(name).toLowerCase()}${currency ? `|${currency}` : ''}`;

/** The name of a customer whose plain name a customer in another currency holds. */
export const currencyName = (name: string, currency: string): string => `${name.slice(0, 490)} (${currency})`;

function customerBody(name: string, order: OrderEntity, currency: string | null): QuickBooksEntity {
  const c = order.customer ?? { name };
  return {
    DisplayName: name,
    ...(currency ? { CurrencyRef: { value: currency } } : {}),
    ...(c.name && c.email ? { PrimaryEmailAddr: { Address: c.email } } : {}),
    ...(c.name && c.company ? { CompanyName: c.company.slice(0, 100) } : {}),
    ...(c.name && c.phone ? { PrimaryPhone: { FreeFormNumber: c.phone.slice(0, 30) } } : {}),
    ...(c.name && c.billingAddress ? { BillAddr: quickbooksAddress(c.billingAddress) } : {}),
    ...(c.name && c.shippingAddress ? { ShipAddr: quickbooksAddress(c.shippingAddress) } : {}),
  };
}
