import Decimal from 'decimal.js';

/**
 * Money arithmetic. QuickBooks computes amounts in decimal and rounds to cents; binary floating point would turn
 * 0.1 + 0.2 into 0.30000000000000004 and break Amount = Qty × UnitPrice checks, so every amount goes through here.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

export const ZERO = new Dec(0);

/** A decimal from a JSON number or numeric string (QuickBooks' JSON reader accepts both), else undefined. */
export function toDec(value: unknown): Decimal | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? new Dec(value) : undefined;
  if (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value)) return new Dec(value.trim());
  return undefined;
}

/** Rounds half-up to cents, as QuickBooks rounds line and transaction amounts. */
export function cents(d: Decimal): Decimal {
  return d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** The JSON number QuickBooks would print. */
export function num(d: Decimal): number {
  return d.toNumber();
}

/** `1,000` / `1,000.5`: the grouping QuickBooks uses when it echoes a supplied value in a fault Detail. */
export function grouped(d: Decimal): string {
  const [whole, frac] = d.toFixed().split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${withCommas}.${frac}` : withCommas;
}
