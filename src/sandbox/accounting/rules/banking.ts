/**
 * Money moving between accounts (Intuit API reference of Deposit, Transfer and CreditCardPayment):
 * - Deposit: DepositToAccountRef (a Bank or Other Current Asset account) and at least one line required. A line is
 *   either money from elsewhere (`DepositLineDetail.AccountRef`, optionally Entity, PaymentMethodRef, CheckNum) or a
 *   payment or sales receipt sitting in Undeposited Funds (`LinkedTxn [{TxnId, TxnType: Payment | SalesReceipt,
 *   TxnLineId: "0"}]`), whose full amount it deposits; a transaction is deposited once (6000). TotalAmt is the sum of
 *   the lines less CashBack.
 * - Transfer: FromAccountRef, ToAccountRef (different accounts) and a positive Amount required.
 * - CreditCardPayment: CreditCardAccountRef (a Credit Card account), BankAccountRef (a Bank account) and a positive
 *   Amount required (the 2023 entity paying down a card).
 */
import { resolveRef, setRef, type RuleContext } from '../context';
import { LINE_FIELDS } from '../entity-types';
import {
  businessValidation,
  deletedTransaction,
  invalidReference,
  invalidValue,
  requiredParam,
} from '../faults';
import { checkFields, isObject, optDecimal, optObject, optString } from '../fields';
import { cents, Dec, num, ZERO } from '../money';
import type { QboObject } from '../company/realm';
import { optDate, type TxnBuilder } from './sales';

function header(ctx: RuleContext, input: QboObject, prev: QboObject | undefined): QboObject {
  const out: QboObject = { ...input };
  out.TxnDate = optDate(input, 'TxnDate') ?? (typeof prev?.TxnDate === 'string' ? prev.TxnDate : ctx.today);
  optString(input, 'PrivateNote', 4000);
  optString(input, 'DocNumber', 21);
  setRef(ctx, out, 'DepartmentRef', 'Department');
  delete out.CurrencyRef;
  out.CurrencyRef = { value: 'USD', name: 'United States Dollar' };
  return out;
}

/** An account reference that must exist and be of one of the given types. */
function accountOf(ctx: RuleContext, out: QboObject, field: string, types: string[]): QboObject {
  const account = setRef(ctx, out, field, 'Account');
  if (!account) throw requiredParam(field);
  if (!types.includes(String(account.AccountType))) {
    throw businessValidation(`${field} must be a ${types.join(' or ')} account.`, field);
  }
  return account;
}

function positiveAmount(input: QboObject, field: string): Dec {
  const amountIn = optDecimal(input, field);
  if (amountIn === undefined) throw requiredParam(field);
  const amount = cents(amountIn);
  if (!amount.greaterThan(0)) throw businessValidation(`${field} must be greater than zero.`, field);
  return amount;
}

/** Ids of transactions deposited by deposits other than `exceptId`. */
function depositedElsewhere(ctx: RuleContext, exceptId: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const row of ctx.realm.table('Deposit').values()) {
    if (row.deleted || row.obj.Id === exceptId) continue;
    for (const line of Array.isArray(row.obj.Line) ? (row.obj.Line as QboObject[]) : []) {
      for (const l of Array.isArray(line.LinkedTxn) ? (line.LinkedTxn as QboObject[]) : []) {
        out.add(`${String(l.TxnType)}:${String(l.TxnId)}`);
      }
    }
  }
  return out;
}

const buildDeposit: TxnBuilder = (ctx, input, prev) => {
  const out = header(ctx, input, prev);
  accountOf(ctx, out, 'DepositToAccountRef', ['Bank', 'Other Current Asset']);
  const raws = input.Line;
  if (!Array.isArray(raws) || raws.length === 0) {
    throw businessValidation('You must fill out at least one split line.', 'Line');
  }
  const taken = depositedElsewhere(ctx, prev?.Id as string | undefined);
  const lines: QboObject[] = [];
  let total = ZERO;
  for (const raw of raws) {
    if (!isObject(raw)) throw invalidValue('Line', raw);
    checkFields(raw, LINE_FIELDS, 'Line');
    const line: QboObject = { Id: String(lines.length + 1), LineNum: lines.length + 1 };
    const description = optString(raw, 'Description', 4000, 'Line.Description');
    if (description !== undefined) line.Description = description;
    let amount: Dec;
    if (Array.isArray(raw.LinkedTxn) && raw.LinkedTxn.length > 0) {
      const l = raw.LinkedTxn[0] as unknown;
      if (!isObject(l)) throw invalidValue('Line.LinkedTxn', l);
      const txnType = optString(l, 'TxnType');
      const txnId = optString(l, 'TxnId');
      if (txnId === undefined) throw requiredParam('TxnId', 'Line.LinkedTxn.TxnId');
      if (txnType !== 'Payment' && txnType !== 'SalesReceipt') {
        throw businessValidation('A deposit links a Payment or a SalesReceipt.', 'Line.LinkedTxn.TxnType');
      }
      const row = ctx.realm.row(txnType, txnId);
      if (!row) throw invalidReference('Line.LinkedTxn.TxnId');
      if (row.deleted) throw deletedTransaction();
      if (taken.has(`${txnType}:${txnId}`)) {
        throw businessValidation(`${txnType} ${txnId} has already been deposited.`, 'Line.LinkedTxn');
      }
      taken.add(`${txnType}:${txnId}`);
      amount = new Dec((row.obj.TotalAmt as number) ?? 0);
      line.LinkedTxn = [{ TxnId: txnId, TxnType: txnType, TxnLineId: '0' }];
    } else {
      const amountIn = optDecimal(raw, 'Amount', 'Line.Amount');
      if (amountIn === undefined) throw requiredParam('Amount', 'Line.Amount');
      amount = cents(amountIn);
      const element = 'Line.DepositLineDetail';
      const detail: QboObject = { ...(optObject(raw, 'DepositLineDetail', element) ?? {}) };
      if (!setRef(ctx, detail, 'AccountRef', 'Account', `${element}.AccountRef`)) {
        throw requiredParam('AccountRef', `${element}.AccountRef`);
      }
      setRef(ctx, detail, 'PaymentMethodRef', 'PaymentMethod', `${element}.PaymentMethodRef`);
      setRef(ctx, detail, 'ClassRef', 'Class', `${element}.ClassRef`);
      if (isObject(detail.Entity)) {
        const type = optString(detail.Entity, 'type') ?? 'Customer';
        const r = resolveRef(
          ctx,
          ['Customer', 'Vendor', 'Employee'].includes(type) ? type : 'Customer',
          detail.Entity,
          `${element}.Entity`,
        );
        if (r) detail.Entity = { ...r.ref, type };
      }
      line.DetailType = 'DepositLineDetail';
      line.DepositLineDetail = detail;
    }
    line.Amount = num(amount);
    lines.push(line);
    total = total.plus(amount);
  }
  out.Line = lines;
  const cashBack = optObject(input, 'CashBack');
  if (cashBack) {
    const back = cents(optDecimal(cashBack, 'Amount', 'CashBack.Amount') ?? ZERO);
    const next: QboObject = { ...cashBack, Amount: num(back) };
    if (!setRef(ctx, next, 'AccountRef', 'Account', 'CashBack.AccountRef')) {
      throw requiredParam('AccountRef', 'CashBack.AccountRef');
    }
    out.CashBack = next;
    total = total.minus(back);
  }
  if (total.isNegative()) throw businessValidation('Transaction total cannot be negative.', 'TotalAmt');
  out.TotalAmt = num(total);
  return out;
};

const buildTransfer: TxnBuilder = (ctx, input, prev) => {
  const out = header(ctx, input, prev);
  const from = accountOf(ctx, out, 'FromAccountRef', [
    'Bank',
    'Other Current Asset',
    'Credit Card',
    'Other Current Liability',
    'Equity',
    'Long Term Liability',
    'Fixed Asset',
    'Other Asset',
  ]);
  const to = accountOf(ctx, out, 'ToAccountRef', [
    'Bank',
    'Other Current Asset',
    'Credit Card',
    'Other Current Liability',
    'Equity',
    'Long Term Liability',
    'Fixed Asset',
    'Other Asset',
  ]);
  if (from.Id === to.Id)
    throw businessValidation('You cannot transfer money to the same account.', 'ToAccountRef');
  out.Amount = num(positiveAmount(input, 'Amount'));
  return out;
};

const buildCreditCardPayment: TxnBuilder = (ctx, input, prev) => {
  const out = header(ctx, input, prev);
  accountOf(ctx, out, 'CreditCardAccountRef', ['Credit Card']);
  accountOf(ctx, out, 'BankAccountRef', ['Bank']);
  setRef(ctx, out, 'VendorRef', 'Vendor');
  out.Amount = num(positiveAmount(input, 'Amount'));
  out.PrintStatus = optString(input, 'PrintStatus') ?? 'NotSet';
  return out;
};

/** Builders of deposits, transfers and credit-card payments. */
export const BANKING_BUILDERS: Readonly<Record<string, TxnBuilder>> = {
  Deposit: buildDeposit,
  Transfer: buildTransfer,
  CreditCardPayment: buildCreditCardPayment,
};
