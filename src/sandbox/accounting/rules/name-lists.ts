import { resolveRef, setRef, USD, type RuleContext } from '../context';
import { buildCompanyCurrency, customerCurrency } from './currency';
import {
  businessValidation,
  duplicateName,
  invalidEnumeration,
  invalidReference,
  requiredParam,
} from '../faults';
import { optBool, optDecimal, optString, reqString } from '../fields';
import { num, ZERO } from '../money';
import { nameKeyOf, type QboObject } from '../company/realm';

/**
 * Rules of the name lists (Customer, Vendor, Employee, Item, Account, Term, Class, Department, PaymentMethod). A
 * builder receives the requested state (the body for a create or full update, the stored object overlaid with the body
 * for a sparse update) and the stored object being replaced, validates it and returns the object to store, without
 * the envelope properties (Id, SyncToken, MetaData, domain, sparse) that the engine adds.
 */
export type Builder = (ctx: RuleContext, input: QboObject, prev: QboObject | undefined) => QboObject;

/** 6240 when another entity of the same name scope already uses that name. */
function assertNameFree(
  ctx: RuleContext,
  entity: string,
  candidate: QboObject,
  prev: QboObject | undefined,
): void {
  const nk = nameKeyOf(entity, candidate);
  if (!nk) return;
  const owner = ctx.realm.nameIndex.get(nk.group)?.get(nk.key);
  if (owner && !(owner.entity === entity && owner.id === prev?.Id)) throw duplicateName(owner.id);
}

function activeOf(input: QboObject): boolean {
  return optBool(input, 'Active') ?? true;
}

/** Parent handling shared by sub-customers, sub-items, sub-accounts, sub-classes and sub-departments. */
function parentOf(
  ctx: RuleContext,
  entity: string,
  out: QboObject,
  prev: QboObject | undefined,
): { parent: QboObject; level: number } | undefined {
  const r = resolveRef(ctx, entity, out.ParentRef, 'ParentRef');
  if (!r) {
    delete out.ParentRef;
    return undefined;
  }
  if (prev && r.ref.value === prev.Id) throw invalidReference('ParentRef');
  out.ParentRef = r.ref;
  const level = typeof r.obj.Level === 'number' ? r.obj.Level + 1 : 1;
  return { parent: r.obj, level };
}

function fqn(parent: QboObject | undefined, name: string): string {
  return parent ? `${String(parent.FullyQualifiedName ?? parent.Name ?? parent.DisplayName)}:${name}` : name;
}

/** DisplayName, or the name QuickBooks composes from Title/GivenName/MiddleName/FamilyName/Suffix. */
function partyDisplayName(input: QboObject): string {
  const explicit = optString(input, 'DisplayName', 500);
  if (explicit !== undefined && explicit.trim() !== '') return explicit.trim();
  optString(input, 'Title', 16);
  optString(input, 'Suffix', 16);
  const parts = ['Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix']
    .map((f) => optString(input, f, 100))
    .filter((s): s is string => s !== undefined && s.trim() !== '')
    .map((s) => s.trim());
  if (parts.length === 0) throw requiredParam('DisplayName');
  return parts.join(' ');
}

const buildCustomer: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const display = partyDisplayName(input);
  optString(input, 'CompanyName', 100);
  optString(input, 'PrintOnCheckName', 110);
  optString(input, 'Notes', 2000);
  out.DisplayName = display;
  const parent = parentOf(ctx, 'Customer', out, prev);
  out.FullyQualifiedName = fqn(parent?.parent, display);
  assertNameFree(ctx, 'Customer', out, prev);
  out.Job = parent !== undefined;
  if (parent) out.Level = parent.level;
  else delete out.Level;
  out.BillWithParent = parent !== undefined && optBool(input, 'BillWithParent') === true;
  setRef(ctx, out, 'SalesTermRef', 'Term');
  setRef(ctx, out, 'PaymentMethodRef', 'PaymentMethod');
  setRef(ctx, out, 'DefaultTaxCodeRef', 'TaxCode');
  setRef(ctx, out, 'ARAccountRef', 'Account');
  out.CurrencyRef = customerCurrency(ctx, input, prev);
  out.Taxable = optBool(input, 'Taxable') ?? true;
  out.PrintOnCheckName = optString(input, 'PrintOnCheckName') ?? optString(input, 'CompanyName') ?? display;
  out.PreferredDeliveryMethod = optString(input, 'PreferredDeliveryMethod') ?? 'Print';
  out.IsProject = false;
  const active = activeOf(input);
  const balance = typeof prev?.Balance === 'number' ? prev.Balance : 0;
  if (!active && prev?.Active !== false && balance !== 0) {
    throw businessValidation(
      'Delete List Has Balance Error: The entity you are trying to delete has an open balance.',
    );
  }
  out.Active = active;
  out.Balance = balance;
  out.BalanceWithJobs = typeof prev?.BalanceWithJobs === 'number' ? prev.BalanceWithJobs : balance;
  return out;
};

const buildVendor: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  out.DisplayName = partyDisplayName(input);
  assertNameFree(ctx, 'Vendor', out, prev);
  out.PrintOnCheckName =
    optString(input, 'PrintOnCheckName') ?? optString(input, 'CompanyName') ?? out.DisplayName;
  setRef(ctx, out, 'TermRef', 'Term');
  out.CurrencyRef = USD;
  out.Vendor1099 = optBool(input, 'Vendor1099') ?? false;
  out.Active = activeOf(input);
  out.Balance = typeof prev?.Balance === 'number' ? prev.Balance : 0;
  return out;
};

const buildEmployee: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  out.DisplayName = partyDisplayName(input);
  assertNameFree(ctx, 'Employee', out, prev);
  out.PrintOnCheckName = optString(input, 'PrintOnCheckName') ?? out.DisplayName;
  out.BillableTime = optBool(input, 'BillableTime') ?? false;
  out.Active = activeOf(input);
  return out;
};

const ITEM_TYPES = new Set(['Service', 'NonInventory', 'Inventory', 'Category']);

const buildItem: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const name = reqString(input, 'Name', 100).trim();
  out.Name = name;
  const type = optString(input, 'Type') ?? (typeof prev?.Type === 'string' ? prev.Type : 'Service');
  if (!ITEM_TYPES.has(type)) throw invalidEnumeration('Type', type);
  out.Type = type;
  const parent = parentOf(ctx, 'Item', out, prev);
  out.SubItem = parent !== undefined;
  if (parent) out.Level = parent.level;
  else delete out.Level;
  out.FullyQualifiedName = fqn(parent?.parent, name);
  assertNameFree(ctx, 'Item', out, prev);
  optString(input, 'Sku', 100);
  optString(input, 'Description', 4000);

  const income = setRef(ctx, out, 'IncomeAccountRef', 'Account');
  const expense = setRef(ctx, out, 'ExpenseAccountRef', 'Account');
  const asset = setRef(ctx, out, 'AssetAccountRef', 'Account');
  if (type === 'Service' && !income) throw requiredParam('IncomeAccountRef');
  if (type === 'NonInventory' && !income && !expense) {
    throw requiredParam('ExpenseAccountRef or IncomeAccountRef', 'IncomeAccountRef');
  }
  const track = optBool(input, 'TrackQtyOnHand');
  if (type === 'Inventory') {
    if (!income) throw requiredParam('IncomeAccountRef');
    if (!asset) throw requiredParam('AssetAccountRef');
    if (!expense) throw requiredParam('ExpenseAccountRef');
    if (track !== true) throw requiredParam('TrackQtyOnHand');
    const qty = optDecimal(input, 'QtyOnHand');
    if (qty === undefined) throw requiredParam('QtyOnHand');
    out.QtyOnHand = num(qty);
    if (optString(input, 'InvStartDate') === undefined) throw requiredParam('InvStartDate');
  } else {
    if (prev?.TrackQtyOnHand === true && track === false) {
      throw businessValidation(
        'Quantity tracking cannot be turned off once it is on for an item.',
        'TrackQtyOnHand',
      );
    }
    delete out.QtyOnHand;
    delete out.InvStartDate;
  }
  out.TrackQtyOnHand = track === true && type === 'Inventory';
  if (type !== 'Category') {
    out.UnitPrice = num(optDecimal(input, 'UnitPrice') ?? ZERO);
    out.PurchaseCost = num(optDecimal(input, 'PurchaseCost') ?? ZERO);
    out.Taxable = optBool(input, 'Taxable') ?? false;
  }
  setRef(ctx, out, 'SalesTaxCodeRef', 'TaxCode');
  setRef(ctx, out, 'PurchaseTaxCodeRef', 'TaxCode');
  setRef(ctx, out, 'ClassRef', 'Class');
  setRef(ctx, out, 'PrefVendorRef', 'Vendor');
  out.Active = activeOf(input);
  return out;
};

/** AccountType → Classification, as QuickBooks derives it. */
const ACCOUNT_CLASSIFICATION: Record<string, string> = {
  Bank: 'Asset',
  'Accounts Receivable': 'Asset',
  'Other Current Asset': 'Asset',
  'Fixed Asset': 'Asset',
  'Other Asset': 'Asset',
  'Accounts Payable': 'Liability',
  'Credit Card': 'Liability',
  'Other Current Liability': 'Liability',
  'Long Term Liability': 'Liability',
  Equity: 'Equity',
  Income: 'Revenue',
  'Other Income': 'Revenue',
  'Cost of Goods Sold': 'Expense',
  Expense: 'Expense',
  'Other Expense': 'Expense',
};

/** The AccountSubType QuickBooks picks when none is given. */
const DEFAULT_SUBTYPE: Record<string, string> = {
  Bank: 'Checking',
  'Accounts Receivable': 'AccountsReceivable',
  'Other Current Asset': 'OtherCurrentAssets',
  'Fixed Asset': 'OtherFixedAssets',
  'Other Asset': 'OtherLongTermAssets',
  'Accounts Payable': 'AccountsPayable',
  'Credit Card': 'CreditCard',
  'Other Current Liability': 'OtherCurrentLiabilities',
  'Long Term Liability': 'OtherLongTermLiabilities',
  Equity: 'OwnersEquity',
  Income: 'SalesOfProductIncome',
  'Other Income': 'OtherMiscellaneousIncome',
  'Cost of Goods Sold': 'SuppliesMaterialsCogs',
  Expense: 'OtherMiscellaneousServiceCost',
  'Other Expense': 'OtherMiscellaneousExpense',
};

const buildAccount: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const name = reqString(input, 'Name', 100).trim();
  out.Name = name;
  const type = optString(input, 'AccountType');
  if (type === undefined) throw requiredParam('AccountType');
  const classification = ACCOUNT_CLASSIFICATION[type];
  if (!classification) throw invalidEnumeration('AccountType', type);
  out.AccountType = type;
  out.Classification = classification;
  out.AccountSubType = optString(input, 'AccountSubType') ?? DEFAULT_SUBTYPE[type];
  optString(input, 'AcctNum', 20);
  optString(input, 'Description', 100);
  const parent = parentOf(ctx, 'Account', out, prev);
  out.SubAccount = parent !== undefined;
  out.FullyQualifiedName = fqn(parent?.parent, name);
  assertNameFree(ctx, 'Account', out, prev);
  out.CurrencyRef = USD;
  out.Active = activeOf(input);
  out.CurrentBalance = typeof prev?.CurrentBalance === 'number' ? prev.CurrentBalance : 0;
  out.CurrentBalanceWithSubAccounts =
    typeof prev?.CurrentBalanceWithSubAccounts === 'number' ? prev.CurrentBalanceWithSubAccounts : 0;
  return out;
};

const buildTerm: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  out.Name = reqString(input, 'Name', 31).trim();
  assertNameFree(ctx, 'Term', out, prev);
  const type = optString(input, 'Type') ?? 'STANDARD';
  if (type !== 'STANDARD' && type !== 'DATE_DRIVEN') throw invalidEnumeration('Type', type);
  out.Type = type;
  for (const f of [
    'DueDays',
    'DiscountPercent',
    'DiscountDays',
    'DayOfMonthDue',
    'DueNextMonthDays',
    'DiscountDayOfMonth',
  ]) {
    const d = optDecimal(input, f);
    if (d !== undefined) out[f] = num(d);
  }
  if (type === 'STANDARD' && out.DueDays === undefined) out.DueDays = 0;
  out.Active = activeOf(input);
  return out;
};

function buildHierarchical(entity: 'Class' | 'Department', subFlag: string): Builder {
  return (ctx, input, prev) => {
    const out: QboObject = { ...input };
    const name = reqString(input, 'Name', 100).trim();
    out.Name = name;
    const parent = parentOf(ctx, entity, out, prev);
    out[subFlag] = parent !== undefined;
    out.FullyQualifiedName = fqn(parent?.parent, name);
    assertNameFree(ctx, entity, out, prev);
    out.Active = activeOf(input);
    return out;
  };
}

const buildPaymentMethod: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  out.Name = reqString(input, 'Name', 31).trim();
  assertNameFree(ctx, 'PaymentMethod', out, prev);
  const type = optString(input, 'Type') ?? 'NON_CREDIT_CARD';
  if (type !== 'CREDIT_CARD' && type !== 'NON_CREDIT_CARD') throw invalidEnumeration('Type', type);
  out.Type = type;
  out.Active = activeOf(input);
  return out;
};

/** Builders of the writable name lists. */
export const NAME_LIST_BUILDERS: Readonly<Record<string, Builder>> = {
  Customer: buildCustomer,
  Vendor: buildVendor,
  Employee: buildEmployee,
  Item: buildItem,
  Account: buildAccount,
  Term: buildTerm,
  Class: buildHierarchical('Class', 'SubClass'),
  Department: buildHierarchical('Department', 'SubDepartment'),
  PaymentMethod: buildPaymentMethod,
  CompanyCurrency: buildCompanyCurrency,
};
