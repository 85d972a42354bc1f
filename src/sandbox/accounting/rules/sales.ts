import { refId, resolveRef, setRef, type Ref, type RuleContext } from '../context';
import { applyCurrency } from './currency';
import { DISCOUNT_DETAIL_FIELDS, ENTITY_TYPES, LINE_FIELDS, SALES_ITEM_DETAIL_FIELDS } from '../entity-types';
import {
  amountCalculation,
  businessValidation,
  duplicateDocNumber,
  invalidEnumeration,
  invalidLineTaxCode,
  invalidReference,
  invalidValue,
  objectNotFound,
  requiredParam,
} from '../faults';
import { checkFields, isObject, optBool, optDecimal, optObject, optString } from '../fields';
import { cents, Dec, grouped, num, ZERO } from '../money';
import { creditUsed, type QboObject } from '../company/realm';
import { addDays } from '../time';

/** The ItemRef value QuickBooks uses for the shipping line of a sales form. */
export const SHIPPING_ITEM_ID = 'SHIPPING_ITEM_ID';

/** How a transaction write was asked for. */
export interface TxnWriteOptions {
  /** `include=allowduplicatedocnum`: skip the 6140 DocNumber check. */
  allowDuplicateDocNum: boolean;
  /** Properties present in the request body itself (a sparse update carries the others over from the stored object). */
  bodyKeys: ReadonlySet<string>;
}

export type TxnBuilder = (
  ctx: RuleContext,
  input: QboObject,
  prev: QboObject | undefined,
  opts: TxnWriteOptions,
) => QboObject;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A `YYYY-MM-DD` date property (QuickBooks also accepts a trailing offset, which it drops). */
export function optDate(input: QboObject, field: string): string | undefined {
  const s = optString(input, field);
  if (s === undefined || s === '') return undefined;
  const date = s.slice(0, 10);
  if (!DATE_ONLY.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw invalidValue(field, s);
  return date;
}

function salesFormsPrefs(ctx: RuleContext): QboObject {
  const p = ctx.realm.preferences.SalesFormsPrefs;
  return isObject(p) ? p : {};
}

/** The account with that AccountSubType (Undeposited Funds, ...), as a reference. */
export function accountRefBySubType(ctx: RuleContext, subType: string): Ref | undefined {
  for (const row of ctx.realm.table('Account').values()) {
    if (!row.deleted && row.obj.AccountSubType === subType && row.obj.Active !== false) {
      return { value: row.obj.Id as string, name: row.obj.FullyQualifiedName as string };
    }
  }
  return undefined;
}

function accountRefById(ctx: RuleContext, id: unknown): Ref | undefined {
  if (typeof id !== 'string') return undefined;
  const acc = ctx.realm.live('Account', id);
  return acc ? { value: id, name: acc.FullyQualifiedName as string } : undefined;
}

interface LineTotals {
  lines: QboObject[];
  /** Sum of sales item lines other than shipping. */
  subtotal: Dec;
  discount: Dec;
  shipping: Dec;
  /** Taxable (TAX) amounts before discount: goods/services, and shipping. */
  taxableGoods: Dec;
  taxableShipping: Dec;
}

function detailTypeOf(raw: QboObject): string {
  const given = optString(raw, 'DetailType', undefined, 'Line.DetailType');
  if (given !== undefined) return given;
  for (const t of [
    'SalesItemLineDetail',
    'DiscountLineDetail',
    'SubTotalLineDetail',
    'DescriptionLineDetail',
  ]) {
    if (raw[t] !== undefined) return t === 'DescriptionLineDetail' ? 'DescriptionOnly' : t;
  }
  throw requiredParam('DetailType', 'Line.DetailType');
}

/**
 * Validates and normalizes the lines of a sales form: item lines (Qty × UnitPrice must equal Amount, 6070; US line tax
 * codes TAX/NON, 6100; items must exist, 2500, and be active, 610), the shipping line (ItemRef SHIPPING_ITEM_ID),
 * discount lines (fixed or percent of the subtotal), and the SubTotalLineDetail line QuickBooks adds to responses.
 */
function buildLines(ctx: RuleContext, rawLines: unknown, prev: QboObject | undefined): LineTotals {
  if (!Array.isArray(rawLines) || rawLines.length === 0) {
    throw businessValidation('You must fill out at least one split line.', 'Line');
  }
  let maxId = 0;
  const noteId = (id: unknown): void => {
    const n = Number(id);
    if (Number.isInteger(n) && n > maxId) maxId = n;
  };
  if (prev && Array.isArray(prev.Line)) for (const l of prev.Line as QboObject[]) noteId(l.Id);
  for (const l of rawLines) if (isObject(l)) noteId(l.Id);

  const prefs = salesFormsPrefs(ctx);
  const lines: Array<QboObject | 'discount'> = [];
  const discounts: Array<{ raw: QboObject; detail: QboObject; id: string }> = [];
  let subtotal = ZERO;
  let shipping = ZERO;
  let taxableGoods = ZERO;
  let taxableShipping = ZERO;
  let lastItemIndex = -1;

  for (const raw of rawLines) {
    if (!isObject(raw)) throw invalidValue('Line', raw);
    checkFields(raw, LINE_FIELDS, 'Line');
    const detailType = detailTypeOf(raw);
    const id =
      (typeof raw.Id === 'string' && raw.Id !== '') || typeof raw.Id === 'number'
        ? String(raw.Id)
        : String(++maxId);
    switch (detailType) {
      case 'SubTotalLineDetail':
        // Recomputed below: QuickBooks derives the subtotal and ignores the supplied amount.
        break;
      case 'SalesItemLineDetail': {
        const detail = optObject(raw, 'SalesItemLineDetail', 'Line.SalesItemLineDetail') ?? {};
        checkFields(detail, SALES_ITEM_DETAIL_FIELDS, 'SalesItemLineDetail');
        const amountIn = optDecimal(raw, 'Amount', 'Line.Amount');
        if (amountIn === undefined) throw requiredParam('Amount', 'Line.Amount');
        const amount = cents(amountIn);
        const itemElement = 'Line.SalesItemLineDetail.ItemRef';
        const itemId = refId(detail.ItemRef, itemElement);
        if (itemId === undefined) throw requiredParam('ItemRef', itemElement);
        const isShipping = itemId === SHIPPING_ITEM_ID;
        const outDetail: QboObject = { ...detail };
        let item: QboObject | undefined;
        if (isShipping) {
          if (prefs.AllowShipping !== true) {
            throw businessValidation(
              'Shipping is not turned on in this company (SalesFormsPrefs.AllowShipping).',
              itemElement,
            );
          }
          outDetail.ItemRef = { value: SHIPPING_ITEM_ID };
          const acc = accountRefById(ctx, prefs.DefaultShippingAccount);
          if (acc) outDetail.ItemAccountRef = acc;
        } else {
          const r = resolveRef(ctx, 'Item', detail.ItemRef, itemElement);
          item = r!.obj;
          if (item.Type === 'Category') throw invalidReference(itemElement);
          outDetail.ItemRef = r!.ref;
          if (isObject(item.IncomeAccountRef)) outDetail.ItemAccountRef = item.IncomeAccountRef;
        }
        let qty = optDecimal(detail, 'Qty', 'Line.SalesItemLineDetail.Qty');
        let unitPrice = optDecimal(detail, 'UnitPrice', 'Line.SalesItemLineDetail.UnitPrice');
        // Qty × UnitPrice must equal Amount (6070), but a zero Qty or UnitPrice that disagrees with the Amount means
        // "not given" (clients' defaults: `Qty: 0, UnitPrice: 0` with `Amount: 100`), and QuickBooks keeps the Amount
        // (issue 13, observed with third-party clients).
        const agrees =
          qty !== undefined && unitPrice !== undefined && cents(qty.times(unitPrice)).equals(amount);
        if (!agrees && qty?.isZero()) qty = undefined;
        if (!agrees && unitPrice?.isZero()) unitPrice = undefined;
        if (qty === undefined) delete outDetail.Qty;
        if (unitPrice === undefined) delete outDetail.UnitPrice;
        if (qty !== undefined && unitPrice !== undefined) {
          if (!agrees) throw amountCalculation(grouped(amountIn));
          outDetail.Qty = num(qty);
          outDetail.UnitPrice = num(unitPrice);
        } else if (qty !== undefined) {
          outDetail.Qty = num(qty);
          outDetail.UnitPrice = qty.isZero() ? 0 : num(amount.dividedBy(qty).toDecimalPlaces(7));
        } else if (unitPrice !== undefined) {
          outDetail.UnitPrice = num(unitPrice);
          if (!unitPrice.isZero()) outDetail.Qty = num(amount.dividedBy(unitPrice).toDecimalPlaces(7));
        }
        const taxElement = 'Line.SalesItemLineDetail.TaxCodeRef';
        const taxCode = refId(detail.TaxCodeRef, taxElement) ?? (item?.Taxable === true ? 'TAX' : 'NON');
        if (taxCode !== 'TAX' && taxCode !== 'NON') throw invalidLineTaxCode(taxCode);
        outDetail.TaxCodeRef = { value: taxCode };
        setRef(ctx, outDetail, 'ClassRef', 'Class', 'Line.SalesItemLineDetail.ClassRef');
        const line: QboObject = { Id: id, LineNum: 0 };
        const description = optString(raw, 'Description', 4000, 'Line.Description');
        if (description !== undefined) line.Description = description;
        line.Amount = num(amount);
        line.DetailType = 'SalesItemLineDetail';
        line.SalesItemLineDetail = outDetail;
        if (raw.LinkedTxn !== undefined) line.LinkedTxn = raw.LinkedTxn;
        lines.push(line);
        if (isShipping) {
          shipping = shipping.plus(amount);
          if (taxCode === 'TAX') taxableShipping = taxableShipping.plus(amount);
        } else {
          subtotal = subtotal.plus(amount);
          if (taxCode === 'TAX') taxableGoods = taxableGoods.plus(amount);
          lastItemIndex = lines.length - 1;
        }
        break;
      }
      case 'DiscountLineDetail': {
        if (prefs.AllowDiscount !== true) {
          throw businessValidation(
            'Discounts are not turned on in this company (SalesFormsPrefs.AllowDiscount).',
            'Line',
          );
        }
        const detail = optObject(raw, 'DiscountLineDetail', 'Line.DiscountLineDetail') ?? {};
        checkFields(detail, DISCOUNT_DETAIL_FIELDS, 'DiscountLineDetail');
        discounts.push({ raw, detail, id });
        lines.push('discount');
        break;
      }
      case 'DescriptionOnly': {
        const line: QboObject = { Id: id, LineNum: 0 };
        const description = optString(raw, 'Description', 4000, 'Line.Description');
        if (description !== undefined) line.Description = description;
        line.DetailType = 'DescriptionOnly';
        line.DescriptionLineDetail = isObject(raw.DescriptionLineDetail) ? raw.DescriptionLineDetail : {};
        lines.push(line);
        break;
      }
      default:
        throw invalidEnumeration('Line.DetailType', detailType);
    }
  }
  if (lastItemIndex < 0 && shipping.isZero() && discounts.length === 0 && lines.length === 0) {
    throw businessValidation('You must fill out at least one split line.', 'Line');
  }

  let discount = ZERO;
  const discountLines: QboObject[] = [];
  for (const { raw, detail, id } of discounts) {
    const percentBased = optBool(detail, 'PercentBased', 'Line.DiscountLineDetail.PercentBased') ?? false;
    const outDetail: QboObject = { ...detail, PercentBased: percentBased };
    let amount: Dec;
    if (percentBased) {
      const pct = optDecimal(detail, 'DiscountPercent', 'Line.DiscountLineDetail.DiscountPercent');
      if (pct === undefined)
        throw requiredParam('DiscountPercent', 'Line.DiscountLineDetail.DiscountPercent');
      amount = cents(subtotal.times(pct).dividedBy(100));
      outDetail.DiscountPercent = num(pct);
    } else {
      const given = optDecimal(raw, 'Amount', 'Line.Amount');
      if (given === undefined) throw requiredParam('Amount', 'Line.Amount');
      amount = cents(given);
      delete outDetail.DiscountPercent;
    }
    const accElement = 'Line.DiscountLineDetail.DiscountAccountRef';
    if (!setRef(ctx, outDetail, 'DiscountAccountRef', 'Account', accElement)) {
      const acc = accountRefById(ctx, salesFormsPrefs(ctx).DefaultDiscountAccount);
      if (acc) outDetail.DiscountAccountRef = acc;
    }
    setRef(ctx, outDetail, 'ClassRef', 'Class', 'Line.DiscountLineDetail.ClassRef');
    discount = discount.plus(amount);
    const line: QboObject = { Id: id, LineNum: 0 };
    const description = optString(raw, 'Description', 4000, 'Line.Description');
    if (description !== undefined) line.Description = description;
    line.Amount = num(amount);
    line.DetailType = 'DiscountLineDetail';
    line.DiscountLineDetail = outDetail;
    discountLines.push(line);
  }

  // Final order: the client's order, with QuickBooks' subtotal line after the last goods/services line.
  const out: QboObject[] = [];
  let d = 0;
  let lineNum = 0;
  lines.forEach((l, i) => {
    const line = l === 'discount' ? discountLines[d++] : l;
    line.LineNum = ++lineNum;
    out.push(line);
    if (i === lastItemIndex) {
      out.push({ Amount: num(subtotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
    }
  });
  return { lines: out, subtotal, discount, shipping, taxableGoods, taxableShipping };
}

/**
 * TxnTaxDetail: with a TxnTaxCodeRef the tax is computed from the code's rates on the taxable lines (after the discount
 * when ApplyTaxAfterDiscount); a TotalTax sent in the request overrides it, as QuickBooks lets clients do.
 */
function buildTax(
  ctx: RuleContext,
  input: QboObject,
  prev: QboObject | undefined,
  totals: LineTotals,
  opts: TxnWriteOptions,
): { detail: QboObject; tax: Dec } {
  const ttd = optObject(input, 'TxnTaxDetail') ?? {};
  const applyAfterDiscount = optBool(input, 'ApplyTaxAfterDiscount') ?? false;
  let goods = totals.taxableGoods;
  if (applyAfterDiscount && totals.subtotal.greaterThan(0) && totals.discount.greaterThan(0)) {
    goods = goods.minus(totals.discount.times(totals.taxableGoods).dividedBy(totals.subtotal));
  }
  const base = cents(goods.plus(totals.taxableShipping));
  const sentInBody = opts.bodyKeys.has('TxnTaxDetail');
  const override = optDecimal(ttd, 'TotalTax', 'TxnTaxDetail.TotalTax');
  const codeElement = 'TxnTaxDetail.TxnTaxCodeRef';
  const codeId = refId(ttd.TxnTaxCodeRef, codeElement);
  const detail: QboObject = {};
  let computed = ZERO;
  if (codeId !== undefined) {
    const row = ctx.realm.row('TaxCode', codeId);
    if (!row || row.deleted) throw invalidReference(codeElement);
    if (row.obj.Active === false) throw objectNotFound(codeElement);
    detail.TxnTaxCodeRef = { value: codeId };
    const taxLines: QboObject[] = [];
    const rateList = isObject(row.obj.SalesTaxRateList) ? row.obj.SalesTaxRateList.TaxRateDetail : undefined;
    for (const rd of Array.isArray(rateList) ? (rateList as QboObject[]) : []) {
      const rateId = refId(rd.TaxRateRef, 'TaxRateRef');
      const rate = rateId !== undefined ? ctx.realm.live('TaxRate', rateId) : undefined;
      if (!rate) continue;
      const pct = new Dec((rate.RateValue as number) ?? 0);
      const amount = cents(base.times(pct).dividedBy(100));
      computed = computed.plus(amount);
      taxLines.push({
        Amount: num(amount),
        DetailType: 'TaxLineDetail',
        TaxLineDetail: {
          TaxRateRef: { value: rateId },
          PercentBased: true,
          TaxPercent: num(pct),
          NetAmountTaxable: num(base),
        },
      });
    }
    // A TotalTax the client states overrides the computed tax; an echo of an earlier answer (it carries TaxLine) does not,
    // so that sending back a read invoice with changed lines recomputes its tax.
    let tax = computed;
    if (sentInBody && override !== undefined && !Array.isArray(ttd.TaxLine)) tax = cents(override);
    detail.TotalTax = num(tax);
    if (taxLines.length > 0) detail.TaxLine = taxLines;
    return { detail, tax };
  }
  // No tax code: the tax is whatever the client states (kept across sparse updates), zero by default.
  let tax = override !== undefined ? cents(override) : ZERO;
  if (!sentInBody && override === undefined && prev && isObject(prev.TxnTaxDetail)) {
    tax = new Dec((prev.TxnTaxDetail.TotalTax as number) ?? 0);
  }
  detail.TotalTax = num(tax);
  return { detail, tax };
}

/** Next free automatic DocNumber of that type (QuickBooks continues from the last number it used). */
function nextDocNumber(ctx: RuleContext, entity: string): string {
  let seq = ctx.realm.docSeq[entity] ?? 1001;
  while (ctx.realm.docOwners(entity, String(seq))?.size) seq++;
  ctx.realm.docSeq[entity] = seq + 1;
  return String(seq);
}

/** DocNumber rules: at most 21 characters (2050), unique per type unless allowed (6140), automatic when absent. */
export function assignDocNumber(
  ctx: RuleContext,
  entity: string,
  input: QboObject,
  prev: QboObject | undefined,
  opts: TxnWriteOptions,
): string | undefined {
  const doc = optString(input, 'DocNumber', 21);
  if (doc === undefined || doc === '' || doc === 'AUTO_GENERATE') {
    if (prev && typeof prev.DocNumber === 'string' && doc !== 'AUTO_GENERATE') return prev.DocNumber;
    return undefined;
  }
  if (!opts.allowDuplicateDocNum && doc !== prev?.DocNumber) {
    const owners = ctx.realm.docOwners(entity, doc);
    if (owners) {
      for (const id of owners) {
        if (id !== prev?.Id) throw duplicateDocNumber(doc, ENTITY_TYPES.get(entity)!.label, id);
      }
    }
  }
  return doc;
}

function termFor(ctx: RuleContext, out: QboObject, customer: QboObject | undefined): QboObject | undefined {
  let term = setRef(ctx, out, 'SalesTermRef', 'Term');
  if (!term && customer && isObject(customer.SalesTermRef)) {
    term = ctx.realm.live('Term', String(customer.SalesTermRef.value));
    if (term && term.Active !== false) out.SalesTermRef = { value: term.Id, name: term.Name };
  }
  if (!term) {
    const defaultTerms = salesFormsPrefs(ctx).DefaultTerms;
    if (isObject(defaultTerms) && typeof defaultTerms.value === 'string') {
      term = ctx.realm.live('Term', defaultTerms.value);
      if (term) out.SalesTermRef = { value: term.Id, name: term.Name };
    }
  }
  return term;
}

function buildSales(
  entity: 'Invoice' | 'SalesReceipt' | 'CreditMemo' | 'RefundReceipt' | 'Estimate',
): TxnBuilder {
  return (ctx, input, prev, opts) => {
    const out: QboObject = { ...input };
    const customer = resolveRef(
      ctx,
      'Customer',
      input.CustomerRef,
      'CustomerRef',
      entity === 'Invoice' || entity === 'CreditMemo' || entity === 'Estimate',
    );
    if (customer) out.CustomerRef = customer.ref;
    else delete out.CustomerRef;

    const totals = buildLines(ctx, input.Line, prev);
    out.Line = totals.lines;
    const { detail: taxDetail, tax } = buildTax(ctx, input, prev, totals, opts);
    out.TxnTaxDetail = taxDetail;
    out.ApplyTaxAfterDiscount = optBool(input, 'ApplyTaxAfterDiscount') ?? false;
    const total = cents(totals.subtotal.minus(totals.discount).plus(totals.shipping).plus(tax));
    if (total.isNegative()) throw businessValidation('Transaction total cannot be negative.', 'TotalAmt');
    out.TotalAmt = num(total);
    delete out.HomeTotalAmt;
    delete out.HomeBalance;

    out.TxnDate = optDate(input, 'TxnDate') ?? (typeof prev?.TxnDate === 'string' ? prev.TxnDate : ctx.today);
    setRef(ctx, out, 'ClassRef', 'Class');
    setRef(ctx, out, 'DepartmentRef', 'Department');
    setRef(ctx, out, 'PaymentMethodRef', 'PaymentMethod');
    optString(input, 'PrivateNote', 4000);
    if (isObject(out.CustomerMemo)) optString(out.CustomerMemo, 'value', 1000, 'CustomerMemo');
    if (customer) {
      if (out.BillAddr === undefined && isObject(customer.obj.BillAddr)) out.BillAddr = customer.obj.BillAddr;
      if (out.ShipAddr === undefined && isObject(customer.obj.ShipAddr)) out.ShipAddr = customer.obj.ShipAddr;
      if (out.BillEmail === undefined && isObject(customer.obj.PrimaryEmailAddr)) {
        out.BillEmail = { Address: customer.obj.PrimaryEmailAddr.Address };
      }
    }
    for (const [field, allowed] of [
      ['PrintStatus', ['NotSet', 'NeedToPrint', 'PrintComplete']],
      ['EmailStatus', ['NotSet', 'NeedToSend', 'EmailSent']],
    ] as const) {
      const v = optString(input, field) ?? 'NotSet';
      if (!(allowed as readonly string[]).includes(v)) throw invalidEnumeration(field, v);
      out[field] = v;
    }

    if (entity === 'Invoice') {
      const term = termFor(ctx, out, customer?.obj);
      const due = optDate(input, 'DueDate');
      const dueDays = term && typeof term.DueDays === 'number' ? term.DueDays : 0;
      out.DueDate = due ?? addDays(out.TxnDate as string, dueDays);
      const deposit = cents(optDecimal(input, 'Deposit') ?? ZERO);
      const paid = prev ? ctx.realm.paidOnInvoice(prev.Id as string) : ZERO;
      const balance = total.minus(deposit).minus(paid);
      if (balance.isNegative()) {
        throw businessValidation(
          'The invoice total cannot be less than the deposit and the payments applied to it. Unlink or delete the payment first.',
        );
      }
      out.Deposit = num(deposit);
      out.Balance = num(balance);
      const others = Array.isArray(input.LinkedTxn)
        ? (input.LinkedTxn as unknown[]).filter((l) => isObject(l) && l.TxnType !== 'Payment')
        : [];
      const payments = prev ? ctx.realm.invoicePayments.get(prev.Id as string) : undefined;
      const linked = [
        ...others,
        ...[...(payments?.keys() ?? [])].map((id) => ({ TxnId: id, TxnType: 'Payment' })),
      ];
      if (linked.length > 0) out.LinkedTxn = linked;
      else delete out.LinkedTxn;
      for (const f of [
        'AllowIPNPayment',
        'AllowOnlinePayment',
        'AllowOnlineCreditCardPayment',
        'AllowOnlineACHPayment',
      ]) {
        out[f] = optBool(input, f) ?? false;
      }
    } else if (entity === 'SalesReceipt') {
      setRef(ctx, out, 'SalesTermRef', 'Term');
      if (!setRef(ctx, out, 'DepositToAccountRef', 'Account')) {
        const uf = accountRefBySubType(ctx, 'UndepositedFunds');
        if (uf) out.DepositToAccountRef = uf;
      }
      out.Balance = 0;
    } else if (entity === 'RefundReceipt') {
      // The account the refund is paid from is required (Intuit API reference, RefundReceipt.DepositToAccountRef).
      const account = setRef(ctx, out, 'DepositToAccountRef', 'Account');
      if (!account) throw requiredParam('DepositToAccountRef');
      if (!['Bank', 'Other Current Asset', 'Credit Card'].includes(String(account.AccountType))) {
        throw businessValidation(
          'A refund is paid from a Bank, Credit Card or Other Current Asset account.',
          'DepositToAccountRef',
        );
      }
      out.Balance = 0;
    } else if (entity === 'Estimate') {
      // An estimate has no balance; its status moves Pending → Accepted/Rejected, and Closed once invoiced (Intuit
      // API reference, Estimate.TxnStatus).
      setRef(ctx, out, 'SalesTermRef', 'Term');
      const status = optString(input, 'TxnStatus') ?? 'Pending';
      if (!['Pending', 'Accepted', 'Closed', 'Rejected', 'Converted'].includes(status)) {
        throw invalidEnumeration('TxnStatus', status);
      }
      out.TxnStatus = status;
      const expires = optDate(input, 'ExpirationDate');
      if (expires !== undefined) out.ExpirationDate = expires;
      delete out.Balance;
    } else {
      setRef(ctx, out, 'SalesTermRef', 'Term');
      const used = prev ? creditUsed(ctx.realm, prev.Id as string) : ZERO;
      if (total.lessThan(used)) {
        throw businessValidation(
          'The credit memo total cannot be less than the credit payments used from it.',
        );
      }
      out.RemainingCredit = num(total.minus(used));
      out.Balance = num(total.minus(used));
    }
    applyCurrency(ctx, out, input, customer?.obj, {
      total,
      balance: entity === 'Invoice' ? new Dec(out.Balance as number) : undefined,
    });

    // Last, so that a request refused above does not consume a number.
    const doc = assignDocNumber(ctx, entity, input, prev, opts);
    out.DocNumber = doc ?? nextDocNumber(ctx, entity);
    return out;
  };
}

/** Builders of the sales forms. */
export const SALES_BUILDERS: Readonly<Record<string, TxnBuilder>> = {
  Invoice: buildSales('Invoice'),
  SalesReceipt: buildSales('SalesReceipt'),
  CreditMemo: buildSales('CreditMemo'),
  RefundReceipt: buildSales('RefundReceipt'),
  Estimate: buildSales('Estimate'),
};

/** A voided sales form: lines and totals at zero, "Voided" in PrivateNote, as QuickBooks keeps it. */
export function voidedSales(obj: QboObject): QboObject {
  const lines = Array.isArray(obj.Line)
    ? (obj.Line as QboObject[]).map((line) => {
        const next: QboObject = { ...line, Amount: 0 };
        if (isObject(line.SalesItemLineDetail))
          next.SalesItemLineDetail = { ...line.SalesItemLineDetail, Qty: 0 };
        return next;
      })
    : [];
  const ttd = isObject(obj.TxnTaxDetail) ? obj.TxnTaxDetail : {};
  const taxDetail: QboObject = { ...ttd, TotalTax: 0 };
  if (Array.isArray(ttd.TaxLine)) {
    taxDetail.TaxLine = (ttd.TaxLine as QboObject[]).map((l) => ({ ...l, Amount: 0 }));
  }
  const next: QboObject = {
    ...obj,
    Line: lines,
    TxnTaxDetail: taxDetail,
    TotalAmt: 0,
    PrivateNote: 'Voided',
  };
  if (obj.Balance !== undefined) next.Balance = 0;
  if (obj.RemainingCredit !== undefined) next.RemainingCredit = 0;
  if (obj.Deposit !== undefined) next.Deposit = 0;
  return next;
}
