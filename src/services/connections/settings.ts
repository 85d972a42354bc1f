import type { Repository } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  type ConnectionEntity,
  type ConnectionSettingsData,
  type ReferenceEntityRow,
} from '../../entities';
import { badInput } from '../../errors';
import type { ReferenceRule } from './readiness';

/** Which settings reference which list, and which kinds of object they accept (QuickBooks' AccountType / Item Type). */
export const REFERENCE_SETTINGS: Partial<Record<keyof ConnectionSettingsData, ReferenceRule>> = {
  incomeAccountId: { type: 'ACCOUNT', kinds: ['Income'], what: 'an Income account' },
  inventoryAssetAccountId: {
    type: 'ACCOUNT',
    kinds: ['Other Current Asset'],
    what: 'an Other Current Asset account',
  },
  costOfGoodsSoldAccountId: {
    type: 'ACCOUNT',
    kinds: ['Cost of Goods Sold'],
    what: 'a Cost of Goods Sold account',
  },
  depositAccountId: {
    type: 'ACCOUNT',
    kinds: ['Bank', 'Other Current Asset'],
    what: 'a Bank or Other Current Asset account',
  },
  discountAccountId: {
    type: 'ACCOUNT',
    kinds: ['Income', 'Other Income', 'Expense', 'Other Expense'],
    what: 'an Income or Expense account',
  },
  freightItemId: {
    type: 'ITEM',
    kinds: ['Service', 'NonInventory', 'Inventory', 'Other Charge'],
    what: 'a product or service',
  },
  handlingItemId: {
    type: 'ITEM',
    kinds: ['Service', 'NonInventory', 'Inventory', 'Other Charge'],
    what: 'a product or service',
  },
  packagingItemId: {
    type: 'ITEM',
    kinds: ['Service', 'NonInventory', 'Inventory', 'Other Charge'],
    what: 'a product or service',
  },
  defaultTaxCodeId: { type: 'TAX_CODE', what: 'a tax code' },
  defaultPaymentMethodId: { type: 'PAYMENT_METHOD', what: 'a payment method' },
  refundAccountId: {
    type: 'ACCOUNT',
    kinds: ['Bank', 'Credit Card', 'Other Current Asset'],
    what: 'a Bank, Credit Card or Other Current Asset account',
  },
  defaultClassId: { type: 'CLASS', what: 'a class' },
  defaultLocationId: { type: 'LOCATION', what: 'a location' },
  defaultTermId: { type: 'TERM', what: 'a term' },
};

export type SettingsInput = Partial<{
  [K in keyof ConnectionSettingsData]: ConnectionSettingsData[K] | null;
}>;

/**
 * A connection's settings with `input` applied (null clears, '' too): every reference is checked against the mirrored
 * lists (it exists, is active, is of a kind the setting accepts), BAD_USER_INPUT naming the field otherwise.
 */
export async function applySettings(
  references: Repository<ReferenceEntityRow>,
  connection: ConnectionEntity,
  input: SettingsInput,
): Promise<ConnectionSettingsData> {
  const next: ConnectionSettingsData = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
  for (const [key, raw] of Object.entries(input) as Array<[keyof ConnectionSettingsData, unknown]>) {
    if (raw === undefined) continue;
    const value = raw === '' ? null : raw;
    const rule = REFERENCE_SETTINGS[key];
    if (rule && typeof value === 'string') await checkReference(references, connection, key, value, rule);
    if (!rule && value === null && typeof DEFAULT_CONNECTION_SETTINGS[key] !== 'object') {
      (next as unknown as Record<string, unknown>)[key] = DEFAULT_CONNECTION_SETTINGS[key];
      continue;
    }
    (next as unknown as Record<string, unknown>)[key] = value;
  }
  return next;
}

async function checkReference(
  references: Repository<ReferenceEntityRow>,
  connection: ConnectionEntity,
  key: string,
  quickbooksId: string,
  rule: ReferenceRule,
): Promise<void> {
  const field = `input.${key}`;
  const row = await references.findOneBy({ connectionId: connection.id, type: rule.type, quickbooksId });
  if (!row) {
    throw badInput(
      field,
      `QuickBooks has no ${rule.what} with id ${quickbooksId}`,
      'sync reference data, then pick an id from referenceData',
    );
  }
  if (!row.active) throw badInput(field, `"${row.name}" is inactive in QuickBooks`, 'choose an active one');
  if (rule.kinds && !rule.kinds.includes(row.kind ?? '')) {
    throw badInput(
      field,
      `"${row.name}" is ${row.kind ?? 'of another kind'}; this setting needs ${rule.what}`,
    );
  }
}
