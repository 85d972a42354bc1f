/**
 * Linked transactions and the services around the newer entities, through node-quickbooks where it has methods and
 * plain HTTP where it has none (CreditCardPayment, RecurringTransaction, download): bill payments and bill balances,
 * deposits of payments, estimates closed by invoices, TaxService, attachments (upload, link, download), recurring
 * templates, find/CDC/webhooks for the new entities.
 */
import { Readable } from 'node:stream';
import { startReceiver, waitFor, type Receiver } from '../sandbox/platform-helpers';
import { itemLine, startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;
let receiver: Receiver;
const ids: Record<string, string> = {};

beforeAll(async () => {
  c = await startConformance();
  receiver = await startReceiver();
  c.sandbox.updateApp(c.sandbox.demoApp.clientId, { webhookUrl: receiver.url });
  ids.amy = (await c.seeded('Customer', 'DisplayName', "Amy's Bird Sanctuary")).Id;
  ids.hours = (await c.seeded('Item', 'Name', 'Hours')).Id;
  ids.checking = (await c.seeded('Account', 'Name', 'Checking')).Id;
  ids.mastercard = (await c.seeded('Account', 'Name', 'Mastercard')).Id;
  ids.office = (await c.seeded('Account', 'Name', 'Office Expenses')).Id;
  ids.vendor = (await c.seeded('Vendor', 'DisplayName', 'Books by Bessie')).Id;
});

afterAll(async () => {
  await c.close();
  await receiver.close();
});

/** A request node-quickbooks has no method for, sent as any client would. */
async function http(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${c.sandbox.url}/v3/company/${c.realmId}/${path}${sep}minorversion=75`, {
    method,
    headers: {
      authorization: `Bearer ${c.qbo.token}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const expense = (amount: number): Json => ({
  Amount: amount,
  DetailType: 'AccountBasedExpenseLineDetail',
  AccountBasedExpenseLineDetail: { AccountRef: { value: ids.office } },
});

describe('bills and bill payments', () => {
  it('lowers bill and vendor balances, links the payment, refuses deleting a paid bill, and voids', async () => {
    const vendorBefore = await c.qb('getVendor', ids.vendor);
    const bill = await c.qb('createBill', {
      VendorRef: { value: ids.vendor },
      Line: [expense(200), expense(50)],
    });
    expect(bill).toMatchObject({ TotalAmt: 250, Balance: 250 });
    expect(bill.APAccountRef.name).toBe('Accounts Payable (A/P)');
    expect((await c.qb('getVendor', ids.vendor)).Balance).toBe((vendorBefore.Balance ?? 0) + 250);

    const payment = await c.qb('createBillPayment', {
      VendorRef: { value: ids.vendor },
      PayType: 'Check',
      CheckPayment: { BankAccountRef: { value: ids.checking } },
      TotalAmt: 100,
      Line: [{ Amount: 100, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
    });
    const paid = await c.qb('getBill', bill.Id);
    expect(paid.Balance).toBe(150);
    expect(paid.LinkedTxn).toEqual([{ TxnId: payment.Id, TxnType: 'BillPaymentCheck' }]);
    expect((await c.qb('getVendor', ids.vendor)).Balance).toBe((vendorBefore.Balance ?? 0) + 150);
    expect((await c.fault('deleteBill', bill.Id)).code).toBe('6000');
    const tooMuch = await c.fault('createBillPayment', {
      VendorRef: { value: ids.vendor },
      PayType: 'CreditCard',
      CreditCardPayment: { CCAccountRef: { value: ids.mastercard } },
      TotalAmt: 500,
      Line: [{ Amount: 500, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
    });
    expect(tooMuch.code).toBe('6000');

    await c.qb('updateBillPayment', { Id: payment.Id, SyncToken: payment.SyncToken, void: true });
    expect((await c.qb('getBill', bill.Id)).Balance).toBe(250);
  });
});

describe('credit memos in payments', () => {
  it('pays an invoice with money and a credit memo, lowering the memo and the customer balance', async () => {
    const customer = await c.qb('createCustomer', { DisplayName: 'Credit User' });
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: customer.Id },
      Line: [itemLine(ids.hours, 2, 50)],
    });
    const memo = await c.qb('createCreditMemo', {
      CustomerRef: { value: customer.Id },
      Line: [itemLine(ids.hours, 1, 30)],
    });
    expect((await c.qb('getCustomer', customer.Id)).Balance).toBe(70);
    const payment = await c.qb('createPayment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 70,
      Line: [
        { Amount: 100, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] },
        { Amount: 30, LinkedTxn: [{ TxnId: memo.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(payment.UnappliedAmt).toBe(0);
    expect((await c.qb('getInvoice', invoice.Id)).Balance).toBe(0);
    expect((await c.qb('getCreditMemo', memo.Id)).RemainingCredit).toBe(0);
    expect((await c.qb('getCustomer', customer.Id)).Balance).toBe(0);
    expect((await c.fault('deleteCreditMemo', memo.Id)).code).toBe('6000');
    await c.qb('deletePayment', payment.Id);
    expect((await c.qb('getCreditMemo', memo.Id)).RemainingCredit).toBe(30);
    expect((await c.qb('getCustomer', customer.Id)).Balance).toBe(70);
  });
});

describe('deposits', () => {
  it('deposits a payment from Undeposited Funds once', async () => {
    const payment = await c.qb('createPayment', { CustomerRef: { value: ids.amy }, TotalAmt: 60 });
    const deposit = await c.qb('createDeposit', {
      DepositToAccountRef: { value: ids.checking },
      Line: [{ Amount: 60, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment', TxnLineId: '0' }] }],
    });
    expect(deposit.TotalAmt).toBe(60);
    const again = await c.fault('createDeposit', {
      DepositToAccountRef: { value: ids.checking },
      Line: [{ Amount: 60, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment', TxnLineId: '0' }] }],
    });
    expect(again.code).toBe('6000');
    // The deposited payment cannot be deleted or change amount; a note is fine.
    expect((await c.fault('deletePayment', payment.Id)).code).toBe('6540');
    const current = await c.qb('getPayment', payment.Id);
    expect(
      (await c.fault('updatePayment', { Id: payment.Id, SyncToken: current.SyncToken, TotalAmt: 61 })).code,
    ).toBe('6540');
    const noted = await c.qb('updatePayment', {
      Id: payment.Id,
      SyncToken: current.SyncToken,
      PrivateNote: 'ok',
    });
    expect(noted.PrivateNote).toBe('ok');
  });
});

describe('estimates', () => {
  it('closes an estimate when an invoice is made from it; sends and prints estimates', async () => {
    const estimate = await c.qb('createEstimate', {
      CustomerRef: { value: ids.amy },
      BillEmail: { Address: 'birds@intuit.test' },
      Line: [itemLine(ids.hours, 3, 50)],
    });
    expect(estimate).toMatchObject({ TxnStatus: 'Pending', TotalAmt: 150 });
    expect(estimate.Balance).toBeUndefined();
    const sent = await c.qb('sendEstimatePdf', estimate.Id);
    expect(sent.EmailStatus).toBe('EmailSent');
    const pdf = await c.qb<Buffer>('getEstimatePdf', estimate.Id);
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    await c.qb('createInvoice', {
      CustomerRef: { value: ids.amy },
      LinkedTxn: [{ TxnId: estimate.Id, TxnType: 'Estimate' }],
      Line: [itemLine(ids.hours, 3, 50)],
    });
    expect((await c.qb('getEstimate', estimate.Id)).TxnStatus).toBe('Closed');
  });
});

describe('credit card payments and transfers', () => {
  it('creates, reads and queries a CreditCardPayment over HTTP', async () => {
    const created = await http('POST', 'creditcardpayment', {
      CreditCardAccountRef: { value: ids.mastercard },
      BankAccountRef: { value: ids.checking },
      Amount: 80,
    });
    expect(created.status).toBe(200);
    const read = await http('GET', `creditcardpayment/${created.body.CreditCardPayment.Id}`);
    expect(read.body.CreditCardPayment.Amount).toBe(80);
    const bad = await http('POST', 'creditcardpayment', {
      CreditCardAccountRef: { value: ids.checking },
      BankAccountRef: { value: ids.checking },
      Amount: 80,
    });
    expect(bad.body.Fault.Error[0].code).toBe('6000');
    const q = await http('GET', `query?query=${encodeURIComponent('select * from creditcardpayment')}`);
    expect(q.body.QueryResponse.CreditCardPayment).toHaveLength(1);
  });

  it('refuses a transfer to the same account', async () => {
    const fault = await c.fault('createTransfer', {
      FromAccountRef: { value: ids.checking },
      ToAccountRef: { value: ids.checking },
      Amount: 5,
    });
    expect(fault.code).toBe('6000');
  });
});

describe('TaxService', () => {
  it('creates a TaxCode with new and existing TaxRates', async () => {
    const agency = (await c.qb('findTaxAgencies')).QueryResponse.TaxAgency[0];
    const existing = (await c.qb('findTaxRates', { Name: 'California' })).QueryResponse.TaxRate[0];
    const created = await c.qb('createTaxService', {
      TaxCode: 'Springfield',
      TaxRateDetails: [
        {
          TaxRateName: 'Springfield City',
          RateValue: '1.5',
          TaxAgencyId: agency.Id,
          TaxApplicableOn: 'Sales',
        },
        { TaxRateId: existing.Id },
      ],
    });
    const body = created.TaxCodeId ? created : created.TaxService;
    expect(body.TaxCodeId).toBeTruthy();
    expect(body.TaxRateDetails).toHaveLength(2);
    const code = await c.qb('getTaxCode', body.TaxCodeId);
    expect(code.SalesTaxRateList.TaxRateDetail).toHaveLength(2);
    const rate = await c.qb('getTaxRate', body.TaxRateDetails[0].TaxRateId);
    expect(rate.RateValue).toBe(1.5);
    expect(
      (
        await c.fault('createTaxService', {
          TaxCode: 'Springfield',
          TaxRateDetails: [{ TaxRateId: existing.Id }],
        })
      ).code,
    ).toBe('6240');
  });
});

describe('attachments', () => {
  it('uploads a file linked to an invoice and downloads it', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: ids.amy },
      Line: [itemLine(ids.hours, 1, 50)],
    });
    const bytes = Buffer.from('%PDF-1.4 receipt scan\n');
    const attachable = await c.qb(
      'upload',
      'receipt.pdf',
      'application/pdf',
      Readable.from([bytes]),
      'Invoice',
      invoice.Id,
    );
    expect(attachable).toMatchObject({
      FileName: 'receipt.pdf',
      ContentType: 'application/pdf',
      Size: bytes.length,
    });
    expect(attachable.AttachableRef[0].EntityRef).toEqual({ type: 'Invoice', value: invoice.Id });
    const link = await http('GET', `download/${attachable.Id}`);
    expect(link.status).toBe(200);
    const file = await fetch(link.body as string);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
    const read = await c.qb('getAttachable', attachable.Id);
    expect(read.TempDownloadUri).toBe(link.body);
    const found = await c.qb('findAttachables', { FileName: 'receipt.pdf' });
    expect(found.QueryResponse.Attachable).toHaveLength(1);
  });
});

describe('recurring transactions', () => {
  it('creates, reads, queries and deletes a recurring invoice template', async () => {
    const created = await http('POST', 'recurringtransaction', {
      Invoice: {
        CustomerRef: { value: ids.amy },
        Line: [itemLine(ids.hours, 1, 50)],
        RecurringInfo: {
          Name: 'Monthly hours',
          RecurType: 'Automated',
          Active: true,
          ScheduleInfo: { IntervalType: 'Monthly', NumInterval: 1, DayOfMonth: 1, StartDate: '2099-01-01' },
        },
      },
    });
    expect(created.status).toBe(200);
    const template = created.body.RecurringTransaction.Invoice;
    expect(template).toMatchObject({
      TotalAmt: 50,
      RecurringInfo: { Name: 'Monthly hours', RecurType: 'Automated' },
    });
    expect(template.RecurringInfo.ScheduleInfo.NextDate).toBe('2099-01-01');
    const read = await http('GET', `recurringtransaction/${template.Id}`);
    expect(read.body.RecurringTransaction.Invoice.Id).toBe(template.Id);
    const q = await http('GET', `query?query=${encodeURIComponent('select * from RecurringTransaction')}`);
    expect(q.body.QueryResponse.RecurringTransaction[0].Invoice.RecurringInfo.Name).toBe('Monthly hours');
    const dup = await http('POST', 'recurringtransaction', { Invoice: { ...template, Id: undefined } });
    expect(dup.body.Fault.Error[0].code).toBe('6240');
    const deleted = await http('POST', 'recurringtransaction?operation=delete', {
      Invoice: { Id: template.Id, SyncToken: template.SyncToken },
    });
    expect(deleted.body.Invoice.status).toBe('Deleted');
  });
});

describe('find, CDC and webhooks for the new entities', () => {
  it('finds them, reports them in CDC and delivers their webhooks', async () => {
    const since = new Date(c.sandbox.clock.now().getTime() - 1000);
    const bill = await c.qb('createBill', { VendorRef: { value: ids.vendor }, Line: [expense(9)] });
    for (const [method, entity] of [
      ['findBills', 'Bill'],
      ['findBillPayments', 'BillPayment'],
      ['findEstimates', 'Estimate'],
      ['findDeposits', 'Deposit'],
      ['findTransfers', 'Transfer'],
      ['findTaxAgencies', 'TaxAgency'],
    ]) {
      const all = await c.qb(method);
      expect(all.QueryResponse[entity]?.length ?? 0).toBeGreaterThanOrEqual(entity === 'Transfer' ? 0 : 1);
    }
    const cdc = await c.qb('changeDataCapture', ['Bill', 'Estimate', 'Deposit', 'BillPayment'], since);
    const bills = (cdc.CDCResponse[0].QueryResponse as Json[]).find((r) => r.Bill)?.Bill as Json[];
    expect(bills.map((b) => b.Id)).toContain(bill.Id);
    await c.sandbox.flushWebhooks();
    await waitFor(
      () =>
        receiver.received.some((h) =>
          (h.body.eventNotifications as Json[]).some((n) =>
            (n.dataChangeEvent.entities as Json[]).some((e) => e.name === 'Bill' && e.id === bill.Id),
          ),
        ),
      'a Bill webhook',
    );
  });
});
