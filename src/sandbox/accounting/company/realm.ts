import type { AccountingResponse } from '../../contracts';
import { Dec } from '../money';

/** An entity as QuickBooks prints it. Stored objects are never mutated: every change stores a new object, so
 * responses, replayed requestid answers and query results can share them safely. */
export type QboObject = Record<string, unknown>;

/** One stored entity version. A deleted transaction keeps a tombstone row so CDC and the admin API can report it. */
export interface Row {
  obj: QboObject;
  /** MetaData.LastUpdatedTime in epoch ms (whole seconds), for CDC and time filters without re-parsing. */
  updatedMs: number;
  deleted: boolean;
}

/** Where a name is taken, for 6240's `Id=N`. */
export interface NameOwner {
  entity: string;
  id: string;
}

/** How many requestid answers a realm remembers. Intuit does not document its retention; the oldest go first. */
const REQUEST_ID_CAPACITY = 200_000;

/** Transactions share one id sequence in QuickBooks; each name list has its own. */
const TXN_SEQUENCE = 'txn';

/**
 * The uniqueness scope of a name: DisplayName is unique across customers, vendors and employees together; other
 * lists are unique by (fully qualified) name within their own type. Case-insensitive, as QuickBooks compares names.
 */
export function nameKeyOf(entity: string, obj: QboObject): { group: string; key: string } | undefined {
  let group: string;
  let field: string;
  switch (entity) {
    case 'Customer':
    case 'Vendor':
    case 'Employee':
      group = 'party';
      field = 'DisplayName';
      break;
    case 'Item':
    case 'Account':
    case 'Class':
    case 'Department':
      group = entity;
      field = 'FullyQualifiedName';
      break;
    case 'CompanyCurrency':
      group = entity;
      field = 'Code';
      break;
    case 'Term':
    case 'PaymentMethod':
    case 'TaxCode':
    case 'TaxRate':
      group = entity;
      field = 'Name';
      break;
    default:
      return undefined;
  }
  const value = obj[field];
  return typeof value === 'string' ? { group, key: normalizeName(value) } : undefined;
}

/** Names compare trimmed and case-insensitively. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

/** Plain-JSON form of a realm, used by snapshot/restore. */
export interface RealmState {
  realmId: string;
  companyName: string;
  country: string;
  counters: Record<string, number>;
  docSeq: Record<string, number>;
  companyInfo: QboObject;
  preferences: QboObject;
  tables: Record<string, Row[]>;
  requestIds: Array<[string, AccountingResponse]>;
}

/** All data of one company, with the indexes that keep every request O(1) or O(rows of one type). */
export class Realm {
  readonly tables = new Map<string, Map<string, Row>>();
  counters: Record<string, number> = {};
  /** Next automatic DocNumber per transaction type. */
  docSeq: Record<string, number> = {};
  /** entity → DocNumber → ids using it (several when `allowduplicatedocnum` was used). */
  readonly docIndex = new Map<string, Map<string, Set<string>>>();
  /** name group → normalized name → owner. */
  readonly nameIndex = new Map<string, Map<string, NameOwner>>();
  /** invoice id → payment id → amount applied, derived from payments (not part of the snapshot). */
  readonly invoicePayments = new Map<string, Map<string, Dec>>();
  /** requestid → the answer first given, replayed for retries. */
  readonly requestIds = new Map<string, AccountingResponse>();
  companyInfo: QboObject = {};
  preferences: QboObject = {};

  constructor(
    readonly realmId: string,
    public companyName: string,
    public country: string,
  ) {}

  table(entity: string): Map<string, Row> {
    let t = this.tables.get(entity);
    if (!t) {
      t = new Map();
      this.tables.set(entity, t);
    }
    return t;
  }

  row(entity: string, id: string): Row | undefined {
    return this.tables.get(entity)?.get(id);
  }

  /** The live (not deleted) object, or undefined. */
  live(entity: string, id: string): QboObject | undefined {
    const r = this.row(entity, id);
    return r && !r.deleted ? r.obj : undefined;
  }

  nextId(entity: string, kind: 'name' | 'txn'): string {
    const seq = kind === 'txn' ? TXN_SEQUENCE : entity;
    const next = (this.counters[seq] ?? 0) + 1;
    this.counters[seq] = next;
    return String(next);
  }

  /** Stores a new version of a live object and keeps the name and DocNumber indexes in step. */
  put(entity: string, obj: QboObject, updatedMs: number): void {
    const id = obj.Id as string;
    const t = this.table(entity);
    const prev = t.get(id);
    if (prev && !prev.deleted) this.unindex(entity, prev.obj);
    t.set(id, { obj, updatedMs, deleted: false });
    this.index(entity, obj);
  }

  /** Replaces the stored object without a new version (server-maintained figures such as a customer's Balance). */
  replaceQuietly(entity: string, obj: QboObject): void {
    const r = this.row(entity, obj.Id as string);
    if (r) r.obj = obj;
  }

  /** Turns a row into a tombstone (`status: "Deleted"`), releasing its name and DocNumber. */
  markDeleted(entity: string, id: string, updatedMs: number, tombstone: QboObject): void {
    const t = this.table(entity);
    const prev = t.get(id);
    if (prev && !prev.deleted) this.unindex(entity, prev.obj);
    t.set(id, { obj: tombstone, updatedMs, deleted: true });
  }

  /** Ids of live transactions of that type using that DocNumber. */
  docOwners(entity: string, docNumber: string): ReadonlySet<string> | undefined {
    return this.docIndex.get(entity)?.get(docNumber);
  }

  rememberRequest(requestId: string, response: AccountingResponse): void {
    if (this.requestIds.size >= REQUEST_ID_CAPACITY) {
      const oldest = this.requestIds.keys().next();
      if (!oldest.done) this.requestIds.delete(oldest.value);
    }
    this.requestIds.set(requestId, response);
  }

  private index(entity: string, obj: QboObject): void {
    const nk = nameKeyOf(entity, obj);
    if (nk) {
      let m = this.nameIndex.get(nk.group);
      if (!m) {
        m = new Map();
        this.nameIndex.set(nk.group, m);
      }
      m.set(nk.key, { entity, id: obj.Id as string });
    }
    const doc = obj.DocNumber;
    if (typeof doc === 'string' && doc !== '') {
      let m = this.docIndex.get(entity);
      if (!m) {
        m = new Map();
        this.docIndex.set(entity, m);
      }
      let ids = m.get(doc);
      if (!ids) {
        ids = new Set();
        m.set(doc, ids);
      }
      ids.add(obj.Id as string);
    }
  }

  private unindex(entity: string, obj: QboObject): void {
    const nk = nameKeyOf(entity, obj);
    if (nk) {
      const m = this.nameIndex.get(nk.group);
      const owner = m?.get(nk.key);
      if (owner && owner.entity === entity && owner.id === obj.Id) m!.delete(nk.key);
    }
    const doc = obj.DocNumber;
    if (typeof doc === 'string' && doc !== '') {
      const ids = this.docIndex.get(entity)?.get(doc);
      ids?.delete(obj.Id as string);
      if (ids && ids.size === 0) this.docIndex.get(entity)!.delete(doc);
    }
  }

  /**
   * Plain JSON of the realm. Stored objects are shared, not copied: they are never mutated (every change stores a new
   * object), so the snapshot stays valid while the realm moves on, and a large company is not copied twice.
   */
  toState(): RealmState {
    const tables: Record<string, Row[]> = {};
    for (const [entity, t] of this.tables) {
      tables[entity] = [...t.values()].map((r) => ({
        obj: r.obj,
        updatedMs: r.updatedMs,
        deleted: r.deleted,
      }));
    }
    return {
      realmId: this.realmId,
      companyName: this.companyName,
      country: this.country,
      counters: { ...this.counters },
      docSeq: { ...this.docSeq },
      companyInfo: this.companyInfo,
      preferences: this.preferences,
      tables,
      requestIds: [...this.requestIds.entries()],
    };
  }

  /** Rebuilds a realm and its derived indexes from `toState()` output. */
  static fromState(state: RealmState): Realm {
    const realm = new Realm(state.realmId, state.companyName, state.country);
    realm.counters = { ...state.counters };
    realm.docSeq = { ...state.docSeq };
    realm.companyInfo = state.companyInfo;
    realm.preferences = state.preferences;
    for (const [entity, rows] of Object.entries(state.tables)) {
      const t = realm.table(entity);
      for (const row of rows) {
        t.set(row.obj.Id as string, { obj: row.obj, updatedMs: row.updatedMs, deleted: row.deleted });
        if (!row.deleted) realm.index(entity, row.obj);
      }
    }
    for (const row of realm.table('Payment').values()) {
      if (!row.deleted) realm.recordPaymentLinks(row.obj, 1);
    }
    for (const [key, response] of state.requestIds) realm.requestIds.set(key, response);
    return realm;
  }

  /** Adds (sign 1) or removes (sign -1) a payment's invoice applications in `invoicePayments`. */
  recordPaymentLinks(payment: QboObject, sign: 1 | -1): void {
    const paymentId = payment.Id as string;
    for (const link of paymentLinks(payment)) {
      let m = this.invoicePayments.get(link.invoiceId);
      if (sign === 1) {
        if (!m) {
          m = new Map();
          this.invoicePayments.set(link.invoiceId, m);
        }
        m.set(paymentId, (m.get(paymentId) ?? new Dec(0)).plus(link.amount));
      } else if (m) {
        m.delete(paymentId);
        if (m.size === 0) this.invoicePayments.delete(link.invoiceId);
      }
    }
  }

  /** Total applied to an invoice by payments other than `exceptPaymentId`. */
  paidOnInvoice(invoiceId: string, exceptPaymentId?: string): Dec {
    let total = new Dec(0);
    const m = this.invoicePayments.get(invoiceId);
    if (m) for (const [pid, amount] of m) if (pid !== exceptPaymentId) total = total.plus(amount);
    return total;
  }
}

/** The invoice applications of a stored payment (lines with an Invoice LinkedTxn and a non-zero amount). */
export function paymentLinks(payment: QboObject): Array<{ invoiceId: string; amount: Dec }> {
  const out: Array<{ invoiceId: string; amount: Dec }> = [];
  const lines = payment.Line;
  if (!Array.isArray(lines)) return out;
  for (const line of lines as QboObject[]) {
    const amount = new Dec((line.Amount as number) ?? 0);
    if (amount.isZero()) continue;
    const linked = line.LinkedTxn;
    if (!Array.isArray(linked)) continue;
    for (const l of linked as QboObject[]) {
      if (l.TxnType === 'Invoice' && typeof l.TxnId === 'string') out.push({ invoiceId: l.TxnId, amount });
    }
  }
  return out;
}

/** Credit of a credit memo used by payments other than `exceptPaymentId`. */
export function creditUsed(realm: Realm, memoId: string, exceptPaymentId?: string): Dec {
  let used = new Dec(0);
  for (const row of realm.table('Payment').values()) {
    if (row.deleted || row.obj.Id === exceptPaymentId) continue;
    for (const line of Array.isArray(row.obj.Line) ? (row.obj.Line as QboObject[]) : []) {
      const links = Array.isArray(line.LinkedTxn) ? (line.LinkedTxn as QboObject[]) : [];
      if (links.some((l) => l.TxnType === 'CreditMemo' && l.TxnId === memoId)) {
        used = used.plus(new Dec((line.Amount as number) ?? 0));
      }
    }
  }
  return used;
}
