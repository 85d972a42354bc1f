import type { OrderEntity } from '../../entities';
import { customerKey, type PostingReferences } from './posting-references';
import type { Resolutions } from './resolutions';

/**
 * A run's customers in the company's home currency, created without looking them up first.
 *
 * The connection keeps the home currency its QuickBooks preferences last said (`ConnectionEntity.homeCurrency`). A run
 * creates the customers of orders in that currency at once, alongside the item look-ups and its own read of the
 * preferences, and QuickBooks' refusal of a taken name (6240) finds those that exist: a display name is unique in
 * QuickBooks, so nothing is created twice (PostingReferences.resolveCustomers with `lookUp: false`). That saves the
 * look-up round before the first transaction. Items are always looked up first: a SKU is not unique in QuickBooks, so
 * a create cannot tell that one exists.
 *
 * Should the preferences then name another home currency (possible only with multicurrency off), the customers
 * created are still right for that currency's orders (a customer without CurrencyRef is in the home currency,
 * whichever it is); orders in the old currency fail the currency check, and a customer created for them stays unused.
 */
export class HomeCustomers {
  /**
   * The creation each key is part of. A later window needing a key an earlier one started waits for that creation: its
   * chunks must not be told their references are in while the customer is still being created (or failed to be).
   */
  private readonly started = new Map<string, Promise<void>>();

  constructor(
    /** The home currency the connection last knew; null when it never read its preferences (nothing is created early). */
    readonly home: string | null,
    private readonly references: Pick<PostingReferences, 'resolveCustomers' | 'homeCurrency'>,
    private readonly into: Resolutions,
  ) {
    if (home) references.homeCurrency = home;
  }

  /** Whether orders in `currency` have their customers created here. */
  covers(currency: string): boolean {
    return currency === this.home;
  }

  /** Whether this customer key is created (or being created) here. */
  has(key: string): boolean {
    return this.started.has(key);
  }

  /**
   * Starts creating (or matching in the mirror) these home-currency customers into the run's Resolutions; settles when
   * every one of them is settled, those an earlier call started included (and rejects with its failure).
   */
  create(customers: Iterable<{ name: string; order: OrderEntity }>): Promise<void> {
    const wanted = new Map<string, { name: string; currency: null; order: OrderEntity }>();
    const waits = new Set<Promise<void>>();
    for (const { name, order } of customers) {
      if (!this.covers(order.currency)) continue;
      const key = customerKey(name, null);
      const earlier = this.started.get(key);
      if (earlier) waits.add(earlier);
      else wanted.set(key, { name, currency: null, order });
    }
    if (wanted.size > 0) {
      const creating = this.references
        .resolveCustomers(wanted, this.into, { lookUp: false })
        .then(() => undefined);
      creating.catch(() => undefined); // each caller gets the failure through its own `waits`
      for (const key of wanted.keys()) this.started.set(key, creating);
      waits.add(creating);
    }
    return Promise.all(waits).then(() => undefined);
  }
}
