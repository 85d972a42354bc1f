/**
 * What third-party clients send by default and real QuickBooks accepts (issue 13's findings), sent with node-quickbooks:
 * zero Qty/UnitPrice meaning "not given", empty strings for unset optional fields, numbers as strings, the
 * Preferences blocks clients read and update, and `include=invoiceLink`.
 */
import { itemLine, startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;
let amy: string;
let hours: string;

beforeAll(async () => {
  c = await startConformance();
  amy = (await c.seeded('Customer', 'DisplayName', "Amy's Bird Sanctuary")).Id;
  hours = (await c.seeded('Item', 'Name', 'Hours')).Id;
});

afterAll(async () => {
  await c.close();
});

describe('lenient where QuickBooks is lenient', () => {
  it('keeps the Amount when Qty and UnitPrice are 0 (a client default for "not given")', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      Line: [
        {
          Amount: 100,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: hours }, Qty: 0, UnitPrice: 0 },
        },
      ],
    });
    expect(invoice.Line[0].Amount).toBe(100);
    expect(invoice.TotalAmt).toBe(100);
    // Still strict when both are given and disagree with the Amount.
    const wrong = await c.fault('createInvoice', {
      CustomerRef: { value: amy },
      Line: [itemLine(hours, 2, 50, { Qty: 3 })],
    });
    expect(wrong.code).toBe('6070');
  });

  it('treats empty strings of optional fields as absent', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      ApplyTaxAfterDiscount: '',
      DocNumber: '',
      TxnDate: '',
      DueDate: '',
      PrivateNote: '',
      SalesTermRef: { value: '' },
      ClassRef: { value: '' },
      Line: [
        {
          ...itemLine(hours, 1, 50),
          Description: '',
          SalesItemLineDetail: {
            ItemRef: { value: hours },
            Qty: 1,
            UnitPrice: 50,
            TaxCodeRef: { value: '' },
          },
        },
      ],
    });
    expect(invoice.ApplyTaxAfterDiscount).toBe(false);
    expect(invoice.DocNumber).toMatch(/^\d+$/);
    expect(invoice.TotalAmt).toBe(50);
    const customer = await c.qb('createCustomer', {
      DisplayName: 'Empty Fields Co',
      Taxable: '',
      Active: '',
      CompanyName: '',
      PrimaryEmailAddr: { Address: '' },
    });
    expect(customer.Active).toBe(true);
    expect(customer.Taxable).toBe(true);
  });

  it('accepts numbers as strings', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: Number(amy) },
      Line: [
        {
          Amount: '100.00',
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: hours }, Qty: '2', UnitPrice: '50' },
        },
      ],
    });
    expect(invoice.TotalAmt).toBe(100);
    expect(invoice.Line[0].SalesItemLineDetail).toMatchObject({ Qty: 2, UnitPrice: 50 });
    const payment = await c.qb('createPayment', {
      CustomerRef: { value: amy },
      TotalAmt: '40.5',
      Line: [{ Amount: '40.5', LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    expect(payment.TotalAmt).toBe(40.5);
    const after = await c.qb('getInvoice', invoice.Id);
    expect(after.Balance).toBe(59.5);
  });

  it('still refuses what QuickBooks refuses: unknown properties, bad numbers, bad references', async () => {
    expect((await c.fault('createCustomer', { DisplayName: 'Typo Co', Nickname: 'x' })).code).toBe('2010');
    expect(
      (
        await c.fault('createInvoice', {
          CustomerRef: { value: amy },
          Line: [{ ...itemLine(hours, 1, 50), Amount: 'fifty' }],
        })
      ).code,
    ).toBe('2010');
    expect(
      (await c.fault('createInvoice', { CustomerRef: { value: '99999' }, Line: [itemLine(hours, 1, 50)] }))
        .code,
    ).toBe('2500');
  });
});

describe('Preferences', () => {
  it('has the blocks clients read, and updates sparsely through updatePreferences', async () => {
    const prefs = await c.qb('getPreferences');
    expect(prefs.TimeTrackingPrefs).toMatchObject({
      UseServices: expect.any(Boolean),
      WorkWeekStartDate: 'Monday',
    });
    expect(prefs.EmailMessagesPrefs.InvoiceMessage).toMatchObject({ Subject: expect.any(String) });
    const updated = await c.qb('updatePreferences', {
      Id: prefs.Id,
      SyncToken: prefs.SyncToken,
      EmailMessagesPrefs: { InvoiceMessage: { Subject: 'Your invoice', Message: 'Thanks' } },
    });
    expect(updated.SyncToken).toBe(String(Number(prefs.SyncToken) + 1));
    expect(updated.EmailMessagesPrefs.InvoiceMessage).toEqual({ Subject: 'Your invoice', Message: 'Thanks' });
    // Other blocks are kept by a sparse update.
    expect(updated.SalesFormsPrefs).toEqual(prefs.SalesFormsPrefs);
    // A full update with the object read back.
    const full = await c.qb('updatePreferences', { ...updated, sparse: false });
    expect(full.TimeTrackingPrefs).toEqual(prefs.TimeTrackingPrefs);
  });
});

describe('include=invoiceLink', () => {
  it('answers an InvoiceLink on read when asked for it', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      BillEmail: { Address: 'birds@intuit.test' },
      Line: [itemLine(hours, 1, 50)],
    });
    const plain = await c.qb('getInvoice', invoice.Id);
    expect(plain.InvoiceLink).toBeUndefined();
    const res = await fetch(
      `${c.sandbox.url}/v3/company/${c.realmId}/invoice/${invoice.Id}?include=invoiceLink&minorversion=75`,
      {
        headers: { authorization: `Bearer ${c.qbo.token}`, accept: 'application/json' },
      },
    );
    const body = (await res.json()) as Json;
    expect(body.Invoice.InvoiceLink).toMatch(/^https:\/\/.+/);
    expect(body.Invoice.InvoiceLink).toContain(invoice.Id);
  });
});
