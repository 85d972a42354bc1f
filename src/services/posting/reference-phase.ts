import type { OrderEntity, OrderLineData } from '../../entities';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { ReferenceService } from '../reference.service';
import { checkCurrency, ensureCompanyCurrencies, foreignCurrencyOf } from './currency';
import type { RunContext } from './posting-context';
import { customerNameOf, itemKey, MappingProblem } from './posting-mapper';
import { currencyName, customerKey } from './posting-references';
import { PaymentMethodResolver } from './payment-methods';
import { illFormedOrderProblem } from './text';

/**
 * Phase one of a posting run: every customer and item the batch needs, found or created in bulk before the
 * transactions that need them. The orders are scanned while the company's preferences are being read, and the
 * look-ups of what the mirror does not know leave at once, in one batch call, without waiting for them: only
 * the checks that depend on the home currency wait.
 */

/** What the orders of one currency need (the currency check and the customer's currency depend on it). */
interface CurrencyGroup {
  sample: OrderEntity;
  /** By lower-cased customer name: the name and the first order with it (its e-mail and address). */
  customers: Map<string, { name: string; order: OrderEntity }>;
  items: Map<string, OrderLineData>;
  paymentMethods: Set<string>;
}

export type ReferenceScan = Map<string, CurrencyGroup>;

/** The last home currency seen per connection: a guess for the look-ups that leave before Preferences answer. */
const homeCurrencyGuess = new Map<string, string>();

/**
 * Reads the pending orders once, grouping what they need by currency (ill-formed orders fail later, alone), and looks
 * up what the mirror does not know: what the first window needs at once, while the rest is read, then the rest.
 */
export async function scanOrders(
  windows: AsyncIterable<Array<{ order: OrderEntity; seq: number }>>,
  context: RunContext,
  entityOf: (order: OrderEntity) => 'SalesReceipt' | 'Invoice',
): Promise<ReferenceScan> {
  const groups: ReferenceScan = new Map();
  let early: Promise<Error | undefined> | undefined;
  for await (const window of windows) {
    for (const { order } of window) {
      if (order.status === 'POSTED') continue;
      if (illFormedOrderProblem(order)) continue; // fails alone in prepare(), with the field named
      let name: string;
      try {
        name = customerNameOf(order, context.settings);
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
      if (order.paymentMethod && entityOf(order) === 'SalesReceipt')
        group.paymentMethods.add(order.paymentMethod);
      for (const line of order.lines)
        if (!group.items.has(itemKey(line))) group.items.set(itemKey(line), line);
    }
    // The first window's look-ups leave now, before the next window is read; a failure is the run's, after the scan
    // (never left unhandled).
    if (early === undefined && groups.size > 0) {
      early = prefetch(context, groups).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
    }
  }
  const failure = await early;
  if (failure) throw failure;
  await prefetch(context, groups);
  return groups;
}

/** The look-ups that can leave before the preferences answer (home currency guessed; resolve* asks for the rest). */
async function prefetch(context: RunContext, scan: ReferenceScan): Promise<void> {
  const home = homeCurrencyGuess.get(context.connection.id) ?? 'USD';
  const names: string[] = [];
  const lines: OrderLineData[] = [];
  for (const [code, group] of scan) {
    for (const { name } of group.customers.values()) {
      names.push(name);
      if (code !== home) names.push(currencyName(name, code));
    }
    lines.push(...group.items.values());
  }
  await context.references.prefetch(names, lines);
}

/**
 * Resolves the customers, items and payment methods once the company's currency is known (context.currency), into
 * the run's `customers` and `items` as each is settled (transactions wait only for their own, see Resolutions), and
 * `paymentMethods` (`paymentMethodsKnown` settles with them). Items are asked for first: an order needs several, and
 * a customer is one order's of many. Ends with both closed, or failed with the error the run fails with.
 */
export async function resolveReferences(
  context: RunContext,
  scan: ReferenceScan,
  services: {
    referenceService: ReferenceService;
    syncLogs: SyncLogService;
    log: (entry: Pick<SyncLogEntry, 'action' | 'status'> & Partial<SyncLogEntry>) => SyncLogEntry;
  },
): Promise<void> {
  homeCurrencyGuess.set(context.connection.id, context.currency.home);
  const customers = new Map<string, { name: string; currency: string | null; order: OrderEntity }>();
  const items = new Map<string, OrderLineData>();
  const currencies = new Set<string>();
  const paymentMethods = new Set<string>();
  for (const group of scan.values()) {
    try {
      checkCurrency(group.sample, context.currency);
    } catch (problem) {
      if (!(problem instanceof MappingProblem)) throw problem;
      continue; // these orders fail in prepare(), with the reason
    }
    const currency = foreignCurrencyOf(group.sample, context.currency);
    if (currency) currencies.add(currency);
    for (const { name, order } of group.customers.values()) {
      const key = customerKey(name, currency);
      if (!customers.has(key)) customers.set(key, { name, currency, order });
    }
    for (const [key, line] of group.items) if (!items.has(key)) items.set(key, line);
    for (const method of group.paymentMethods) paymentMethods.add(method);
  }
  const methods = new PaymentMethodResolver(context.connection, context.client, services.referenceService);
  const methodsResolved = methods
    .resolve(paymentMethods, context.settings, (entry) =>
      services.log({ entityType: 'PaymentMethod', entityId: null, status: 'SUCCEEDED', ...entry }),
    )
    .then(async (resolved) => {
      context.paymentMethods = resolved.ids;
      await services.syncLogs.record(...resolved.logs);
    });
  context.paymentMethodsKnown = methodsResolved;
  methodsResolved.catch(() => undefined); // whoever waits on it gets the error; so does this run, below
  try {
    // QuickBooks takes a customer's currency only from the company's currency list.
    await ensureCompanyCurrencies(context.client, currencies);
    await Promise.all([
      context.references.resolveItems(items, context.settings, context.items),
      context.references.resolveCustomers(customers, context.customers),
      methodsResolved,
    ]);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    context.customers.fail(failure);
    context.items.fail(failure);
    throw failure;
  }
  context.customers.close();
  context.items.close();
}
