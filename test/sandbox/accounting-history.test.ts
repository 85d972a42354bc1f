/**
 * The lived-in company: a few months of trading generated on top of the seed, deterministic from a seed, written
 * through the API's own rules (so balances and links agree), and read back through queries, CDC and the admin API.
 */
import { createAccounting } from '../../src/sandbox/accounting';
import { createSandbox } from '../../src/sandbox';
import { TestClock, type Json } from './helpers/accounting-helpers';

function company(seed: number, months = 3): { list: (entity: string) => Json[]; query: (q: string) => Json } {
  const clock = new TestClock();
  const accounting = createAccounting({ clock, onChange: () => undefined });
  const realmId = accounting.createRealm({ companyName: 'History Co', history: { months, seed } });
  return {
    list: (entity) =>
      (accounting.adminEntities(realmId, entity) as Json[]).filter((o) => o.status !== 'Deleted'),
    query: (q) =>
      accounting.handle({ method: 'GET', realmId, path: 'query', query: { query: q }, body: undefined }).body,
  };
}

describe('lived-in company', () => {
  it('has months of invoices, payments, sales receipts, bills, bill payments and deposits', () => {
    const co = company(7);
    const invoices = co.list('Invoice');
    expect(invoices.length).toBeGreaterThan(20);
    expect(co.list('Payment').length).toBeGreaterThan(10);
    expect(co.list('SalesReceipt').length).toBeGreaterThan(10);
    expect(co.list('Bill').length).toBeGreaterThan(3);
    expect(co.list('BillPayment').length).toBeGreaterThan(1);
    expect(co.list('Deposit').length).toBeGreaterThan(3);
    const dates = invoices.map((i) => i.TxnDate as string).sort();
    expect(dates[0] < '2026-01-01').toBe(true);
    // Open, partly paid and paid invoices; each balance is its total less what payments applied.
    const paidOn = new Map<string, number>();
    for (const p of co.list('Payment')) {
      for (const l of p.Line)
        paidOn.set(l.LinkedTxn[0].TxnId, (paidOn.get(l.LinkedTxn[0].TxnId) ?? 0) + l.Amount);
    }
    for (const inv of invoices) {
      expect(inv.Balance).toBeCloseTo(inv.TotalAmt - (paidOn.get(inv.Id) ?? 0), 2);
    }
    expect(invoices.some((i) => i.Balance === 0)).toBe(true);
    expect(invoices.some((i) => i.Balance > 0 && i.Balance < i.TotalAmt)).toBe(true);
    expect(invoices.some((i) => i.Balance === i.TotalAmt)).toBe(true);
    // Objects carry the time of their day, not the time the company was made.
    expect(invoices[0].MetaData.CreateTime.slice(0, 10)).toBe(invoices[0].TxnDate);
    const open = co.query("select count(*) from Invoice where Balance > '0'").QueryResponse.totalCount;
    expect(open).toBeGreaterThan(0);
  });

  it('is the same company for the same seed and another one for another seed', () => {
    const totals = (seed: number): number[] =>
      company(seed)
        .list('Invoice')
        .map((i) => i.TotalAmt);
    expect(totals(3)).toEqual(totals(3));
    expect(totals(3)).not.toEqual(totals(4));
  });

  it('is off unless asked for: the demo company of createSandbox has no transactions', async () => {
    const sandbox = await createSandbox({ port: 0 });
    try {
      expect(sandbox.accounting.adminEntities(sandbox.defaultRealmId, 'Invoice')).toHaveLength(0);
      const res = await fetch(`${sandbox.url}/_sandbox/realms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ companyName: 'Lived In', history: { months: 1, seed: 2 } }),
      });
      const { realmId } = (await res.json()) as Json;
      expect(sandbox.accounting.adminEntities(realmId, 'Invoice').length).toBeGreaterThan(3);
    } finally {
      await sandbox.close();
    }
    const lived = await createSandbox({ port: 0, history: { months: 2, seed: 5 } });
    try {
      expect(lived.accounting.adminEntities(lived.defaultRealmId, 'Invoice').length).toBeGreaterThan(10);
    } finally {
      await lived.close();
    }
  });
});
