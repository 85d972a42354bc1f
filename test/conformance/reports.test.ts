/**
 * The reports the emulator claims (CustomerBalance, VendorBalance, ProfitAndLoss), through node-quickbooks' report*
 * calls on a lived-in company, checked against the transactions they summarize; other reports are refused.
 */
import { startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;

beforeAll(async () => {
  c = await startConformance({ history: { months: 2, seed: 11 } });
});

afterAll(async () => {
  await c.close();
});

const money = (n: number): string => n.toFixed(2);
const grandTotal = (report: Json): string =>
  (report.Rows.Row as Json[]).find((r) => r.group === 'GrandTotal').Summary.ColData[1].value;

describe('reports', () => {
  it('CustomerBalance totals the open invoices less unapplied payments', async () => {
    const report = await c.qb('reportCustomerBalance');
    expect(report.Header.ReportName).toBe('CustomerBalance');
    const customers = (await c.qb('findCustomers', { fetchAll: true })).QueryResponse.Customer as Json[];
    const expected = customers.reduce((sum, x) => sum + (x.Balance ?? 0), 0);
    expect(grandTotal(report)).toBe(money(expected));
    const invoices = (await c.qb('findInvoices', { fetchAll: true })).QueryResponse.Invoice as Json[];
    const open = invoices.reduce((sum, i) => sum + i.Balance, 0);
    expect(Number(grandTotal(report))).toBeLessThanOrEqual(Number(money(open)) + 0.001);
  });

  it('VendorBalance totals the open bills', async () => {
    const report = await c.qb('reportVendorBalance');
    const bills = (await c.qb('findBills', { fetchAll: true })).QueryResponse.Bill as Json[];
    expect(grandTotal(report)).toBe(money(bills.reduce((sum, b) => sum + b.Balance, 0)));
  });

  it('ProfitAndLoss shows income and expenses by account for a period', async () => {
    const report = await c.qb('reportProfitAndLoss', { start_date: '2000-01-01', end_date: '2999-12-31' });
    const [income, expenses, net] = report.Rows.Row as Json[];
    expect(income.group).toBe('Income');
    expect(expenses.group).toBe('Expenses');
    const total = (s: Json): number => Number(s.Summary.ColData[1].value);
    expect(total(income)).toBeGreaterThan(0);
    expect(Number(net.Summary.ColData[1].value)).toBeCloseTo(total(income) - total(expenses), 2);
    const bills = (await c.qb('findBills', { fetchAll: true })).QueryResponse.Bill as Json[];
    expect(total(expenses)).toBeCloseTo(
      bills.reduce((sum, b) => sum + b.TotalAmt, 0),
      2,
    );
  });

  it('refuses reports it does not emulate', async () => {
    expect((await c.fault('reportBalanceSheet')).code).toBe('500');
  });
});
