import {
  directCompany,
  faultOf,
  itemLine,
  type DirectCompany,
  type Json,
} from './helpers/accounting-helpers';

/** QuickBooks' multicurrency rules, refund receipts and the closing date, as the emulator applies them. */
describe('emulator: multicurrency', () => {
  let co: DirectCompany;
  let pump: Json;
  beforeEach(() => {
    co = directCompany();
    pump = co.find('Item', 'Name', 'Pump');
  });

  const preferences = (): Json => co.call('GET', 'preferences').body.Preferences;
  const enableMulticurrency = (): void => {
    const prefs = preferences();
    const res = co.call('POST', 'preferences', {
      SyncToken: prefs.SyncToken,
      sparse: true,
      CurrencyPrefs: { MultiCurrencyEnabled: true },
    });
    expect(res.status).toBe(200);
  };
  const addCurrency = (code: string): Json => {
    const res = co.call('POST', 'companycurrency', { Code: code });
    expect(res.status).toBe(200);
    return res.body.CompanyCurrency;
  };
  const receipt = (customerId: string, extra: Json = {}): Json =>
    co.call('POST', 'salesreceipt', {
      CustomerRef: { value: customerId },
      TxnDate: '2026-03-01',
      Line: [itemLine(pump.Id, 2, 10)],
      ...extra,
    });

  it('starts in the home currency with multicurrency off, and refuses other currencies', () => {
    expect(preferences().CurrencyPrefs).toEqual({
      MultiCurrencyEnabled: false,
      HomeCurrency: { value: 'USD' },
    });
    const customer = co.call('POST', 'customer', {
      DisplayName: 'Euro Buyer',
      CurrencyRef: { value: 'EUR' },
    });
    expect(customer.status).toBe(400);
    expect(faultOf(customer)).toMatchObject({ code: '6000', element: 'CurrencyRef' });
    expect(co.call('POST', 'companycurrency', { Code: 'EUR' }).status).toBe(400);
    const usd = co.call('POST', 'customer', { DisplayName: 'Home Buyer' }).body.Customer;
    expect(usd.CurrencyRef).toEqual({ value: 'USD', name: 'United States Dollar' });
    const sale = receipt(usd.Id, { CurrencyRef: { value: 'EUR' } });
    expect(faultOf(sale)).toMatchObject({ code: '6000' });
    const home = receipt(usd.Id).body.SalesReceipt;
    expect(home.CurrencyRef.value).toBe('USD');
    expect(home.ExchangeRate).toBeUndefined();
    expect(home.HomeTotalAmt).toBeUndefined();
  });

  it('fixes a customer to its currency and books its transactions in it, with the rate and home amounts', () => {
    enableMulticurrency();
    // Needs the currency in the company's list first.
    const unlisted = co.call('POST', 'customer', {
      DisplayName: 'Euro Buyer',
      CurrencyRef: { value: 'EUR' },
    });
    expect(faultOf(unlisted)).toMatchObject({ code: '2500', element: 'CurrencyRef' });
    expect(addCurrency('EUR')).toMatchObject({ Code: 'EUR', Name: 'Euro', Active: true });
    expect(
      co.query("SELECT * FROM CompanyCurrency WHERE Code = 'EUR'").body.QueryResponse.CompanyCurrency,
    ).toHaveLength(1);
    const customer = co.call('POST', 'customer', { DisplayName: 'Euro Buyer', CurrencyRef: { value: 'EUR' } })
      .body.Customer;
    expect(customer.CurrencyRef).toEqual({ value: 'EUR', name: 'Euro' });
    // Fixed once set: another currency is refused, leaving it out keeps it.
    const change = co.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      CurrencyRef: { value: 'USD' },
    });
    expect(faultOf(change)).toMatchObject({ code: '6000', element: 'CurrencyRef' });
    const full = co.call('POST', 'customer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      DisplayName: 'Euro Buyer',
    });
    expect(full.body.Customer.CurrencyRef.value).toBe('EUR');

    // The company's rate for the date when the request gives none; the request's rate when it does.
    const held = receipt(customer.Id).body.SalesReceipt;
    expect(held).toMatchObject({
      CurrencyRef: { value: 'EUR' },
      TotalAmt: 20,
      ExchangeRate: 1.085,
      HomeTotalAmt: 21.7,
    });
    const given = receipt(customer.Id, { ExchangeRate: 1.1 }).body.SalesReceipt;
    expect(given).toMatchObject({ ExchangeRate: 1.1, HomeTotalAmt: 22 });
    // A transaction is in its customer's currency.
    expect(faultOf(receipt(customer.Id, { CurrencyRef: { value: 'USD' } }))).toMatchObject({ code: '6000' });
    const invoice = co.call('POST', 'invoice', {
      CustomerRef: { value: customer.Id },
      Line: [itemLine(pump.Id, 1, 100)],
      ExchangeRate: 1.2,
    }).body.Invoice;
    expect(invoice).toMatchObject({
      CurrencyRef: { value: 'EUR' },
      TotalAmt: 100,
      HomeTotalAmt: 120,
      HomeBalance: 120,
    });
    // Home-currency transactions carry rate 1 once multicurrency is on.
    const usd = co.call('POST', 'customer', { DisplayName: 'Dollar Buyer' }).body.Customer;
    expect(receipt(usd.Id).body.SalesReceipt).toMatchObject({
      CurrencyRef: { value: 'USD' },
      ExchangeRate: 1,
    });
  });

  it('answers and sets exchange rates per date, and never turns multicurrency off again', () => {
    enableMulticurrency();
    addCurrency('GBP');
    const feed = co.call('GET', 'exchangerate', undefined, {
      sourcecurrencycode: 'GBP',
      asofdate: '2026-03-01',
    });
    expect(feed.body.ExchangeRate).toMatchObject({
      SourceCurrencyCode: 'GBP',
      TargetCurrencyCode: 'USD',
      Rate: 1.27,
    });
    const set = co.call('POST', 'exchangerate', {
      SourceCurrencyCode: 'GBP',
      AsOfDate: '2026-02-01',
      Rate: 1.3,
    });
    expect(set.body.ExchangeRate).toMatchObject({ Rate: 1.3, AsOfDate: '2026-02-01' });
    // The latest rate on or before the date applies.
    const later = co.call('GET', 'exchangerate', undefined, {
      sourcecurrencycode: 'GBP',
      asofdate: '2026-03-01',
    });
    expect(later.body.ExchangeRate.Rate).toBe(1.3);
    const customer = co.call('POST', 'customer', {
      DisplayName: 'Pound Buyer',
      CurrencyRef: { value: 'GBP' },
    }).body.Customer;
    expect(receipt(customer.Id).body.SalesReceipt).toMatchObject({ ExchangeRate: 1.3, HomeTotalAmt: 26 });

    const prefs = preferences();
    const off = co.call('POST', 'preferences', {
      SyncToken: prefs.SyncToken,
      sparse: true,
      CurrencyPrefs: { MultiCurrencyEnabled: false },
    });
    expect(faultOf(off)).toMatchObject({ code: '6000' });
  });
});

describe('emulator: refund receipts and the closing date', () => {
  let co: DirectCompany;
  beforeEach(() => {
    co = directCompany();
  });

  it('creates, queries and voids refund receipts, paid from a bank account, returning stock', () => {
    const pump = co.find('Item', 'Name', 'Pump');
    const checking = co.find('Account', 'Name', 'Checking');
    const customer = co.find('Customer', 'DisplayName', 'Cool Cars');
    const body = { CustomerRef: { value: customer.Id }, Line: [itemLine(pump.Id, 2, 15)], DocNumber: 'R-1' };
    expect(faultOf(co.call('POST', 'refundreceipt', body))).toMatchObject({ code: '2020' });
    expect(
      co.call('POST', 'refundreceipt', {
        ...body,
        DepositToAccountRef: { value: co.find('Account', 'Name', 'Services').Id },
      }).status,
    ).toBe(400);
    const created = co.call('POST', 'refundreceipt', {
      ...body,
      DepositToAccountRef: { value: checking.Id },
    });
    expect(created.status).toBe(200);
    const refund = created.body.RefundReceipt;
    expect(refund).toMatchObject({
      TotalAmt: 30,
      Balance: 0,
      DocNumber: 'R-1',
      DepositToAccountRef: { value: checking.Id },
    });
    expect(co.find('Item', 'Name', 'Pump').QtyOnHand).toBe(pump.QtyOnHand + 2);
    expect(
      co.query("SELECT * FROM RefundReceipt WHERE DocNumber = 'R-1'").body.QueryResponse.RefundReceipt,
    ).toHaveLength(1);
    expect(
      faultOf(co.call('POST', 'refundreceipt', { ...body, DepositToAccountRef: { value: checking.Id } })),
    ).toMatchObject({
      code: '6140',
    });
    const voided = co.call(
      'POST',
      'refundreceipt',
      { Id: refund.Id, SyncToken: refund.SyncToken, sparse: true },
      {
        operation: 'update',
        include: 'void',
      },
    );
    expect(voided.body.RefundReceipt).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
  });

  it('refuses to change transactions dated on or before the closing date (6210)', () => {
    const pump = co.find('Item', 'Name', 'Pump');
    const sale = co.call('POST', 'salesreceipt', { TxnDate: '2026-01-15', Line: [itemLine(pump.Id, 1, 15)] })
      .body.SalesReceipt;
    const prefs = co.call('GET', 'preferences').body.Preferences;
    co.call('POST', 'preferences', {
      SyncToken: prefs.SyncToken,
      sparse: true,
      AccountingInfoPrefs: { BookCloseDate: '2026-01-31' },
    });
    const update = co.call('POST', 'salesreceipt', {
      Id: sale.Id,
      SyncToken: sale.SyncToken,
      Line: [itemLine(pump.Id, 2, 15)],
    });
    expect(faultOf(update)).toMatchObject({ code: '6210', Message: 'Account Period Closed' });
    expect(
      faultOf(
        co.call('POST', 'salesreceipt', { Id: sale.Id, SyncToken: sale.SyncToken }, { operation: 'delete' }),
      ),
    ).toMatchObject({ code: '6210' });
    expect(
      faultOf(co.call('POST', 'salesreceipt', { TxnDate: '2026-01-20', Line: [itemLine(pump.Id, 1, 15)] })),
    ).toMatchObject({ code: '6210' });
    expect(
      co.call('POST', 'salesreceipt', { TxnDate: '2026-02-01', Line: [itemLine(pump.Id, 1, 15)] }).status,
    ).toBe(200);
  });
});
