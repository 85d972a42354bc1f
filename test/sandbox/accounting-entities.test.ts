/**
 * The accounting half called directly (no HTTP): entity rules, fault codes and shapes, totals, void/delete, payments,
 * change events. Wire-level behaviour is covered by accounting-wire.test.ts.
 */
import {
  directCompany,
  faultOf,
  itemLine,
  type DirectCompany,
  type Json,
} from './helpers/accounting-helpers';

let co: DirectCompany;
let hoursId: string;
let pumpId: string;
let amyId: string;
let billId: string;

beforeEach(() => {
  co = directCompany();
  hoursId = co.find('Item', 'Name', 'Hours').Id;
  pumpId = co.find('Item', 'Name', 'Pump').Id;
  amyId = co.find('Customer', 'DisplayName', "Amy's Bird Sanctuary").Id;
  billId = co.find('Customer', 'DisplayName', "Bill's Windsurf Shop").Id;
});

function createInvoice(lines: Json[], extra: Json = {}, query: Record<string, string> = {}): Json {
  const res = co.call('POST', 'invoice', { CustomerRef: { value: amyId }, Line: lines, ...extra }, query);
  expect(res.status).toBe(200);
  return res.body.Invoice;
}

describe('seed', () => {
  it('creates a US company with the reference data a client needs', () => {
    const accounts = co.query('select * from Account maxresults 1000').body.QueryResponse.Account as Json[];
    const bySubtype = (s: string): Json => accounts.find((a) => a.AccountSubType === s);
    expect(bySubtype('UndepositedFunds')).toMatchObject({
      Name: 'Undeposited Funds',
      AccountType: 'Other Current Asset',
    });
    expect(bySubtype('Inventory')).toMatchObject({
      AccountType: 'Other Current Asset',
      Classification: 'Asset',
    });
    expect(bySubtype('DiscountsRefundsGiven')).toMatchObject({ AccountType: 'Income' });
    expect(accounts.some((a) => a.AccountType === 'Accounts Receivable')).toBe(true);
    expect(accounts.some((a) => a.AccountType === 'Cost of Goods Sold')).toBe(true);
    const terms = co.query('select * from Term').body.QueryResponse.Term.map((t: Json) => t.Name);
    expect(terms).toEqual(expect.arrayContaining(['Due on receipt', 'Net 15', 'Net 30', 'Net 60']));
    const methods = co
      .query('select * from PaymentMethod')
      .body.QueryResponse.PaymentMethod.map((m: Json) => m.Name);
    expect(methods).toEqual(
      expect.arrayContaining(['Cash', 'Check', 'Visa', 'MasterCard', 'American Express', 'Discover']),
    );
    const codes = co.query('select * from TaxCode').body.QueryResponse.TaxCode.map((c: Json) => c.Id);
    expect(codes).toEqual(expect.arrayContaining(['TAX', 'NON']));
    const ca = co.query("select * from TaxRate where Name = 'California'").body.QueryResponse.TaxRate[0];
    expect(ca.RateValue).toBe(8);
    const types = co.query('select * from Item').body.QueryResponse.Item.map((i: Json) => i.Type);
    expect(types).toEqual(expect.arrayContaining(['Service', 'NonInventory', 'Inventory']));
    expect(co.realmId).toMatch(/^\d{16}$/);
  });

  it('serves CompanyInfo and Preferences with shipping, discounts and custom numbers on', () => {
    const info = co.call('GET', `companyinfo/${co.realmId}`);
    expect(info.status).toBe(200);
    expect(info.body.CompanyInfo).toMatchObject({
      CompanyName: 'Accounting Test Co',
      Country: 'US',
      domain: 'QBO',
    });
    const prefs = co.call('GET', 'preferences').body.Preferences;
    expect(prefs.SalesFormsPrefs).toMatchObject({
      AllowShipping: true,
      AllowDiscount: true,
      CustomTxnNumbers: true,
    });
    const shippingAccount = co.call('GET', `account/${prefs.SalesFormsPrefs.DefaultShippingAccount}`).body
      .Account;
    expect(shippingAccount.Name).toBe('Shipping Income');
  });
});

describe('envelopes and customers', () => {
  it('answers a create with the entity envelope and reports a Create change', () => {
    const res = co.call('POST', 'customer', {
      DisplayName: 'Globex',
      PrimaryEmailAddr: { Address: 'a@globex.test' },
    });
    expect(res.status).toBe(200);
    const c = res.body.Customer;
    expect(c).toMatchObject({
      DisplayName: 'Globex',
      domain: 'QBO',
      sparse: false,
      SyncToken: '0',
      Active: true,
      Balance: 0,
    });
    expect(c.Id).toMatch(/^\d+$/);
    expect(c.MetaData.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-07:00$/);
    expect(res.body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-07:00$/);
    expect(co.events).toEqual([
      {
        realmId: co.realmId,
        entity: 'Customer',
        id: c.Id,
        operation: 'Create',
        lastUpdated: c.MetaData.LastUpdatedTime,
      },
    ]);
    expect(co.call('GET', `customer/${c.Id}`).body.Customer).toEqual(c);
  });

  it('gives ids in sequence per realm', () => {
    const a = co.call('POST', 'customer', { DisplayName: 'Seq A' }).body.Customer.Id;
    const b = co.call('POST', 'customer', { DisplayName: 'Seq B' }).body.Customer.Id;
    expect(Number(b)).toBe(Number(a) + 1);
  });

  it('composes DisplayName from the name parts when it is absent', () => {
    const c = co.call('POST', 'customer', { Title: 'Dr.', GivenName: 'Ada', FamilyName: 'Lovelace' }).body
      .Customer;
    expect(c.DisplayName).toBe('Dr. Ada Lovelace');
    const none = co.call('POST', 'customer', { CompanyName: 'No Name Co' });
    expect(none.status).toBe(400);
    expect(faultOf(none)).toMatchObject({ code: '2020' });
  });

  it('refuses a duplicate DisplayName, case-insensitively, with 6240 naming the Id', () => {
    const res = co.call('POST', 'customer', { DisplayName: "  amy's BIRD sanctuary " });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      Fault: {
        Error: [
          {
            Message: 'Duplicate Name Exists Error',
            Detail: `The name supplied already exists. : Id=${amyId}`,
            code: '6240',
            element: '',
          },
        ],
        type: 'ValidationFault',
      },
      time: expect.any(String),
    });
  });

  it('refuses customer names held by vendors and employees', () => {
    for (const [entity, name] of [
      ['Vendor', 'Acme Supplies'],
      ['Employee', 'Jordan Employee'],
    ]) {
      const owner = co.find(entity, 'DisplayName', name);
      const res = co.call('POST', 'customer', { DisplayName: name });
      expect(faultOf(res)).toMatchObject({
        code: '6240',
        Detail: `The name supplied already exists. : Id=${owner.Id}`,
      });
    }
    expect(co.call('POST', 'customer', { DisplayName: 'Acme Supplies (2)' }).status).toBe(200);
  });

  it('refuses unknown properties with 2010', () => {
    const res = co.call('POST', 'customer', { DisplayName: 'Typo Inc', EmailAddress: 'x@y.z' });
    expect(faultOf(res)).toMatchObject({ code: '2010', element: 'EmailAddress' });
  });

  it('keeps omitted fields on a sparse update and clears them on a full update', () => {
    const c = co.call('POST', 'customer', {
      DisplayName: 'Sparse Co',
      CompanyName: 'Sparse Company',
      Notes: 'n1',
    }).body.Customer;
    const sparse = co.call('POST', 'customer', {
      Id: c.Id,
      SyncToken: c.SyncToken,
      sparse: true,
      Notes: 'n2',
    }).body.Customer;
    expect(sparse).toMatchObject({
      SyncToken: '1',
      CompanyName: 'Sparse Company',
      Notes: 'n2',
      DisplayName: 'Sparse Co',
    });
    const full = co.call(
      'POST',
      'customer',
      { Id: c.Id, SyncToken: '1', DisplayName: 'Sparse Co' },
      { operation: 'update' },
    ).body.Customer;
    expect(full.SyncToken).toBe('2');
    expect(full.CompanyName).toBeUndefined();
    expect(full.Notes).toBeUndefined();
    expect(full.MetaData.CreateTime).toBe(c.MetaData.CreateTime);
    expect(co.events.map((e) => e.operation)).toEqual(['Create', 'Update', 'Update']);
  });

  it('refuses a stale SyncToken with 5010 and Intuit’s detail', () => {
    const c = co.call('POST', 'customer', { DisplayName: 'Stale Co' }).body.Customer;
    expect(co.call('POST', 'customer', { Id: c.Id, SyncToken: '0', sparse: true, Notes: 'a' }).status).toBe(
      200,
    );
    const res = co.call('POST', 'customer', { Id: c.Id, SyncToken: '0', sparse: true, Notes: 'b' });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect(faultOf(res).Detail).toMatch(
      /^Stale Object Error : You and .+ were working on this at the same time\./,
    );
    expect(co.call('GET', `customer/${c.Id}`).body.Customer.Notes).toBe('a');
  });

  it('requires Id and SyncToken to update', () => {
    expect(faultOf(co.call('POST', 'customer', { DisplayName: 'X' }, { operation: 'update' }))).toMatchObject(
      {
        code: '2020',
        Detail: 'Required parameter Id is missing in the request',
      },
    );
    expect(faultOf(co.call('POST', 'customer', { Id: amyId, sparse: true, Notes: 'x' }))).toMatchObject({
      code: '2020',
      Detail: 'Required parameter SyncToken is missing in the request',
    });
  });

  it('answers 610 for an id that does not exist', () => {
    const res = co.call('GET', 'customer/999999');
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatchObject({ code: '610', Message: 'Object Not Found' });
  });

  it('cannot delete name lists; Active=false hides them from queries and is reported as Delete', () => {
    const c = co.call('POST', 'customer', { DisplayName: 'Going Away' }).body.Customer;
    const del = co.call('POST', 'customer', { Id: c.Id, SyncToken: '0' }, { operation: 'delete' });
    expect(faultOf(del)).toMatchObject({ code: '500', Message: 'Unsupported Operation' });
    const off = co.call('POST', 'customer', { Id: c.Id, SyncToken: '0', sparse: true, Active: false });
    expect(off.body.Customer.Active).toBe(false);
    expect(co.events.at(-1)).toMatchObject({ entity: 'Customer', id: c.Id, operation: 'Delete' });
    expect(co.query("select * from Customer where DisplayName = 'Going Away'").body.QueryResponse).toEqual(
      {},
    );
    const both = co.query(
      "select * from Customer where DisplayName = 'Going Away' and Active in (true, false)",
    );
    expect(both.body.QueryResponse.Customer).toHaveLength(1);
    expect(
      co
        .query('select * from Customer where Active = false')
        .body.QueryResponse.Customer.map((x: Json) => x.Id),
    ).toEqual([c.Id]);
    // An inactive customer still holds its name.
    expect(faultOf(co.call('POST', 'customer', { DisplayName: 'going away' }))).toMatchObject({
      code: '6240',
    });
    // ... and cannot be used on a transaction.
    const inv = co.call('POST', 'invoice', {
      CustomerRef: { value: c.Id },
      Line: [itemLine(hoursId, 1, 50)],
    });
    expect(inv.status).toBe(400);
    expect(faultOf(inv)).toEqual({
      Message: 'Object Not Found',
      Detail:
        "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
      code: '610',
      element: 'CustomerRef',
    });
  });

  it('keeps a customer with an open balance active', () => {
    createInvoice([itemLine(hoursId, 1, 50)]);
    const amy = co.call('GET', `customer/${amyId}`).body.Customer;
    expect(amy.Balance).toBe(50);
    const res = co.call('POST', 'customer', {
      Id: amyId,
      SyncToken: amy.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(faultOf(res)).toMatchObject({ code: '6000' });
  });

  it('builds FullyQualifiedName and Level for sub-customers', () => {
    const job = co.call('POST', 'customer', { DisplayName: 'Birdhouse Job', ParentRef: { value: amyId } })
      .body.Customer;
    expect(job).toMatchObject({
      Job: true,
      Level: 1,
      FullyQualifiedName: "Amy's Bird Sanctuary:Birdhouse Job",
    });
    expect(job.ParentRef).toEqual({ value: amyId, name: "Amy's Bird Sanctuary" });
  });
});

describe('items', () => {
  const incomeRef = (): Json => ({ value: co.find('Account', 'Name', 'Services').Id });

  it('requires an income account for service items (2020)', () => {
    const res = co.call('POST', 'item', { Name: 'Consulting', Type: 'Service' });
    expect(faultOf(res)).toMatchObject({
      code: '2020',
      Detail: 'Required parameter IncomeAccountRef is missing in the request',
    });
    const nonInv = co.call('POST', 'item', { Name: 'Widget', Type: 'NonInventory' });
    expect(faultOf(nonInv).Detail).toBe(
      'Required parameter ExpenseAccountRef or IncomeAccountRef is missing in the request',
    );
  });

  it('requires the inventory fields for inventory items', () => {
    const base = {
      Name: 'Gnome',
      Type: 'Inventory',
      IncomeAccountRef: incomeRef(),
      AssetAccountRef: { value: co.find('Account', 'Name', 'Inventory Asset').Id },
      ExpenseAccountRef: { value: co.find('Account', 'Name', 'Cost of Goods Sold').Id },
      TrackQtyOnHand: true,
      QtyOnHand: 10,
      InvStartDate: '2026-01-01',
    };
    for (const missing of [
      'AssetAccountRef',
      'ExpenseAccountRef',
      'TrackQtyOnHand',
      'QtyOnHand',
      'InvStartDate',
    ]) {
      const body: Json = { ...base };
      delete body[missing];
      const res = co.call('POST', 'item', body);
      expect(faultOf(res)).toMatchObject({
        code: '2020',
        Detail: `Required parameter ${missing} is missing in the request`,
      });
    }
    const ok = co.call('POST', 'item', base);
    expect(ok.body.Item).toMatchObject({ Type: 'Inventory', QtyOnHand: 10, TrackQtyOnHand: true });
    expect(ok.body.Item.AssetAccountRef.name).toBe('Inventory Asset');
  });

  it('refuses duplicate item names (6240) and unknown account ids (2500)', () => {
    const dup = co.call('POST', 'item', { Name: 'hours', Type: 'Service', IncomeAccountRef: incomeRef() });
    expect(faultOf(dup)).toMatchObject({
      code: '6240',
      Detail: `The name supplied already exists. : Id=${hoursId}`,
    });
    const bad = co.call('POST', 'item', {
      Name: 'Orphan',
      Type: 'Service',
      IncomeAccountRef: { value: '424242' },
    });
    expect(faultOf(bad)).toMatchObject({
      code: '2500',
      Message: 'Invalid Reference Id',
      element: 'IncomeAccountRef',
    });
  });

  it('lowers QtyOnHand when inventory is sold and restores it when the sale is deleted', () => {
    const before = co.call('GET', `item/${pumpId}`).body.Item.QtyOnHand;
    const inv = createInvoice([itemLine(pumpId, 3, 15)]);
    expect(co.call('GET', `item/${pumpId}`).body.Item.QtyOnHand).toBe(before - 3);
    co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'delete' });
    expect(co.call('GET', `item/${pumpId}`).body.Item.QtyOnHand).toBe(before);
  });
});

describe('sales forms', () => {
  it('requires a customer on invoices (2020) and checks line items (2500, 610)', () => {
    const noCustomer = co.call('POST', 'invoice', { Line: [itemLine(hoursId, 1, 50)] });
    expect(noCustomer.status).toBe(400);
    expect(faultOf(noCustomer)).toMatchObject({
      code: '2020',
      Message: 'Required param missing, need to supply the required value for the API',
      Detail: 'Required parameter CustomerRef is missing in the request',
    });
    const badItem = co.call('POST', 'invoice', {
      CustomerRef: { value: amyId },
      Line: [itemLine('98765', 1, 5)],
    });
    expect(faultOf(badItem)).toEqual({
      Message: 'Invalid Reference Id',
      Detail: 'Invalid Reference Id : Line.SalesItemLineDetail.ItemRef',
      code: '2500',
      element: 'Line.SalesItemLineDetail.ItemRef',
    });
    const item = co.call('GET', `item/${hoursId}`).body.Item;
    co.call('POST', 'item', { Id: hoursId, SyncToken: item.SyncToken, sparse: true, Active: false });
    expect(
      faultOf(co.call('POST', 'invoice', { CustomerRef: { value: amyId }, Line: [itemLine(hoursId, 1, 50)] }))
        .code,
    ).toBe('610');
  });

  it('checks Amount = Qty × UnitPrice (6070) and US line tax codes (6100)', () => {
    const res = co.call('POST', 'invoice', {
      CustomerRef: { value: amyId },
      Line: [
        {
          Amount: 1000,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: hoursId }, Qty: 7, UnitPrice: 225 },
        },
      ],
    });
    expect(faultOf(res)).toEqual({
      Message: 'Amount calculation incorrect in the request.',
      Detail: 'Amount is not equal to UnitPrice * Qty. Supplied value:1,000',
      code: '6070',
      element: 'Line.Amount',
    });
    const tax = co.call('POST', 'invoice', {
      CustomerRef: { value: amyId },
      Line: [itemLine(hoursId, 1, 50, { TaxCodeRef: { value: '1' } })],
    });
    expect(faultOf(tax)).toMatchObject({ code: '6100' });
  });

  it('computes with exact decimals', () => {
    const inv = createInvoice([itemLine(hoursId, 3, 19.99), itemLine(hoursId, 3, 0.1)]);
    expect(inv.Line[0].Amount).toBe(59.97);
    expect(inv.TotalAmt).toBe(60.27);
    expect(inv.Balance).toBe(60.27);
  });

  it('totals discount, shipping and tax like QuickBooks and adds a subtotal line', () => {
    const caCode = co.query("select * from TaxCode where Name = 'California'").body.QueryResponse.TaxCode[0]
      .Id;
    const inv = createInvoice(
      [
        itemLine(hoursId, 2, 50, { TaxCodeRef: { value: 'TAX' } }),
        itemLine(co.find('Item', 'Name', 'Design').Id, 1, 75, { TaxCodeRef: { value: 'NON' } }),
        { DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: true, DiscountPercent: 10 } },
        {
          Amount: 12.5,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: 'SHIPPING_ITEM_ID' } },
        },
      ],
      { TxnTaxDetail: { TxnTaxCodeRef: { value: caCode } } },
    );
    // subtotal 175, discount 17.50, shipping 12.50, tax 8% of the taxable 100 = 8.00
    const subtotal = inv.Line.find((l: Json) => l.DetailType === 'SubTotalLineDetail');
    expect(subtotal).toEqual({ Amount: 175, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
    const discount = inv.Line.find((l: Json) => l.DetailType === 'DiscountLineDetail');
    expect(discount.Amount).toBe(17.5);
    expect(discount.DiscountLineDetail.DiscountAccountRef.name).toBe('Discounts given');
    expect(inv.TxnTaxDetail).toMatchObject({ TxnTaxCodeRef: { value: caCode }, TotalTax: 8 });
    expect(inv.TxnTaxDetail.TaxLine[0].TaxLineDetail).toMatchObject({ TaxPercent: 8, NetAmountTaxable: 100 });
    expect(inv.TotalAmt).toBe(178);
    expect(inv.Line[0].SalesItemLineDetail.ItemRef).toEqual({ value: hoursId, name: 'Hours' });
    expect(inv.CustomerRef).toEqual({ value: amyId, name: "Amy's Bird Sanctuary" });

    const after = createInvoice(
      [
        itemLine(hoursId, 2, 50, { TaxCodeRef: { value: 'TAX' } }),
        { Amount: 20, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false } },
      ],
      { TxnTaxDetail: { TxnTaxCodeRef: { value: caCode } }, ApplyTaxAfterDiscount: true },
    );
    // tax on 100 - 20 = 80 → 6.40; total 100 - 20 + 6.40
    expect(after.TxnTaxDetail.TotalTax).toBe(6.4);
    expect(after.TotalAmt).toBe(86.4);

    const stated = createInvoice([itemLine(hoursId, 1, 50)], { TxnTaxDetail: { TotalTax: 4.13 } });
    expect(stated.TotalAmt).toBe(54.13);
    const override = createInvoice([itemLine(hoursId, 1, 50, { TaxCodeRef: { value: 'TAX' } })], {
      TxnTaxDetail: { TxnTaxCodeRef: { value: caCode }, TotalTax: 3.5 },
    });
    expect(override.TotalAmt).toBe(53.5);

    // A full update that echoes the earlier answer with new lines gets its tax recomputed.
    const echoed = co.call('POST', 'invoice', {
      ...after,
      Line: [itemLine(hoursId, 4, 50, { TaxCodeRef: { value: 'TAX' } })],
    }).body.Invoice;
    expect(echoed.TxnTaxDetail.TotalTax).toBe(16);
    expect(echoed.TotalAmt).toBe(216);
  });

  it('defaults terms, due date and addresses from the customer', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)], { TxnDate: '2026-01-10' });
    expect(inv.SalesTermRef).toEqual({ value: co.find('Term', 'Name', 'Net 30').Id, name: 'Net 30' });
    expect(inv.DueDate).toBe('2026-02-09');
    expect(inv.BillAddr.City).toBe('Bayshore');
    expect(inv.BillEmail).toEqual({ Address: 'Birds@Intuit.com' });
  });

  it('numbers documents automatically and refuses duplicates unless allowed', () => {
    const a = createInvoice([itemLine(hoursId, 1, 50)]);
    const b = createInvoice([itemLine(hoursId, 1, 50)]);
    expect(Number(b.DocNumber)).toBe(Number(a.DocNumber) + 1);
    const dup = co.call('POST', 'invoice', {
      CustomerRef: { value: amyId },
      DocNumber: a.DocNumber,
      Line: [itemLine(hoursId, 1, 5)],
    });
    expect(dup.status).toBe(400);
    expect(faultOf(dup)).toEqual({
      Message: 'Duplicate Document Number Error',
      Detail: `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${a.DocNumber} is assigned to TxnType=Invoice with TxnId=${a.Id}`,
      code: '6140',
      element: '',
    });
    const allowed = createInvoice(
      [itemLine(hoursId, 1, 5)],
      { DocNumber: a.DocNumber },
      { include: 'allowduplicatedocnum' },
    );
    expect(allowed.DocNumber).toBe(a.DocNumber);
    // The same number on another transaction type is fine.
    const sr = co.call('POST', 'salesreceipt', { DocNumber: a.DocNumber, Line: [itemLine(hoursId, 1, 5)] });
    expect(sr.status).toBe(200);
    const long = co.call('POST', 'invoice', {
      CustomerRef: { value: amyId },
      DocNumber: 'X'.repeat(22),
      Line: [itemLine(hoursId, 1, 5)],
    });
    expect(faultOf(long)).toMatchObject({ code: '2050', element: 'DocNumber' });
  });

  it('makes sales receipts paid in full into Undeposited Funds', () => {
    const sr = co.call('POST', 'salesreceipt', {
      CustomerRef: { value: billId },
      Line: [itemLine(hoursId, 2, 50)],
    }).body.SalesReceipt;
    expect(sr).toMatchObject({ TotalAmt: 100, Balance: 0 });
    expect(sr.DepositToAccountRef.name).toBe('Undeposited Funds');
  });

  it('replaces all lines when an update sends Line and recomputes totals when it does not', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50), itemLine(hoursId, 2, 50)]);
    const replaced = co.call('POST', 'invoice', {
      Id: inv.Id,
      SyncToken: inv.SyncToken,
      sparse: true,
      Line: [itemLine(hoursId, 1, 10)],
    }).body.Invoice;
    expect(replaced.Line.filter((l: Json) => l.DetailType === 'SalesItemLineDetail')).toHaveLength(1);
    expect(replaced.TotalAmt).toBe(10);
    const memo = co.call('POST', 'invoice', {
      Id: inv.Id,
      SyncToken: replaced.SyncToken,
      sparse: true,
      PrivateNote: 'memo',
    }).body.Invoice;
    expect(memo).toMatchObject({
      TotalAmt: 10,
      PrivateNote: 'memo',
      DocNumber: inv.DocNumber,
      SyncToken: '2',
    });
    expect(memo.Line).toEqual(replaced.Line);
  });

  it('deletes transactions; reading one afterwards is 610', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    const del = co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'delete' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({
      Invoice: { Id: inv.Id, status: 'Deleted', domain: 'QBO' },
      time: expect.any(String),
    });
    expect(faultOf(co.call('GET', `invoice/${inv.Id}`))).toMatchObject({ code: '610' });
    expect(
      faultOf(co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'delete' })),
    ).toMatchObject({
      code: '610',
    });
    expect(co.query(`select * from Invoice where Id = '${inv.Id}'`).body.QueryResponse).toEqual({});
    const listed = (co.accounting.adminEntities(co.realmId, 'Invoice') as Json[]).find(
      (o) => o.Id === inv.Id,
    );
    expect(listed.status).toBe('Deleted');
    expect(co.events.at(-1)).toMatchObject({ entity: 'Invoice', id: inv.Id, operation: 'Delete' });
    // The customer's balance no longer counts it, and its DocNumber is free again.
    expect(co.call('GET', `customer/${amyId}`).body.Customer.Balance).toBe(0);
    expect(createInvoice([itemLine(hoursId, 1, 1)], { DocNumber: inv.DocNumber }).DocNumber).toBe(
      inv.DocNumber,
    );
  });

  it('voids invoices and sales receipts: zero totals, lines kept, "Voided" in PrivateNote', () => {
    const inv = createInvoice([itemLine(hoursId, 2, 50)], { TxnTaxDetail: { TotalTax: 3 } });
    const res = co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'void' });
    expect(res.status).toBe(200);
    const v = res.body.Invoice;
    expect(v).toMatchObject({ TotalAmt: 0, Balance: 0, SyncToken: '1', DocNumber: inv.DocNumber });
    expect(v.PrivateNote).toContain('Voided');
    expect(v.Line[0]).toMatchObject({ Amount: 0, SalesItemLineDetail: { Qty: 0 } });
    expect(v.TxnTaxDetail.TotalTax).toBe(0);
    expect(co.events.at(-1)).toMatchObject({ entity: 'Invoice', operation: 'Void' });

    const sr = co.call('POST', 'salesreceipt', { Line: [itemLine(hoursId, 1, 50)] }).body.SalesReceipt;
    const vs = co.call(
      'POST',
      'salesreceipt',
      { Id: sr.Id, SyncToken: sr.SyncToken, sparse: true },
      { operation: 'update', include: 'void' },
    );
    expect(vs.body.SalesReceipt).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' });
  });

  it('records e-mail sends', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    const sent = co.call('POST', `invoice/${inv.Id}/send`, undefined, { sendTo: 'ap@amy.test' }).body.Invoice;
    expect(sent).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'ap@amy.test' },
      SyncToken: '1',
    });
    expect(co.events.at(-1)).toMatchObject({ entity: 'Invoice', id: inv.Id, operation: 'Emailed' });
  });
});

describe('payments', () => {
  function pay(invoice: Json, amount: number, total = amount): Json {
    return co.call('POST', 'payment', {
      CustomerRef: { value: amyId },
      TotalAmt: total,
      Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
  }

  it('reduce the invoice balance, link on the invoice and move the customer balance', () => {
    const inv = createInvoice([itemLine(hoursId, 2, 50)]);
    const res = pay(inv, 30, 40);
    expect(res.status).toBe(200);
    const p = res.body.Payment;
    expect(p).toMatchObject({ TotalAmt: 40, UnappliedAmt: 10 });
    expect(p.DepositToAccountRef.name).toBe('Undeposited Funds');
    const after = co.call('GET', `invoice/${inv.Id}`).body.Invoice;
    expect(after.Balance).toBe(70);
    expect(after.LinkedTxn).toEqual([{ TxnId: p.Id, TxnType: 'Payment' }]);
    expect(after.SyncToken).toBe('1');
    // 70 open on the invoice, 10 of unapplied credit.
    expect(co.call('GET', `customer/${amyId}`).body.Customer.Balance).toBe(60);
    expect(
      co
        .query('select * from Invoice where Balance > 0')
        .body.QueryResponse.Invoice.map((i: Json) => i.Balance),
    ).toEqual([70]);
  });

  it('cannot apply more than the open balance', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    expect(pay(inv, 30).status).toBe(200);
    const res = pay(inv, 30);
    expect(faultOf(res)).toMatchObject({
      code: '6000',
      Message: 'A business validation error has occurred while processing your request',
    });
  });

  it('block deleting or voiding the invoice until the payment is gone', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    const p = pay(inv, 50).body.Payment;
    const current = co.call('GET', `invoice/${inv.Id}`).body.Invoice;
    const expected = {
      Message: 'A business validation error has occurred while processing your request',
      Detail:
        'Business Validation Error: This transaction has a payment applied to it. Unlink or delete the payment first.',
      code: '6000',
      element: '',
    };
    const del = co.call(
      'POST',
      'invoice',
      { Id: inv.Id, SyncToken: current.SyncToken },
      { operation: 'delete' },
    );
    expect(del.status).toBe(400);
    expect(faultOf(del)).toEqual(expected);
    expect(
      faultOf(
        co.call('POST', 'invoice', { Id: inv.Id, SyncToken: current.SyncToken }, { operation: 'void' }),
      ),
    ).toEqual(expected);

    expect(
      co.call('POST', 'payment', { Id: p.Id, SyncToken: p.SyncToken }, { operation: 'delete' }).status,
    ).toBe(200);
    const reopened = co.call('GET', `invoice/${inv.Id}`).body.Invoice;
    expect(reopened.Balance).toBe(50);
    expect(reopened.LinkedTxn).toBeUndefined();
    expect(
      co.call('POST', 'invoice', { Id: inv.Id, SyncToken: reopened.SyncToken }, { operation: 'delete' })
        .status,
    ).toBe(200);
  });

  it('voiding a payment reopens the invoice', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    const p = pay(inv, 50).body.Payment;
    expect(co.call('GET', `invoice/${inv.Id}`).body.Invoice.Balance).toBe(0);
    const v = co.call(
      'POST',
      'payment',
      { Id: p.Id, SyncToken: p.SyncToken, sparse: true },
      { operation: 'update', include: 'void' },
    );
    expect(v.body.Payment).toMatchObject({ TotalAmt: 0, UnappliedAmt: 0, PrivateNote: 'Voided' });
    expect(co.call('GET', `invoice/${inv.Id}`).body.Invoice.Balance).toBe(50);
  });

  it('only apply to the same customer’s invoices', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    const res = co.call('POST', 'payment', {
      CustomerRef: { value: billId },
      TotalAmt: 50,
      Line: [{ Amount: 50, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
    });
    expect(faultOf(res).code).toBe('6000');
  });
});

describe('requestid', () => {
  it('replays the first answer without running again', () => {
    const body = { DisplayName: 'Once Only LLC' };
    const first = co.call('POST', 'customer', body, { requestid: 'req-1' });
    co.clock.advance(5);
    const second = co.call('POST', 'customer', body, { requestid: 'req-1' });
    expect(second).toEqual(first);
    expect(
      co.query("select count(*) from Customer where DisplayName = 'Once Only LLC'").body.QueryResponse
        .totalCount,
    ).toBe(1);
    expect(co.events.filter((e) => e.operation === 'Create')).toHaveLength(1);
    // Another id runs again (and meets the duplicate name).
    expect(faultOf(co.call('POST', 'customer', body, { requestid: 'req-2' })).code).toBe('6240');
  });

  it('refuses ids longer than 50 characters (36 for batch)', () => {
    const res = co.call('POST', 'customer', { DisplayName: 'Long Id' }, { requestid: 'x'.repeat(51) });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatchObject({ code: '6000' });
    expect(faultOf(res).Detail).toContain('You cannot enter more than 50 characters in the request_id field');
    const batch = co.call(
      'POST',
      'batch',
      { BatchItemRequest: [{ bId: '1', Query: 'select * from Term' }] },
      { requestid: 'y'.repeat(37) },
    );
    expect(faultOf(batch).Detail).toContain('more than 36 characters');
    expect(
      co.call(
        'POST',
        'batch',
        { BatchItemRequest: [{ bId: '1', Query: 'select * from Term' }] },
        { requestid: 'y'.repeat(36) },
      ).status,
    ).toBe(200);
  });

  it('works on a batch in turns, other requests in between, and a repeat of its requestid waits for its answer', async () => {
    // Turns the test releases one at a time: the batch stops between its operations until told to go on.
    const turns: Array<() => void> = [];
    const turn = () => new Promise<void>((resolve) => turns.push(resolve));
    const release = async () => {
      // The batch asks for its next turn a few promise resolutions after the last one was released.
      for (let i = 0; i < 50 && turns.length === 0; i++) await Promise.resolve();
      turns.shift()!();
    };
    const batch = {
      BatchItemRequest: ['Turn A', 'Turn B', 'Turn C'].map((name, i) => ({
        bId: String(i + 1),
        operation: 'create',
        Customer: { DisplayName: name },
      })),
    };
    const request = (requestid: string) => ({
      method: 'POST' as const,
      realmId: co.realmId,
      path: 'batch',
      query: { minorversion: '75', requestid },
      body: batch,
    });
    const count = () =>
      co.query("select count(*) from Customer where DisplayName like 'Turn %'").body.QueryResponse.totalCount;

    const first = co.accounting.handleInTurns(request('turns-1'), turn);
    await Promise.resolve();
    expect(turns).toHaveLength(1);
    expect(count()).toBe(1); // the first operation ran; another request can run before the second
    const repeat = co.accounting.handleInTurns(request('turns-1'), turn);
    await release();
    await release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(turns).toHaveLength(0); // the repeat ran nothing of its own
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(count()).toBe(3);
    expect(await repeat).toBe(answer);

    // Answered: a later repeat is a replay of the stored answer, another requestid runs again.
    expect(await co.accounting.handleInTurns(request('turns-1'), turn)).toBe(answer);
    const again = co.accounting.handleInTurns(request('turns-2'), turn);
    await release();
    await release();
    const refused = (await again).body as Json;
    expect(refused.BatchItemResponse.map((r: Json) => r.Fault?.Error[0].code)).toEqual([
      '6240',
      '6240',
      '6240',
    ]);
  });
});

describe('merge, snapshot, describe', () => {
  it('merges customers as a person would: invoices move, one Merge event with deletedId', () => {
    const dup = co.call('POST', 'customer', { DisplayName: 'Amy Duplicate' }).body.Customer;
    const inv = co.call('POST', 'invoice', {
      CustomerRef: { value: dup.Id },
      Line: [itemLine(hoursId, 1, 50)],
    }).body.Invoice;
    const res = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'merge',
      data: { Id: amyId, MergedId: dup.Id },
    });
    expect(res.status).toBe(200);
    expect(co.events.at(-1)).toMatchObject({
      entity: 'Customer',
      id: amyId,
      operation: 'Merge',
      deletedId: dup.Id,
    });
    expect(co.call('GET', `invoice/${inv.Id}`).body.Invoice.CustomerRef.value).toBe(amyId);
    expect(co.call('GET', `customer/${amyId}`).body.Customer.Balance).toBe(50);
    expect(co.call('GET', `customer/${dup.Id}`).status).toBe(400);
  });

  it('applies admin edits with the normal rules and events', () => {
    const res = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'update',
      data: { Id: billId, Notes: 'called' },
    });
    expect(res.status).toBe(200);
    expect((res.body as Json).Customer).toMatchObject({
      Notes: 'called',
      DisplayName: "Bill's Windsurf Shop",
    });
    expect(co.events.at(-1)).toMatchObject({ entity: 'Customer', id: billId, operation: 'Update' });
    const del = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'delete',
      data: { Id: billId },
    });
    expect((del.body as Json).Customer.Active).toBe(false);
    const bad = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: 'Cool Cars' },
    });
    expect(bad.status).toBe(400);
  });

  it('restores a snapshot exactly, indexes included', () => {
    const inv = createInvoice([itemLine(hoursId, 1, 50)]);
    co.call('POST', 'payment', {
      CustomerRef: { value: amyId },
      TotalAmt: 20,
      Line: [{ Amount: 20, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
    });
    const live = co.accounting.snapshot();
    const snap = JSON.parse(JSON.stringify(live));
    // Later changes do not leak into a snapshot already taken.
    const inv2 = co.call('GET', `invoice/${inv.Id}`).body.Invoice;
    co.call('POST', 'invoice', {
      Id: inv.Id,
      SyncToken: inv2.SyncToken,
      sparse: true,
      PrivateNote: 'after snapshot',
    });
    co.call('POST', 'customer', { DisplayName: 'Not In Snapshot' });
    expect(JSON.parse(JSON.stringify(live))).toEqual(snap);
    co.accounting.reset();
    expect(co.accounting.hasRealm(co.realmId)).toBe(false);
    co.accounting.restore(snap);
    expect(co.call('GET', `invoice/${inv.Id}`).body.Invoice.Balance).toBe(30);
    expect(faultOf(co.call('POST', 'customer', { DisplayName: "Amy's Bird Sanctuary" })).code).toBe('6240');
    const current = co.call('GET', `invoice/${inv.Id}`).body.Invoice;
    expect(
      faultOf(
        co.call('POST', 'invoice', { Id: inv.Id, SyncToken: current.SyncToken }, { operation: 'delete' }),
      ).code,
    ).toBe('6000');
    const next = co.call('POST', 'customer', { DisplayName: 'After Restore' }).body.Customer;
    expect(Number(next.Id)).toBeGreaterThan(4);
  });

  it('classifies requests without running them', () => {
    const d = (
      method: 'GET' | 'POST',
      path: string,
      query: Record<string, string> = {},
      body?: unknown,
    ): Json => co.accounting.describe({ method, realmId: co.realmId, path, query, body });
    expect(d('GET', 'customer/1')).toEqual({ entity: 'Customer', operation: 'read', readOnly: true });
    expect(d('POST', 'salesreceipt', {}, { Line: [] })).toEqual({
      entity: 'SalesReceipt',
      operation: 'create',
      readOnly: false,
    });
    expect(d('POST', 'invoice', {}, { Id: '3', SyncToken: '0' })).toMatchObject({ operation: 'update' });
    expect(d('POST', 'invoice', { operation: 'delete' })).toMatchObject({ operation: 'delete' });
    expect(d('POST', 'invoice', { operation: 'void' })).toMatchObject({ operation: 'void' });
    expect(d('POST', 'payment', { operation: 'update', include: 'void' })).toMatchObject({
      entity: 'Payment',
      operation: 'void',
    });
    expect(d('POST', 'invoice/5/send')).toMatchObject({ operation: 'send', readOnly: false });
    expect(d('GET', 'query', { query: 'select * from Item' })).toEqual({
      entity: 'Item',
      operation: 'query',
      readOnly: true,
    });
    expect(d('POST', 'query', {}, 'SELECT * FROM Invoice')).toMatchObject({
      entity: 'Invoice',
      readOnly: true,
    });
    expect(d('POST', 'batch', {}, { BatchItemRequest: [{ bId: '1', Query: 'select * from Item' }] })).toEqual(
      {
        operation: 'batch',
        readOnly: true,
      },
    );
    expect(d('GET', 'cdc', { entities: 'Customer', changedSince: '2026-01-01' })).toEqual({
      operation: 'cdc',
      readOnly: true,
    });
    expect(d('GET', `companyinfo/${co.realmId}`)).toMatchObject({ operation: 'companyinfo', readOnly: true });
    expect(d('GET', 'preferences')).toMatchObject({ operation: 'preferences', readOnly: true });
    expect(co.events).toHaveLength(0);
  });
});
