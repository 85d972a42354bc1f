/**
 * The purchase side (Intuit API reference of Bill, BillPayment, Purchase, PurchaseOrder and VendorCredit; field names
 * from the Java SDK's Finance.xsd, docs/reference/quickbooks-api.md §5):
 * - Expense lines are `AccountBasedExpenseLineDetail` (AccountRef required) or `ItemBasedExpenseLineDetail` (ItemRef
 *   required; Qty × UnitPrice must equal Amount, 6070, with the same zero-means-not-given leniency as sales lines).
 * - Bill: VendorRef and at least one line required; APAccountRef defaults to the A/P account; DueDate from the terms
 *   (the bill's SalesTermRef, else the vendor's TermRef); Balance = TotalAmt less what bill payments applied.
 * - BillPayment: VendorRef, PayType (Check with CheckPayment.BankAccountRef, or CreditCard with
 *   CreditCardPayment.CCAccountRef) and TotalAmt required; lines apply amounts to that vendor's open bills
 *   (LinkedTxn TxnType Bill), never more than a bill's open balance (6000).
 * - Purchase (an expense, check or credit-card charge): PaymentType Cash | Check | CreditCard and AccountRef (the bank
 *   or credit-card account paid from) required.
 * - PurchaseOrder: VendorRef required; POStatus Open by default. VendorCredit: VendorRef required.
 * Fault wording where Intuit documents none is the emulator's own, under QuickBooks' codes (2020, 2500, 6000, 6070).
 */
import { resolveRef, setRef, type RuleContext } from '../context';
import { applyCurrency } from './currency';
import { LINE_FIELDS } from '../entity-types';
import {
  amountCalculation,
  businessValidation,
  deletedTransaction,
  invalidEnumeration,
  invalidReference,
  invalidValue,
  requiredParam,
} from '../faults';
import { checkFields, isObject, optDecimal, optObject, optString } from '../fields';
import { cents, Dec, grouped, num, ZERO } from '../money';
import type { QboObject } from '../company/realm';
import { accountRefBySubType, assignDocNumber, optDate, type TxnBuilder } from './sales';
import { addDays } from '../time';

/** Builds the lines of an expense form and returns them with their total. */
export function buildExpenseLines(
  ctx: RuleContext,
  rawLines: unknown,
  prev: QboObject | undefined,
): { lines: QboObject[]; total: Dec } {
  if (!Array.isArray(rawLines) || rawLines.length === 0) {
    throw businessValidation('You must fill out at least one split line.', 'Line');
  }
  let maxId = 0;
  for (const l of [...(Array.isArray(prev?.Line) ? (prev.Line as unknown[]) : []), ...rawLines]) {
    const n = isObject(l) ? Number(l.Id) : NaN;
    if (Number.isInteger(n) && n > maxId) maxId = n;
  }
  const lines: QboObject[] = [];
  let total = ZERO;
  for (const raw of rawLines) {
    if (!isObject(raw)) throw invalidValue('Line', raw);
    checkFields(raw, LINE_FIELDS, 'Line');
    const amountIn = optDecimal(raw, 'Amount', 'Line.Amount');
    if (amountIn === undefined) throw requiredParam('Amount', 'Line.Amount');
    const amount = cents(amountIn);
    const id =
      (typeof raw.Id === 'string' && raw.Id !== '') || typeof raw.Id === 'number'
        ? String(raw.Id)
        : String(++maxId);
    const detailType =
      optString(raw, 'DetailType', undefined, 'Line.DetailType') ??
      (raw.ItemBasedExpenseLineDetail !== undefined
        ? 'ItemBasedExpenseLineDetail'
        : 'AccountBasedExpenseLineDetail');
    const line: QboObject = { Id: id, LineNum: lines.length + 1 };
    const description = optString(raw, 'Description', 4000, 'Line.Description');
    if (description !== undefined) line.Description = description;
    line.Amount = num(amount);
    line.DetailType = detailType;
    if (detailType === 'AccountBasedExpenseLineDetail') {
      const element = 'Line.AccountBasedExpenseLineDetail';
      const detail: QboObject = { ...(optObject(raw, detailType, element) ?? {}) };
      const account = resolveRef(ctx, 'Account', detail.AccountRef, `${element}.AccountRef`);
      if (!account) throw requiredParam('AccountRef', `${element}.AccountRef`);
      detail.AccountRef = account.ref;
      setRef(ctx, detail, 'CustomerRef', 'Customer', `${element}.CustomerRef`);
      setRef(ctx, detail, 'ClassRef', 'Class', `${element}.ClassRef`);
      detail.BillableStatus = billableStatus(detail, element);
      detail.TaxCodeRef = isObject(detail.TaxCodeRef) ? detail.TaxCodeRef : { value: 'NON' };
      line.AccountBasedExpenseLineDetail = detail;
    } else if (detailType === 'ItemBasedExpenseLineDetail') {
      const element = 'Line.ItemBasedExpenseLineDetail';
      const detail: QboObject = { ...(optObject(raw, detailType, element) ?? {}) };
      const item = resolveRef(ctx, 'Item', detail.ItemRef, `${element}.ItemRef`);
      if (!item) throw requiredParam('ItemRef', `${element}.ItemRef`);
      detail.ItemRef = item.ref;
      let qty = optDecimal(detail, 'Qty', `${element}.Qty`);
      let price = optDecimal(detail, 'UnitPrice', `${element}.UnitPrice`);
      const agrees = qty !== undefined && price !== undefined && cents(qty.times(price)).equals(amount);
      if (!agrees && qty?.isZero()) qty = undefined;
      if (!agrees && price?.isZero()) price = undefined;
      if (qty !== undefined && price !== undefined && !agrees) throw amountCalculation(grouped(amountIn));
      if (qty !== undefined) detail.Qty = num(qty);
      else delete detail.Qty;
      if (price !== undefined) detail.UnitPrice = num(price);
      else if (qty !== undefined && !qty.isZero())
        detail.UnitPrice = num(amount.dividedBy(qty).toDecimalPlaces(7));
      else delete detail.UnitPrice;
      setRef(ctx, detail, 'CustomerRef', 'Customer', `${element}.CustomerRef`);
      setRef(ctx, detail, 'ClassRef', 'Class', `${element}.ClassRef`);
      detail.BillableStatus = billableStatus(detail, element);
      detail.TaxCodeRef = isObject(detail.TaxCodeRef) ? detail.TaxCodeRef : { value: 'NON' };
      line.ItemBasedExpenseLineDetail = detail;
    } else {
      throw invalidEnumeration('Line.DetailType', detailType);
    }
    if (raw.LinkedTxn !== undefined) line.LinkedTxn = raw.LinkedTxn;
    lines.push(line);
    total = total.plus(amount);
  }
  return { lines, total };
}

function billableStatus(detail: QboObject, element: string): string {
  const v = optString(detail, 'BillableStatus', undefined, `${element}.BillableStatus`) ?? 'NotBillable';
  if (!['Billable', 'NotBillable', 'HasBeenBilled'].includes(v))
    throw invalidEnumeration(`${element}.BillableStatus`, v);
  return v;
}

/** Common header of vendor transactions: VendorRef (required), TxnDate, DocNumber, references, currency. */
function vendorHeader(
  ctx: RuleContext,
  entity: string,
  input: QboObject,
  prev: QboObject | undefined,
  vendorRequired: boolean,
): { out: QboObject; vendor: QboObject | undefined } {
  const out: QboObject = { ...input };
  const vendor = resolveRef(ctx, 'Vendor', input.VendorRef, 'VendorRef', vendorRequired);
  if (vendor) out.VendorRef = vendor.ref;
  else delete out.VendorRef;
  out.TxnDate = optDate(input, 'TxnDate') ?? (typeof prev?.TxnDate === 'string' ? prev.TxnDate : ctx.today);
  optString(input, 'PrivateNote', 4000);
  setRef(ctx, out, 'DepartmentRef', 'Department');
  const doc = assignDocNumber(ctx, entity, input, prev, { allowDuplicateDocNum: true, bodyKeys: new Set() });
  if (doc !== undefined) out.DocNumber = doc;
  else delete out.DocNumber;
  return { out, vendor: vendor?.obj };
}

function apAccount(ctx: RuleContext, out: QboObject): void {
  if (!setRef(ctx, out, 'APAccountRef', 'Account')) {
    const ap = accountRefBySubType(ctx, 'AccountsPayable');
    if (ap) out.APAccountRef = ap;
  }
}

/** What bill payments other than `exceptId` applied to a bill. */
export function paidOnBill(ctx: RuleContext, billId: string, exceptId?: string): Dec {
  let paid = ZERO;
  for (const row of ctx.realm.table('BillPayment').values()) {
    if (row.deleted || row.obj.Id === exceptId) continue;
    for (const link of billLinks(row.obj)) if (link.billId === billId) paid = paid.plus(link.amount);
  }
  return paid;
}

/** The bill applications of a bill payment. */
export function billLinks(payment: QboObject): Array<{ billId: string; amount: Dec }> {
  const out: Array<{ billId: string; amount: Dec }> = [];
  for (const line of Array.isArray(payment.Line) ? (payment.Line as QboObject[]) : []) {
    const amount = new Dec((line.Amount as number) ?? 0);
    if (amount.isZero() || !Array.isArray(line.LinkedTxn)) continue;
    for (const l of line.LinkedTxn as QboObject[]) {
      if (l.TxnType === 'Bill' && typeof l.TxnId === 'string') out.push({ billId: l.TxnId, amount });
    }
  }
  return out;
}

const buildBill: TxnBuilder = (ctx, input, prev) => {
  const { out, vendor } = vendorHeader(ctx, 'Bill', input, prev, true);
  const { lines, total } = buildExpenseLines(ctx, input.Line, prev);
  out.Line = lines;
  out.TotalAmt = num(total);
  apAccount(ctx, out);
  let term = setRef(ctx, out, 'SalesTermRef', 'Term');
  if (!term && vendor && isObject(vendor.TermRef)) {
    term = ctx.realm.live('Term', String(vendor.TermRef.value));
    if (term) out.SalesTermRef = { value: term.Id, name: term.Name };
  }
  const dueDays = term && typeof term.DueDays === 'number' ? term.DueDays : 0;
  out.DueDate = optDate(input, 'DueDate') ?? addDays(out.TxnDate as string, dueDays);
  const paid = prev ? paidOnBill(ctx, prev.Id as string) : ZERO;
  if (total.lessThan(paid)) {
    throw businessValidation(
      'The bill total cannot be less than the payments applied to it. Unlink or delete the payment first.',
    );
  }
  out.Balance = num(total.minus(paid));
  applyCurrency(ctx, out, input, vendor, { total, balance: total.minus(paid) });
  return out;
};

const PAY_TYPES = ['Check', 'CreditCard'];

const buildBillPayment: TxnBuilder = (ctx, input, prev) => {
  const { out, vendor } = vendorHeader(ctx, 'BillPayment', input, prev, true);
  const payType = optString(input, 'PayType');
  if (payType === undefined) throw requiredParam('PayType');
  if (!PAY_TYPES.includes(payType)) throw invalidEnumeration('PayType', payType);
  if (payType === 'Check') {
    const check = { ...(optObject(input, 'CheckPayment') ?? {}) };
    if (!setRef(ctx, check, 'BankAccountRef', 'Account', 'CheckPayment.BankAccountRef')) {
      throw requiredParam('BankAccountRef', 'CheckPayment.BankAccountRef');
    }
    check.PrintStatus = optString(check, 'PrintStatus') ?? 'NeedToPrint';
    out.CheckPayment = check;
    delete out.CreditCardPayment;
  } else {
    const card = { ...(optObject(input, 'CreditCardPayment') ?? {}) };
    if (!setRef(ctx, card, 'CCAccountRef', 'Account', 'CreditCardPayment.CCAccountRef')) {
      throw requiredParam('CCAccountRef', 'CreditCardPayment.CCAccountRef');
    }
    out.CreditCardPayment = card;
    delete out.CheckPayment;
  }
  const totalIn = optDecimal(input, 'TotalAmt');
  if (totalIn === undefined) throw requiredParam('TotalAmt');
  const total = cents(totalIn);
  const lines: QboObject[] = [];
  let applied = ZERO;
  for (const raw of Array.isArray(input.Line) ? (input.Line as unknown[]) : []) {
    if (!isObject(raw)) throw invalidValue('Line', raw);
    checkFields(raw, LINE_FIELDS, 'Line');
    const amountIn = optDecimal(raw, 'Amount', 'Line.Amount');
    if (amountIn === undefined) throw requiredParam('Amount', 'Line.Amount');
    const amount = cents(amountIn);
    const linked: QboObject[] = [];
    for (const l of Array.isArray(raw.LinkedTxn) ? (raw.LinkedTxn as unknown[]) : []) {
      if (!isObject(l)) throw invalidValue('Line.LinkedTxn', l);
      const txnId = optString(l, 'TxnId', undefined, 'Line.LinkedTxn.TxnId');
      if (txnId === undefined) throw requiredParam('TxnId', 'Line.LinkedTxn.TxnId');
      if (optString(l, 'TxnType') !== 'Bill') {
        throw businessValidation(
          'A bill payment line links a Bill (LinkedTxn.TxnType Bill).',
          'Line.LinkedTxn.TxnType',
        );
      }
      const row = ctx.realm.row('Bill', txnId);
      if (!row) throw invalidReference('Line.LinkedTxn.TxnId');
      if (row.deleted) throw deletedTransaction();
      if (isObject(row.obj.VendorRef) && row.obj.VendorRef.value !== (out.VendorRef as QboObject).value) {
        throw businessValidation(`Bill ${txnId} belongs to another vendor.`, 'Line.LinkedTxn.TxnId');
      }
      const open = new Dec((row.obj.TotalAmt as number) ?? 0).minus(
        paidOnBill(ctx, txnId, prev?.Id as string),
      );
      if (amount.greaterThan(open)) {
        throw businessValidation(
          `The amount applied to bill ${txnId} (${amount.toFixed(2)}) is more than its open balance (${open.toFixed(2)}).`,
          'Line.Amount',
        );
      }
      linked.push({ TxnId: txnId, TxnType: 'Bill' });
    }
    if (linked.length === 0) throw requiredParam('LinkedTxn', 'Line.LinkedTxn');
    applied = applied.plus(amount);
    lines.push({ Amount: num(amount), LinkedTxn: linked });
  }
  if (applied.greaterThan(total)) {
    throw businessValidation(
      `The amounts applied to bills (${applied.toFixed(2)}) are more than the payment amount (${total.toFixed(2)}).`,
      'TotalAmt',
    );
  }
  out.Line = lines;
  out.TotalAmt = num(total);
  apAccount(ctx, out);
  applyCurrency(ctx, out, input, vendor, { total });
  return out;
};

const PAYMENT_TYPES = ['Cash', 'Check', 'CreditCard'];

const buildPurchase: TxnBuilder = (ctx, input, prev) => {
  const { out } = vendorHeader(ctx, 'Purchase', input, prev, false);
  const paymentType = optString(input, 'PaymentType');
  if (paymentType === undefined) throw requiredParam('PaymentType');
  if (!PAYMENT_TYPES.includes(paymentType)) throw invalidEnumeration('PaymentType', paymentType);
  const account = setRef(ctx, out, 'AccountRef', 'Account');
  if (!account) throw requiredParam('AccountRef');
  const expected = paymentType === 'CreditCard' ? ['Credit Card'] : ['Bank', 'Other Current Asset'];
  if (!expected.includes(String(account.AccountType))) {
    throw businessValidation(
      `A ${paymentType} purchase is paid from a ${expected.join(' or ')} account.`,
      'AccountRef',
    );
  }
  if (isObject(input.EntityRef)) {
    const type = optString(input.EntityRef, 'type') ?? 'Vendor';
    const entity = ['Vendor', 'Customer', 'Employee'].includes(type) ? type : 'Vendor';
    const r = resolveRef(ctx, entity, input.EntityRef, 'EntityRef');
    if (r) out.EntityRef = { ...r.ref, type: entity };
  }
  setRef(ctx, out, 'PaymentMethodRef', 'PaymentMethod');
  const { lines, total } = buildExpenseLines(ctx, input.Line, prev);
  out.Line = lines;
  out.TotalAmt = num(total);
  out.Credit = input.Credit === true || input.Credit === 'true';
  applyCurrency(ctx, out, input, undefined, { total });
  return out;
};

const PO_STATUS = ['Open', 'Closed'];

const buildPurchaseOrder: TxnBuilder = (ctx, input, prev) => {
  const { out, vendor } = vendorHeader(ctx, 'PurchaseOrder', input, prev, true);
  const { lines, total } = buildExpenseLines(ctx, input.Line, prev);
  out.Line = lines;
  out.TotalAmt = num(total);
  apAccount(ctx, out);
  const status = optString(input, 'POStatus') ?? 'Open';
  if (!PO_STATUS.includes(status)) throw invalidEnumeration('POStatus', status);
  out.POStatus = status;
  out.EmailStatus = optString(input, 'EmailStatus') ?? 'NotSet';
  setRef(ctx, out, 'ClassRef', 'Class');
  setRef(ctx, out, 'SalesTermRef', 'Term');
  applyCurrency(ctx, out, input, vendor, { total });
  return out;
};

const buildVendorCredit: TxnBuilder = (ctx, input, prev) => {
  const { out, vendor } = vendorHeader(ctx, 'VendorCredit', input, prev, true);
  const { lines, total } = buildExpenseLines(ctx, input.Line, prev);
  out.Line = lines;
  out.TotalAmt = num(total);
  out.Balance = num(total);
  apAccount(ctx, out);
  applyCurrency(ctx, out, input, vendor, { total });
  return out;
};

/** Builders of the purchase side. */
export const PURCHASE_BUILDERS: Readonly<Record<string, TxnBuilder>> = {
  Bill: buildBill,
  BillPayment: buildBillPayment,
  Purchase: buildPurchase,
  PurchaseOrder: buildPurchaseOrder,
  VendorCredit: buildVendorCredit,
};
