import { resolveRef, setRef } from '../context';
import { applyCurrency } from './currency';
import { LINE_FIELDS } from '../entity-types';
import {
  businessValidation,
  deletedTransaction,
  invalidReference,
  invalidValue,
  requiredParam,
} from '../faults';
import { checkFields, isObject, optBool, optDecimal, optString } from '../fields';
import { cents, Dec, num, ZERO } from '../money';
import { creditUsed, type QboObject } from '../company/realm';
import { accountRefBySubType, optDate, type TxnBuilder } from './sales';

/**
 * Payment rules: a customer, a TotalAmt, and lines applying amounts to that customer's open invoices
 * (`Line[].LinkedTxn[{TxnId, TxnType:"Invoice"}]`). What is not applied stays as UnappliedAmt. The engine then lowers
 * the invoices' Balance by the applied amounts and links the payment on them.
 */
export const buildPayment: TxnBuilder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const customer = resolveRef(ctx, 'Customer', input.CustomerRef, 'CustomerRef', true)!;
  out.CustomerRef = customer.ref;
  const totalIn = optDecimal(input, 'TotalAmt');
  if (totalIn === undefined) throw requiredParam('TotalAmt');
  if (totalIn.isNegative()) throw businessValidation('The payment amount cannot be negative.', 'TotalAmt');
  const total = cents(totalIn);

  const lines: QboObject[] = [];
  const appliedPerInvoice = new Map<string, Dec>();
  let applied = ZERO;
  let credits = ZERO;
  const rawLines = input.Line === undefined || input.Line === null ? [] : input.Line;
  if (!Array.isArray(rawLines)) throw invalidValue('Line', rawLines);
  for (const raw of rawLines) {
    if (!isObject(raw)) throw invalidValue('Line', raw);
    checkFields(raw, LINE_FIELDS, 'Line');
    const amountIn = optDecimal(raw, 'Amount', 'Line.Amount');
    if (amountIn === undefined) throw requiredParam('Amount', 'Line.Amount');
    if (amountIn.isNegative())
      throw businessValidation('A payment line amount cannot be negative.', 'Line.Amount');
    const amount = cents(amountIn);
    const linkedIn = raw.LinkedTxn;
    if (!Array.isArray(linkedIn) || linkedIn.length === 0) throw requiredParam('LinkedTxn', 'Line.LinkedTxn');
    const linked: QboObject[] = [];
    for (const l of linkedIn) {
      if (!isObject(l)) throw invalidValue('Line.LinkedTxn', l);
      const txnType = optString(l, 'TxnType', undefined, 'Line.LinkedTxn.TxnType');
      const txnId = optString(l, 'TxnId', undefined, 'Line.LinkedTxn.TxnId');
      if (txnId === undefined) throw requiredParam('TxnId', 'Line.LinkedTxn.TxnId');
      if (txnType === 'CreditMemo') {
        // A credit memo used in a payment: its credit pays invoices alongside the money (Intuit Payment reference:
        // Line.LinkedTxn TxnType CreditMemo), never more than its remaining credit.
        const memo = ctx.realm.row('CreditMemo', txnId);
        if (!memo) throw invalidReference('Line.LinkedTxn.TxnId');
        if (memo.deleted) throw deletedTransaction();
        const memoCustomer = isObject(memo.obj.CustomerRef) ? memo.obj.CustomerRef.value : undefined;
        if (memoCustomer !== customer.ref.value) {
          throw businessValidation(
            `Credit memo ${txnId} belongs to another customer.`,
            'Line.LinkedTxn.TxnId',
          );
        }
        const available = new Dec((memo.obj.TotalAmt as number) ?? 0).minus(
          creditUsed(ctx.realm, txnId, prev?.Id as string | undefined),
        );
        if (amount.greaterThan(available)) {
          throw businessValidation(
            `The credit used from credit memo ${txnId} (${amount.toFixed(2)}) is more than its remaining credit (${available.toFixed(2)}).`,
            'Line.Amount',
          );
        }
        credits = credits.plus(amount);
        linked.push({ TxnId: txnId, TxnType: 'CreditMemo' });
        continue;
      }
      if (txnType !== 'Invoice') {
        throw businessValidation(
          `The emulator applies payments to invoices and credit memos only (LinkedTxn.TxnType ${String(txnType)} is not supported).`,
          'Line.LinkedTxn.TxnType',
        );
      }
      const row = ctx.realm.row('Invoice', txnId);
      if (!row) throw invalidReference('Line.LinkedTxn.TxnId');
      if (row.deleted) throw deletedTransaction();
      const invoiceCustomer = isObject(row.obj.CustomerRef) ? row.obj.CustomerRef.value : undefined;
      if (invoiceCustomer !== customer.ref.value) {
        throw businessValidation(
          `Invoice ${txnId} belongs to another customer; a payment can only be applied to the same customer's invoices.`,
          'Line.LinkedTxn.TxnId',
        );
      }
      appliedPerInvoice.set(txnId, (appliedPerInvoice.get(txnId) ?? ZERO).plus(amount));
      linked.push({ TxnId: txnId, TxnType: 'Invoice' });
      applied = applied.plus(amount);
    }
    lines.push({ Amount: num(amount), LinkedTxn: linked });
  }
  for (const [invoiceId, amount] of appliedPerInvoice) {
    const inv = ctx.realm.live('Invoice', invoiceId)!;
    // What this payment already applied to the invoice is available again when the payment is being updated.
    const mine = prev ? (ctx.realm.invoicePayments.get(invoiceId)?.get(prev.Id as string) ?? ZERO) : ZERO;
    const open = new Dec((inv.Balance as number) ?? 0).plus(mine);
    if (amount.greaterThan(open)) {
      throw businessValidation(
        `The amount applied to invoice ${typeof inv.DocNumber === 'string' ? inv.DocNumber : invoiceId} (${amount.toFixed(2)}) is more than its open balance (${open.toFixed(2)}).`,
        'Line.Amount',
      );
    }
  }
  // Money and credit together pay the invoices: what the money pays is the invoices' share less the credit.
  applied = applied.minus(credits);
  if (applied.isNegative()) {
    throw businessValidation('The credit used is more than the amounts applied to invoices.', 'Line.Amount');
  }
  if (applied.greaterThan(total)) {
    throw businessValidation(
      `The amounts applied to transactions (${applied.toFixed(2)}) are more than the payment amount (${total.toFixed(2)}).`,
      'TotalAmt',
    );
  }
  out.Line = lines;
  out.TotalAmt = num(total);
  out.UnappliedAmt = num(total.minus(applied));
  out.TxnDate = optDate(input, 'TxnDate') ?? (typeof prev?.TxnDate === 'string' ? prev.TxnDate : ctx.today);
  optString(input, 'PaymentRefNum', 21);
  optString(input, 'DocNumber', 21);
  optString(input, 'PrivateNote', 4000);
  setRef(ctx, out, 'PaymentMethodRef', 'PaymentMethod');
  setRef(ctx, out, 'ARAccountRef', 'Account');
  if (!setRef(ctx, out, 'DepositToAccountRef', 'Account')) {
    const uf = accountRefBySubType(ctx, 'UndepositedFunds');
    if (uf) out.DepositToAccountRef = uf;
  }
  out.ProcessPayment = optBool(input, 'ProcessPayment') ?? false;
  applyCurrency(ctx, out, input, customer.obj, { total });
  return out;
};

/** A voided payment: amounts at zero (so it no longer pays any invoice), "Voided" in PrivateNote. */
export function voidedPayment(obj: QboObject): QboObject {
  const lines = Array.isArray(obj.Line) ? (obj.Line as QboObject[]).map((l) => ({ ...l, Amount: 0 })) : [];
  return { ...obj, Line: lines, TotalAmt: 0, UnappliedAmt: 0, PrivateNote: 'Voided' };
}

/** Ids of the credit memos a payment uses. */
export function creditMemoLinks(payment: QboObject | undefined): string[] {
  const out: string[] = [];
  for (const line of Array.isArray(payment?.Line) ? (payment.Line as QboObject[]) : []) {
    for (const l of Array.isArray(line.LinkedTxn) ? (line.LinkedTxn as QboObject[]) : []) {
      if (l.TxnType === 'CreditMemo' && typeof l.TxnId === 'string') out.push(l.TxnId);
    }
  }
  return out;
}
