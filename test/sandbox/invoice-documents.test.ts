/**
 * Invoice documents in the emulator, driven by a QuickBooks client we did not write (node-quickbooks): the PDF of an
 * invoice (`GET /invoice/{id}/pdf`) and e-mail delivery (`POST /invoice/{id}/send[?sendTo=]`).
 */
import QuickBooks from 'node-quickbooks';
import { connectApp, createSandbox, type Sandbox } from '../../src/sandbox';
import type { Json } from './helpers/accounting-helpers';

let sandbox: Sandbox;
let qbo: Json;
let buyers = 0;

/** node-quickbooks' callback API as promises. */
const call = <T = Json>(method: string, ...args: unknown[]): Promise<T> =>
  new Promise((resolve, reject) => {
    (qbo[method] as (...a: unknown[]) => void).call(qbo, ...args, (err: unknown, value: T) =>
      err ? reject(new Error(JSON.stringify((err as Json)?.response?.data ?? err))) : resolve(value),
    );
  });

beforeAll(async () => {
  sandbox = await createSandbox({ port: 0, limits: { enabled: false } });
  const app = sandbox.demoApp;
  const connected = await connectApp(sandbox.url, {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUris[0],
  });
  qbo = new QuickBooks(
    app.clientId,
    app.clientSecret,
    connected.tokens.access_token,
    false,
    connected.realmId,
    true,
    false,
    '75',
    '2.0',
    connected.tokens.refresh_token,
  );
  qbo.endpoint = `${sandbox.url}/v3/company/`;
});

afterAll(async () => {
  await sandbox.close();
});

async function newInvoice(): Promise<Json> {
  const customer = await call('createCustomer', { DisplayName: `Document Buyer ${++buyers}` });
  const hours = (sandbox.accounting.adminEntities(sandbox.defaultRealmId, 'Item') as Json[]).find(
    (item) => item.Name === 'Hours',
  );
  return call('createInvoice', {
    DocNumber: `DOC-(${buyers})`,
    CustomerRef: { value: customer.Id },
    BillEmail: { Address: 'amy@bird.test' },
    Line: [
      {
        Amount: 100,
        Description: 'Two hours (weekend) \\ rush',
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: { ItemRef: { value: hours.Id }, Qty: 2, UnitPrice: 50 },
      },
    ],
  });
}

describe('invoice documents', () => {
  it('serves a valid one-page PDF of an invoice', async () => {
    const invoice = await newInvoice();
    const pdf = await call<Buffer>('getInvoicePdf', invoice.Id);
    expect(Buffer.isBuffer(pdf)).toBe(true);
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(1);
    expect(text).toContain('/Count 1');
    // The cross-reference table points at each object's exact byte offset, and startxref at the table.
    const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets.length).toBeGreaterThanOrEqual(5);
    offsets.forEach((offset, index) =>
      expect(text.slice(offset).startsWith(`${index + 1} 0 obj\n`)).toBe(true),
    );
    const stream = /\/Length (\d+) >>\nstream\n([\s\S]*?)\nendstream/.exec(text)!;
    expect(Buffer.byteLength(stream[2], 'latin1')).toBe(Number(stream[1]));
    // The invoice's facts, with PDF string escapes for parentheses and backslashes.
    expect(text).toContain('(Invoice DOC-\\(1\\))');
    expect(text).toContain('Two hours \\(weekend\\) \\\\ rush');
    expect(text).toContain('Total  100.00');
  });

  it('e-mails an invoice to its BillEmail or to sendTo, and records the delivery', async () => {
    const invoice = await newInvoice();
    const sent = await call('sendInvoicePdf', invoice.Id);
    expect(sent).toMatchObject({
      Id: invoice.Id,
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'amy@bird.test' },
      DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: expect.any(String) },
    });
    const again = await call('sendInvoicePdf', invoice.Id, 'billing@bird.test');
    expect(again).toMatchObject({ EmailStatus: 'EmailSent', BillEmail: { Address: 'billing@bird.test' } });
    const stored = await call('getInvoice', invoice.Id);
    expect(stored.EmailStatus).toBe('EmailSent');
    expect(stored.SyncToken).toBe('2');
  });

  it('answers a missing invoice with a fault', async () => {
    await expect(call('getInvoicePdf', '999999')).rejects.toThrow();
  });
});
