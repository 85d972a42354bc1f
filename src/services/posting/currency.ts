import type { OrderEntity } from '../../entities';
import type { QuickBooksClient, QuickBooksEntity } from '../../quickbooks';
import { MappingProblem } from './posting-mapper';

/** What posting needs of a company's currency preferences (`Preferences.CurrencyPrefs`). */
export interface CompanyCurrency {
  /** The home currency (`CurrencyPrefs.HomeCurrency`; USD when QuickBooks says nothing). */
  home: string;
  /** `CurrencyPrefs.MultiCurrencyEnabled`: off by default, and once on it stays on. */
  multicurrency: boolean;
}

export function companyCurrencyOf(preferences: QuickBooksEntity): CompanyCurrency {
  const prefs = preferences.CurrencyPrefs as
    { MultiCurrencyEnabled?: boolean; HomeCurrency?: { value?: string } } | undefined;
  return {
    home: typeof prefs?.HomeCurrency?.value === 'string' ? prefs.HomeCurrency.value : 'USD',
    multicurrency: prefs?.MultiCurrencyEnabled === true,
  };
}

/** The currency an order's customer and transaction must be in, or null for the home currency. */
export function foreignCurrencyOf(
  order: Pick<OrderEntity, 'currency'>,
  company: CompanyCurrency,
): string | null {
  return order.currency === company.home ? null : order.currency;
}

/**
 * An order in another currency than the company's posts only with multicurrency on; otherwise QuickBooks would book
 * its amounts as home currency, the silent error this check exists to prevent.
 */
export function checkCurrency(order: OrderEntity, company: CompanyCurrency): void {
  if (order.currency === company.home || company.multicurrency) return;
  throw new MappingProblem(
    `Order ${order.orderNumber} is in ${order.currency}, but the QuickBooks company keeps its books in ${company.home} ` +
      'and multicurrency is off',
    `turn on multicurrency in QuickBooks (Settings → Account and settings → Advanced → Currency), then post the ` +
      `order again; or send the order in ${company.home}`,
  );
}

/** CurrencyRef and ExchangeRate of a transaction in a foreign currency (the order's rate, else QuickBooks'). */
export function currencyFields(order: OrderEntity, company: CompanyCurrency): QuickBooksEntity {
  const foreign = foreignCurrencyOf(order, company);
  if (!foreign) return {};
  return {
    CurrencyRef: { value: foreign },
    ...(order.exchangeRate ? { ExchangeRate: Number(order.exchangeRate) } : {}),
  };
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Makes sure the company trades in each of these foreign currencies: QuickBooks takes a currency on a customer only
 * when it is in the company's currency list (CompanyCurrency), so missing ones are added and inactive ones turned on.
 */
export async function ensureCompanyCurrencies(
  client: QuickBooksClient,
  codes: ReadonlySet<string>,
): Promise<QuickBooksEntity[]> {
  if (codes.size === 0) return [];
  const list = [...codes];
  const found = await client.query(
    `SELECT * FROM CompanyCurrency WHERE Code IN (${list.map(quote).join(', ')}) MAXRESULTS 1000`,
  );
  const changed: QuickBooksEntity[] = [];
  for (const code of list) {
    const existing = found.items.find((c) => c.Code === code);
    if (existing?.Active === false) {
      changed.push(
        await client.update('CompanyCurrency', {
          Id: existing.Id!,
          SyncToken: existing.SyncToken!,
          Active: true,
        }),
      );
    } else if (!existing) {
      changed.push(await client.create('CompanyCurrency', { Code: code }));
    }
  }
  return changed;
}
