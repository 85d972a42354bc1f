/**
 * What the engine looks up per entity type (builders, where documents are e-mailed) and small helpers of its
 * bookkeeping, kept apart so engine.ts stays about the order of operations.
 */
import { BANKING_BUILDERS } from './rules/banking';
import { isObject } from './fields';
import { Dec } from './money';
import { OTHER_TXN_BUILDERS } from './rules/others';
import { buildPayment } from './rules/payments';
import { PURCHASE_BUILDERS } from './rules/purchases';
import type { QboObject } from './company/realm';
import { SALES_BUILDERS, type TxnBuilder } from './rules/sales';

/** Every transaction builder by entity name (table-driven: a new entity is a builder and a `def` line). */
export const TXN_BUILDERS: Readonly<Record<string, TxnBuilder>> = {
  ...SALES_BUILDERS,
  ...PURCHASE_BUILDERS,
  ...BANKING_BUILDERS,
  ...OTHER_TXN_BUILDERS,
  Payment: buildPayment,
};

/** Where each kind of document is e-mailed to (`POST /{entity}/{id}/send`). */
export const SENDABLE: Readonly<Record<string, string>> = {
  Invoice: 'BillEmail',
  SalesReceipt: 'BillEmail',
  CreditMemo: 'BillEmail',
  RefundReceipt: 'BillEmail',
  Estimate: 'BillEmail',
  PurchaseOrder: 'POEmail',
};

export function nextToken(obj: QboObject): string {
  return String(Number(obj.SyncToken ?? 0) + 1);
}

export function createTimeOf(obj: QboObject): string {
  const meta = obj.MetaData;
  return isObject(meta) && typeof meta.CreateTime === 'string' ? meta.CreateTime : '';
}

/** What a transaction contributes to its customer's Balance: open invoice balance, minus unused credit. */
export function customerShare(
  entity: string,
  obj: QboObject | undefined,
): { customerId: string; amount: Dec } | undefined {
  if (!obj || !isObject(obj.CustomerRef)) return undefined;
  let amount: Dec;
  switch (entity) {
    case 'Invoice':
      amount = new Dec((obj.Balance as number) ?? 0);
      break;
    case 'CreditMemo':
      amount = new Dec((obj.RemainingCredit as number) ?? 0).negated();
      break;
    case 'Payment':
      amount = new Dec((obj.UnappliedAmt as number) ?? 0).negated();
      break;
    default:
      return undefined;
  }
  return amount.isZero() ? undefined : { customerId: String(obj.CustomerRef.value), amount };
}

export function sameRef(a: unknown, b: unknown): boolean {
  return (isObject(a) ? a.value : undefined) === (isObject(b) ? b.value : undefined);
}
