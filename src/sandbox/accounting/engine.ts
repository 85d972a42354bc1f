import type { ChangeOperation } from '../contracts';
import type { ChangeSink, RuleContext } from './context';
import { checkClosedPeriod } from './rules/currency';
import { SALES_TRANSACTIONS, type EntityType } from './entity-types';
import {
  businessValidation,
  deletedTransaction,
  depositedTransaction,
  malformedRequest,
  objectNotFound,
  requiredParam,
  staleObject,
  unsupportedOperation,
} from './faults';
import {
  checkFields,
  emptyStringKeys,
  isObject,
  optBool,
  optString,
  withoutEmptyStrings,
  withoutServerFields,
} from './fields';
import { Dec, num, ZERO } from './money';
import { NAME_LIST_BUILDERS } from './rules/name-lists';
import { creditMemoLinks, voidedPayment } from './rules/payments';
import { creditUsed, paymentLinks, type QboObject, type Realm } from './company/realm';
import { OTHER_NAME_BUILDERS } from './rules/others';
import { createTimeOf, customerShare, nextToken, sameRef, SENDABLE, TXN_BUILDERS } from './engine-support';
import { billLinks, paidOnBill } from './rules/purchases';
import { SHIPPING_ITEM_ID, voidedSales, type TxnWriteOptions } from './rules/sales';
import { companyDate, metaTime, truncateToSecond } from './time';

/** Options of a create or update. */
export interface WriteOptions {
  allowDuplicateDocNum?: boolean;
}

const PAYMENT_LINKED_DETAIL =
  'This transaction has a payment applied to it. Unlink or delete the payment first.';

/** Entity types whose merge moves references and retires the merged-away object. */
const MERGEABLE = new Set(['Customer', 'Vendor', 'Employee', 'Item', 'Account', 'Class', 'Department']);

/**
 * Runs entity operations against one realm at one instant: validates through the entity rules, stores the new
 * version, keeps derived figures (invoice balances, customer balances, quantities on hand) in step, and reports each
 * committed change. One engine per request; a batch shares one so its items see each other's results.
 */
export class Engine implements RuleContext {
  readonly today: string;
  private readonly stampMs: number;
  private readonly stamp: string;

  constructor(
    readonly realm: Realm,
    readonly nowMs: number,
    private readonly sink: ChangeSink,
  ) {
    this.today = companyDate(nowMs);
    this.stampMs = truncateToSecond(nowMs);
    this.stamp = metaTime(nowMs);
  }

  read(type: EntityType, id: string): QboObject {
    const row = this.realm.row(type.name, id);
    if (!row) throw objectNotFound();
    if (row.deleted) throw type.kind === 'txn' ? deletedTransaction() : objectNotFound();
    return row.obj;
  }

  create(type: EntityType, body: unknown, opts: WriteOptions = {}): QboObject {
    const input = this.checkedBody(type, body);
    if (!type.writable) throw unsupportedOperation(`Operation Create is not supported for ${type.name}.`);
    if (type.kind === 'txn') checkClosedPeriod(this.realm, input.TxnDate ?? this.today);
    const built = this.build(type, withoutServerFields(input), undefined, opts, input);
    const id = this.realm.nextId(type.name, type.kind);
    const obj = this.envelope(built, id, '0', this.stamp);
    this.commit(type, obj, undefined, 'Create');
    return obj;
  }

  update(type: EntityType, body: unknown, opts: WriteOptions = {}): QboObject {
    const input = this.checkedBody(type, body);
    if (!type.writable) throw unsupportedOperation(`Operation Update is not supported for ${type.name}.`);
    const prev = this.current(type, input);
    const sparse = optBool(input, 'sparse') === true;
    const requested = sparse
      ? { ...withoutServerFields(prev), ...withoutServerFields(input) }
      : withoutServerFields(input);
    // In a sparse update an empty value clears the property (elsewhere it is simply absent, see checkedBody).
    if (sparse) for (const key of this.clearedKeys) delete requested[key];
    if (type.kind === 'txn') checkClosedPeriod(this.realm, prev.TxnDate, requested.TxnDate);
    const built = this.build(type, requested, prev, opts, input);
    this.assertNotDeposited(type, prev, built);
    const obj = this.envelope(built, prev.Id as string, nextToken(prev), createTimeOf(prev));
    const deactivated = type.kind === 'name' && prev.Active !== false && obj.Active === false;
    // QuickBooks reports a name list entity made inactive as a Delete (name lists cannot be deleted otherwise).
    this.commit(type, obj, prev, deactivated ? 'Delete' : 'Update');
    return obj;
  }

  /** Deletes a transaction; answers `{Id, status: "Deleted", domain}` as QuickBooks does. */
  remove(type: EntityType, body: unknown): QboObject {
    const input = this.checkedBody(type, body);
    if (type.kind !== 'txn' || !type.writable) {
      throw unsupportedOperation(
        `Operation Delete is not supported for ${type.name}. Make it inactive instead (sparse update with "Active": false).`,
      );
    }
    const prev = this.current(type, input);
    checkClosedPeriod(this.realm, prev.TxnDate);
    this.assertNoPayments(type, prev);
    this.assertNotDeposited(type, prev);
    const id = prev.Id as string;
    const tombstone: QboObject = {
      ...prev,
      status: 'Deleted',
      MetaData: { CreateTime: createTimeOf(prev), LastUpdatedTime: this.stamp },
    };
    this.realm.markDeleted(type.name, id, this.stampMs, tombstone);
    this.afterCommit(type, undefined, prev);
    this.emit(type.name, id, 'Delete');
    return { Id: id, status: 'Deleted', domain: 'QBO' };
  }

  /** Voids a transaction: totals zero, lines kept with zero amounts, "Voided" in PrivateNote. */
  voidTxn(type: EntityType, body: unknown): QboObject {
    const input = this.checkedBody(type, body);
    if (!type.voidable) throw unsupportedOperation(`Operation Void is not supported for ${type.name}.`);
    const prev = this.current(type, input);
    checkClosedPeriod(this.realm, prev.TxnDate);
    this.assertNoPayments(type, prev);
    this.assertNotDeposited(type, prev);
    const voided =
      type.name === 'Payment'
        ? voidedPayment(prev)
        : type.name === 'Transfer'
          ? { ...prev, Amount: 0, PrivateNote: 'Voided' }
          : voidedSales(prev);
    const obj = this.envelope(
      withoutServerFields(voided),
      prev.Id as string,
      nextToken(prev),
      createTimeOf(prev),
    );
    this.commit(type, obj, prev, 'Void');
    return obj;
  }

  /** `POST /invoice/{id}/send[?sendTo=]`: records the e-mail delivery. */
  send(type: EntityType, id: string, sendTo: string | undefined): QboObject {
    const emailField = SENDABLE[type.name];
    if (emailField === undefined)
      throw unsupportedOperation(`Operation Send is not supported for ${type.name}.`);
    const prev = this.read(type, id);
    const emailObj = prev[emailField];
    const billEmail = isObject(emailObj) ? emailObj.Address : undefined;
    const address = sendTo ?? (typeof billEmail === 'string' ? billEmail : undefined);
    if (address === undefined || address === '') {
      throw businessValidation('No email address to send to. Set BillEmail or pass sendTo.', 'BillEmail');
    }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
      throw businessValidation(`Invalid email address: ${address}`, 'BillEmail');
    }
    const next: QboObject = {
      ...withoutServerFields(prev),
      EmailStatus: 'EmailSent',
      [emailField]: { Address: address },
      DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: this.stamp },
    };
    const obj = this.envelope(next, id, nextToken(prev), createTimeOf(prev));
    this.commit(type, obj, prev, 'Emailed');
    return obj;
  }

  /**
   * A person merging two list entries in QuickBooks: the references to the merged-away one move to the survivor, the
   * merged-away one is retired (a Deleted tombstone), and one Merge change with `deletedId` is reported.
   */
  merge(type: EntityType, survivorId: string, mergedId: string): QboObject {
    if (!MERGEABLE.has(type.name))
      throw unsupportedOperation(`Operation Merge is not supported for ${type.name}.`);
    if (survivorId === mergedId) throw businessValidation('An entity cannot be merged into itself.');
    const survivorBefore = this.read(type, survivorId);
    const merged = this.read(type, mergedId);
    const survivorRef = {
      value: survivorId,
      name: (survivorBefore.FullyQualifiedName ??
        survivorBefore.DisplayName ??
        survivorBefore.Name) as string,
    };
    if (type.name === 'Customer') this.moveCustomerRefs(mergedId, survivorRef);
    if (type.name === 'Item') this.moveItemRefs(mergedId, survivorRef);
    const mergedNow = this.realm.live(type.name, mergedId) ?? merged;
    this.realm.markDeleted(type.name, mergedId, this.stampMs, {
      ...mergedNow,
      Active: false,
      status: 'Deleted',
      MetaData: { CreateTime: createTimeOf(merged), LastUpdatedTime: this.stamp },
    });
    const survivorNow = this.realm.live(type.name, survivorId)!;
    const obj = this.envelope(
      withoutServerFields(survivorNow),
      survivorId,
      nextToken(survivorNow),
      createTimeOf(survivorNow),
    );
    this.realm.put(type.name, obj, this.stampMs);
    this.emit(type.name, survivorId, 'Merge', mergedId);
    return obj;
  }

  /**
   * Validates a body with an entity's rules without storing anything (recurring-transaction templates): the built
   * object, with no automatic DocNumber consumed.
   */
  preview(type: EntityType, body: unknown): QboObject {
    const input = this.checkedBody(type, body);
    const seq = { ...this.realm.docSeq };
    try {
      const built = this.build(type, withoutServerFields(input), undefined, {}, input);
      if (input.DocNumber === undefined) delete built.DocNumber;
      return built;
    } finally {
      this.realm.docSeq = seq;
    }
  }

  /** Stores a version of an object of a type outside the entity list (templates, files), reporting the change. */
  store(entity: string, obj: QboObject, prev: QboObject | undefined, op: ChangeOperation): QboObject {
    const out = this.envelope(
      withoutServerFields(obj),
      (prev?.Id as string | undefined) ?? this.realm.nextId(entity, 'name'),
      prev ? nextToken(prev) : '0',
      prev ? createTimeOf(prev) : this.stamp,
    );
    if (op === 'Delete') {
      this.realm.markDeleted(entity, out.Id as string, this.stampMs, { ...out, status: 'Deleted' });
    } else this.realm.put(entity, out, this.stampMs);
    this.emit(entity, out.Id as string, op);
    return out;
  }

  /** Stores an object exactly as given (seed data, TaxCode/TaxRate which clients cannot create). */
  insert(type: EntityType, data: QboObject, id?: string): QboObject {
    const objId = id ?? this.realm.nextId(type.name, type.kind);
    const obj = this.envelope(withoutServerFields(data), objId, '0', this.stamp);
    this.realm.put(type.name, obj, this.stampMs);
    return obj;
  }

  /** Top-level properties the last checked body sent as `""`. */
  private clearedKeys: string[] = [];

  private checkedBody(type: EntityType, body: unknown): QboObject {
    if (!isObject(body)) throw malformedRequest(`The request body is not a ${type.name} JSON object.`);
    checkFields(body, type.fields, type.name);
    this.clearedKeys = emptyStringKeys(body);
    return withoutEmptyStrings(body);
  }

  /** The stored object a write names by Id, after the SyncToken check (5010 when stale). */
  private current(type: EntityType, input: QboObject): QboObject {
    const id = optString(input, 'Id');
    if (id === undefined || id === '') throw requiredParam('Id');
    const token = optString(input, 'SyncToken');
    if (token === undefined || token === '') throw requiredParam('SyncToken');
    const prev = this.read(type, id);
    if (token !== prev.SyncToken) throw staleObject();
    return prev;
  }

  /** 6540 when a payment or sales receipt sits in a deposit and the change would move its money. */
  private assertNotDeposited(type: EntityType, prev: QboObject, next?: QboObject): void {
    if (type.name !== 'Payment' && type.name !== 'SalesReceipt') return;
    if (
      next &&
      next.TotalAmt === prev.TotalAmt &&
      sameRef(next.DepositToAccountRef, prev.DepositToAccountRef)
    )
      return;
    for (const row of this.realm.table('Deposit').values()) {
      if (row.deleted || !Array.isArray(row.obj.Line)) continue;
      for (const line of row.obj.Line as QboObject[]) {
        const links = Array.isArray(line.LinkedTxn) ? (line.LinkedTxn as QboObject[]) : [];
        if (links.some((l) => l.TxnType === type.name && l.TxnId === prev.Id)) {
          throw depositedTransaction(row.obj.Id as string);
        }
      }
    }
  }

  private assertNoPayments(type: EntityType, prev: QboObject): void {
    if (type.name === 'Invoice' && (this.realm.invoicePayments.get(prev.Id as string)?.size ?? 0) > 0) {
      throw businessValidation(PAYMENT_LINKED_DETAIL);
    }
    if (type.name === 'CreditMemo' && !creditUsed(this.realm, prev.Id as string).isZero()) {
      throw businessValidation(PAYMENT_LINKED_DETAIL);
    }
    if (type.name === 'Bill' && !paidOnBill(this, prev.Id as string).isZero()) {
      throw businessValidation(PAYMENT_LINKED_DETAIL);
    }
  }

  private build(
    type: EntityType,
    requested: QboObject,
    prev: QboObject | undefined,
    opts: WriteOptions,
    body: QboObject,
  ): QboObject {
    const nameBuilder = NAME_LIST_BUILDERS[type.name] ?? OTHER_NAME_BUILDERS[type.name];
    if (nameBuilder) return nameBuilder(this, requested, prev);
    const txnOpts: TxnWriteOptions = {
      allowDuplicateDocNum: opts.allowDuplicateDocNum === true,
      bodyKeys: new Set(Object.keys(body)),
    };
    const txnBuilder = TXN_BUILDERS[type.name];
    if (txnBuilder) return txnBuilder(this, requested, prev, txnOpts);
    throw unsupportedOperation(`Operation is not supported for ${type.name}.`);
  }

  private envelope(built: QboObject, id: string, syncToken: string, createTime: string): QboObject {
    return {
      ...built,
      domain: 'QBO',
      sparse: false,
      Id: id,
      SyncToken: syncToken,
      MetaData: { CreateTime: createTime, LastUpdatedTime: this.stamp },
    };
  }

  private commit(type: EntityType, obj: QboObject, prev: QboObject | undefined, op: ChangeOperation): void {
    this.realm.put(type.name, obj, this.stampMs);
    this.afterCommit(type, obj, prev);
    this.emit(type.name, obj.Id as string, op);
  }

  private emit(entity: string, id: string, operation: ChangeOperation, deletedId?: string): void {
    this.sink(
      deletedId === undefined
        ? { entity, id, operation, lastUpdated: this.stamp }
        : { entity, id, operation, lastUpdated: this.stamp, deletedId },
    );
  }

  /** Keeps derived figures in step after a transaction changed (next undefined = deleted). */
  private afterCommit(type: EntityType, next: QboObject | undefined, prev: QboObject | undefined): void {
    if (type.kind !== 'txn') return;
    this.applyShares(type.name, prev, next);
    if (type.name === 'BillPayment') {
      const bills = new Set([...billLinks(prev ?? {}), ...billLinks(next ?? {})].map((l) => l.billId));
      for (const id of bills) this.refreshBill(id);
      return;
    }
    if (type.name === 'Invoice' && next) this.closeEstimates(next);
    if (type.name !== 'Payment') return;
    const invoices = new Set<string>();
    if (prev) {
      this.realm.recordPaymentLinks(prev, -1);
      for (const l of paymentLinks(prev)) invoices.add(l.invoiceId);
    }
    if (next) {
      this.realm.recordPaymentLinks(next, 1);
      for (const l of paymentLinks(next)) invoices.add(l.invoiceId);
    }
    for (const id of invoices) this.refreshInvoice(id);
    for (const id of new Set([...creditMemoLinks(prev), ...creditMemoLinks(next)]))
      this.refreshCreditMemo(id);
  }

  /**
   * A payment changed what is paid on an invoice: its Balance and LinkedTxn change and, as in QuickBooks, the invoice
   * gets a new SyncToken and LastUpdatedTime (so CDC and time-filtered queries see it). No change event is reported
   * for the invoice: QuickBooks notifies the Payment only.
   */
  private refreshInvoice(id: string): void {
    const row = this.realm.row('Invoice', id);
    if (!row || row.deleted) return;
    const inv = row.obj;
    const paid = this.realm.paidOnInvoice(id);
    const deposit = new Dec((inv.Deposit as number) ?? 0);
    const balance = new Dec((inv.TotalAmt as number) ?? 0).minus(deposit).minus(paid);
    const others = Array.isArray(inv.LinkedTxn)
      ? (inv.LinkedTxn as QboObject[]).filter((l) => l.TxnType !== 'Payment')
      : [];
    const payments = [...(this.realm.invoicePayments.get(id)?.keys() ?? [])].map((pid) => ({
      TxnId: pid,
      TxnType: 'Payment',
    }));
    const next: QboObject = { ...withoutServerFields(inv), Balance: num(balance) };
    const linked = [...others, ...payments];
    if (linked.length > 0) next.LinkedTxn = linked;
    else delete next.LinkedTxn;
    const obj = this.envelope(next, id, nextToken(inv), createTimeOf(inv));
    this.realm.put('Invoice', obj, this.stampMs);
    this.applyShares('Invoice', inv, obj);
  }

  /** A payment used (or gave back) a credit memo's credit: its RemainingCredit follows, with a new SyncToken. */
  private refreshCreditMemo(id: string): void {
    const memo = this.realm.live('CreditMemo', id);
    if (!memo) return;
    const remaining = new Dec((memo.TotalAmt as number) ?? 0).minus(creditUsed(this.realm, id));
    const next: QboObject = {
      ...withoutServerFields(memo),
      RemainingCredit: num(remaining),
      Balance: num(remaining),
    };
    const obj = this.envelope(next, id, nextToken(memo), createTimeOf(memo));
    this.realm.put('CreditMemo', obj, this.stampMs);
    this.applyShares('CreditMemo', memo, obj);
  }

  /** A bill payment changed what is paid on a bill: its Balance and LinkedTxn follow, with a new SyncToken. */
  private refreshBill(id: string): void {
    const bill = this.realm.live('Bill', id);
    if (!bill) return;
    const paid = paidOnBill(this, id);
    const payments: QboObject[] = [];
    for (const row of this.realm.table('BillPayment').values()) {
      if (!row.deleted && billLinks(row.obj).some((l) => l.billId === id)) {
        payments.push({ TxnId: row.obj.Id, TxnType: 'BillPaymentCheck' });
      }
    }
    const next: QboObject = {
      ...withoutServerFields(bill),
      Balance: num(new Dec((bill.TotalAmt as number) ?? 0).minus(paid)),
    };
    if (payments.length > 0) next.LinkedTxn = payments;
    else delete next.LinkedTxn;
    const obj = this.envelope(next, id, nextToken(bill), createTimeOf(bill));
    this.realm.put('Bill', obj, this.stampMs);
    this.applyShares('Bill', bill, obj);
  }

  /** An invoice made from estimates (LinkedTxn TxnType Estimate) closes them and links back (Intuit: Estimate.TxnStatus). */
  private closeEstimates(invoice: QboObject): void {
    for (const l of Array.isArray(invoice.LinkedTxn) ? (invoice.LinkedTxn as QboObject[]) : []) {
      if (l.TxnType !== 'Estimate' || typeof l.TxnId !== 'string') continue;
      const est = this.realm.live('Estimate', l.TxnId);
      if (!est) continue;
      const others = Array.isArray(est.LinkedTxn)
        ? (est.LinkedTxn as QboObject[]).filter((x) => x.TxnId !== invoice.Id)
        : [];
      const next: QboObject = {
        ...withoutServerFields(est),
        TxnStatus: 'Closed',
        LinkedTxn: [...others, { TxnId: invoice.Id, TxnType: 'Invoice' }],
      };
      this.realm.put(
        'Estimate',
        this.envelope(next, l.TxnId, nextToken(est), createTimeOf(est)),
        this.stampMs,
      );
    }
  }

  /** Moves a transaction's effect on customer balances and quantities on hand from `prev` to `next`. */
  private applyShares(entity: string, prev: QboObject | undefined, next: QboObject | undefined): void {
    const before = customerShare(entity, prev);
    const after = customerShare(entity, next);
    if (before) this.adjustCustomer(before.customerId, before.amount.negated());
    if (after) this.adjustCustomer(after.customerId, after.amount);
    if (entity === 'Bill') {
      // A vendor's Balance is what the company owes it: the open balance of its bills.
      this.adjustVendor(prev, -1);
      this.adjustVendor(next, 1);
      return;
    }
    if (entity === 'Payment') return;
    const qtyBefore = this.itemQuantities(entity, prev);
    const qtyAfter = this.itemQuantities(entity, next);
    for (const [itemId, qty] of qtyBefore) this.adjustItemQty(itemId, qty.negated());
    for (const [itemId, qty] of qtyAfter) this.adjustItemQty(itemId, qty);
  }

  /** Customer Balance is maintained by QuickBooks without a new SyncToken on the customer. */
  private adjustCustomer(customerId: string, delta: Dec): void {
    if (delta.isZero()) return;
    let id: string | undefined = customerId;
    let own = true;
    for (let depth = 0; id !== undefined && depth < 10; depth++) {
      const c = this.realm.live('Customer', id);
      if (!c) return;
      const next: QboObject = {
        ...c,
        BalanceWithJobs: num(new Dec((c.BalanceWithJobs as number) ?? 0).plus(delta)),
      };
      if (own) next.Balance = num(new Dec((c.Balance as number) ?? 0).plus(delta));
      this.realm.replaceQuietly('Customer', next);
      own = false;
      id = isObject(c.ParentRef) ? String(c.ParentRef.value) : undefined;
    }
  }

  private adjustVendor(bill: QboObject | undefined, sign: 1 | -1): void {
    if (!bill || !isObject(bill.VendorRef)) return;
    const vendor = this.realm.live('Vendor', String(bill.VendorRef.value));
    const amount = new Dec((bill.Balance as number) ?? 0).times(sign);
    if (!vendor || amount.isZero()) return;
    this.realm.replaceQuietly('Vendor', {
      ...vendor,
      Balance: num(new Dec((vendor.Balance as number) ?? 0).plus(amount)),
    });
  }

  private itemQuantities(entity: string, obj: QboObject | undefined): Map<string, Dec> {
    const out = new Map<string, Dec>();
    if (!obj || !SALES_TRANSACTIONS.has(entity) || !Array.isArray(obj.Line)) return out;
    const sign = entity === 'CreditMemo' || entity === 'RefundReceipt' ? 1 : -1;
    for (const line of obj.Line as QboObject[]) {
      const d = line.SalesItemLineDetail;
      if (!isObject(d) || !isObject(d.ItemRef) || typeof d.Qty !== 'number' || d.Qty === 0) continue;
      const itemId = String(d.ItemRef.value);
      if (itemId === SHIPPING_ITEM_ID) continue;
      const item = this.realm.row('Item', itemId);
      if (!item || item.deleted || item.obj.Type !== 'Inventory') continue;
      out.set(itemId, (out.get(itemId) ?? ZERO).plus(new Dec(d.Qty).times(sign)));
    }
    return out;
  }

  private adjustItemQty(itemId: string, delta: Dec): void {
    if (delta.isZero()) return;
    const item = this.realm.live('Item', itemId);
    if (!item) return;
    this.realm.replaceQuietly('Item', {
      ...item,
      QtyOnHand: num(new Dec((item.QtyOnHand as number) ?? 0).plus(delta)),
    });
  }

  private moveCustomerRefs(fromId: string, to: { value: string; name: string }): void {
    for (const entity of ['Invoice', 'SalesReceipt', 'CreditMemo', 'Payment']) {
      for (const row of [...this.realm.table(entity).values()]) {
        const prev = row.obj;
        if (row.deleted || !isObject(prev.CustomerRef) || prev.CustomerRef.value !== fromId) continue;
        const next = { ...prev, CustomerRef: to };
        this.realm.replaceQuietly(entity, next);
        this.applyShares(entity, prev, next);
      }
    }
    for (const row of this.realm.table('Customer').values()) {
      if (!row.deleted && isObject(row.obj.ParentRef) && row.obj.ParentRef.value === fromId) {
        this.realm.replaceQuietly('Customer', { ...row.obj, ParentRef: to });
      }
    }
  }

  private moveItemRefs(fromId: string, to: { value: string; name: string }): void {
    for (const entity of SALES_TRANSACTIONS) {
      for (const row of [...this.realm.table(entity).values()]) {
        if (row.deleted || !Array.isArray(row.obj.Line)) continue;
        let changed = false;
        const lines = (row.obj.Line as QboObject[]).map((line) => {
          const d = line.SalesItemLineDetail;
          if (!isObject(d) || !isObject(d.ItemRef) || d.ItemRef.value !== fromId) return line;
          changed = true;
          return { ...line, SalesItemLineDetail: { ...d, ItemRef: to } };
        });
        if (!changed) continue;
        const prev = row.obj;
        const next = { ...prev, Line: lines };
        this.realm.replaceQuietly(entity, next);
        this.applyShares(entity, prev, next);
      }
    }
  }
}
