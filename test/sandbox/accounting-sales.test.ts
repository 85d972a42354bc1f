/**
 * The accounting half called directly (no HTTP): sales forms (invoices, receipts, credit memos, estimates: lines,
 * totals, tax, discounts, void and delete) and payments applied to invoices. Entities, requestid and merges are in
 * accounting-entities.test.ts.
 */
import {
  createInvoiceFor,
  directCompany,
  seedIds,
  type SeedIds,
  faultOf,
  itemLine,
  type DirectCompany,
  type Json,
} from './helpers/accounting-helpers';

let co: DirectCompany;
let ids: SeedIds;

beforeEach(() => {
  co = directCompany();
  ids = seedIds(co);
});

const createInvoice = (lines: Json[], extra: Json = {}, query: Record<string, string> = {}): Json =>
  createInvoiceFor(co, ids.amy, lines, extra, query);

describe('sales forms', () => {
  it('requires a customer on invoices (2020) and checks line items (2500, 610)', () => {
    const noCustomer = co.call('POST', 'invoice', { Line: [itemLine(ids.hours, 1, 50)] });
    expect(noCustomer.status).toBe(400);
    expect(faultOf(noCustomer)).toMatchObject({
      code: '2020',
      Message: 'Required param missing, need to supply the required value for the API',
      Detail: 'Required parameter CustomerRef is missing in the request',
    });
    const badItem = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      Line: [itemLine('98765', 1, 5)],
    });
    expect(faultOf(badItem)).toEqual({
      Message: 'Invalid Reference Id',
      Detail: 'Invalid Reference Id : Line.SalesItemLineDetail.ItemRef',
      code: '2500',
      element: 'Line.SalesItemLineDetail.ItemRef',
    });
    const item = co.call('GET', `item/${ids.hours}`).body.Item;
    co.call('POST', 'item', { Id: ids.hours, SyncToken: item.SyncToken, sparse: true, Active: false });
    expect(
      faultOf(
        co.call('POST', 'invoice', { CustomerRef: { value: ids.amy }, Line: [itemLine(ids.hours, 1, 50)] }),
      ).code,
    ).toBe('610');
  });

  it('checks Amount = Qty × UnitPrice (6070) and US line tax codes (6100)', () => {
    const res = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      Line: [
        {
          Amount: 1000,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: ids.hours }, Qty: 7, UnitPrice: 225 },
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
      CustomerRef: { value: ids.amy },
      Line: [itemLine(ids.hours, 1, 50, { TaxCodeRef: { value: '1' } })],
    });
    expect(faultOf(tax)).toMatchObject({ code: '6100' });
  });

  it('computes with exact decimals', () => {
    const inv = createInvoice([itemLine(ids.hours, 3, 19.99), itemLine(ids.hours, 3, 0.1)]);
    expect(inv.Line[0].Amount).toBe(59.97);
    expect(inv.TotalAmt).toBe(60.27);
    expect(inv.Balance).toBe(60.27);
  });

  it('totals discount, shipping and tax like QuickBooks and adds a subtotal line', () => {
    const caCode = co.query("select * from TaxCode where Name = 'California'").body.QueryResponse.TaxCode[0]
      .Id;
    const inv = createInvoice(
      [
        itemLine(ids.hours, 2, 50, { TaxCodeRef: { value: 'TAX' } }),
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
    expect(inv.Line[0].SalesItemLineDetail.ItemRef).toEqual({ value: ids.hours, name: 'Hours' });
    expect(inv.CustomerRef).toEqual({ value: ids.amy, name: "Amy's Bird Sanctuary" });

    const after = createInvoice(
      [
        itemLine(ids.hours, 2, 50, { TaxCodeRef: { value: 'TAX' } }),
        { Amount: 20, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false } },
      ],
      { TxnTaxDetail: { TxnTaxCodeRef: { value: caCode } }, ApplyTaxAfterDiscount: true },
    );
    // tax on 100 - 20 = 80 → 6.40; total 100 - 20 + 6.40
    expect(after.TxnTaxDetail.TotalTax).toBe(6.4);
    expect(after.TotalAmt).toBe(86.4);

    const stated = createInvoice([itemLine(ids.hours, 1, 50)], { TxnTaxDetail: { TotalTax: 4.13 } });
    expect(stated.TotalAmt).toBe(54.13);
    const override = createInvoice([itemLine(ids.hours, 1, 50, { TaxCodeRef: { value: 'TAX' } })], {
      TxnTaxDetail: { TxnTaxCodeRef: { value: caCode }, TotalTax: 3.5 },
    });
    expect(override.TotalAmt).toBe(53.5);

    // A full update that echoes the earlier answer with new lines gets its tax recomputed.
    const echoed = co.call('POST', 'invoice', {
      ...after,
      Line: [itemLine(ids.hours, 4, 50, { TaxCodeRef: { value: 'TAX' } })],
    }).body.Invoice;
    expect(echoed.TxnTaxDetail.TotalTax).toBe(16);
    expect(echoed.TotalAmt).toBe(216);
  });

  it('defaults terms, due date and addresses from the customer', () => {
    const inv = createInvoice([itemLine(ids.hours, 1, 50)], { TxnDate: '2026-01-10' });
    expect(inv.SalesTermRef).toEqual({ value: co.find('Term', 'Name', 'Net 30').Id, name: 'Net 30' });
    expect(inv.DueDate).toBe('2026-02-09');
    expect(inv.BillAddr.City).toBe('Bayshore');
    expect(inv.BillEmail).toEqual({ Address: 'Birds@Intuit.com' });
  });

  it('numbers documents automatically and refuses duplicates unless allowed', () => {
    const a = createInvoice([itemLine(ids.hours, 1, 50)]);
    const b = createInvoice([itemLine(ids.hours, 1, 50)]);
    expect(Number(b.DocNumber)).toBe(Number(a.DocNumber) + 1);
    const dup = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      DocNumber: a.DocNumber,
      Line: [itemLine(ids.hours, 1, 5)],
    });
    expect(dup.status).toBe(400);
    expect(faultOf(dup)).toEqual({
      Message: 'Duplicate Document Number Error',
      Detail: `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${a.DocNumber} is assigned to TxnType=Invoice with TxnId=${a.Id}`,
      code: '6140',
      element: '',
    });
    const allowed = createInvoice(
      [itemLine(ids.hours, 1, 5)],
      { DocNumber: a.DocNumber },
      { include: 'allowduplicatedocnum' },
    );
    expect(allowed.DocNumber).toBe(a.DocNumber);
    // The same number on another transaction type is fine.
    const sr = co.call('POST', 'salesreceipt', { DocNumber: a.DocNumber, Line: [itemLine(ids.hours, 1, 5)] });
    expect(sr.status).toBe(200);
    const long = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      DocNumber: 'X'.repeat(22),
      Line: [itemLine(ids.hours, 1, 5)],
    });
    expect(faultOf(long)).toMatchObject({ code: '2050', element: 'DocNumber' });
  });

  it('makes sales receipts paid in full into Undeposited Funds', () => {
    const sr = co.call('POST', 'salesreceipt', {
      CustomerRef: { value: ids.bill },
      Line: [itemLine(ids.hours, 2, 50)],
    }).body.SalesReceipt;
    expect(sr).toMatchObject({ TotalAmt: 100, Balance: 0 });
    expect(sr.DepositToAccountRef.name).toBe('Undeposited Funds');
  });

  it('replaces all lines when an update sends Line and recomputes totals when it does not', () => {
    const inv = createInvoice([itemLine(ids.hours, 1, 50), itemLine(ids.hours, 2, 50)]);
    const replaced = co.call('POST', 'invoice', {
      Id: inv.Id,
      SyncToken: inv.SyncToken,
      sparse: true,
      Line: [itemLine(ids.hours, 1, 10)],
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
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
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
    expect(co.call('GET', `customer/${ids.amy}`).body.Customer.Balance).toBe(0);
    expect(createInvoice([itemLine(ids.hours, 1, 1)], { DocNumber: inv.DocNumber }).DocNumber).toBe(
      inv.DocNumber,
    );
  });

  it('voids invoices and sales receipts: zero totals, lines kept, "Voided" in PrivateNote', () => {
    const inv = createInvoice([itemLine(ids.hours, 2, 50)], { TxnTaxDetail: { TotalTax: 3 } });
    const res = co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'void' });
    expect(res.status).toBe(200);
    const v = res.body.Invoice;
    expect(v).toMatchObject({ TotalAmt: 0, Balance: 0, SyncToken: '1', DocNumber: inv.DocNumber });
    expect(v.PrivateNote).toContain('Voided');
    expect(v.Line[0]).toMatchObject({ Amount: 0, SalesItemLineDetail: { Qty: 0 } });
    expect(v.TxnTaxDetail.TotalTax).toBe(0);
    expect(co.events.at(-1)).toMatchObject({ entity: 'Invoice', operation: 'Void' });

    const sr = co.call('POST', 'salesreceipt', { Line: [itemLine(ids.hours, 1, 50)] }).body.SalesReceipt;
    const vs = co.call(
      'POST',
      'salesreceipt',
      { Id: sr.Id, SyncToken: sr.SyncToken, sparse: true },
      { operation: 'update', include: 'void' },
    );
    expect(vs.body.SalesReceipt).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' });
  });

  it('records e-mail sends', () => {
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
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
      CustomerRef: { value: ids.amy },
      TotalAmt: total,
      Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
  }

  it('reduce the invoice balance, link on the invoice and move the customer balance', () => {
    const inv = createInvoice([itemLine(ids.hours, 2, 50)]);
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
    expect(co.call('GET', `customer/${ids.amy}`).body.Customer.Balance).toBe(60);
    expect(
      co
        .query('select * from Invoice where Balance > 0')
        .body.QueryResponse.Invoice.map((i: Json) => i.Balance),
    ).toEqual([70]);
  });

  it('cannot apply more than the open balance', () => {
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
    expect(pay(inv, 30).status).toBe(200);
    const res = pay(inv, 30);
    expect(faultOf(res)).toMatchObject({
      code: '6000',
      Message: 'A business validation error has occurred while processing your request',
    });
  });

  it('block deleting or voiding the invoice until the payment is gone', () => {
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
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
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
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
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
    const res = co.call('POST', 'payment', {
      CustomerRef: { value: ids.bill },
      TotalAmt: 50,
      Line: [{ Amount: 50, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
    });
    expect(faultOf(res).code).toBe('6000');
  });
});
