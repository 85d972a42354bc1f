import Decimal from 'decimal.js';
import type { ConnectionSettingsData, OrderEntity, OrderRefundEntity } from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import { itemKey, MappingProblem, text, transactionBody } from '../posting/posting-mapper';

/** Identifies a refund's transaction in QuickBooks: written into PrivateNote, searched after an unknown outcome. */
export const refundMarker = (refundId: string): string => `[qbg-refund:${refundId}]`;

/** `<order number>-R<n>`, cut to QuickBooks' 21 characters from the order number's end. */
export function refundDocNumber(orderNumber: string, seq: number): string {
  const suffix = `-R${seq}`;
  return `${orderNumber.slice(0, 21 - suffix.length)}${suffix}`;
}

/** The account a RefundReceipt is paid from: `refundAccountId`, else `depositAccountId`. */
export function refundAccountOf(settings: ConnectionSettingsData): string {
  const account = settings.refundAccountId ?? settings.depositAccountId;
  if (!account) {
    throw new MappingProblem(
      'A refund receipt needs the account the refund is paid from, and none is set',
      'set refundAccountId (or depositAccountId) in the connection settings to a Bank or Credit Card account',
      'refundAccountId',
    );
  }
  return account;
}

/** What of the original transaction a refund repeats, so it lands on the same customer, currency and items. */
const CARRIED = [
  'CustomerRef',
  'CurrencyRef',
  'ExchangeRate',
  'ClassRef',
  'DepartmentRef',
  'BillAddr',
  'ShipAddr',
];

/**
 * The RefundReceipt or CreditMemo body of a refund. A full refund gives back the whole order (lines, charges,
 * discount, tax) as the original transaction had it; a refund of lines gives back those lines at the prices given;
 * a refund of an amount is one line on the order's first product. Customer, currency and rate come from the original.
 */
export function refundBody(
  order: OrderEntity,
  refund: OrderRefundEntity,
  original: QuickBooksEntity,
  settings: ConnectionSettingsData,
): QuickBooksEntity {
  const itemIds = itemIdsOf(order, original);
  const carried: QuickBooksEntity = {};
  for (const field of CARRIED) if (original[field] !== undefined) carried[field] = original[field];
  let lines: QuickBooksEntity[];
  let tax: QuickBooksEntity | undefined;
  if (refund.full) {
    const whole = transactionBody(order, {
      settings: { ...settings, postOrdersAs: 'INVOICE' },
      customerId: String((original.CustomerRef as { value?: string } | undefined)?.value ?? ''),
      itemIds,
      allowShipping: lineItems(original).includes('SHIPPING_ITEM_ID'),
    });
    lines = whole.Line as QuickBooksEntity[];
    tax = whole.TxnTaxDetail as QuickBooksEntity | undefined;
  } else if (refund.lines) {
    lines = refund.lines.map((line) => ({
      DetailType: 'SalesItemLineDetail',
      Amount: Number(line.amount),
      ...(line.description ? { Description: line.description.slice(0, 4000) } : {}),
      SalesItemLineDetail: {
        ItemRef: { value: itemIds.get(itemKey(line))! },
        Qty: Number(line.quantity),
        UnitPrice: Number(line.unitPrice),
        TaxCodeRef: { value: line.taxable ? 'TAX' : 'NON' },
      },
    }));
  } else {
    const first = order.lines[0];
    lines = [
      {
        DetailType: 'SalesItemLineDetail',
        Amount: new Decimal(refund.amount).toNumber(),
        Description: refund.reason ? `Refund: ${refund.reason}`.slice(0, 4000) : 'Refund',
        SalesItemLineDetail: {
          ItemRef: { value: itemIds.get(itemKey(first))! },
          TaxCodeRef: { value: 'NON' },
        },
      },
    ];
  }
  const body: QuickBooksEntity = {
    ...carried,
    DocNumber: refund.docNumber,
    TxnDate: refund.refundedAt.toISOString().slice(0, 10),
    Line: lines,
    PrivateNote:
      `Refund by QuickBooks Gateway of ${order.channel} order ${order.externalId} ${refundMarker(refund.id)}`.slice(
        0,
        4000,
      ),
    ...(tax ? { TxnTaxDetail: tax } : {}),
    ...(refund.reason ? { CustomerMemo: { value: refund.reason.slice(0, 1000) } } : {}),
  };
  if (refund.kind === 'REFUND_RECEIPT') {
    body.DepositToAccountRef = { value: refundAccountOf(settings) };
    if (original.PaymentMethodRef) body.PaymentMethodRef = original.PaymentMethodRef;
  }
  return body;
}

/** QuickBooks item ids of the order's lines: as recorded at posting, else read off the original transaction. */
function itemIdsOf(order: OrderEntity, original: QuickBooksEntity): Map<string, string> {
  const fromTransaction = lineItems(original);
  const ids = new Map<string, string>();
  order.lines.forEach((line, index) => {
    const id = line.quickbooksItemId ?? fromTransaction[index];
    if (!id) {
      throw new MappingProblem(
        `The QuickBooks item of "${line.sku ?? line.name}" is not known`,
        'sync reference data, then refund again',
      );
    }
    if (!ids.has(itemKey(line))) ids.set(itemKey(line), id);
  });
  return ids;
}

function lineItems(transaction: QuickBooksEntity): string[] {
  const lines = Array.isArray(transaction.Line) ? (transaction.Line as QuickBooksEntity[]) : [];
  return lines.flatMap((line) => {
    const detail = line.SalesItemLineDetail as { ItemRef?: { value?: unknown } } | undefined;
    return detail?.ItemRef?.value !== undefined ? [text(detail.ItemRef.value)] : [];
  });
}
