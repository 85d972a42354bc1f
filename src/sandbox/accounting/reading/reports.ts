/**
 * A few reports (`GET /reports/{name}`, node-quickbooks' report* calls), in QuickBooks' report JSON: `Header`
 * (ReportName, Time, StartPeriod, EndPeriod, Currency, Option), `Columns.Column[{ColTitle, ColType}]` and
 * `Rows.Row[]` of `Data` rows (`ColData[{value, id?}]`) and `Section`s with a `Summary` (Intuit API reference,
 * Reports). Amounts print with two decimals, as QuickBooks prints them.
 * - CustomerBalance / VendorBalance: the open balance of each customer (invoices less payments, less unused credit)
 *   or vendor (open bills), and the total.
 * - ProfitAndLoss (accrual): income by account from sales lines (invoices and sales receipts, less credit memos and
 *   refund receipts) and expenses by account from bills and purchases, between `start_date` and `end_date` (default:
 *   the start of the year to today), and the net income.
 * Other reports answer 400 code 500 Unsupported Operation (docs/sandbox.md, coverage table).
 */
import type { Engine } from '../engine';
import { unsupportedOperation } from '../faults';
import { isObject } from '../fields';
import { Dec, ZERO } from '../money';
import type { QboObject } from '../company/realm';
import { metaTime } from '../time';

const money = (d: Dec): string => d.toFixed(2);

function header(engine: Engine, name: string, start: string, end: string): QboObject {
  return {
    Time: metaTime(engine.nowMs),
    ReportName: name,
    StartPeriod: start,
    EndPeriod: end,
    Currency: 'USD',
    Option: [{ Name: 'NoReportData', Value: 'false' }],
  };
}

function live(engine: Engine, entity: string): QboObject[] {
  const out: QboObject[] = [];
  for (const row of engine.realm.table(entity).values()) if (!row.deleted) out.push(row.obj);
  return out;
}

function balances(engine: Engine, name: 'CustomerBalance' | 'VendorBalance'): QboObject {
  const entity = name === 'CustomerBalance' ? 'Customer' : 'Vendor';
  const rows: QboObject[] = [];
  let total = ZERO;
  const people = live(engine, entity)
    .filter((p) => typeof p.Balance === 'number' && p.Balance !== 0)
    .sort((a, b) => String(a.DisplayName).localeCompare(String(b.DisplayName)));
  for (const p of people) {
    const amount = new Dec(p.Balance as number);
    total = total.plus(amount);
    rows.push({ ColData: [{ value: p.DisplayName, id: p.Id }, { value: money(amount) }] });
  }
  rows.push({
    Summary: { ColData: [{ value: 'TOTAL' }, { value: money(total) }] },
    type: 'Section',
    group: 'GrandTotal',
  });
  return {
    Header: header(engine, name, engine.today, engine.today),
    Columns: {
      Column: [
        { ColTitle: '', ColType: entity },
        { ColTitle: 'Total', ColType: 'Money' },
      ],
    },
    Rows: { Row: rows },
  };
}

function add(map: Map<string, { name: string; amount: Dec }>, ref: unknown, amount: Dec): void {
  if (!isObject(ref) || (typeof ref.value !== 'string' && typeof ref.value !== 'number')) return;
  const id = String(ref.value);
  const cur = map.get(id) ?? { name: typeof ref.name === 'string' ? ref.name : id, amount: ZERO };
  cur.amount = cur.amount.plus(amount);
  map.set(id, cur);
}

function section(
  group: string,
  title: string,
  map: Map<string, { name: string; amount: Dec }>,
): {
  row: QboObject;
  total: Dec;
} {
  let total = ZERO;
  const rows = [...map.entries()]
    .sort((a, b) => a[1].name.localeCompare(b[1].name))
    .map(([id, { name, amount }]) => {
      total = total.plus(amount);
      return { ColData: [{ value: name, id }, { value: money(amount) }], type: 'Data' };
    });
  return {
    row: {
      Header: { ColData: [{ value: title }, { value: '' }] },
      Rows: { Row: rows },
      Summary: { ColData: [{ value: `Total ${title}` }, { value: money(total) }] },
      type: 'Section',
      group,
    },
    total,
  };
}

function profitAndLoss(engine: Engine, query: Record<string, string>): QboObject {
  const start = query.start_date ?? `${engine.today.slice(0, 4)}-01-01`;
  const end = query.end_date ?? engine.today;
  const income = new Map<string, { name: string; amount: Dec }>();
  const expenses = new Map<string, { name: string; amount: Dec }>();
  const inRange = (t: QboObject): boolean => String(t.TxnDate) >= start && String(t.TxnDate) <= end;
  for (const [entity, sign] of [
    ['Invoice', 1],
    ['SalesReceipt', 1],
    ['CreditMemo', -1],
    ['RefundReceipt', -1],
  ] as const) {
    for (const t of live(engine, entity)) {
      if (!inRange(t)) continue;
      for (const line of Array.isArray(t.Line) ? (t.Line as QboObject[]) : []) {
        const d = line.SalesItemLineDetail;
        if (isObject(d)) add(income, d.ItemAccountRef, new Dec((line.Amount as number) ?? 0).times(sign));
        const disc = line.DiscountLineDetail;
        if (isObject(disc))
          add(income, disc.DiscountAccountRef, new Dec((line.Amount as number) ?? 0).times(-sign));
      }
    }
  }
  for (const entity of ['Bill', 'Purchase']) {
    for (const t of live(engine, entity)) {
      if (!inRange(t)) continue;
      const sign = t.Credit === true ? -1 : 1;
      for (const line of Array.isArray(t.Line) ? (t.Line as QboObject[]) : []) {
        const d = line.AccountBasedExpenseLineDetail;
        if (isObject(d)) add(expenses, d.AccountRef, new Dec((line.Amount as number) ?? 0).times(sign));
      }
    }
  }
  const inc = section('Income', 'Income', income);
  const exp = section('Expenses', 'Expenses', expenses);
  const net = inc.total.minus(exp.total);
  return {
    Header: header(engine, 'ProfitAndLoss', start, end),
    Columns: {
      Column: [
        { ColTitle: '', ColType: 'Account' },
        { ColTitle: 'Total', ColType: 'Money' },
      ],
    },
    Rows: {
      Row: [
        inc.row,
        exp.row,
        {
          Summary: { ColData: [{ value: 'Net Income' }, { value: money(net) }] },
          type: 'Section',
          group: 'NetIncome',
        },
      ],
    },
  };
}

/** `GET /reports/{name}`. */
export function runReport(
  engine: Engine,
  name: string | undefined,
  query: Record<string, string>,
): QboObject {
  switch (name) {
    case 'CustomerBalance':
    case 'VendorBalance':
      return balances(engine, name);
    case 'ProfitAndLoss':
      return profitAndLoss(engine, query);
    default:
      throw unsupportedOperation(`Report ${String(name)} is not supported by the emulator.`);
  }
}
