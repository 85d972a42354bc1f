import type { OrderEntity, OrderLineData } from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { ReferenceService } from '../reference.service';
import { checkCurrency, companyCurrencyOf, ensureCompanyCurrencies, foreignCurrencyOf } from './currency';
import type { RunContext } from './posting-context';
import { customerNameOf, itemKey, MappingProblem } from './posting-mapper';
import { currencyName, customerKey } from './posting-references';
import { HomeCustomers } from './home-customers';
import { PaymentMethodResolver } from './payment-methods';
import { illFormedOrderProblem } from './text';

/**
 * The customers, items and payment methods a posting run needs, found or created in bulk, window by window as the
 * orders are read: a window's look-ups of what the mirror and the run do not know leave as soon as it is read (the
 * first before the company's preferences are in), together with the creation of its customers in the home currency
 * the connection knows (HomeCustomers: no look-up round for them); its other creations follow in turn after the
 * previous window's (so a customer or item two windows share is created once), and each of its chunks of
 * transactions waits only for its own customers and items (see Resolutions), so the first transactions leave while
 * later orders are still being read.
 */

/** What the orders of one currency need (the currency check and the customer's currency depend on it). */
interface CurrencyGroup {
  sample: OrderEntity;
  /** By lower-cased customer name: the name and the first order with it (its e-mail and address). */
  customers: Map<string, { name: string; order: OrderEntity }>;
  items: Map<string, OrderLineData>;
  paymentMethods: Set<string>;
}

type WindowNeeds = Map<string, CurrencyGroup>;

/** A window's references: `methods` settles once its payment methods are known, `all` once everything is. */
export interface WindowReferences {
  methods: Promise<void>;
  all: Promise<void>;
}

export interface ReferenceServices {
  referenceService: ReferenceService;
  syncLogs: SyncLogService;
  log: (entry: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>) => SyncLogEntry;
  /** Keeps the home currency the preferences said for the connection's next runs. */
  rememberHomeCurrency: (homeCurrency: string) => Promise<void>;
}

export class ReferencePhase {
  /** The previous window's resolution: the next one starts after it, and fails with it (the run is failing). */
  private tail: Promise<void> = Promise.resolve();
  /** Currencies made sure of, and payment method names asked for, by earlier windows. */
  private readonly currencies = new Set<string>();
  private readonly methodsAsked = new Set<string>();
  private methods?: PaymentMethodResolver;
  private readonly preferences: Promise<void>;
  private readonly homeCustomers: HomeCustomers;

  constructor(
    private readonly context: RunContext,
    preferences: Promise<QuickBooksEntity>,
    private readonly services: ReferenceServices,
    private readonly entityOf: (order: OrderEntity) => 'SalesReceipt' | 'Invoice',
  ) {
    this.homeCustomers = new HomeCustomers(
      context.connection.homeCurrency,
      context.references,
      context.customers,
    );
    // What depends on the company's preferences (its currency, shipping) is set once, when they answer.
    this.preferences = preferences.then(async (prefs) => {
      context.allowShipping =
        (prefs.SalesFormsPrefs as { AllowShipping?: boolean } | undefined)?.AllowShipping === true;
      context.currency = companyCurrencyOf(prefs);
      context.references.homeCurrency = context.currency.home;
      await services.rememberHomeCurrency(context.currency.home);
    });
    this.preferences.catch(() => undefined); // awaited by every window's resolution
  }

  /** Starts finding or creating what this window's orders need; its look-ups and home-currency customers leave now. */
  resolve(window: Array<{ order: OrderEntity }>): WindowReferences {
    const needs = this.needsOf(window);
    // The look-ups first: the items' creation waits for them, the customers' does not.
    const lookedUp = this.prefetch(needs);
    lookedUp.catch(() => undefined); // awaited below, in turn
    const customersCreated = this.homeCustomers.create(
      [...needs.values()].flatMap((group) => [...group.customers.values()]),
    );
    let methodsKnown!: () => void;
    const methods = new Promise<void>((resolve) => (methodsKnown = resolve));
    const resolved = this.tail.then(async () => {
      await Promise.all([this.preferences, lookedUp]);
      await this.resolveNeeds(needs, methodsKnown);
    });
    this.tail = resolved;
    const all = Promise.all([resolved, customersCreated]).then(() => undefined);
    all.catch(() => undefined); // the window's chunks wait on it and fail with its error
    // A failed resolution releases whoever waits for the methods: they then wait on `all`, which has the error.
    return { methods: Promise.race([methods, all]), all };
  }

  /** The window's customers, items and payment methods, grouped by currency (ill-formed orders fail later, alone). */
  private needsOf(window: Array<{ order: OrderEntity }>): WindowNeeds {
    const groups: WindowNeeds = new Map();
    for (const { order } of window) {
      if (order.status === 'POSTED') continue;
      if (illFormedOrderProblem(order)) continue; // fails alone in prepare(), with the field named
      let name: string;
      try {
        name = customerNameOf(order, this.context.settings);
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
        continue; // fails in prepare(), with the reason
      }
      let group = groups.get(order.currency);
      if (!group) {
        group = { sample: order, customers: new Map(), items: new Map(), paymentMethods: new Set() };
        groups.set(order.currency, group);
      }
      if (!group.customers.has(name.toLowerCase())) group.customers.set(name.toLowerCase(), { name, order });
      if (order.paymentMethod && this.entityOf(order) === 'SalesReceipt')
        group.paymentMethods.add(order.paymentMethod);
      for (const line of order.lines)
        if (!group.items.has(itemKey(line))) group.items.set(itemKey(line), line);
    }
    return groups;
  }

  /**
   * The look-ups that can leave before the preferences answer (the home currency as last known, else guessed USD;
   * resolve* asks for the rest): items, and the customers HomeCustomers does not create.
   */
  private async prefetch(needs: WindowNeeds): Promise<void> {
    const home = this.homeCustomers.home ?? 'USD';
    const names: string[] = [];
    const lines: OrderLineData[] = [];
    for (const [code, group] of needs) {
      if (!this.homeCustomers.covers(code)) {
        for (const { name } of group.customers.values()) {
          names.push(name);
          if (code !== home) names.push(currencyName(name, code));
        }
      }
      lines.push(...group.items.values());
    }
    await this.context.references.prefetch(names, lines);
  }

  /**
   * Resolves the window's payment methods first (almost always from the mirror, without a call), then its items and
   * customers into the run's Resolutions as each is settled. Items are asked for first: an order needs several, and a
   * customer is one order's of many. What earlier windows settled is not asked again.
   */
  private async resolveNeeds(needs: WindowNeeds, methodsKnown: () => void): Promise<void> {
    const { context, services } = this;
    const customers = new Map<string, { name: string; currency: string | null; order: OrderEntity }>();
    const items = new Map<string, OrderLineData>();
    const currencies = new Set<string>();
    const paymentMethods = new Set<string>();
    for (const group of needs.values()) {
      try {
        checkCurrency(group.sample, context.currency);
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
        continue; // these orders fail in prepare(), with the reason
      }
      const currency = foreignCurrencyOf(group.sample, context.currency);
      if (currency && !this.currencies.has(currency)) currencies.add(currency);
      for (const { name, order } of group.customers.values()) {
        const key = customerKey(name, currency);
        if (!context.customers.has(key) && !this.homeCustomers.has(key) && !customers.has(key))
          customers.set(key, { name, currency, order });
      }
      for (const [key, line] of group.items)
        if (!context.items.has(key) && !items.has(key)) items.set(key, line);
      for (const method of group.paymentMethods)
        if (!this.methodsAsked.has(method.toLowerCase())) paymentMethods.add(method);
    }
    if (paymentMethods.size > 0) {
      for (const method of paymentMethods) this.methodsAsked.add(method.toLowerCase());
      this.methods ??= new PaymentMethodResolver(
        context.connection,
        context.client,
        services.referenceService,
      );
      const resolved = await this.methods.resolve(paymentMethods, context.settings, (entry) =>
        services.log({ entityType: 'PaymentMethod', entityId: null, status: 'SUCCEEDED', ...entry }),
      );
      for (const [name, id] of resolved.ids) context.paymentMethods.set(name, id);
      await services.syncLogs.record(...resolved.logs);
    }
    methodsKnown();
    // QuickBooks takes a customer's currency only from the company's currency list.
    await ensureCompanyCurrencies(context.client, currencies);
    for (const currency of currencies) this.currencies.add(currency);
    await Promise.all([
      context.references.resolveItems(items, context.settings, context.items),
      context.references.resolveCustomers(customers, context.customers),
    ]);
  }
}
