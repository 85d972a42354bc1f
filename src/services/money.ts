import Decimal from 'decimal.js';

/**
 * Exact decimal arithmetic for money and quantities. Values travel as strings ("1234.50") and are computed with
 * decimal.js; a JavaScript number never holds an amount. Rounding is half-up (away from zero at exactly .5), as
 * QuickBooks and most storefronts round line amounts.
 */
// A private constructor: enough significant digits for 16-digit amounts times 6-decimal quantities, and no
// exponent notation in strings. The global Decimal's settings stay as they are.
const Exact = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });

/** Decimal places of money (cents). */
export const MONEY_SCALE = 2;
/** Decimal places a quantity may carry (QuickBooks keeps fractional quantities). */
export const QUANTITY_SCALE = 6;
/** Money columns are DECIMAL(18,2): at most 16 digits before the point. */
export const MAX_INTEGER_DIGITS = 16;
const LIMIT = new Exact(10).pow(MAX_INTEGER_DIGITS);

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

export interface DecimalRule {
  /** Most decimal places allowed. */
  scale: number;
  /** 'positive': > 0; 'nonNegative': ≥ 0; 'any': either sign. */
  sign: 'positive' | 'nonNegative' | 'any';
  /** Most digits before the point (default MAX_INTEGER_DIGITS, what money columns hold). */
  maxIntegerDigits?: number;
}

export const MONEY_RULE: DecimalRule = { scale: MONEY_SCALE, sign: 'nonNegative' };
export const QUANTITY_RULE: DecimalRule = { scale: QUANTITY_SCALE, sign: 'positive' };
/** Home-currency units per foreign unit: positive, at most 10 decimal places (the column is DECIMAL(20,10)). */
export const EXCHANGE_RATE_RULE: DecimalRule = { scale: 10, sign: 'positive', maxIntegerDigits: 10 };

/**
 * Checks a decimal string against a rule. Returns the rule broken, worded to follow a field name
 * ("must have at most 2 decimal places"), or null when the value is fine.
 */
export function decimalProblem(value: unknown, rule: DecimalRule): string | null {
  if (typeof value !== 'string' || !DECIMAL_TEXT.test(value)) {
    return 'must be a decimal number written as a string, such as "12.50"';
  }
  const fraction = value.split('.')[1] ?? '';
  if (fraction.length > rule.scale) {
    return rule.scale === 0 ? 'must be a whole number' : `must have at most ${rule.scale} decimal places`;
  }
  const parsed = new Exact(value);
  if (rule.sign === 'positive' && !parsed.gt(0)) return 'must be greater than 0';
  if (rule.sign === 'nonNegative' && parsed.isNeg() && !parsed.isZero()) return 'must not be negative';
  const digits = rule.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  if (parsed.abs().gte(new Exact(10).pow(digits))) return `must be less than 10^${digits}`;
  return null;
}

/** Parses a decimal string that passed `decimalProblem`; throws on anything else (a bug in the caller). */
export function parseDecimal(value: string): Decimal {
  if (!DECIMAL_TEXT.test(value)) throw new Error(`not a decimal string: ${JSON.stringify(value)}`);
  return new Exact(value);
}

/** Rounds half-up to cents. */
export function roundMoney(value: Decimal.Value): Decimal {
  return new Exact(value).toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_UP);
}

/** Money as stored and shown: exactly two decimals ("12.50", "0.00"), rounded half-up. */
export function formatMoney(value: Decimal.Value): string {
  const rounded = roundMoney(value);
  // "-0.00" would read as a negative amount.
  return (rounded.isZero() ? new Exact(0) : rounded).toFixed(MONEY_SCALE);
}

/** A quantity in its shortest exact form ("2.500" → "2.5", "3.0" → "3"). */
export function formatQuantity(value: Decimal.Value): string {
  return new Exact(value).toFixed();
}

/** Line amount: quantity × unit price, rounded half-up to cents. */
export function lineAmount(quantity: Decimal.Value, unitPrice: Decimal.Value): Decimal {
  return roundMoney(new Exact(quantity).times(unitPrice));
}

/** Exact sum of amounts. */
export function sumMoney(values: readonly Decimal.Value[]): Decimal {
  return values.reduce<Decimal>((sum, value) => sum.plus(value), new Exact(0));
}

export interface TotalParts {
  /** Line amounts (already rounded to cents). */
  lines: readonly Decimal.Value[];
  charges: readonly Decimal.Value[];
  discount: Decimal.Value;
  tax: Decimal.Value;
}

/** Order total = Σ line amounts + Σ charges − discount + tax, rounded half-up to cents. */
export function orderTotal(parts: TotalParts): Decimal {
  return roundMoney(
    sumMoney(parts.lines).plus(sumMoney(parts.charges)).minus(parts.discount).plus(parts.tax),
  );
}

/** True when the value is below the money columns' limit (16 digits before the point). */
export function fitsMoneyColumn(value: Decimal.Value): boolean {
  return new Exact(value).abs().lt(LIMIT);
}

/**
 * ISO 4217 codes of currencies in circulation (list one of the standard, as amended to 2025: XCG replaced ANG,
 * ZWG replaced ZWL, SLE and VED added), without fund, precious-metal, testing and "no currency" codes (BOV, CHE,
 * CHW, CLF, COU, MXV, USN, UYI, UYW, XAG, XAU, XBA–XBD, XDR, XPD, XPT, XSU, XTS, XUA, XXX), which no order is
 * priced in. ANG, SLL and ZWL stay accepted while storefronts still send them.
 */
export const ISO_4217_CODES: ReadonlySet<string> = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF ' +
    'CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD ' +
    'HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD ' +
    'MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN ' +
    'PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP ' +
    'TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

export function isCurrencyCode(value: unknown): boolean {
  return typeof value === 'string' && ISO_4217_CODES.has(value);
}
