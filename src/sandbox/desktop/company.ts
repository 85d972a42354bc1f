/**
 * An in-memory QuickBooks Desktop company file: list objects (ListID, EditSequence, names unique per name space) and
 * transactions (TxnID, RefNumber, void and delete), stored as the qbXML `...Ret` objects QuickBooks returns.
 */
import { randomUUID } from 'node:crypto';
import { textOf, type XmlObject } from './xml';

export const LIST_KINDS = [
  'Account',
  'StandardTerms',
  'DateDrivenTerms',
  'Class',
  'PaymentMethod',
  'SalesTaxCode',
  'Customer',
  'Vendor',
  'Employee',
  'OtherName',
  'ItemService',
  'ItemNonInventory',
  'ItemInventory',
  'ItemOtherCharge',
  'ItemSalesTax',
  'ItemDiscount',
] as const;
export type ListKind = (typeof LIST_KINDS)[number];
export const TXN_KINDS = ['SalesReceipt', 'Invoice'] as const;
export type TxnKind = (typeof TXN_KINDS)[number];
export const ITEM_KINDS: readonly ListKind[] = LIST_KINDS.filter((k) => k.startsWith('Item'));

/** QuickBooks keeps names unique within these groups (a customer cannot share a vendor's name). */
function nameSpace(kind: ListKind): string {
  if (['Customer', 'Vendor', 'Employee', 'OtherName'].includes(kind)) return 'names';
  if (kind.startsWith('Item')) return 'items';
  if (kind.endsWith('Terms')) return 'terms';
  return kind;
}

/** Longest Name QuickBooks accepts per list (longer is status 3070). */
export const NAME_LIMITS: Partial<Record<ListKind, number>> = {
  Customer: 41,
  Vendor: 41,
  Employee: 41,
  OtherName: 41,
  ItemService: 31,
  ItemNonInventory: 31,
  ItemInventory: 31,
  ItemOtherCharge: 31,
  ItemSalesTax: 31,
  ItemDiscount: 31,
  Account: 31,
  Class: 31,
  PaymentMethod: 31,
  StandardTerms: 31,
  DateDrivenTerms: 31,
  SalesTaxCode: 3,
};

export interface StoredTxn {
  kind: TxnKind;
  ret: XmlObject;
  voided: boolean;
}

/** A deleted transaction, kept for assertions (QuickBooks would list it in TxnDeletedQuery). */
export interface DeletedTxn {
  kind: TxnKind;
  txnId: string;
  refNumber?: string;
  timeDeleted: string;
}

interface Iterator {
  kind: string;
  remaining: XmlObject[];
  pageSize: number;
}

/** Snapshot of a company file (JSON). */
export interface CompanySnapshot {
  name: string;
  fileName: string;
  counters: { list: number; txn: number; editSequence: number };
  lists: Array<{ kind: ListKind; ret: XmlObject }>;
  txns: StoredTxn[];
  deleted: DeletedTxn[];
}

const pad = (n: number): string => String(n).padStart(2, '0');

export class DesktopCompany {
  readonly fileName: string;
  private readonly lists = new Map<ListKind, Map<string, XmlObject>>();
  private readonly txns = new Map<string, StoredTxn>();
  readonly deleted: DeletedTxn[] = [];
  private readonly iterators = new Map<string, Iterator>();
  private listCounter = 0x80000001;
  private txnCounter = 0x100;
  private lastEditSequence = 0;

  constructor(
    readonly name: string,
    fileName?: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.fileName = fileName ?? `C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\${name}.QBW`;
    for (const kind of LIST_KINDS) this.lists.set(kind, new Map());
  }

  /** QuickBooks' local time stamp (the emulator keeps UTC). */
  timestamp(): string {
    const d = this.now();
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00:00`;
  }

  today(): string {
    return this.timestamp().slice(0, 10);
  }

  private epochSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** EditSequence: QuickBooks uses the modification time in seconds; ours only grows, even within a second. */
  nextEditSequence(): string {
    this.lastEditSequence = Math.max(this.lastEditSequence + 1, this.epochSeconds());
    return String(this.lastEditSequence);
  }

  newListId(): string {
    return `${(this.listCounter++).toString(16).toUpperCase()}-${this.epochSeconds()}`;
  }

  newTxnId(): string {
    return `${(this.txnCounter++).toString(16).toUpperCase()}-${this.epochSeconds()}`;
  }

  // ------------------------------------------------------------------------------------------------ lists

  /** Adds a list object; `fields` are the Ret's fields after the identity fields, in qbXML order. */
  addList(kind: ListKind, fields: XmlObject & { Name: string }): XmlObject {
    const time = this.timestamp();
    const { Name, ...rest } = fields;
    const ret: XmlObject = {
      ListID: this.newListId(),
      TimeCreated: time,
      TimeModified: time,
      EditSequence: this.nextEditSequence(),
      Name,
      FullName: Name,
      IsActive: 'true',
      ...rest,
    };
    this.lists.get(kind)!.set(ret.ListID as string, ret);
    return ret;
  }

  /** The object holding this name in the kind's name space (case-insensitive, as QuickBooks compares). */
  nameHolder(kind: ListKind, name: string): { kind: ListKind; ret: XmlObject } | undefined {
    const space = nameSpace(kind);
    const wanted = name.toLowerCase();
    for (const [k, objects] of this.lists) {
      if (nameSpace(k) !== space) continue;
      for (const ret of objects.values())
        if ((textOf(ret, 'FullName') ?? '').toLowerCase() === wanted) return { kind: k, ret };
    }
    return undefined;
  }

  /** A list object by ListID or FullName among the given kinds. */
  findList(
    kinds: readonly ListKind[],
    ref: { ListID?: string; FullName?: string },
  ): { kind: ListKind; ret: XmlObject } | undefined {
    for (const kind of kinds) {
      const objects = this.lists.get(kind)!;
      if (ref.ListID) {
        const ret = objects.get(ref.ListID);
        if (ret) return { kind, ret };
        continue;
      }
      if (ref.FullName) {
        const wanted = ref.FullName.toLowerCase();
        for (const ret of objects.values())
          if ((textOf(ret, 'FullName') ?? '').toLowerCase() === wanted) return { kind, ret };
      }
    }
    return undefined;
  }

  /** Every object of the kinds, in creation order. */
  listObjects(kinds: readonly ListKind[]): Array<{ kind: ListKind; ret: XmlObject }> {
    const all = kinds.flatMap((kind) => [...this.lists.get(kind)!.values()].map((ret) => ({ kind, ret })));
    return all.sort((a, b) =>
      (textOf(a.ret, 'TimeCreated') ?? '').localeCompare(textOf(b.ret, 'TimeCreated') ?? ''),
    );
  }

  /** Changes a list object as a save in QuickBooks does: new EditSequence and TimeModified. */
  modifyList(kind: ListKind, listId: string, patch: XmlObject): XmlObject {
    const objects = this.lists.get(kind)!;
    const ret = objects.get(listId);
    if (!ret) throw new Error(`no ${kind} ${listId}`);
    const next: XmlObject = { ...ret, ...patch };
    if (typeof patch.Name === 'string') next.FullName = patch.Name;
    next.EditSequence = this.nextEditSequence();
    next.TimeModified = this.timestamp();
    objects.set(listId, next);
    return next;
  }

  /** Removes a list object, as deleting it in QuickBooks does (transactions that used it keep their copy). */
  deleteList(kind: ListKind, listId: string): boolean {
    return this.lists.get(kind)!.delete(listId);
  }

  // ------------------------------------------------------------------------------------------------ transactions

  addTxn(kind: TxnKind, ret: XmlObject): XmlObject {
    this.txns.set(ret.TxnID as string, { kind, ret, voided: false });
    return ret;
  }

  txn(txnId: string): StoredTxn | undefined {
    return this.txns.get(txnId);
  }

  transactions(kind: TxnKind): StoredTxn[] {
    return [...this.txns.values()].filter((t) => t.kind === kind);
  }

  deleteTxn(txnId: string): void {
    const stored = this.txns.get(txnId);
    if (!stored) return;
    this.txns.delete(txnId);
    this.deleted.push({
      kind: stored.kind,
      txnId,
      refNumber: stored.ret.RefNumber as string | undefined,
      timeDeleted: this.timestamp(),
    });
  }

  /** Voiding keeps the transaction with zero amounts and "VOID:" before its memo, as QuickBooks does. */
  voidTxn(txnId: string): void {
    const stored = this.txns.get(txnId);
    if (!stored || stored.voided) return;
    const zero = '0.00';
    const lineKey = Object.keys(stored.ret).find((k) => k.endsWith('LineRet'));
    const lines = lineKey ? (stored.ret[lineKey] as XmlObject[]) : [];
    stored.ret = {
      ...stored.ret,
      EditSequence: this.nextEditSequence(),
      TimeModified: this.timestamp(),
      Subtotal: zero,
      TotalAmount: zero,
      ...(stored.ret.BalanceRemaining !== undefined ? { BalanceRemaining: zero } : {}),
      Memo: `VOID: ${typeof stored.ret.Memo === 'string' ? stored.ret.Memo : ''}`.trim(),
      ...(lineKey ? { [lineKey]: lines.map((line) => ({ ...line, Amount: zero })) } : {}),
    };
    stored.voided = true;
  }

  // ------------------------------------------------------------------------------------------------ iterators

  /** Starts an iterator over `objects`; returns its id. QuickBooks keeps iterators for the session only. */
  startIterator(kind: string, objects: XmlObject[], pageSize: number): string {
    const id = `{${randomUUID()}}`;
    this.iterators.set(id, { kind, remaining: objects, pageSize });
    return id;
  }

  /** The next page of an iterator and how many remain after it; undefined when the iterator is unknown. */
  nextPage(iteratorId: string, kind: string): { page: XmlObject[]; remaining: number } | undefined {
    const iterator = this.iterators.get(iteratorId);
    if (!iterator || iterator.kind !== kind) return undefined;
    const page = iterator.remaining.splice(0, iterator.pageSize);
    if (iterator.remaining.length === 0) this.iterators.delete(iteratorId);
    return { page, remaining: iterator.remaining.length };
  }

  /** Ends the Web Connector's session with the company file: its iterators are gone. */
  endSession(): void {
    this.iterators.clear();
  }

  // ------------------------------------------------------------------------------------------------ snapshots

  snapshot(): CompanySnapshot {
    return {
      name: this.name,
      fileName: this.fileName,
      counters: { list: this.listCounter, txn: this.txnCounter, editSequence: this.lastEditSequence },
      lists: [...this.lists].flatMap(([kind, objects]) =>
        [...objects.values()].map((ret) => ({ kind, ret })),
      ),
      txns: [...this.txns.values()],
      deleted: [...this.deleted],
    };
  }

  static restore(snapshot: CompanySnapshot, now?: () => Date): DesktopCompany {
    const company = new DesktopCompany(snapshot.name, snapshot.fileName, now);
    company.listCounter = snapshot.counters.list;
    company.txnCounter = snapshot.counters.txn;
    company.lastEditSequence = snapshot.counters.editSequence;
    for (const { kind, ret } of snapshot.lists) company.lists.get(kind)?.set(ret.ListID as string, ret);
    for (const txn of snapshot.txns) company.txns.set(txn.ret.TxnID as string, txn);
    company.deleted.push(...snapshot.deleted);
    return company;
  }
}
