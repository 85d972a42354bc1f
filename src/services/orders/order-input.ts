/**
 * Orders as a channel sends them: the input shape, the rules that need arithmetic or the whole call, and the
 * normalized content (amounts in their stored form, total, content hash) that the write path stores.
 */
import { createHash } from 'node:crypto';
import type {
  AddressData,
  ChargeKind,
  OrderChargeData,
  OrderCustomerData,
  OrderEntity,
  OrderLineData,
} from '../../entities';
import { badInput } from '../../errors';
import {
  EXCHANGE_RATE_RULE,
  MONEY_RULE,
  QUANTITY_RULE,
  decimalProblem,
  fitsMoneyColumn,
  formatMoney,
  formatQuantity,
  isCurrencyCode,
  lineAmount,
  orderTotal,
  parseDecimal,
  sumMoney,
  type DecimalRule,
} from '../money';

export const MAX_ORDERS_PER_CALL = 1000;
const CHANNEL_MAX = 100;
const CONTROL_CHARACTERS = /\p{Cc}/u;

/** An address as a channel sends it: the stored shape. */
export type AddressInputData = AddressData;

/** An order as a channel sends it (the shape of the GraphQL `OrderInput`). */
export interface OrderInputData {
  externalId: string;
  orderNumber: string;
  orderDate: Date;
  /** Default USD. */
  currency?: string | null;
  /** Home-currency units per unit of `currency`; absent: QuickBooks' rate for the order date. */
  exchangeRate?: string | null;
  /** Absent: the order posts to the connection's defaultCustomerName. */
  customer?: {
    name: string;
    email?: string | null;
    company?: string | null;
    phone?: string | null;
    billingAddress?: AddressInputData | null;
    shippingAddress?: AddressInputData | null;
  } | null;
  lines: Array<{
    sku?: string | null;
    name: string;
    description?: string | null;
    quantity: string;
    unitPrice: string;
    taxable?: boolean | null;
  }>;
  charges?: Array<{ kind: ChargeKind; description?: string | null; amount: string }> | null;
  /** Default "0". */
  discountTotal?: string | null;
  /** Default "0". */
  taxTotal?: string | null;
  paymentMethod?: string | null;
  notes?: string | null;
}

/** The content fields of an order row, computed from its input. */
export type OrderContent = Pick<
  OrderEntity,
  | 'orderNumber'
  | 'orderDate'
  | 'currency'
  | 'exchangeRate'
  | 'customerName'
  | 'customerEmail'
  | 'customer'
  | 'lines'
  | 'charges'
  | 'discountTotal'
  | 'taxTotal'
  | 'total'
  | 'paymentMethod'
  | 'notes'
  | 'contentHash'
>;

export interface PreparedOrder {
  index: number;
  externalId: string;
  content: OrderContent;
}

export function checkChannel(channel: string): void {
  if (!channel.trim()) throw badInput('channel', 'must not be empty');
  if (channel.length > CHANNEL_MAX)
    throw badInput('channel', `must be at most ${CHANNEL_MAX} characters long`);
  if (CONTROL_CHARACTERS.test(channel)) throw badInput('channel', 'must not contain control characters');
}

/** What one order's lines may take as stored JSON (the MySQL TEXT column holds 65,535 bytes). */
const MAX_LINES_JSON_BYTES = 60_000;

/**
 * The rules that need arithmetic or the whole call (the declarative ones live on the GraphQL input classes):
 * exact decimals, amounts that fit, a discount no larger than what it discounts, no external id twice. Also
 * computes each order's stored content: line amounts, total and the hash that tells a changed re-send.
 */
export function prepareOrders(inputs: readonly OrderInputData[]): PreparedOrder[] {
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    const path = `orders.${index}`;
    const earlier = seen.get(input.externalId);
    if (earlier !== undefined) {
      throw badInput(
        `${path}.externalId`,
        `repeats orders.${earlier}.externalId "${input.externalId}" in the same call`,
        'send each order once per call',
      );
    }
    seen.set(input.externalId, index);
    if (input.lines.length === 0) throw badInput(`${path}.lines`, 'must contain at least one line');
    const currency = input.currency ?? 'USD';
    if (!isCurrencyCode(currency)) {
      throw badInput(`${path}.currency`, 'must be an ISO 4217 currency code in capitals, such as USD');
    }
    const exchangeRate =
      input.exchangeRate === undefined || input.exchangeRate === null
        ? null
        : formatQuantity(checkedDecimal(input.exchangeRate, EXCHANGE_RATE_RULE, `${path}.exchangeRate`));

    const lines: OrderLineData[] = input.lines.map((line, lineIndex) => {
      const linePath = `${path}.lines.${lineIndex}`;
      const quantity = checkedDecimal(line.quantity, QUANTITY_RULE, `${linePath}.quantity`);
      const unitPrice = checkedDecimal(line.unitPrice, MONEY_RULE, `${linePath}.unitPrice`);
      const amount = lineAmount(quantity, unitPrice);
      if (!fitsMoneyColumn(amount)) {
        throw badInput(`${linePath}.unitPrice`, 'quantity × unitPrice must be less than 10^16');
      }
      return {
        sku: line.sku ?? null,
        name: line.name,
        description: line.description ?? null,
        quantity: formatQuantity(quantity),
        unitPrice: formatMoney(unitPrice),
        amount: formatMoney(amount),
        taxable: line.taxable ?? false,
        quickbooksItemId: null,
      };
    });
    // Lines are kept as JSON in a TEXT column (64 KiB on MySQL), with room for the QuickBooks item ids posting adds.
    if (Buffer.byteLength(JSON.stringify(lines)) + lines.length * 40 > MAX_LINES_JSON_BYTES) {
      throw badInput(`${path}.lines`, 'are too large to store: shorten the descriptions or split the order');
    }
    const charges: OrderChargeData[] = (input.charges ?? []).map((charge, chargeIndex) => ({
      kind: charge.kind,
      description: charge.description ?? null,
      amount: formatMoney(checkedDecimal(charge.amount, MONEY_RULE, `${path}.charges.${chargeIndex}.amount`)),
    }));
    const discount = checkedDecimal(input.discountTotal ?? '0', MONEY_RULE, `${path}.discountTotal`);
    const tax = checkedDecimal(input.taxTotal ?? '0', MONEY_RULE, `${path}.taxTotal`);
    const subtotal = sumMoney([
      ...lines.map((line) => line.amount),
      ...charges.map((charge) => charge.amount),
    ]);
    if (discount.gt(subtotal)) {
      throw badInput(
        `${path}.discountTotal`,
        `must not exceed the lines and charges it discounts (${formatMoney(subtotal)}): QuickBooks refuses a negative total`,
      );
    }
    const total = orderTotal({
      lines: lines.map((line) => line.amount),
      charges: charges.map((charge) => charge.amount),
      discount,
      tax,
    });
    if (!fitsMoneyColumn(total)) throw badInput(path, 'the order total must be less than 10^16');

    const customer: OrderCustomerData = {
      name: input.customer?.name ?? '',
      email: input.customer?.email ?? null,
      company: input.customer?.company ?? null,
      phone: input.customer?.phone ?? null,
      billingAddress: address(input.customer?.billingAddress),
      shippingAddress: address(input.customer?.shippingAddress),
    };
    const content: Omit<OrderContent, 'contentHash'> = {
      orderNumber: input.orderNumber,
      orderDate: input.orderDate,
      currency,
      exchangeRate,
      customerName: customer.name,
      customerEmail: customer.email ?? null,
      customer,
      lines,
      charges,
      discountTotal: formatMoney(discount),
      taxTotal: formatMoney(tax),
      total: formatMoney(total),
      paymentMethod: input.paymentMethod ?? null,
      notes: input.notes ?? null,
    };
    return {
      index,
      externalId: input.externalId,
      content: { ...content, contentHash: contentHash(content) },
    };
  });
}

function checkedDecimal(value: string, rule: DecimalRule, field: string) {
  const problem = decimalProblem(value, rule);
  if (problem) throw badInput(field, problem);
  return parseDecimal(value);
}

function address(input: AddressInputData | null | undefined): AddressData | null {
  if (!input) return null;
  return {
    line1: input.line1 ?? null,
    line2: input.line2 ?? null,
    city: input.city ?? null,
    region: input.region ?? null,
    postalCode: input.postalCode ?? null,
    country: input.country ?? null,
  };
}

/**
 * SHA-256 of the normalized content (amounts in their stored form, fields in a fixed order), so "2.50" and "2.5"
 * or a re-ordered JSON object are the same order, and any real change is a different hash.
 */
function contentHash(content: Omit<OrderContent, 'contentHash'>): string {
  const canonical = [
    content.orderNumber,
    content.orderDate.toISOString(),
    content.currency,
    [
      content.customer.name,
      content.customer.email,
      content.customer.company,
      content.customer.phone,
      addressTuple(content.customer.billingAddress),
      addressTuple(content.customer.shippingAddress),
    ],
    content.lines.map((line) => [
      line.sku,
      line.name,
      line.description,
      line.quantity,
      line.unitPrice,
      line.taxable,
    ]),
    content.charges.map((charge) => [charge.kind, charge.description, charge.amount]),
    content.discountTotal,
    content.taxTotal,
    content.paymentMethod,
    content.notes,
    // Appended only when set, so orders stored before the field existed keep their hash.
    ...(content.exchangeRate === null ? [] : [content.exchangeRate]),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function addressTuple(value: AddressData | null | undefined): unknown {
  if (!value) return null;
  return [value.line1, value.line2, value.city, value.region, value.postalCode, value.country];
}
