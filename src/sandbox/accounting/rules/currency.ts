/**
 * QuickBooks Online's multicurrency rules, per Intuit's "Manage multiple currencies" guide
 * (developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies) and the API reference of
 * Preferences, CompanyCurrency, ExchangeRate, Customer and the sales transactions:
 *
 * - `Preferences.CurrencyPrefs` holds the home currency and `MultiCurrencyEnabled`, off by default; once on it cannot be
 *   turned off ("cannot be disabled once it's been enabled").
 * - The currencies a company trades in besides its home currency are `CompanyCurrency` objects (Code, Name, Active);
 *   they exist only with multicurrency on.
 * - A customer has one currency, set when it is created and fixed afterwards; a sales transaction is in its customer's
 *   currency (`CurrencyRef`), with `ExchangeRate` = home currency units per one foreign unit (the rate QuickBooks
 *   holds for the transaction date when the request leaves it out) and `HomeTotalAmt` = TotalAmt in the home currency.
 * - `GET /exchangerate?sourcecurrencycode=EUR&asofdate=YYYY-MM-DD` answers the rate for a date; `POST /exchangerate`
 *   sets one (python-quickbooks' ExchangeRate object: SourceCurrencyCode, TargetCurrencyCode, Rate, AsOfDate).
 *
 * Fault wording where Intuit documents none (a currency mismatch) is the emulator's own, under QuickBooks' codes
 * (6000 business validation, 2500 invalid reference).
 */
import type { Ref, RuleContext } from '../context';
import { businessValidation, invalidReference, invalidValue, QboFault, requiredParam } from '../faults';
import { isObject, optBool, optDecimal, optString, reqString } from '../fields';
import { cents, Dec, num } from '../money';
import type { QboObject, Realm } from '../company/realm';
import { companyDate } from '../time';

/** ISO 4217 names as QuickBooks prints them in currency references (the common ones; others print their code). */
const CURRENCY_NAMES: Readonly<Record<string, string>> = {
  USD: 'United States Dollar',
  EUR: 'Euro',
  GBP: 'British Pound Sterling',
  CAD: 'Canadian Dollar',
  AUD: 'Australian Dollar',
  JPY: 'Japanese Yen',
  CHF: 'Swiss Franc',
  MXN: 'Mexican Peso',
  INR: 'Indian Rupee',
  CNY: 'Chinese Yuan Renminbi',
  NZD: 'New Zealand Dollar',
  SEK: 'Swedish Krona',
  DKK: 'Danish Krone',
  NOK: 'Norwegian Krone',
};

/**
 * The rates QuickBooks' own feed would supply (units of USD per unit), used when nobody set a rate for a date: the
 * emulator has no feed, and a fixed table keeps tests deterministic. `POST /exchangerate` overrides them per date.
 */
const FEED_RATES_TO_USD: Readonly<Record<string, number>> = {
  EUR: 1.085,
  GBP: 1.27,
  CAD: 0.735,
  AUD: 0.66,
  JPY: 0.0067,
  CHF: 1.13,
  MXN: 0.058,
  INR: 0.012,
  CNY: 0.138,
  NZD: 0.61,
  SEK: 0.096,
  DKK: 0.145,
  NOK: 0.094,
};

const CODE = /^[A-Z]{3}$/;

export function currencyRef(code: string): Ref {
  return { value: code, name: CURRENCY_NAMES[code] ?? code };
}

function currencyPrefs(realm: Realm): QboObject {
  const prefs = realm.preferences.CurrencyPrefs;
  return isObject(prefs) ? prefs : {};
}

/** The company's home currency (`CurrencyPrefs.HomeCurrency`), USD for a US company. */
export function homeCurrency(realm: Realm): string {
  const home = currencyPrefs(realm).HomeCurrency;
  return isObject(home) && typeof home.value === 'string' ? home.value : 'USD';
}

export function multicurrencyEnabled(realm: Realm): boolean {
  return currencyPrefs(realm).MultiCurrencyEnabled === true;
}

function currencyCodeOf(value: unknown, element: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidValue(element, value);
  const code = value.value;
  if (code === undefined || code === null || code === '') return undefined;
  if (typeof code !== 'string' || !CODE.test(code)) throw invalidReference(element);
  return code;
}

/**
 * A currency a name-list object or transaction may use: the home currency always; another one only with multicurrency
 * on and an active CompanyCurrency for it.
 */
function usableCurrency(ctx: RuleContext, code: string, element: string): void {
  if (code === homeCurrency(ctx.realm)) return;
  if (!multicurrencyEnabled(ctx.realm)) {
    throw businessValidation(
      `Multicurrency is not enabled in this company; amounts must be in the home currency ${homeCurrency(ctx.realm)} (supplied ${code}).`,
      element,
    );
  }
  const listed = [...ctx.realm.table('CompanyCurrency').values()].some(
    (row) => !row.deleted && row.obj.Code === code && row.obj.Active !== false,
  );
  if (!listed) throw invalidReference(element);
}

/**
 * Customer.CurrencyRef: chosen at creation (home currency by default) and fixed afterwards. A full update that leaves
 * it out keeps it; a different one is refused.
 */
export function customerCurrency(ctx: RuleContext, input: QboObject, prev: QboObject | undefined): Ref {
  const requested = currencyCodeOf(input.CurrencyRef, 'CurrencyRef');
  const previous = prev ? currencyCodeOf(prev.CurrencyRef, 'CurrencyRef') : undefined;
  if (previous !== undefined) {
    if (requested !== undefined && requested !== previous) {
      throw businessValidation(
        `The currency of a customer cannot be changed once it is set (this customer is in ${previous}).`,
        'CurrencyRef',
      );
    }
    return currencyRef(previous);
  }
  const code = requested ?? homeCurrency(ctx.realm);
  usableCurrency(ctx, code, 'CurrencyRef');
  return currencyRef(code);
}

/** The rate for a currency on a date: the latest set on or before it, else the feed's. Undefined when none. */
export function rateOn(realm: Realm, code: string, date: string): Dec | undefined {
  const home = homeCurrency(realm);
  if (code === home) return new Dec(1);
  let best: { date: string; rate: number } | undefined;
  for (const row of realm.table('ExchangeRate').values()) {
    const r = row.obj;
    if (r.SourceCurrencyCode !== code || typeof r.AsOfDate !== 'string' || r.AsOfDate > date) continue;
    if (!best || r.AsOfDate > best.date) best = { date: r.AsOfDate, rate: r.Rate as number };
  }
  if (best) return new Dec(best.rate);
  const toUsd = FEED_RATES_TO_USD[code];
  const homeToUsd = home === 'USD' ? 1 : FEED_RATES_TO_USD[home];
  if (toUsd === undefined || homeToUsd === undefined) return undefined;
  return new Dec(toUsd).dividedBy(homeToUsd).toDecimalPlaces(6);
}

/**
 * CurrencyRef, ExchangeRate and HomeTotalAmt of a sales transaction (or payment): in its customer's currency (the home
 * currency without a customer, unless the request names one); a foreign currency needs multicurrency on and takes the
 * request's rate or the one QuickBooks holds for TxnDate. Without multicurrency QuickBooks prints neither ExchangeRate
 * nor the Home* amounts.
 */
export function applyCurrency(
  ctx: RuleContext,
  out: QboObject,
  input: QboObject,
  customer: QboObject | undefined,
  amounts: { total: Dec; balance?: Dec },
): void {
  const home = homeCurrency(ctx.realm);
  const requested = currencyCodeOf(input.CurrencyRef, 'CurrencyRef');
  const customerCode = customer ? (currencyCodeOf(customer.CurrencyRef, 'CustomerRef') ?? home) : undefined;
  if (requested !== undefined && customerCode !== undefined && requested !== customerCode) {
    throw businessValidation(
      `The transaction currency ${requested} must be the customer's currency ${customerCode}.`,
      'CurrencyRef',
    );
  }
  const code = requested ?? customerCode ?? home;
  usableCurrency(ctx, code, 'CurrencyRef');
  out.CurrencyRef = currencyRef(code);
  delete out.HomeTotalAmt;
  delete out.HomeBalance;
  if (!multicurrencyEnabled(ctx.realm)) {
    delete out.ExchangeRate;
    return;
  }
  let rate: Dec;
  if (code === home) {
    rate = new Dec(1);
  } else {
    const given = optDecimal(input, 'ExchangeRate');
    if (given !== undefined && !given.greaterThan(0)) throw invalidValue('ExchangeRate', input.ExchangeRate);
    const held = rateOn(ctx.realm, code, typeof out.TxnDate === 'string' ? out.TxnDate : ctx.today);
    if (given === undefined && held === undefined) throw requiredParam('ExchangeRate');
    rate = given ?? held!;
  }
  out.ExchangeRate = num(rate);
  out.HomeTotalAmt = num(cents(amounts.total.times(rate)));
  if (amounts.balance !== undefined) out.HomeBalance = num(cents(amounts.balance.times(rate)));
}

/** CompanyCurrency: Code (ISO 4217) and Name; only with multicurrency on; the home currency is not one of them. */
export function buildCompanyCurrency(
  ctx: RuleContext,
  input: QboObject,
  prev: QboObject | undefined,
): QboObject {
  if (!multicurrencyEnabled(ctx.realm)) {
    throw businessValidation('Multicurrency is not enabled in this company.', 'Code');
  }
  const code = reqString(input, 'Code', 3);
  if (!CODE.test(code)) throw invalidValue('Code', code);
  if (prev && prev.Code !== code)
    throw businessValidation('The code of a currency cannot be changed.', 'Code');
  if (code === homeCurrency(ctx.realm)) {
    throw businessValidation(`${code} is the home currency of this company.`, 'Code');
  }
  return {
    ...input,
    Code: code,
    Name: optString(input, 'Name', 100) ?? CURRENCY_NAMES[code] ?? code,
    Active: optBool(input, 'Active') ?? true,
  };
}

/** Multicurrency, once on, stays on: a Preferences update may turn it on, never off. */
export function checkCurrencyPrefs(current: QboObject, next: QboObject): void {
  const before = isObject(current.CurrencyPrefs) ? current.CurrencyPrefs : {};
  const after = isObject(next.CurrencyPrefs) ? next.CurrencyPrefs : {};
  if (before.MultiCurrencyEnabled === true && after.MultiCurrencyEnabled !== true) {
    throw businessValidation(
      'Multicurrency cannot be turned off once it has been turned on.',
      'CurrencyPrefs.MultiCurrencyEnabled',
    );
  }
  const homeBefore = isObject(before.HomeCurrency) ? before.HomeCurrency.value : undefined;
  const homeAfter = isObject(after.HomeCurrency) ? after.HomeCurrency.value : undefined;
  if (homeBefore !== undefined && homeAfter !== undefined && homeAfter !== homeBefore) {
    throw businessValidation('The home currency cannot be changed.', 'CurrencyPrefs.HomeCurrency');
  }
}

/** `GET /exchangerate?sourcecurrencycode=&asofdate=`: the rate QuickBooks would use on that date. */
export function readExchangeRate(ctx: RuleContext, query: Record<string, string | undefined>): QboObject {
  if (!multicurrencyEnabled(ctx.realm)) {
    throw businessValidation('Multicurrency is not enabled in this company.', 'sourcecurrencycode');
  }
  const code = query.sourcecurrencycode;
  if (!code) throw requiredParam('sourcecurrencycode');
  if (!CODE.test(code)) throw invalidValue('sourcecurrencycode', code);
  const date = asOfDate(query.asofdate, ctx.nowMs);
  const rate = rateOn(ctx.realm, code, date);
  if (rate === undefined) throw invalidReference('sourcecurrencycode');
  const stored = ctx.realm.row('ExchangeRate', rateId(code, date))?.obj;
  return (
    stored ?? {
      SourceCurrencyCode: code,
      TargetCurrencyCode: homeCurrency(ctx.realm),
      Rate: num(rate),
      AsOfDate: date,
      SyncToken: '0',
      domain: 'QBO',
      sparse: false,
    }
  );
}

/** `POST /exchangerate`: sets the rate of one currency for one date (no Id; the SyncToken guards a stored rate). */
export function writeExchangeRate(ctx: RuleContext, body: unknown, stamp: string): QboObject {
  if (!isObject(body)) throw invalidValue('ExchangeRate', body);
  if (!multicurrencyEnabled(ctx.realm)) {
    throw businessValidation('Multicurrency is not enabled in this company.', 'SourceCurrencyCode');
  }
  const code = reqString(body, 'SourceCurrencyCode', 3);
  if (!CODE.test(code) || code === homeCurrency(ctx.realm)) throw invalidValue('SourceCurrencyCode', code);
  const date = asOfDate(optString(body, 'AsOfDate'), ctx.nowMs);
  const rate = optDecimal(body, 'Rate');
  if (rate === undefined) throw requiredParam('Rate');
  if (!rate.greaterThan(0)) throw invalidValue('Rate', body.Rate);
  const id = rateId(code, date);
  const prev = ctx.realm.row('ExchangeRate', id)?.obj;
  const token = optString(body, 'SyncToken');
  if (prev && token !== undefined && token !== prev.SyncToken) {
    throw new QboFault([
      {
        Message: 'Stale Object Error',
        Detail: 'Stale Object Error : the exchange rate changed',
        code: '5010',
        element: '',
      },
    ]);
  }
  const obj: QboObject = {
    Id: id,
    SourceCurrencyCode: code,
    TargetCurrencyCode: homeCurrency(ctx.realm),
    Rate: num(rate),
    AsOfDate: date,
    domain: 'QBO',
    sparse: false,
    SyncToken: prev ? String(Number(prev.SyncToken ?? 0) + 1) : '0',
    MetaData: { LastUpdatedTime: stamp },
  };
  ctx.realm.put('ExchangeRate', obj, ctx.nowMs);
  return obj;
}

const rateId = (code: string, date: string): string => `${code}:${date}`;

function asOfDate(value: string | undefined, nowMs: number): string {
  if (value === undefined || value === '') return companyDate(nowMs);
  const date = value.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw invalidValue('asofdate', value);
  }
  return date;
}

/**
 * 6210, "Account Period Closed": QuickBooks refuses to create, change, delete or void a transaction dated on or before
 * the company's closing date (`AccountingInfoPrefs.BookCloseDate`), old date or new (Intuit "Handling common errors").
 */
export function checkClosedPeriod(realm: Realm, ...dates: unknown[]): void {
  const prefs = realm.preferences.AccountingInfoPrefs;
  const closed = isObject(prefs) && typeof prefs.BookCloseDate === 'string' ? prefs.BookCloseDate : undefined;
  if (!closed) return;
  if (!dates.some((d) => typeof d === 'string' && d.slice(0, 10) <= closed.slice(0, 10))) return;
  throw new QboFault([
    {
      Message: 'Account Period Closed',
      Detail: `Account Period Closed, cannot update through Services API: the books are closed on ${closed.slice(0, 10)}.`,
      code: '6210',
      element: 'TxnDate',
    },
  ]);
}
