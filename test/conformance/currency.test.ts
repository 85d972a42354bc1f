/**
 * Multicurrency through node-quickbooks: turning it on with updatePreferences, company currencies (created over HTTP:
 * node-quickbooks has no createCompanyCurrency), exchange rates (getExchangeRate, updateExchangeRate,
 * findExchangeRates), and a customer and invoice in a foreign currency.
 */
import { itemLine, startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;

beforeAll(async () => {
  c = await startConformance();
});

afterAll(async () => {
  await c.close();
});

describe('multicurrency', () => {
  it('turns multicurrency on, adds a currency, sets and reads rates, and invoices in it', async () => {
    const prefs = await c.qb('getPreferences');
    const on = await c.qb('updatePreferences', {
      Id: prefs.Id,
      SyncToken: prefs.SyncToken,
      CurrencyPrefs: { MultiCurrencyEnabled: true },
    });
    expect(on.CurrencyPrefs).toMatchObject({ MultiCurrencyEnabled: true, HomeCurrency: { value: 'USD' } });

    const res = await fetch(`${c.sandbox.url}/v3/company/${c.realmId}/companycurrency?minorversion=75`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${c.qbo.token}`,
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ Code: 'EUR' }),
    });
    const currency = ((await res.json()) as Json).CompanyCurrency;
    expect(currency).toMatchObject({ Code: 'EUR', Name: 'Euro', Active: true });
    expect((await c.qb('getCompanyCurrency', currency.Id)).Code).toBe('EUR');
    expect((await c.qb('findCompanyCurrencies')).QueryResponse.CompanyCurrency).toHaveLength(1);

    const feed = await c.qb('getExchangeRate', { sourcecurrencycode: 'EUR', asofdate: '2026-01-15' });
    expect(feed.ExchangeRate).toMatchObject({ SourceCurrencyCode: 'EUR', TargetCurrencyCode: 'USD' });
    const set = await c.qb('updateExchangeRate', {
      SourceCurrencyCode: 'EUR',
      Rate: 1.1,
      AsOfDate: '2026-01-15',
    });
    // node-quickbooks unwraps `Exchangerate` (its capitalization of the path), so it hands back the whole answer.
    expect((set.ExchangeRate ?? set).Rate).toBe(1.1);
    const rates = await c.qb('findExchangeRates');
    expect(rates.QueryResponse.ExchangeRate.map((r: Json) => r.Rate)).toContain(1.1);

    const customer = await c.qb('createCustomer', {
      DisplayName: 'Euro Buyer',
      CurrencyRef: { value: 'EUR' },
    });
    const hours = await c.seeded('Item', 'Name', 'Hours');
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: customer.Id },
      TxnDate: '2026-01-20',
      Line: [itemLine(hours.Id, 2, 50)],
    });
    expect(invoice).toMatchObject({ CurrencyRef: { value: 'EUR' }, ExchangeRate: 1.1, HomeTotalAmt: 110 });
  });
});
