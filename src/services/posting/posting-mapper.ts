import Decimal from 'decimal.js';
import type {
  ConnectionSettingsData,
  OrderEntity,
  OrderLineData,
  PostedTransactionData,
} from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';

/** QuickBooks' built-in shipping line item (used for freight when the company allows shipping and no item is set). */
export const SHIPPING_ITEM_REF = 'SHIPPING_ITEM_ID';

/** A QuickBooks field as text ('' when absent or not text). */
export const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** A reason an order cannot be posted as configured, naming the setting to change. */
export class MappingProblem extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly setting?: keyof ConnectionSettingsData,
  ) {
    super(message);
    this.name = 'MappingProblem';
  }
}

/** Identifies the gateway's transaction for one posting of one order: written into PrivateNote, searched on recovery. */
export const postingMarker = (order: Pick<OrderEntity, 'id' | 'postingGeneration'>): string =>
  `[qbg:${order.id}:${order.postingGeneration}]`;
/** Any posting of this order, whatever the generation. */
export const orderMarkerPrefix = (orderId: string): string => `[qbg:${orderId}:`;

/** How an item is looked up: by SKU when the line has one, else by name (both case-insensitive). */
export const itemKey = (line: Pick<OrderLineData, 'sku' | 'name'>): string =>
  line.sku?.trim()
    ? `sku:${line.sku.trim().toLowerCase()}`
    : `name:${cleanItemName(line.name).toLowerCase()}`;

/** QuickBooks item names: at most 100 characters, no colon (the sub-item separator), no tabs or newlines. */
export const cleanItemName = (name: string): string =>
  name
    .replace(/[:\t\r\n]+/g, '-')
    .trim()
    .slice(0, 100);

/** QuickBooks display names: at most 500 characters, no colon, tab or newline. */
export const cleanDisplayName = (name: string): string =>
  name
    .replace(/[:\t\r\n]+/g, ' ')
    .trim()
    .slice(0, 500);

/** The customer an order posts to: its own, or the connection's default for orders without one. */
export function customerNameOf(order: OrderEntity, settings: ConnectionSettingsData): string {
  const own = cleanDisplayName(order.customer?.name ?? '');
  if (own) return own;
  if (settings.defaultCustomerName?.trim()) return cleanDisplayName(settings.defaultCustomerName);
  throw new MappingProblem(
    `Order ${order.orderNumber} has no customer and no default customer is set`,
    'set defaultCustomerName in the connection settings',
    'defaultCustomerName',
  );
}

/** The body of a new QuickBooks item for an order line, per the connection's product settings. */
export function newItemBody(line: OrderLineData, settings: ConnectionSettingsData): QuickBooksEntity {
  const need = (setting: keyof ConnectionSettingsData, what: string): string => {
    const value = settings[setting];
    if (value === null || value === undefined || value === '') {
      throw new MappingProblem(
        `Cannot create item "${line.sku ?? line.name}": no ${what} is set`,
        `set ${setting} in the connection settings`,
        setting,
      );
    }
    return String(value);
  };
  const body: QuickBooksEntity = {
    Name: cleanItemName(line.name || line.sku || 'Item'),
    ...(line.sku?.trim() ? { Sku: line.sku.trim().slice(0, 100) } : {}),
    ...(line.description ? { Description: line.description.slice(0, 4000) } : {}),
    UnitPrice: Number(line.unitPrice),
    Taxable: line.taxable,
    IncomeAccountRef: { value: need('incomeAccountId', 'income account') },
  };
  switch (settings.newItemKind) {
    case 'SERVICE':
      return { ...body, Type: 'Service' };
    case 'NON_INVENTORY':
      return { ...body, Type: 'NonInventory' };
    case 'INVENTORY':
      return {
        ...body,
        Type: 'Inventory',
        TrackQtyOnHand: true,
        QtyOnHand: Number(settings.defaultInventoryQuantity || '0'),
        InvStartDate:
          settings.defaultInventoryStartDate ?? need('defaultInventoryStartDate', 'inventory start date'),
        AssetAccountRef: { value: need('inventoryAssetAccountId', 'inventory asset account') },
        ExpenseAccountRef: { value: need('costOfGoodsSoldAccountId', 'cost of goods sold account') },
      };
  }
}

export interface TransactionContext {
  settings: ConnectionSettingsData;
  customerId: string;
  /** QuickBooks item id by itemKey. */
  itemIds: ReadonlyMap<string, string>;
  /** Whether the company lets freight go on QuickBooks' shipping line (Preferences.SalesFormsPrefs.AllowShipping). */
  allowShipping: boolean;
  /** CurrencyRef and ExchangeRate for an order in a foreign currency (see posting/currency.ts). */
  currency?: QuickBooksEntity;
  /** PaymentMethodRef of a sales receipt: the order's payment method mapped by name, else the default. */
  paymentMethodId?: string | null;
}

/** The SalesReceipt or Invoice body for an order (lines, charges, discount, tax, references, marker). */
export function transactionBody(order: OrderEntity, context: TransactionContext): QuickBooksEntity {
  const { settings } = context;
  const lines: QuickBooksEntity[] = order.lines.map((line) => {
    const itemId = context.itemIds.get(itemKey(line));
    if (!itemId)
      throw new MappingProblem(
        `No QuickBooks item for "${line.sku ?? line.name}"`,
        'sync reference data and retry',
      );
    return {
      DetailType: 'SalesItemLineDetail',
      Amount: Number(line.amount),
      ...(line.description ? { Description: line.description.slice(0, 4000) } : {}),
      SalesItemLineDetail: {
        ItemRef: { value: itemId },
        Qty: Number(line.quantity),
        UnitPrice: Number(line.unitPrice),
        TaxCodeRef: { value: line.taxable ? 'TAX' : 'NON' },
        ...(settings.defaultClassId ? { ClassRef: { value: settings.defaultClassId } } : {}),
      },
    };
  });

  for (const charge of order.charges) {
    if (new Decimal(charge.amount).isZero()) continue;
    lines.push(chargeLine(charge.kind, charge.amount, charge.description ?? null, context));
  }

  const discount = new Decimal(order.discountTotal);
  if (discount.greaterThan(0)) {
    if (!settings.discountAccountId) {
      throw new MappingProblem(
        `Order ${order.orderNumber} has a discount and no discount account is set`,
        'set discountAccountId in the connection settings',
        'discountAccountId',
      );
    }
    lines.push({
      DetailType: 'DiscountLineDetail',
      Amount: discount.toNumber(),
      DiscountLineDetail: { PercentBased: false, DiscountAccountRef: { value: settings.discountAccountId } },
    });
  }

  const tax = new Decimal(order.taxTotal);
  const isInvoice = settings.postOrdersAs === 'INVOICE';
  const body: QuickBooksEntity = {
    DocNumber: order.orderNumber,
    TxnDate: order.orderDate.toISOString().slice(0, 10),
    CustomerRef: { value: context.customerId },
    Line: lines,
    PrivateNote:
      `Posted by QuickBooks Gateway: ${order.channel} order ${order.externalId} ${postingMarker(order)}`.slice(
        0,
        4000,
      ),
    ...(tax.greaterThan(0)
      ? {
          TxnTaxDetail: {
            TotalTax: tax.toNumber(),
            ...(settings.defaultTaxCodeId && !['TAX', 'NON'].includes(settings.defaultTaxCodeId)
              ? { TxnTaxCodeRef: { value: settings.defaultTaxCodeId } }
              : {}),
          },
        }
      : {}),
    ...(order.customer?.email ? { BillEmail: { Address: order.customer.email } } : {}),
    ...(order.customer?.billingAddress ? { BillAddr: quickbooksAddress(order.customer.billingAddress) } : {}),
    ...(order.customer?.shippingAddress
      ? { ShipAddr: quickbooksAddress(order.customer.shippingAddress) }
      : {}),
    ...(settings.defaultClassId ? { ClassRef: { value: settings.defaultClassId } } : {}),
    ...(settings.defaultLocationId ? { DepartmentRef: { value: settings.defaultLocationId } } : {}),
    ...(order.notes ? { CustomerMemo: { value: order.notes.slice(0, 1000) } } : {}),
    ...context.currency,
  };
  if (isInvoice) {
    if (settings.defaultTermId) body.SalesTermRef = { value: settings.defaultTermId };
  } else {
    const paymentMethodId =
      context.paymentMethodId === undefined ? settings.defaultPaymentMethodId : context.paymentMethodId;
    if (paymentMethodId) body.PaymentMethodRef = { value: paymentMethodId };
    if (settings.depositAccountId) body.DepositToAccountRef = { value: settings.depositAccountId };
  }
  return body;
}

/** The setting naming the item each kind of charge posts on. */
export const CHARGE_SETTING = {
  FREIGHT: 'freightItemId',
  HANDLING: 'handlingItemId',
  PACKAGING: 'packagingItemId',
  OTHER: 'handlingItemId',
} as const;

function chargeLine(
  kind: keyof typeof CHARGE_SETTING,
  amount: string,
  description: string | null,
  context: TransactionContext,
): QuickBooksEntity {
  const setting = CHARGE_SETTING[kind];
  let itemId = context.settings[setting];
  if (!itemId && kind === 'FREIGHT' && context.allowShipping) itemId = SHIPPING_ITEM_REF;
  if (!itemId) {
    throw new MappingProblem(
      `A ${kind.toLowerCase()} charge needs an item to post on and none is set`,
      `set ${setting} in the connection settings${kind === 'FREIGHT' ? ' (or allow shipping in QuickBooks)' : ''}${kind === 'OTHER' ? ' (OTHER charges post on the handling item)' : ''}`,
      setting,
    );
  }
  return {
    DetailType: 'SalesItemLineDetail',
    Amount: Number(amount),
    Description: description ?? kind.charAt(0) + kind.slice(1).toLowerCase(),
    SalesItemLineDetail: { ItemRef: { value: itemId }, TaxCodeRef: { value: 'NON' } },
  };
}

/** An order address as a QuickBooks PhysicalAddress. */
export function quickbooksAddress(
  a: NonNullable<OrderEntity['customer']['billingAddress']>,
): QuickBooksEntity {
  return {
    ...(a.line1 ? { Line1: a.line1 } : {}),
    ...(a.line2 ? { Line2: a.line2 } : {}),
    ...(a.city ? { City: a.city } : {}),
    ...(a.region ? { CountrySubDivisionCode: a.region } : {}),
    ...(a.postalCode ? { PostalCode: a.postalCode } : {}),
    ...(a.country ? { Country: a.country } : {}),
  };
}

/** What QuickBooks answered for a created or found transaction, as the order keeps it. */
export function toPosted(
  entity: 'SalesReceipt' | 'Invoice',
  transaction: QuickBooksEntity,
): PostedTransactionData {
  return {
    kind: entity === 'Invoice' ? 'INVOICE' : 'SALES_RECEIPT',
    id: String(transaction.Id),
    docNumber: typeof transaction.DocNumber === 'string' ? transaction.DocNumber : null,
    syncToken: typeof transaction.SyncToken === 'string' ? transaction.SyncToken : null,
    totalAmount:
      typeof transaction.TotalAmt === 'number' || typeof transaction.TotalAmt === 'string'
        ? new Decimal(transaction.TotalAmt).toFixed(2)
        : null,
  };
}

/** One order now in QuickBooks, as `postedOrderColumns` writes it. */
export interface PostedOrderFacts {
  order: Pick<OrderEntity, 'customer' | 'lines'>;
  posted: PostedTransactionData;
  /** The QuickBooks customer and item ids the transaction used; absent when they are not known (a match). */
  customerId?: string | null;
  itemIds?: ReadonlyMap<string, string> | null;
}

/**
 * The posted columns of an order, per row for `updateEach`: the transaction, the customer's and lines' QuickBooks ids.
 * Every QuickBooks path that marks an order POSTED (posting, the invoice ledger) writes them through here, so a new
 * posted column is added in one place. Constant columns (status POSTED, postedAt, ...) stay with the caller.
 */
export function postedOrderColumns<R>(
  facts: (row: R) => PostedOrderFacts,
): Record<string, (row: R) => unknown> {
  return {
    postedTransaction: (row) => JSON.stringify(facts(row).posted),
    // Indexed: webhooks and CDC find the order a transaction came from by it.
    postedTransactionId: (row) => facts(row).posted.id,
    customer: (row) => {
      const { order, customerId } = facts(row);
      return JSON.stringify(
        customerId !== undefined ? { ...order.customer, quickbooksId: customerId } : order.customer,
      );
    },
    lines: (row) => {
      const { order, itemIds } = facts(row);
      return JSON.stringify(
        itemIds
          ? order.lines.map((line) => ({ ...line, quickbooksItemId: itemIds.get(itemKey(line)) ?? null }))
          : order.lines,
      );
    },
  };
}
