/**
 * The operations around entities, through node-quickbooks: batch, change data capture, invoice e-mail and PDF,
 * requestid replay, and the faults clients surface (stale object, not found, duplicates, parse errors, throttling,
 * bad tokens).
 */
import { faultEntryOf, itemLine, startConformance, type Conformance, type Json } from './helpers';

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

describe('batch', () => {
  it('runs creates, updates, deletes and queries, with per-item faults', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      Line: [itemLine(hours, 1, 50)],
    });
    const result = await c.qb('batch', [
      { bId: 'b1', operation: 'create', Customer: { DisplayName: 'Batch Customer' } },
      { bId: 'b2', operation: 'create', Customer: { DisplayName: "Amy's Bird Sanctuary" } },
      {
        bId: 'b3',
        operation: 'update',
        Invoice: { Id: invoice.Id, SyncToken: '0', sparse: true, PrivateNote: 'x' },
      },
      { bId: 'b4', Query: "select * from customer where DisplayName = 'Batch Customer'" },
      { bId: 'b5', operation: 'delete', Invoice: { Id: invoice.Id, SyncToken: '1' } },
    ]);
    const byId = Object.fromEntries((result.BatchItemResponse as Json[]).map((r) => [r.bId, r]));
    expect(byId.b1.Customer.DisplayName).toBe('Batch Customer');
    expect(byId.b2.Fault.Error[0].code).toBe('6240');
    expect(byId.b3.Invoice.PrivateNote).toBe('x');
    expect(byId.b4.QueryResponse.Customer).toHaveLength(1);
    expect(byId.b5.Invoice.status).toBe('Deleted');
  });

  it('voids a payment in a batch with optionsData void', async () => {
    const payment = await c.qb('createPayment', { CustomerRef: { value: amy }, TotalAmt: 10 });
    const result = await c.qb('batch', [
      {
        bId: 'v1',
        operation: 'update',
        optionsData: 'void',
        Payment: { Id: payment.Id, SyncToken: payment.SyncToken, sparse: true },
      },
    ]);
    expect(result.BatchItemResponse[0].Payment.TotalAmt).toBe(0);
  });
});

describe('change data capture', () => {
  it('reports created, updated and deleted objects since a time (Date or string), entities as array or string', async () => {
    const since = new Date(c.sandbox.clock.now().getTime() - 1000);
    const customer = await c.qb('createCustomer', { DisplayName: 'CDC Customer' });
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: customer.Id },
      Line: [itemLine(hours, 1, 50)],
    });
    await c.qb('deleteInvoice', invoice.Id);
    const data = await c.qb('changeDataCapture', ['Customer', 'Invoice'], since);
    const responses = data.CDCResponse[0].QueryResponse as Json[];
    const customers = responses.find((r) => r.Customer)?.Customer as Json[];
    expect(customers.map((x) => x.DisplayName)).toContain('CDC Customer');
    const invoices = responses.find((r) => r.Invoice)?.Invoice as Json[];
    expect(invoices.find((x) => x.Id === invoice.Id)).toMatchObject({ status: 'Deleted' });
    const asString = await c.qb('changeDataCapture', 'customer', since.toISOString());
    expect(asString.CDCResponse[0].QueryResponse[0].Customer.length).toBeGreaterThan(0);
  });
});

describe('invoice documents', () => {
  it('sends an invoice (to BillEmail or sendTo) and serves its PDF', async () => {
    const invoice = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      BillEmail: { Address: 'birds@intuit.test' },
      Line: [itemLine(hours, 2, 50)],
    });
    const sent = await c.qb('sendInvoicePdf', invoice.Id);
    expect(sent).toMatchObject({ EmailStatus: 'EmailSent', DeliveryInfo: { DeliveryType: 'Email' } });
    const sentTo = await c.qb('sendInvoicePdf', invoice.Id, 'other@intuit.test');
    expect(sentTo.BillEmail.Address).toBe('other@intuit.test');
    const pdf = await c.qb<Buffer>('getInvoicePdf', invoice.Id);
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
  });
});

describe('requestid', () => {
  it('replays the first answer for a repeated requestid instead of creating twice', async () => {
    const first = await c.qb('createCustomer', {
      DisplayName: 'Replay Co',
      requestId: 'conformance-replay-1',
    });
    const second = await c.qb('createCustomer', {
      DisplayName: 'Replay Co',
      requestId: 'conformance-replay-1',
    });
    expect(second.Id).toBe(first.Id);
  });
});

describe('faults as clients see them', () => {
  it('surfaces QuickBooks fault codes through node-quickbooks', async () => {
    expect((await c.fault('getCustomer', '987654')).code).toBe('610');
    expect((await c.fault('createCustomer', { DisplayName: "Amy's Bird Sanctuary" })).code).toBe('6240');
    await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      DocNumber: 'DUP-1',
      Line: [itemLine(hours, 1, 50)],
    });
    expect(
      (
        await c.fault('createInvoice', {
          CustomerRef: { value: amy },
          DocNumber: 'DUP-1',
          Line: [itemLine(hours, 1, 50)],
        })
      ).code,
    ).toBe('6140');
    // node-quickbooks' allowDuplicateDocNum flag becomes include=allowduplicatedocnum.
    const dup = await c.qb('createInvoice', {
      CustomerRef: { value: amy },
      DocNumber: 'DUP-1',
      allowDuplicateDocNum: true,
      Line: [itemLine(hours, 1, 50)],
    });
    expect(dup.DocNumber).toBe('DUP-1');
    expect((await c.fault('findCustomers', "where DisplayName = 'a' or DisplayName = 'b'")).code).toBe(
      '4000',
    );
    expect((await c.fault('createCustomer', {})).code).toBe('2020');
  });

  it('answers 429 with fault 3001 when throttled', async () => {
    c.sandbox.setLimits({ enabled: true, perMinute: 1 });
    try {
      await c.qb('getCompanyInfo', c.realmId);
      const err = await c.qb('getCompanyInfo', c.realmId).then(
        () => undefined,
        (e: Json) => e.cause,
      );
      expect(err.response.status).toBe(429);
      expect(faultEntryOf(err).code).toBe('3001');
    } finally {
      c.sandbox.setLimits({ enabled: false, perMinute: 500 });
    }
  });

  it('answers 401 for a revoked token in the gateway shape', async () => {
    const other = await startConformance();
    try {
      await other.qb('revokeAccess', false);
      other.qbo.token = 'revoked-token';
      const err = await other.qb('getCompanyInfo', other.realmId).then(
        () => undefined,
        (e: Json) => e.cause,
      );
      expect(err.response.status).toBe(401);
      expect(faultEntryOf(err).code).toBe('3200');
    } finally {
      await other.close();
    }
  });
});
