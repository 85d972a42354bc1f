/**
 * Orders, customers and items as qbXML 13.0 Add requests (elements in the order QuickBooks' DTD requires), and
 * QuickBooks Desktop list objects in the shape the reference mirror stores.
 */
import Decimal from 'decimal.js';
import type {
  AddressData,
  ConnectionSettingsData,
  OrderEntity,
  OrderLineData,
  PostedTransactionData,
} from '../entities';
import type { QuickBooksEntity } from '../quickbooks';
import {
  CHARGE_SETTING,
  cleanDisplayName,
  cleanItemName,
  customerNameOf,
  MappingProblem,
  postingMarker,
} from '../services/posting/posting-mapper';
import { text, type QbObject } from './qbxml';

/** QuickBooks Desktop's longest names and numbers. */
export const CUSTOMER_NAME_MAX = 41;
export const ITEM_NAME_MAX = 31;
export const REF_NUMBER_MAX = 11;

export type DesktopTxn = 'SalesReceipt' | 'Invoice';

/** The customer name an order posts to in QuickBooks Desktop (41 characters at most). */
export const desktopCustomerName = (order: OrderEntity, settings: ConnectionSettingsData): string =>
  cleanDisplayName(customerNameOf(order, settings)).slice(0, CUSTOMER_NAME_MAX).trim();

/** Desktop items have no SKU field: the SKU is the item's name (31 characters at most), else the line's name. */
export const desktopItemName = (line: Pick<OrderLineData, 'sku' | 'name'>): string =>
  cleanItemName(line.sku?.trim() || line.name || 'Item')
    .slice(0, ITEM_NAME_MAX)
    .trim();

/** Names are matched case-insensitively, as QuickBooks compares them. */
export const nameKey = (name: string): string => name.toLowerCase();

function address(a: AddressData | null | undefined): QbObject | undefined {
  if (!a) return undefined;
  const out: QbObject = {};
  if (a.line1) out.Addr1 = a.line1.slice(0, 41);
  if (a.line2) out.Addr2 = a.line2.slice(0, 41);
  if (a.city) out.City = a.city.slice(0, 31);
  if (a.region) out.State = a.region.slice(0, 21);
  if (a.postalCode) out.PostalCode = a.postalCode.slice(0, 13);
  if (a.country) out.Country = a.country.slice(0, 31);
  return Object.keys(out).length ? out : undefined;
}

/** CustomerAdd for an order's customer under `name`. */
export function customerAdd(name: string, order: OrderEntity): QbObject {
  const c = order.customer;
  const own = Boolean(c?.name);
  const add: QbObject = { Name: name };
  if (own && c.company) add.CompanyName = c.company.slice(0, 41);
  const bill = own ? address(c.billingAddress) : undefined;
  const ship = own ? address(c.shippingAddress) : undefined;
  if (bill) add.BillAddress = bill;
  if (ship) add.ShipAddress = ship;
  if (own && c.phone) add.Phone = c.phone.slice(0, 21);
  if (own && c.email) add.Email = c.email.slice(0, 1023);
  return { CustomerAdd: add };
}

/** The Add request for a new item, per the connection's product settings (`type` is e.g. `ItemNonInventoryAdd`). */
export function itemAdd(
  line: OrderLineData,
  settings: ConnectionSettingsData,
): { type: string; content: QbObject } {
  const need = (setting: keyof ConnectionSettingsData, what: string): string => {
    const value = settings[setting];
    if (value === null || value === undefined || value === '')
      throw new MappingProblem(
        `Cannot create item "${desktopItemName(line)}": no ${what} is set`,
        `set ${setting} in the connection settings`,
        setting,
      );
    return String(value);
  };
  const name = desktopItemName(line);
  const description = (line.description || line.name).slice(0, 4095);
  const tax = { FullName: line.taxable ? 'Tax' : 'Non' };
  const income = { ListID: need('incomeAccountId', 'income account') };
  if (settings.newItemKind === 'INVENTORY') {
    return {
      type: 'ItemInventoryAdd',
      content: {
        ItemInventoryAdd: {
          Name: name,
          SalesTaxCodeRef: tax,
          SalesDesc: description,
          SalesPrice: new Decimal(line.unitPrice).toFixed(2),
          IncomeAccountRef: income,
          COGSAccountRef: { ListID: need('costOfGoodsSoldAccountId', 'cost of goods sold account') },
          AssetAccountRef: { ListID: need('inventoryAssetAccountId', 'inventory asset account') },
          QuantityOnHand: settings.defaultInventoryQuantity || '0',
          InventoryDate:
            settings.defaultInventoryStartDate ?? need('defaultInventoryStartDate', 'inventory start date'),
        },
      },
    };
  }
  const kind = settings.newItemKind === 'SERVICE' ? 'ItemServiceAdd' : 'ItemNonInventoryAdd';
  return {
    type: kind,
    content: {
      [kind]: {
        Name: name,
        SalesTaxCodeRef: tax,
        SalesOrPurchase: {
          Desc: description,
          Price: new Decimal(line.unitPrice).toFixed(2),
          AccountRef: income,
        },
      },
    },
  };
}

/**
 * SalesReceiptAdd / InvoiceAdd for an order: RefNumber = the order number, the posting marker in Memo (what a look-up
 * after a lost answer searches for), lines on item ListIDs, charges on the configured items.
 */
export function transactionAdd(
  entity: DesktopTxn,
  order: OrderEntity,
  context: { settings: ConnectionSettingsData; customerId: string; itemIds: ReadonlyMap<string, string> },
): QbObject {
  const { settings } = context;
  if (order.orderNumber.length > REF_NUMBER_MAX)
    throw new MappingProblem(
      `Order number ${order.orderNumber} is longer than the ${REF_NUMBER_MAX} characters QuickBooks Desktop allows`,
      'shorten the order number, then post again',
    );
  if (new Decimal(order.discountTotal).greaterThan(0))
    throw new MappingProblem(
      `Order ${order.orderNumber} has a discount; QuickBooks Desktop takes discounts only as a discount item, which the gateway does not post yet`,
      'post the order without the discount, or record the discount in QuickBooks',
    );
  if (new Decimal(order.taxTotal).greaterThan(0))
    throw new MappingProblem(
      `Order ${order.orderNumber} carries sales tax; QuickBooks Desktop computes sales tax from its own tax items, which the gateway does not set yet`,
      'post the order without tax, or record the tax in QuickBooks',
    );
  const lineName = `${entity}LineAdd`;
  const classRef = settings.defaultClassId ? { ClassRef: { ListID: settings.defaultClassId } } : {};
  const lines: QbObject[] = order.lines.map((line) => {
    const itemId = context.itemIds.get(nameKey(desktopItemName(line)));
    if (!itemId)
      throw new MappingProblem(`No QuickBooks item for "${line.sku ?? line.name}"`, 'post the order again');
    return {
      ItemRef: { ListID: itemId },
      Desc: (line.description || line.name).slice(0, 4095),
      Quantity: line.quantity,
      Rate: line.unitPrice,
      ...classRef,
      Amount: new Decimal(line.amount).toFixed(2),
      SalesTaxCodeRef: { FullName: line.taxable ? 'Tax' : 'Non' },
    };
  });
  for (const charge of order.charges) {
    if (new Decimal(charge.amount).isZero()) continue;
    const setting = CHARGE_SETTING[charge.kind];
    const itemId = settings[setting];
    if (!itemId)
      throw new MappingProblem(
        `A ${charge.kind.toLowerCase()} charge needs an item to post on and none is set`,
        `set ${setting} in the connection settings`,
        setting,
      );
    lines.push({
      ItemRef: { ListID: itemId },
      Desc: charge.description ?? charge.kind.charAt(0) + charge.kind.slice(1).toLowerCase(),
      Amount: new Decimal(charge.amount).toFixed(2),
      SalesTaxCodeRef: { FullName: 'Non' },
    });
  }
  const bill = address(order.customer?.billingAddress);
  const ship = address(order.customer?.shippingAddress);
  const add: QbObject = {
    CustomerRef: { ListID: context.customerId },
    ...classRef,
    TxnDate: order.orderDate.toISOString().slice(0, 10),
    RefNumber: order.orderNumber,
    ...(bill ? { BillAddress: bill } : {}),
    ...(ship ? { ShipAddress: ship } : {}),
  };
  if (entity === 'SalesReceipt') {
    if (settings.defaultPaymentMethodId) add.PaymentMethodRef = { ListID: settings.defaultPaymentMethodId };
  } else if (settings.defaultTermId) {
    add.TermsRef = { ListID: settings.defaultTermId };
  }
  add.Memo =
    `Posted by QuickBooks Gateway: ${order.channel} order ${order.externalId} ${postingMarker(order)}`.slice(
      -4095,
    );
  if (entity === 'SalesReceipt' && settings.depositAccountId)
    add.DepositToAccountRef = { ListID: settings.depositAccountId };
  add[lineName] = lines;
  return { [`${entity}Add`]: add };
}

/** A SalesReceiptRet / InvoiceRet as the order's posted transaction. */
export function postedFrom(entity: DesktopTxn, ret: QbObject): PostedTransactionData {
  const total = text(ret.TotalAmount);
  return {
    kind: entity === 'Invoice' ? 'INVOICE' : 'SALES_RECEIPT',
    id: text(ret.TxnID),
    docNumber: text(ret.RefNumber) || null,
    syncToken: text(ret.EditSequence) || null,
    totalAmount: total ? new Decimal(total).toFixed(2) : null,
  };
}

const ITEM_TYPES: Record<string, string> = {
  ItemServiceRet: 'Service',
  ItemNonInventoryRet: 'NonInventory',
  ItemInventoryRet: 'Inventory',
  ItemInventoryAssemblyRet: 'Inventory',
  ItemOtherChargeRet: 'Other Charge',
  ItemDiscountRet: 'Discount',
  ItemSalesTaxRet: 'SalesTax',
  ItemSalesTaxGroupRet: 'SalesTaxGroup',
  ItemSubtotalRet: 'Subtotal',
  ItemGroupRet: 'Group',
  ItemPaymentRet: 'Payment',
  ItemFixedAssetRet: 'FixedAsset',
};

/** Desktop's AccountType enumeration in QuickBooks Online's words (connection settings check accounts by these). */
function accountType(value: string): string {
  if (value === 'CostOfGoodsSold') return 'Cost of Goods Sold';
  if (value === 'NonPosting') return 'Non-Posting';
  return value.replace(/([a-z])([A-Z])/g, '$1 $2');
}

/**
 * A Desktop list object for the reference mirror: its own fields, plus the few the mirror indexes under QuickBooks
 * Online's names (Id = ListID, SyncToken = EditSequence, Active, AccountType, item Type, e-mail).
 */
export function mirrorObject(retName: string, ret: QbObject): QuickBooksEntity {
  const email = text(ret.Email);
  return {
    ...ret,
    Id: text(ret.ListID),
    Name: text(ret.Name),
    FullyQualifiedName: text(ret.FullName) || text(ret.Name),
    Active: text(ret.IsActive) !== 'false',
    SyncToken: text(ret.EditSequence),
    MetaData: { LastUpdatedTime: text(ret.TimeModified) || undefined },
    ...(retName === 'AccountRet' ? { AccountType: accountType(text(ret.AccountType)) } : {}),
    ...(ITEM_TYPES[retName] ? { Type: ITEM_TYPES[retName] } : {}),
    ...(email ? { PrimaryEmailAddr: { Address: email } } : {}),
  };
}
