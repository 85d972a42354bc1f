import { isDeepStrictEqual } from 'node:util';
import Decimal from 'decimal.js';
import type { AddressData, ConnectionSettingsData, FieldChanges, PartnerRecordEntity } from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import {
  cleanDisplayName,
  cleanItemName,
  newItemBody,
  quickbooksAddress,
  text,
} from '../posting/posting-mapper';

/**
 * Partners' customers and products as the gateway keeps them (`content`, the API's field names, only the fields the
 * partner manages) and as QuickBooks has them: what is compared, what a sparse update sends.
 */
export type PartnerType = PartnerRecordEntity['type'];
export type Content = Record<string, unknown>;

export const QUICKBOOKS_ENTITY_OF: Record<PartnerType, 'Customer' | 'Item'> = {
  CUSTOMER: 'Customer',
  ITEM: 'Item',
};

export interface CustomerFields {
  externalId: string;
  displayName: string;
  companyName?: string | null;
  email?: string | null;
  phone?: string | null;
  billingAddress?: AddressData | null;
  shippingAddress?: AddressData | null;
  active?: boolean | null;
}

export interface ProductFields {
  externalId: string;
  name: string;
  sku?: string | null;
  description?: string | null;
  kind?: 'INVENTORY' | 'NON_INVENTORY' | 'SERVICE' | null;
  unitPrice?: string | null;
  active?: boolean | null;
}

const KIND_TO_TYPE = { INVENTORY: 'Inventory', NON_INVENTORY: 'NonInventory', SERVICE: 'Service' } as const;
const TYPE_TO_KIND: Record<string, string> = {
  Inventory: 'INVENTORY',
  NonInventory: 'NON_INVENTORY',
  Service: 'SERVICE',
};

const trimmed = (value: string | null | undefined): string | undefined => value?.trim() || undefined;
const price = (value: unknown): string | undefined =>
  value === null || value === undefined || value === ''
    ? undefined
    : new Decimal(text(value) || '0').toString();

function address(a: AddressData | null | undefined): Content | undefined {
  if (!a) return undefined;
  const out: Content = {};
  for (const key of ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const) {
    const value = trimmed(a[key]);
    if (value) out[key] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

const compact = (content: Record<string, unknown>): Content =>
  Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined));

export function customerContent(input: CustomerFields): Content {
  return compact({
    displayName: cleanDisplayName(input.displayName),
    companyName: trimmed(input.companyName)?.slice(0, 100),
    email: trimmed(input.email),
    phone: trimmed(input.phone)?.slice(0, 30),
    billingAddress: address(input.billingAddress),
    shippingAddress: address(input.shippingAddress),
    active: input.active ?? true,
  });
}

export function productContent(input: ProductFields): Content {
  return compact({
    name: cleanItemName(input.name),
    sku: trimmed(input.sku)?.slice(0, 100),
    description: trimmed(input.description)?.slice(0, 4000),
    kind: input.kind ?? undefined,
    unitPrice: price(input.unitPrice),
    active: input.active ?? true,
  });
}

/** A QuickBooks object in content terms (every field content may hold). */
export function contentOfQuickBooks(type: PartnerType, object: QuickBooksEntity): Content {
  const str = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() ? value.trim() : undefined;
  if (type === 'CUSTOMER') {
    const addr = (value: unknown): Content | undefined => {
      const a = value as Record<string, unknown> | undefined;
      if (!a) return undefined;
      return address({
        line1: str(a.Line1),
        line2: str(a.Line2),
        city: str(a.City),
        region: str(a.CountrySubDivisionCode),
        postalCode: str(a.PostalCode),
        country: str(a.Country),
      });
    };
    return compact({
      displayName: str(object.DisplayName),
      companyName: str(object.CompanyName),
      email: str((object.PrimaryEmailAddr as { Address?: unknown } | undefined)?.Address),
      phone: str((object.PrimaryPhone as { FreeFormNumber?: unknown } | undefined)?.FreeFormNumber),
      billingAddress: addr(object.BillAddr),
      shippingAddress: addr(object.ShipAddr),
      active: object.Active !== false,
    });
  }
  return compact({
    name: str(object.Name),
    sku: str(object.Sku),
    description: str(object.Description),
    kind: TYPE_TO_KIND[String(object.Type)],
    unitPrice: price(object.UnitPrice),
    active: object.Active !== false,
  });
}

/** The fields of `wanted` that `current` does not hold as wanted (the partner manages only the fields it sent). */
export function differingFields(wanted: Content, current: Content): string[] {
  return Object.keys(wanted).filter((field) => !isDeepStrictEqual(wanted[field], current[field]));
}

/** `{field: {from, to}}` for the sync wizard. */
export function changesBetween(from: Content, to: Content): FieldChanges {
  return Object.fromEntries(
    differingFields(to, from).map((field) => [field, { from: from[field] ?? null, to: to[field] }]),
  );
}

/** QuickBooks fields for the given content fields (all of them for a create). */
export function quickbooksFields(
  type: PartnerType,
  content: Content,
  fields = Object.keys(content),
): QuickBooksEntity {
  const body: QuickBooksEntity = {};
  const value = (field: string) => content[field];
  for (const field of fields) {
    const v = value(field);
    if (type === 'CUSTOMER') {
      if (field === 'displayName') body.DisplayName = v;
      else if (field === 'companyName') body.CompanyName = v ?? '';
      else if (field === 'email') body.PrimaryEmailAddr = { Address: v ?? '' };
      else if (field === 'phone') body.PrimaryPhone = { FreeFormNumber: v ?? '' };
      else if (field === 'billingAddress') body.BillAddr = quickbooksAddress(v ?? {});
      else if (field === 'shippingAddress') body.ShipAddr = quickbooksAddress(v ?? {});
      else if (field === 'active') body.Active = v !== false;
    } else {
      if (field === 'name') body.Name = v;
      else if (field === 'sku') body.Sku = v ?? '';
      else if (field === 'description') body.Description = v ?? '';
      else if (field === 'kind' && typeof v === 'string')
        body.Type = KIND_TO_TYPE[v as keyof typeof KIND_TO_TYPE];
      else if (field === 'unitPrice') body.UnitPrice = Number(v ?? 0);
      else if (field === 'active') body.Active = v !== false;
    }
  }
  return body;
}

/** The body that creates the record in QuickBooks (items take the connection's accounts, as posting's do). */
export function createBody(
  type: PartnerType,
  content: Content,
  settings: ConnectionSettingsData,
): QuickBooksEntity {
  if (type === 'CUSTOMER') return quickbooksFields(type, content);
  const kind = (content.kind as ProductFields['kind']) ?? settings.newItemKind;
  const base = newItemBody(
    {
      name: String(content.name),
      sku: (content.sku as string | undefined) ?? null,
      description: (content.description as string | undefined) ?? null,
      unitPrice: (content.unitPrice as string | undefined) ?? '0',
      quantity: '1',
      amount: '0',
      taxable: false,
    },
    { ...settings, newItemKind: kind },
  );
  return { ...base, Active: content.active !== false };
}

export const labelOf = (type: PartnerType, content: Content): string =>
  text(type === 'CUSTOMER' ? content.displayName : content.name).slice(0, 255);
