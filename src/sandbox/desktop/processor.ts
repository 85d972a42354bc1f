/**
 * Answers a qbXML 13.0 request document the way QuickBooks Desktop does: requests run in order, each answered with
 * statusCode / statusSeverity / statusMessage; `onError="stopOnError"` leaves the requests after an error unprocessed
 * (3231), `continueOnError` runs them all; list objects are unique by name (3100), mods need the current EditSequence
 * (3200), references must exist (3140), queries that find nothing say so (1, or 500 when named objects are missing),
 * and Customer, Item and transaction queries page with iterators.
 */
import Decimal from 'decimal.js';
import { ITEM_KINDS, NAME_LIMITS, type DesktopCompany, type ListKind, type TxnKind } from './company';
import { hostRet } from './host';
import { inRange, matchesListFilters } from './list-filters';
import { listMod } from './list-mods';
import * as S from './status';
import {
  asList,
  buildElement,
  objectOf,
  QbxmlParseError,
  readMessageSet,
  responseDocument,
  textOf,
  type XmlElement,
  type XmlObject,
} from './xml';

/** A status to answer instead of running matching requests (`request` is e.g. "CustomerAdd"). */
export interface StatusRule {
  request?: string;
  statusCode: number;
  statusMessage?: string;
  times?: number;
  probability?: number;
}

/** Called before each request runs: a test can change the company here (e.g. edit a customer so a mod goes stale). */
export type BeforeRequest = (request: XmlElement, company: DesktopCompany) => void;

export interface ProcessorOptions {
  rules?: StatusRule[];
  random?: () => number;
  beforeRequest?: BeforeRequest;
}

interface Outcome {
  status: S.Status;
  body?: XmlObject;
  attributes?: Record<string, string>;
}

const LIST_QUERIES: Record<string, readonly ListKind[]> = {
  AccountQueryRq: ['Account'],
  TermsQueryRq: ['StandardTerms', 'DateDrivenTerms'],
  StandardTermsQueryRq: ['StandardTerms'],
  DateDrivenTermsQueryRq: ['DateDrivenTerms'],
  ClassQueryRq: ['Class'],
  PaymentMethodQueryRq: ['PaymentMethod'],
  SalesTaxCodeQueryRq: ['SalesTaxCode'],
  CustomerQueryRq: ['Customer'],
  VendorQueryRq: ['Vendor'],
  ItemQueryRq: ITEM_KINDS,
  ItemServiceQueryRq: ['ItemService'],
  ItemNonInventoryQueryRq: ['ItemNonInventory'],
  ItemInventoryQueryRq: ['ItemInventory'],
  ItemOtherChargeQueryRq: ['ItemOtherCharge'],
  ItemSalesTaxQueryRq: ['ItemSalesTax'],
  ItemDiscountQueryRq: ['ItemDiscount'],
};
/** Queries that accept `iterator` (the others refuse the attribute when the message is parsed). */
const ITERABLE = new Set([
  'CustomerQueryRq',
  'VendorQueryRq',
  'ItemQueryRq',
  'ItemServiceQueryRq',
  'ItemNonInventoryQueryRq',
  'ItemInventoryQueryRq',
  'ItemOtherChargeQueryRq',
  'SalesReceiptQueryRq',
  'InvoiceQueryRq',
]);
const ITEM_ADDS = ['ItemServiceAdd', 'ItemNonInventoryAdd', 'ItemOtherChargeAdd', 'ItemInventoryAdd'];
const ITEM_MODS = ['ItemServiceMod', 'ItemNonInventoryMod', 'ItemInventoryMod'];
const OTHER_REQUESTS = new Set([
  'HostQueryRq',
  'CompanyQueryRq',
  'CustomerAddRq',
  'CustomerModRq',
  ...ITEM_ADDS.map((a) => `${a}Rq`),
  ...ITEM_MODS.map((m) => `${m}Rq`),
  'SalesReceiptAddRq',
  'InvoiceAddRq',
  'SalesReceiptQueryRq',
  'InvoiceQueryRq',
  'TxnDelRq',
  'TxnVoidRq',
]);

const money = (value: Decimal.Value): string => new Decimal(value).toFixed(2);

export class QbxmlProcessor {
  /** Requests answered, by request name ("CustomerAddRq": 3). */
  readonly counts = new Map<string, number>();

  constructor(
    readonly company: DesktopCompany,
    private readonly options: ProcessorOptions = {},
  ) {}

  /** Runs a request document; throws QbxmlParseError for a document QuickBooks could not read at all. */
  process(xml: string): string {
    const { version, onError, requests } = readMessageSet(xml);
    if (!version || Number(version) > 16)
      throw new QbxmlParseError(`Unsupported qbXML version "${version ?? ''}".`, '0x80040417');
    for (const request of requests) {
      if (!LIST_QUERIES[request.name] && !OTHER_REQUESTS.has(request.name))
        throw new QbxmlParseError(
          `QuickBooks found an error when parsing the provided XML text stream: unknown element <${request.name}>.`,
        );
      if (request.attributes.iterator && !ITERABLE.has(request.name))
        throw new QbxmlParseError(
          `QuickBooks found an error when parsing the provided XML text stream: <${request.name}> takes no iterator.`,
        );
      if ((request.attributes.requestID ?? '').length > 50)
        throw new QbxmlParseError('The requestID attribute is longer than 50 characters.', '0x80040400');
    }
    const responses: string[] = [];
    let stopped = false;
    for (const request of requests) {
      this.counts.set(request.name, (this.counts.get(request.name) ?? 0) + 1);
      const outcome: Outcome = stopped ? { status: S.NOT_PROCESSED } : this.run(request);
      if (outcome.status.statusSeverity === 'Error' && onError !== 'continueOnError') stopped = true;
      const attributes: XmlObject = {};
      if (request.attributes.requestID !== undefined)
        attributes['@_requestID'] = request.attributes.requestID;
      attributes['@_statusCode'] = outcome.status.statusCode;
      attributes['@_statusSeverity'] = outcome.status.statusSeverity;
      attributes['@_statusMessage'] = outcome.status.statusMessage;
      for (const [key, value] of Object.entries(outcome.attributes ?? {})) attributes[`@_${key}`] = value;
      responses.push(buildElement(request.name.replace(/Rq$/, 'Rs'), { ...attributes, ...outcome.body }));
    }
    return responseDocument(responses);
  }

  private run(request: XmlElement): Outcome {
    const rule = this.matchRule(request.name.replace(/Rq$/, ''));
    if (rule)
      return {
        status: S.status(rule.statusCode, rule.statusMessage ?? `Injected status ${rule.statusCode}`),
      };
    this.options.beforeRequest?.(request, this.company);
    const kinds = LIST_QUERIES[request.name];
    if (kinds) return this.listQuery(request, kinds);
    const c = request.content;
    switch (request.name) {
      case 'HostQueryRq':
        return { status: S.OK, body: { HostRet: hostRet() } };
      case 'CompanyQueryRq':
        return {
          status: S.OK,
          body: { CompanyRet: { IsSampleCompany: 'false', CompanyName: this.company.name } },
        };
      case 'CustomerAddRq':
        return this.customerAdd(objectOf(c, 'CustomerAdd'));
      case 'CustomerModRq':
        return listMod(this.company, 'Customer', objectOf(c, 'CustomerMod'));
      case 'SalesReceiptAddRq':
        return this.txnAdd('SalesReceipt', objectOf(c, 'SalesReceiptAdd'));
      case 'InvoiceAddRq':
        return this.txnAdd('Invoice', objectOf(c, 'InvoiceAdd'));
      case 'SalesReceiptQueryRq':
        return this.txnQuery('SalesReceipt', request);
      case 'InvoiceQueryRq':
        return this.txnQuery('Invoice', request);
      case 'TxnDelRq':
        return this.txnDelete(c, 'del');
      case 'TxnVoidRq':
        return this.txnDelete(c, 'void');
      default: {
        const add = request.name.replace(/Rq$/, '');
        if (add.endsWith('Mod'))
          return listMod(this.company, add.replace(/Mod$/, '') as ListKind, objectOf(c, add));
        return this.itemAdd(add.replace(/Add$/, '') as ListKind, objectOf(c, add));
      }
    }
  }

  private matchRule(request: string): StatusRule | undefined {
    for (const rule of this.options.rules ?? []) {
      if (rule.request && rule.request !== request) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (rule.probability !== undefined && (this.options.random ?? Math.random)() >= rule.probability)
        continue;
      if (rule.times !== undefined) rule.times -= 1;
      return rule;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------- references

  /** `{ListID | FullName}` → the full reference, or a 3140 naming what was not found. */
  private resolve(
    kinds: readonly ListKind[],
    ref: XmlObject | undefined,
    type: string,
    where: string,
  ): { ref?: XmlObject; error?: S.Status } {
    if (!ref) return {};
    const listId = textOf(ref, 'ListID');
    const fullName = textOf(ref, 'FullName');
    const found = this.company.findList(kinds, { ListID: listId, FullName: fullName });
    if (!found) return { error: S.invalidReference(type, listId ?? fullName ?? '', where) };
    return { ref: { ListID: found.ret.ListID as string, FullName: found.ret.FullName as string } };
  }

  /** Resolves the named references of an Add; the first missing one is the error. */
  private references(
    add: XmlObject,
    wanted: ReadonlyArray<readonly [string, readonly ListKind[], string]>,
    where: string,
  ): { refs: XmlObject; error?: S.Status } {
    const refs: XmlObject = {};
    for (const [key, kinds, type] of wanted) {
      const { ref, error } = this.resolve(kinds, objectOf(add, key), type, where);
      if (error) return { refs, error };
      if (ref) refs[key] = ref;
    }
    return { refs };
  }

  // ---------------------------------------------------------------------------------------------- list queries

  private listQuery(request: XmlElement, kinds: readonly ListKind[]): Outcome {
    const c = request.content;
    const ids = asList(c.ListID as string | string[] | undefined);
    const names = asList(c.FullName as string | string[] | undefined);
    let objects: Array<{ kind: ListKind; ret: XmlObject }>;
    let status = S.OK;
    if (ids.length || names.length) {
      objects = [];
      const missing: string[] = [];
      for (const id of ids) {
        const found = this.company.findList(kinds, { ListID: id });
        if (found) objects.push(found);
        else missing.push(id);
      }
      for (const name of names) {
        const found = this.company.findList(kinds, { FullName: name });
        if (found) objects.push(found);
        else missing.push(name);
      }
      if (missing.length) status = S.notAllFound(missing[0]);
    } else {
      objects = this.company.listObjects(kinds).filter(({ ret }) => matchesListFilters(ret, c));
    }
    return this.page(request, objects, status, ({ kind, ret }) => [`${kind}Ret`, ret]);
  }

  /** MaxReturned and iterators over query results; groups the Rets by element name. */
  private page<T>(
    request: XmlElement,
    all: T[],
    status: S.Status,
    element: (item: T) => [string, XmlObject],
  ): Outcome {
    const iterator = request.attributes.iterator;
    const max = Number(textOf(request.content, 'MaxReturned') ?? 0) || undefined;
    const attributes: Record<string, string> = {};
    let rets: XmlObject[];
    if (iterator === 'Continue') {
      const id = request.attributes.iteratorID ?? '';
      const next = this.company.nextPage(id, request.name);
      if (!next) return { status: S.notFound(id) };
      rets = next.page;
      attributes.iteratorRemainingCount = String(next.remaining);
      attributes.iteratorID = id;
    } else {
      const built = all.map((item) => {
        const [name, ret] = element(item);
        return { [name]: ret };
      });
      const size = max ?? built.length;
      rets = built.slice(0, size);
      if (iterator === 'Start') {
        const rest = built.slice(size);
        attributes.iteratorRemainingCount = String(rest.length);
        attributes.iteratorID = this.company.startIterator(request.name, rest, size);
      }
    }
    if (rets.length === 0 && status === S.OK) status = S.NO_MATCH;
    const body: XmlObject = {};
    for (const wrapped of rets) {
      const [name, ret] = Object.entries(wrapped)[0];
      const existing = body[name];
      body[name] =
        existing === undefined ? ret : [...(Array.isArray(existing) ? existing : [existing]), ret!];
    }
    return { status, body, attributes };
  }

  // ---------------------------------------------------------------------------------------------- customers

  private customerAdd(add: XmlObject | undefined): Outcome {
    if (!add) return { status: S.missingElement('CustomerAdd') };
    const name = textOf(add, 'Name');
    if (!name) return { status: S.missingElement('Name') };
    if (name.length > NAME_LIMITS.Customer!) return { status: S.tooLong(name, 'name') };
    if (this.company.nameHolder('Customer', name)) return { status: S.nameInUse(name) };
    const { refs, error } = this.references(
      add,
      [
        ['ClassRef', ['Class'], 'Class'],
        ['TermsRef', ['StandardTerms', 'DateDrivenTerms'], 'Terms'],
        ['SalesTaxCodeRef', ['SalesTaxCode'], 'SalesTaxCode'],
        ['ItemSalesTaxRef', ['ItemSalesTax'], 'ItemSalesTax'],
      ],
      'customer',
    );
    if (error) return { status: error };
    const pick = (keys: string[]): XmlObject =>
      Object.fromEntries(keys.filter((k) => add[k] !== undefined).map((k) => [k, add[k]!]));
    const ret = this.company.addList('Customer', {
      Name: name,
      IsActive: textOf(add, 'IsActive') ?? 'true',
      ...(refs.ClassRef ? { ClassRef: refs.ClassRef } : {}),
      Sublevel: '0',
      ...pick(['CompanyName', 'Salutation', 'FirstName', 'MiddleName', 'LastName', 'JobTitle']),
      ...pick([
        'BillAddress',
        'ShipAddress',
        'Phone',
        'AltPhone',
        'Fax',
        'Email',
        'Cc',
        'Contact',
        'AltContact',
      ]),
      ...(refs.TermsRef ? { TermsRef: refs.TermsRef } : {}),
      Balance: '0.00',
      TotalBalance: '0.00',
      ...(refs.SalesTaxCodeRef ? { SalesTaxCodeRef: refs.SalesTaxCodeRef } : {}),
      ...(refs.ItemSalesTaxRef ? { ItemSalesTaxRef: refs.ItemSalesTaxRef } : {}),
      ...pick(['AccountNumber']),
      JobStatus: 'None',
      ...pick(['Notes']),
    });
    return { status: S.OK, body: { CustomerRet: ret } };
  }

  // ---------------------------------------------------------------------------------------------- items

  private itemAdd(kind: ListKind, add: XmlObject | undefined): Outcome {
    if (!add) return { status: S.missingElement(`${kind}Add`) };
    const name = textOf(add, 'Name');
    if (!name) return { status: S.missingElement('Name') };
    if (name.length > NAME_LIMITS[kind]!) return { status: S.tooLong(name, 'name') };
    if (name.includes(':')) return { status: S.saveError('Item', name, 'The name cannot contain a colon.') };
    if (this.company.nameHolder(kind, name)) return { status: S.nameInUse(name) };
    const account = (key: string): readonly [string, readonly ListKind[], string] => [
      key,
      ['Account'],
      'Account',
    ];
    const fields: XmlObject = { Name: name, IsActive: textOf(add, 'IsActive') ?? 'true', Sublevel: '0' };
    const tax = this.references(add, [['SalesTaxCodeRef', ['SalesTaxCode'], 'SalesTaxCode']], 'item');
    if (tax.error) return { status: tax.error };
    Object.assign(fields, tax.refs);
    if (kind === 'ItemInventory') {
      for (const key of ['IncomeAccountRef', 'COGSAccountRef', 'AssetAccountRef'])
        if (!objectOf(add, key)) return { status: S.missingElement(key) };
      const { refs, error } = this.references(
        add,
        [account('IncomeAccountRef'), account('COGSAccountRef'), account('AssetAccountRef')],
        'item',
      );
      if (error) return { status: error };
      Object.assign(fields, {
        ...(add.ManufacturerPartNumber ? { ManufacturerPartNumber: add.ManufacturerPartNumber } : {}),
        SalesDesc: add.SalesDesc ?? '',
        SalesPrice: money(textOf(add, 'SalesPrice') ?? 0),
        IncomeAccountRef: refs.IncomeAccountRef,
        PurchaseDesc: add.PurchaseDesc ?? '',
        PurchaseCost: money(textOf(add, 'PurchaseCost') ?? 0),
        COGSAccountRef: refs.COGSAccountRef,
        AssetAccountRef: refs.AssetAccountRef,
        QuantityOnHand: textOf(add, 'QuantityOnHand') ?? '0',
        AverageCost: '0.00',
      });
    } else {
      const sop = objectOf(add, 'SalesOrPurchase');
      const sap = objectOf(add, 'SalesAndPurchase');
      if (!sop && !sap) return { status: S.missingElement('SalesOrPurchase') };
      if (sop) {
        const { refs, error } = this.references(sop, [account('AccountRef')], 'item');
        if (error) return { status: error };
        if (!refs.AccountRef) return { status: S.missingElement('AccountRef') };
        fields.SalesOrPurchase = {
          ...(sop.Desc !== undefined ? { Desc: sop.Desc } : {}),
          Price: money(textOf(sop, 'Price') ?? 0),
          AccountRef: refs.AccountRef,
        };
      } else {
        const { refs, error } = this.references(
          sap!,
          [account('IncomeAccountRef'), account('ExpenseAccountRef')],
          'item',
        );
        if (error) return { status: error };
        if (!refs.IncomeAccountRef) return { status: S.missingElement('IncomeAccountRef') };
        fields.SalesAndPurchase = { ...sap, ...refs };
      }
    }
    return {
      status: S.OK,
      body: { [`${kind}Ret`]: this.company.addList(kind, fields as XmlObject & { Name: string }) },
    };
  }

  // ---------------------------------------------------------------------------------------------- transactions

  private txnAdd(kind: TxnKind, add: XmlObject | undefined): Outcome {
    const label = kind === 'SalesReceipt' ? 'sales receipt' : 'invoice';
    if (!add) return { status: S.missingElement(`${kind}Add`) };
    if (!objectOf(add, 'CustomerRef')) return { status: S.missingElement('CustomerRef') };
    const refNumber = textOf(add, 'RefNumber');
    if (refNumber && refNumber.length > 11) return { status: S.tooLong(refNumber, 'RefNumber') };
    const memo = textOf(add, 'Memo');
    if (memo && memo.length > 4095) return { status: S.tooLong(memo.slice(0, 40), 'Memo') };
    const { refs, error } = this.references(
      add,
      [
        ['CustomerRef', ['Customer'], 'Customer'],
        ['ClassRef', ['Class'], 'Class'],
        ['ARAccountRef', ['Account'], 'Account'],
        ['TermsRef', ['StandardTerms', 'DateDrivenTerms'], 'Terms'],
        ['PaymentMethodRef', ['PaymentMethod'], 'PaymentMethod'],
        ['ItemSalesTaxRef', ['ItemSalesTax'], 'ItemSalesTax'],
        ['CustomerSalesTaxCodeRef', ['SalesTaxCode'], 'SalesTaxCode'],
        ['DepositToAccountRef', ['Account'], 'Account'],
      ],
      label,
    );
    if (error) return { status: error };
    const lines: XmlObject[] = [];
    let subtotal = new Decimal(0);
    for (const line of asList(add[`${kind}LineAdd`] as XmlObject | XmlObject[] | undefined)) {
      const lineRefs = this.references(
        line,
        [
          ['ItemRef', ITEM_KINDS, 'Item'],
          ['ClassRef', ['Class'], 'Class'],
          ['SalesTaxCodeRef', ['SalesTaxCode'], 'SalesTaxCode'],
        ],
        label,
      );
      if (lineRefs.error) return { status: lineRefs.error };
      const quantity = textOf(line, 'Quantity');
      const rate = textOf(line, 'Rate');
      const given = textOf(line, 'Amount');
      const amount = new Decimal(
        given ?? (rate !== undefined ? new Decimal(rate).times(quantity ?? 1).toDecimalPlaces(2) : 0),
      );
      subtotal = subtotal.plus(amount);
      lines.push({
        TxnLineID: this.company.newTxnId(),
        ...(lineRefs.refs.ItemRef ? { ItemRef: lineRefs.refs.ItemRef } : {}),
        ...(line.Desc !== undefined ? { Desc: line.Desc } : {}),
        ...(quantity !== undefined ? { Quantity: quantity } : {}),
        ...(rate !== undefined ? { Rate: money(rate) } : {}),
        ...(lineRefs.refs.ClassRef ? { ClassRef: lineRefs.refs.ClassRef } : {}),
        Amount: money(amount),
        ...(line.ServiceDate !== undefined ? { ServiceDate: line.ServiceDate } : {}),
        ...(lineRefs.refs.SalesTaxCodeRef ? { SalesTaxCodeRef: lineRefs.refs.SalesTaxCodeRef } : {}),
      });
    }
    const time = this.company.timestamp();
    const total = money(subtotal);
    const defaultAccount = (name: string): XmlObject | undefined => {
      const found = this.company.findList(['Account'], { FullName: name });
      return found
        ? { ListID: found.ret.ListID as string, FullName: found.ret.FullName as string }
        : undefined;
    };
    const optional = (key: string): XmlObject => (add[key] !== undefined ? { [key]: add[key] } : {});
    const ref = (key: string): XmlObject => (refs[key] ? { [key]: refs[key] } : {});
    const txnDate = textOf(add, 'TxnDate') ?? this.company.today();
    const ret: XmlObject = {
      TxnID: this.company.newTxnId(),
      TimeCreated: time,
      TimeModified: time,
      EditSequence: this.company.nextEditSequence(),
      TxnNumber: String(this.company.transactions(kind).length + 1),
      CustomerRef: refs.CustomerRef!,
      ...ref('ClassRef'),
      ...(kind === 'Invoice'
        ? { ARAccountRef: refs.ARAccountRef ?? defaultAccount('Accounts Receivable')! }
        : {}),
      TxnDate: txnDate,
      ...optional('RefNumber'),
      ...optional('BillAddress'),
      ...optional('ShipAddress'),
      IsPending: textOf(add, 'IsPending') ?? 'false',
      ...(kind === 'Invoice'
        ? { ...optional('PONumber'), ...ref('TermsRef'), DueDate: textOf(add, 'DueDate') ?? txnDate }
        : {}),
      ...(kind === 'SalesReceipt'
        ? { ...optional('CheckNumber'), ...ref('PaymentMethodRef'), DueDate: txnDate }
        : {}),
      Subtotal: total,
      ...ref('ItemSalesTaxRef'),
      SalesTaxPercentage: '0.00',
      SalesTaxTotal: '0.00',
      TotalAmount: total,
      ...(kind === 'Invoice' ? { AppliedAmount: '0.00', BalanceRemaining: total, IsPaid: 'false' } : {}),
      ...optional('Memo'),
      IsToBePrinted: textOf(add, 'IsToBePrinted') ?? 'false',
      IsToBeEmailed: textOf(add, 'IsToBeEmailed') ?? 'false',
      ...ref('CustomerSalesTaxCodeRef'),
      ...(kind === 'SalesReceipt'
        ? { DepositToAccountRef: refs.DepositToAccountRef ?? defaultAccount('Undeposited Funds')! }
        : {}),
      ...optional('Other'),
      ...(lines.length ? { [`${kind}LineRet`]: lines } : {}),
    };
    return { status: S.OK, body: { [`${kind}Ret`]: this.company.addTxn(kind, ret) } };
  }

  private txnQuery(kind: TxnKind, request: XmlElement): Outcome {
    const c = request.content;
    const ids = asList(c.TxnID as string | string[] | undefined);
    const numbers = asList(c.RefNumber as string | string[] | undefined).map((n) => n.toLowerCase());
    const exact = asList(c.RefNumberCaseSensitive as string | string[] | undefined);
    let all = this.company.transactions(kind);
    let status = S.OK;
    if (ids.length) {
      const missing = ids.filter((id) => !all.some((t) => t.ret.TxnID === id));
      all = all.filter((t) => ids.includes(t.ret.TxnID as string));
      if (missing.length) status = S.notAllFound(missing[0]);
    } else if (numbers.length || exact.length) {
      all = all.filter((t) => {
        const number = typeof t.ret.RefNumber === 'string' ? t.ret.RefNumber : '';
        return numbers.includes(number.toLowerCase()) || exact.includes(number);
      });
    } else {
      const entity = objectOf(c, 'EntityFilter');
      const customer = entity ? this.resolve(['Customer'], entity, 'Customer', 'query').ref : undefined;
      const modified = objectOf(c, 'ModifiedDateRangeFilter');
      all = all.filter(
        (t) =>
          (!entity || (customer && (t.ret.CustomerRef as XmlObject).ListID === customer.ListID)) &&
          (!modified ||
            inRange(t.ret.TimeModified as string, modified.FromModifiedDate, modified.ToModifiedDate)),
      );
    }
    const withLines = textOf(c, 'IncludeLineItems') === 'true';
    return this.page(request, all, status, (t) => [
      `${kind}Ret`,
      withLines ? t.ret : Object.fromEntries(Object.entries(t.ret).filter(([k]) => !k.endsWith('LineRet'))),
    ]);
  }

  private txnDelete(c: XmlObject, mode: 'del' | 'void'): Outcome {
    const typeKey = mode === 'del' ? 'TxnDelType' : 'TxnVoidType';
    const type = textOf(c, typeKey);
    const txnId = textOf(c, 'TxnID');
    if (!type) return { status: S.missingElement(typeKey) };
    if (!txnId) return { status: S.missingElement('TxnID') };
    const stored = this.company.txn(txnId);
    if (!stored || stored.kind !== type) return { status: S.notFound(txnId) };
    if (mode === 'del') this.company.deleteTxn(txnId);
    else this.company.voidTxn(txnId);
    const time = this.company.timestamp();
    return {
      status: S.OK,
      body: {
        [typeKey]: type,
        TxnID: txnId,
        ...(mode === 'del' ? { TimeDeleted: time } : { TimeVoided: time }),
      },
    };
  }
}
