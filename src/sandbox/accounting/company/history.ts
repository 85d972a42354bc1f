/**
 * A lived-in company: a few months of trading on top of the seed (seed.ts), so that reads, queries, CDC and reports
 * have something to read. Deterministic: the same seed, months and start date give the same company. Every object is
 * written through the API's own rules (engine), dated on its day (TxnDate and MetaData), without change events.
 *
 * Per week, roughly: two or three invoices (most paid within a month by payments, some partly, some left open),
 * two sales receipts, a bill (most paid by bill payments), and a deposit of what sits in Undeposited Funds.
 */
import { Engine } from '../engine';
import { ENTITY_TYPES } from '../entity-types';
import { isObject } from '../fields';
import type { QboObject, Realm } from './realm';
import { companyDate } from '../time';

/** How much history to generate. */
export interface HistoryOptions {
  /** Months back from today (default 3). */
  months?: number;
  /** Seed of the generator (default 1). */
  seed?: number;
}

const DAY_MS = 86_400_000;

/** mulberry32: a small, good-enough deterministic generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MORE_CUSTOMERS = [
  { DisplayName: 'Dukes Basketball Camp', GivenName: 'Peter', FamilyName: 'Dukes', City: 'Tucson' },
  { DisplayName: 'Freeman Sporting Goods', GivenName: 'Kirby', FamilyName: 'Freeman', City: 'Middlefield' },
  { DisplayName: "Jeff's Jalopies", GivenName: 'Jeff', FamilyName: 'Chin', City: 'Bayshore' },
  { DisplayName: 'Kookies by Kathy', GivenName: 'Kathy', FamilyName: 'Kuplis', City: 'Middlefield' },
  { DisplayName: 'Mark Cho', GivenName: 'Mark', FamilyName: 'Cho', City: 'San Mateo' },
  { DisplayName: 'Red Rock Diner', GivenName: 'Stephanie', FamilyName: 'Martini', City: 'Bayshore' },
];

/** Adds the history to a freshly seeded realm. */
export function addHistory(realm: Realm, nowMs: number, opts: HistoryOptions = {}): void {
  const months = Math.max(0, Math.min(24, Math.floor(opts.months ?? 3)));
  if (months === 0) return;
  const rand = generator(opts.seed ?? 1);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const type = (name: string) => ENTITY_TYPES.get(name)!;
  const live = (entity: string): QboObject[] =>
    [...realm.table(entity).values()].filter((r) => !r.deleted).map((r) => r.obj);
  const byName = (entity: string, field: string, value: string): QboObject =>
    live(entity).find((o) => o[field] === value)!;

  const startMs = nowMs - months * 30 * DAY_MS;
  const engineOn = (ms: number): Engine => new Engine(realm, ms, () => undefined);
  const first = engineOn(startMs);
  for (const c of MORE_CUSTOMERS) {
    first.create(type('Customer'), {
      DisplayName: c.DisplayName,
      CompanyName: c.DisplayName,
      GivenName: c.GivenName,
      FamilyName: c.FamilyName,
      PrimaryEmailAddr: { Address: `${c.GivenName.toLowerCase()}@${c.FamilyName.toLowerCase()}.example` },
      BillAddr: { Line1: `${between(10, 999)} Main St.`, City: c.City, CountrySubDivisionCode: 'CA' },
    });
  }
  const customers = live('Customer');
  const items = ['Hours', 'Design', 'Sprinkler Heads', 'Services'].map((n) => byName('Item', 'Name', n));
  const vendors = live('Vendor');
  const expenseAccounts = ['Advertising', 'Office Expenses', 'Rent or Lease', 'Utilities'].map((n) =>
    byName('Account', 'Name', n),
  );
  const checking = byName('Account', 'Name', 'Checking');
  const methods = live('PaymentMethod');
  const ref = (o: QboObject): { value: string } => ({ value: o.Id as string });

  const line = (): QboObject => {
    const item = pick(items);
    const qty = between(1, 12);
    const price =
      typeof item.UnitPrice === 'number' && item.UnitPrice > 0 ? item.UnitPrice : between(20, 120);
    return {
      Amount: Math.round(qty * price * 100) / 100,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: ref(item), Qty: qty, UnitPrice: price },
    };
  };

  /** Work planned for a later day: payments come after their invoices. */
  const later = new Map<number, Array<(e: Engine) => void>>();
  const plan = (day: number, work: (e: Engine) => void): void => {
    const list = later.get(day) ?? [];
    list.push(work);
    later.set(day, list);
  };
  const days = Math.floor((nowMs - startMs) / DAY_MS);
  for (let day = 0; day < days; day++) {
    const ms = startMs + day * DAY_MS + 9 * 3_600_000 + between(0, 8 * 3_600_000);
    const e = engineOn(ms);
    const weekday = new Date(ms).getUTCDay();
    for (const work of later.get(day) ?? []) work(e);
    if (weekday === 0 || weekday === 6) continue;

    if (rand() < 0.5) {
      const customer = pick(customers);
      const invoice = e.create(type('Invoice'), {
        CustomerRef: ref(customer),
        Line: Array.from({ length: between(1, 3) }, line),
      });
      const total = invoice.TotalAmt as number;
      const fate = rand();
      if (fate < 0.75) {
        const partly = fate < 0.12;
        const amount = partly ? Math.round(total * 50) / 100 : total;
        plan(day + between(3, 30), (pe) => {
          if (!realm.live('Invoice', invoice.Id as string)) return;
          pe.create(type('Payment'), {
            CustomerRef: ref(customer),
            TotalAmt: amount,
            PaymentMethodRef: ref(pick(methods)),
            Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
          });
        });
      }
    }
    if (rand() < 0.4) {
      e.create(type('SalesReceipt'), {
        CustomerRef: ref(pick(customers)),
        PaymentMethodRef: ref(pick(methods)),
        Line: Array.from({ length: between(1, 2) }, line),
      });
    }
    if (rand() < 0.2) {
      const vendor = pick(vendors);
      const amount = between(40, 900) + between(0, 99) / 100;
      const bill = e.create(type('Bill'), {
        VendorRef: ref(vendor),
        Line: [
          {
            Amount: amount,
            DetailType: 'AccountBasedExpenseLineDetail',
            AccountBasedExpenseLineDetail: { AccountRef: ref(pick(expenseAccounts)) },
          },
        ],
      });
      if (rand() < 0.7) {
        plan(day + between(5, 25), (pe) => {
          pe.create(type('BillPayment'), {
            VendorRef: ref(vendor),
            PayType: 'Check',
            CheckPayment: { BankAccountRef: ref(checking) },
            TotalAmt: amount,
            Line: [{ Amount: amount, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
          });
        });
      }
    }
    // Fridays: deposit what is in Undeposited Funds.
    if (weekday === 5) depositUndeposited(e, realm, checking);
  }
}

function depositUndeposited(e: Engine, realm: Realm, checking: QboObject): void {
  const deposited = new Set<string>();
  for (const row of realm.table('Deposit').values()) {
    if (row.deleted || !Array.isArray(row.obj.Line)) continue;
    for (const l of row.obj.Line as QboObject[]) {
      for (const t of Array.isArray(l.LinkedTxn) ? (l.LinkedTxn as QboObject[]) : []) {
        deposited.add(`${String(t.TxnType)}:${String(t.TxnId)}`);
      }
    }
  }
  const lines: QboObject[] = [];
  for (const entity of ['Payment', 'SalesReceipt']) {
    for (const row of realm.table(entity).values()) {
      const o = row.obj;
      const inUndeposited =
        isObject(o.DepositToAccountRef) && o.DepositToAccountRef.name === 'Undeposited Funds';
      if (row.deleted || !inUndeposited || deposited.has(`${entity}:${String(o.Id)}`)) continue;
      if ((o.TotalAmt as number) <= 0 || String(o.TxnDate) > companyDate(e.nowMs)) continue;
      lines.push({ Amount: o.TotalAmt, LinkedTxn: [{ TxnId: o.Id, TxnType: entity, TxnLineId: '0' }] });
    }
  }
  if (lines.length === 0) return;
  e.create(ENTITY_TYPES.get('Deposit')!, {
    DepositToAccountRef: { value: checking.Id as string },
    Line: lines,
  });
}
