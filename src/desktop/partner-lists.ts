/**
 * Partners' customers and products (upsertCustomers / upsertProducts content) in QuickBooks Desktop's terms: what is
 * compared with a CustomerRet / Item…Ret, and the qbXML Add and Mod requests that bring a record there (elements in
 * the order qbXML 13.0 requires).
 */
import { isDeepStrictEqual } from 'node:util';
import Decimal from 'decimal.js';
import type { ConnectionSettingsData, OrderLineData } from '../entities';
import type { Content, PartnerType } from '../services/sync/outbound-fields';
import { MappingProblem } from '../services/posting/posting-mapper';
import { CUSTOMER_NAME_MAX, desktopItemName, itemAdd } from './mapper';
import { text, type QbObject } from './qbxml';

const ADDRESS_FIELDS = [
  ['line1', 'Addr1', 41],
  ['line2', 'Addr2', 41],
  ['city', 'City', 31],
  ['region', 'State', 21],
  ['postalCode', 'PostalCode', 13],
  ['country', 'Country', 31],
] as const;

/** The item kinds whose Mod the gateway sends (other kinds are matched but not updated). */
const MODS: Record<string, string> = {
  ItemServiceRet: 'ItemServiceMod',
  ItemNonInventoryRet: 'ItemNonInventoryMod',
  ItemInventoryRet: 'ItemInventoryMod',
};

const compact = (content: Content): Content =>
  Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined && value !== ''));
const amount = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number'
    ? value === ''
      ? undefined
      : new Decimal(value).toString()
    : undefined;

function addressView(a: unknown): Content | undefined {
  if (!a || typeof a !== 'object') return undefined;
  const source = a as Record<string, unknown>;
  const out: Content = {};
  for (const [field, , max] of ADDRESS_FIELDS) {
    const value = text(source[field]).trim().slice(0, max).trim();
    if (value) out[field] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

function desktopAddress(a: unknown): QbObject | undefined {
  const view = addressView(a);
  if (!view) return undefined;
  return Object.fromEntries(
    ADDRESS_FIELDS.filter(([field]) => view[field] !== undefined).map(([field, element]) => [
      element,
      view[field],
    ]),
  );
}

function addressOfRet(a: unknown): Content | undefined {
  if (!a || typeof a !== 'object') return undefined;
  const source = a as QbObject;
  return addressView(
    Object.fromEntries(ADDRESS_FIELDS.map(([field, element]) => [field, text(source[element])])),
  );
}

/** The Desktop name of a partner record (customers: 41 characters; items: the SKU, else the name, 31 characters). */
export function desktopNameOf(type: PartnerType, content: Content): string {
  if (type === 'CUSTOMER') return text(content.displayName).slice(0, CUSTOMER_NAME_MAX).trim();
  return desktopItemName({ sku: (content.sku as string | undefined) ?? null, name: text(content.name) });
}

/** A partner's content as QuickBooks Desktop can hold it (the fields compared and sent). */
export function wantedView(type: PartnerType, content: Content): Content {
  if (type === 'CUSTOMER')
    return compact({
      displayName: desktopNameOf(type, content),
      companyName: text(content.companyName).slice(0, 41).trim() || undefined,
      email: text(content.email) || undefined,
      phone: text(content.phone).slice(0, 21).trim() || undefined,
      billingAddress: addressView(content.billingAddress),
      shippingAddress: addressView(content.shippingAddress),
      active: content.active !== false,
    });
  return compact({
    name: desktopNameOf(type, content),
    description: text(content.description).slice(0, 4095) || undefined,
    unitPrice: amount(content.unitPrice),
    active: content.active !== false,
  });
}

/** A CustomerRet / Item…Ret in the same terms. */
export function desktopView(type: PartnerType, ret: QbObject): Content {
  if (type === 'CUSTOMER')
    return compact({
      displayName: text(ret.Name),
      companyName: text(ret.CompanyName) || undefined,
      email: text(ret.Email) || undefined,
      phone: text(ret.Phone) || undefined,
      billingAddress: addressOfRet(ret.BillAddress),
      shippingAddress: addressOfRet(ret.ShipAddress),
      active: text(ret.IsActive) !== 'false',
    });
  const sales = (ret.SalesOrPurchase ?? ret.SalesAndPurchase) as QbObject | undefined;
  return compact({
    name: text(ret.Name),
    description: text(ret.SalesDesc ?? sales?.Desc ?? sales?.SalesDesc) || undefined,
    unitPrice: amount(text(ret.SalesPrice ?? sales?.Price ?? sales?.SalesPrice)),
    active: text(ret.IsActive) !== 'false',
  });
}

/** The fields of `wanted` that `current` does not hold as wanted. */
export const differing = (wanted: Content, current: Content): string[] =>
  Object.keys(wanted).filter((field) => !isDeepStrictEqual(wanted[field], current[field]));

/** CustomerAdd / Item…Add for a partner record (items take the connection's accounts, as posting's do). */
export function partnerAdd(
  type: PartnerType,
  content: Content,
  settings: ConnectionSettingsData,
): { type: string; content: QbObject } {
  const view = wantedView(type, content);
  if (type === 'CUSTOMER') {
    const add: QbObject = { Name: view.displayName };
    if (view.active === false) add.IsActive = 'false';
    if (view.companyName) add.CompanyName = view.companyName;
    const bill = desktopAddress(view.billingAddress);
    const ship = desktopAddress(view.shippingAddress);
    if (bill) add.BillAddress = bill;
    if (ship) add.ShipAddress = ship;
    if (view.phone) add.Phone = view.phone;
    if (view.email) add.Email = view.email;
    return { type: 'CustomerAdd', content: { CustomerAdd: add } };
  }
  const kind = (content.kind as ConnectionSettingsData['newItemKind'] | undefined) ?? settings.newItemKind;
  const line = {
    sku: (content.sku as string | undefined) ?? null,
    name: text(content.name),
    description: text(content.description) || null,
    unitPrice: text(content.unitPrice) || '0',
    quantity: '1',
    amount: '0',
    taxable: false,
  } as unknown as OrderLineData;
  const built = itemAdd(line, { ...settings, newItemKind: kind });
  const body = built.content[built.type] as QbObject;
  if (!content.description) {
    // No description from the partner: none in QuickBooks either (itemAdd falls back to the name for orders).
    if (body.SalesDesc !== undefined) delete body.SalesDesc;
    const sop = body.SalesOrPurchase as QbObject | undefined;
    if (sop) delete sop.Desc;
  }
  const { Name, ...rest } = body;
  const ordered: QbObject = { Name, ...(view.active === false ? { IsActive: 'false' } : {}), ...rest };
  return { type: built.type, content: { [built.type]: ordered } };
}

/** CustomerMod / Item…Mod with these fields of the partner's content, on the object's current EditSequence. */
export function partnerMod(
  type: PartnerType,
  retName: string,
  ret: QbObject,
  content: Content,
  fields: string[],
): { type: string; content: QbObject } {
  const view = wantedView(type, content);
  const has = (field: string) => fields.includes(field);
  const mod: QbObject = { ListID: text(ret.ListID), EditSequence: text(ret.EditSequence) };
  if (type === 'CUSTOMER') {
    if (has('displayName')) mod.Name = view.displayName;
    if (has('active')) mod.IsActive = view.active === false ? 'false' : 'true';
    if (has('companyName')) mod.CompanyName = view.companyName ?? '';
    if (has('billingAddress')) mod.BillAddress = desktopAddress(view.billingAddress) ?? {};
    if (has('shippingAddress')) mod.ShipAddress = desktopAddress(view.shippingAddress) ?? {};
    if (has('phone')) mod.Phone = view.phone ?? '';
    if (has('email')) mod.Email = view.email ?? '';
    return { type: 'CustomerMod', content: { CustomerMod: mod } };
  }
  const modType = MODS[retName];
  if (!modType)
    throw new MappingProblem(
      `"${text(ret.FullName)}" is a ${retName.replace(/^Item|Ret$/g, '')} item in QuickBooks Desktop, which the gateway does not update`,
      'change the item in QuickBooks, or give the product another SKU or name',
    );
  if (has('name')) mod.Name = view.name;
  if (has('active')) mod.IsActive = view.active === false ? 'false' : 'true';
  const description = has('description') ? text(view.description) : undefined;
  const price = has('unitPrice') ? new Decimal(text(view.unitPrice) || '0').toFixed(2) : undefined;
  if (modType === 'ItemInventoryMod') {
    if (description !== undefined) mod.SalesDesc = description;
    if (price !== undefined) mod.SalesPrice = price;
  } else if (description !== undefined || price !== undefined) {
    const both = ret.SalesAndPurchase !== undefined;
    const sales: QbObject = {};
    if (description !== undefined) sales[both ? 'SalesDesc' : 'Desc'] = description;
    if (price !== undefined) sales[both ? 'SalesPrice' : 'Price'] = price;
    mod[both ? 'SalesAndPurchaseMod' : 'SalesOrPurchaseMod'] = sales;
  }
  return { type: modType, content: { [modType]: mod } };
}
