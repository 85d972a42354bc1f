/**
 * The accounting API over real HTTP: the emulator started with `createSandbox` (real accounting half), the demo app
 * connected through the OAuth consent and token endpoints, and requests sent with fetch as a QuickBooks client does.
 */
import { connectApp, createSandbox, type Sandbox } from '../../src/sandbox';
import type { Json } from './helpers/accounting-helpers';

let sandbox: Sandbox;
let token: string;
let realmId: string;
let ids: { amy: string; hours: string; design: string; caTax: string };

interface Reply {
  status: number;
  contentType: string | null;
  body: Json;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${sandbox.url}/v3/company/${realmId}/${path}${sep}minorversion=75`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: text ? JSON.parse(text) : undefined,
  };
}

const query = (statement: string): Promise<Reply> =>
  call('GET', `query?query=${encodeURIComponent(statement)}`);
const errorOf = (r: Reply): Json => r.body.Fault.Error[0];
const line = (itemId: string, qty: number, price: number, extra: Json = {}): Json => ({
  Amount: Math.round(qty * price * 100) / 100,
  DetailType: 'SalesItemLineDetail',
  SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: qty, UnitPrice: price, ...extra },
});

async function createInvoice(lines: Json[], extra: Json = {}): Promise<Json> {
  const r = await call('POST', 'invoice', { CustomerRef: { value: ids.amy }, Line: lines, ...extra });
  expect(r.status).toBe(200);
  return r.body.Invoice;
}

beforeAll(async () => {
  sandbox = await createSandbox({ port: 0, limits: { enabled: false } });
  const app = sandbox.demoApp;
  const connected = await connectApp(sandbox.url, {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUris[0],
  });
  token = connected.tokens.access_token;
  realmId = connected.realmId;
  const first = async (statement: string): Promise<string> => {
    const r = await query(statement);
    const list = Object.values(r.body.QueryResponse).find(Array.isArray) as Json[];
    return list[0].Id;
  };
  ids = {
    amy: await first("select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'"),
    hours: await first("select * from Item where Name = 'Hours'"),
    design: await first("select * from Item where Name = 'Design'"),
    caTax: await first("select * from TaxCode where Name = 'California'"),
  };
});

afterAll(async () => {
  await sandbox.close();
});

describe('accounting API over HTTP', () => {
  it('answers with QuickBooks envelopes', async () => {
    expect(realmId).toBe(sandbox.defaultRealmId);
    const info = await call('GET', `companyinfo/${realmId}`);
    expect(info.status).toBe(200);
    expect(info.contentType).toMatch(/application\/json/);
    expect(info.body.CompanyInfo.Country).toBe('US');
    const created = await call('POST', 'customer', {
      DisplayName: 'Wire Customer',
      PrimaryEmailAddr: { Address: 'w@x.test' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      Customer: expect.objectContaining({
        DisplayName: 'Wire Customer',
        domain: 'QBO',
        sparse: false,
        SyncToken: '0',
        Id: expect.stringMatching(/^\d+$/),
        MetaData: { CreateTime: expect.any(String), LastUpdatedTime: expect.any(String) },
      }),
      time: expect.stringMatching(/-07:00$/),
    });
    const read = await call('GET', `customer/${created.body.Customer.Id}`);
    expect(read.body.Customer).toEqual(created.body.Customer);
  });

  it('sends faults in Intuit’s JSON shape with HTTP 400', async () => {
    const dup = await call('POST', 'customer', { DisplayName: "AMY'S BIRD SANCTUARY" });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({
      Fault: {
        Error: [
          {
            Message: 'Duplicate Name Exists Error',
            Detail: `The name supplied already exists. : Id=${ids.amy}`,
            code: '6240',
            element: '',
          },
        ],
        type: 'ValidationFault',
      },
      time: expect.any(String),
    });
    const missing = await call('POST', 'invoice', { Line: [line(ids.hours, 1, 50)] });
    expect(errorOf(missing)).toMatchObject({
      code: '2020',
      Detail: 'Required parameter CustomerRef is missing in the request',
    });
    const badRef = await call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      Line: [line('77777', 1, 5)],
    });
    expect(errorOf(badRef)).toMatchObject({ code: '2500', element: 'Line.SalesItemLineDetail.ItemRef' });
    const notFound = await call('GET', 'invoice/88888');
    expect(notFound.status).toBe(400);
    expect(errorOf(notFound)).toMatchObject({ code: '610', Message: 'Object Not Found' });
    const parse = await query('select from Customer');
    expect(parse.status).toBe(400);
    expect(errorOf(parse)).toMatchObject({ code: '4000', Message: 'Error parsing query' });
  });

  it('refuses a stale SyncToken (5010)', async () => {
    const c = (await call('POST', 'customer', { DisplayName: 'Wire Stale' })).body.Customer;
    expect(
      (
        await call('POST', 'customer?operation=update', {
          Id: c.Id,
          SyncToken: '0',
          sparse: true,
          Notes: '1',
        })
      ).status,
    ).toBe(200);
    const stale = await call('POST', 'customer?operation=update', {
      Id: c.Id,
      SyncToken: '0',
      sparse: true,
      Notes: '2',
    });
    expect(stale.status).toBe(400);
    expect(errorOf(stale)).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
  });

  it('keeps fields on sparse updates and clears them on full updates', async () => {
    const c = (
      await call('POST', 'customer', {
        DisplayName: 'Wire Sparse',
        CompanyName: 'Wire Sparse Inc',
        Notes: 'keep',
      })
    ).body.Customer;
    const sparse = (
      await call('POST', 'customer', { Id: c.Id, SyncToken: '0', sparse: true, Notes: 'changed' })
    ).body.Customer;
    expect(sparse).toMatchObject({ CompanyName: 'Wire Sparse Inc', Notes: 'changed', SyncToken: '1' });
    const full = (await call('POST', 'customer', { Id: c.Id, SyncToken: '1', DisplayName: 'Wire Sparse' }))
      .body.Customer;
    expect(full.CompanyName).toBeUndefined();
    expect(full.Notes).toBeUndefined();
    expect(full.SyncToken).toBe('2');
  });

  it('numbers documents, refuses duplicates (6140) unless allowduplicatedocnum', async () => {
    const a = await createInvoice([line(ids.hours, 1, 50)], { DocNumber: 'W-100' });
    const dup = await call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      DocNumber: 'W-100',
      Line: [line(ids.hours, 1, 5)],
    });
    expect(dup.status).toBe(400);
    expect(errorOf(dup)).toMatchObject({
      code: '6140',
      Detail: `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=W-100 is assigned to TxnType=Invoice with TxnId=${a.Id}`,
    });
    const allowed = await call('POST', 'invoice?include=allowduplicatedocnum', {
      CustomerRef: { value: ids.amy },
      DocNumber: 'W-100',
      Line: [line(ids.hours, 1, 5)],
    });
    expect(allowed.status).toBe(200);
    const auto = await createInvoice([line(ids.hours, 1, 5)]);
    expect(auto.DocNumber).toMatch(/^\d+$/);
  });

  it('totals discount, shipping and tax', async () => {
    const inv = await createInvoice(
      [
        line(ids.hours, 4, 25, { TaxCodeRef: { value: 'TAX' } }),
        line(ids.design, 1, 75, { TaxCodeRef: { value: 'NON' } }),
        { Amount: 25, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false } },
        {
          Amount: 9.99,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: 'SHIPPING_ITEM_ID' } },
        },
      ],
      { TxnTaxDetail: { TxnTaxCodeRef: { value: ids.caTax } } },
    );
    // 175 - 25 + 9.99 + 8% of 100
    expect(inv.TxnTaxDetail.TotalTax).toBe(8);
    expect(inv.TotalAmt).toBe(167.99);
    expect(inv.Balance).toBe(167.99);
    expect(inv.Line.find((l: Json) => l.DetailType === 'SubTotalLineDetail').Amount).toBe(175);
  });

  it('voids with zero totals and blocks deleting an invoice that has a payment', async () => {
    const toVoid = await createInvoice([line(ids.hours, 2, 50)]);
    const voided = await call('POST', 'invoice?operation=void', {
      Id: toVoid.Id,
      SyncToken: toVoid.SyncToken,
    });
    expect(voided.status).toBe(200);
    expect(voided.body.Invoice).toMatchObject({ TotalAmt: 0, Balance: 0 });
    expect(voided.body.Invoice.PrivateNote).toContain('Voided');
    expect(voided.body.Invoice.Line[0].Amount).toBe(0);

    const paid = await createInvoice([line(ids.hours, 1, 80)]);
    const payment = await call('POST', 'payment', {
      CustomerRef: { value: ids.amy },
      TotalAmt: 80,
      Line: [{ Amount: 80, LinkedTxn: [{ TxnId: paid.Id, TxnType: 'Invoice' }] }],
    });
    expect(payment.status).toBe(200);
    const now = (await call('GET', `invoice/${paid.Id}`)).body.Invoice;
    expect(now.Balance).toBe(0);
    const del = await call('POST', 'invoice?operation=delete', { Id: paid.Id, SyncToken: now.SyncToken });
    expect(del.status).toBe(400);
    expect(errorOf(del)).toEqual({
      Message: 'A business validation error has occurred while processing your request',
      Detail:
        'Business Validation Error: This transaction has a payment applied to it. Unlink or delete the payment first.',
      code: '6000',
      element: '',
    });
  });

  it('replays a requestid: same answer, one object created', async () => {
    const body = { CustomerRef: { value: ids.amy }, DocNumber: 'REPLAY-1', Line: [line(ids.hours, 1, 42)] };
    const first = await call('POST', 'invoice?requestid=7c3f0e8a-retry-1', body);
    const second = await call('POST', 'invoice?requestid=7c3f0e8a-retry-1', body);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect(
      (await query("select count(*) from Invoice where DocNumber = 'REPLAY-1'")).body.QueryResponse
        .totalCount,
    ).toBe(1);
    const tooLong = await call('POST', `invoice?requestid=${'r'.repeat(51)}`, body);
    expect(tooLong.status).toBe(400);
    expect(errorOf(tooLong).code).toBe('6000');
  });

  it('runs a batch of 30 and refuses 31', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      bId: `w${i}`,
      operation: 'create',
      Customer: { DisplayName: `Wire Batch ${i}` },
    }));
    const ok = await call('POST', 'batch', { BatchItemRequest: items });
    expect(ok.status).toBe(200);
    expect(ok.body.BatchItemResponse).toHaveLength(30);
    expect(ok.body.BatchItemResponse.every((r: Json) => r.Customer && r.bId.startsWith('w'))).toBe(true);
    const tooMany = [
      ...items.map((it) => ({ ...it, Customer: { DisplayName: `${it.Customer.DisplayName} again` } })),
      { bId: 'w30', Query: 'select * from Term' },
    ];
    const refused = await call('POST', 'batch', { BatchItemRequest: tooMany });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).code).toBe('6000');
    expect(
      (await query("select count(*) from Customer where DisplayName like 'Wire Batch % again'")).body
        .QueryResponse.totalCount,
    ).toBe(0);
  });

  it('queries with LIKE, IN, ORDERBY, paging and COUNT (GET and POST application/text)', async () => {
    for (const n of ['Query Kiwi', 'Query Apple', 'Query Mango'])
      expect((await call('POST', 'customer', { DisplayName: n })).status).toBe(200);
    const like = await query("select * from Customer where DisplayName like 'Query %' orderby DisplayName");
    expect(like.body.QueryResponse.Customer.map((c: Json) => c.DisplayName)).toEqual([
      'Query Apple',
      'Query Kiwi',
      'Query Mango',
    ]);
    const inList = await query(
      "select * from Customer where DisplayName in ('Query Kiwi', 'Query Mango') orderby DisplayName desc",
    );
    expect(inList.body.QueryResponse.Customer.map((c: Json) => c.DisplayName)).toEqual([
      'Query Mango',
      'Query Kiwi',
    ]);
    const page = await query(
      "select * from Customer where DisplayName like 'Query %' orderby DisplayName startposition 2 maxresults 1",
    );
    expect(page.body.QueryResponse).toMatchObject({
      startPosition: 2,
      maxResults: 1,
      Customer: [{ DisplayName: 'Query Kiwi' }],
    });
    const count = await query("select count(*) from Customer where DisplayName like 'Query %'");
    expect(count.body.QueryResponse).toEqual({ totalCount: 3 });
    const posted = await call(
      'POST',
      'query',
      "SELECT * FROM Customer WHERE DisplayName LIKE 'Query M%'",
      'application/text',
    );
    expect(posted.status).toBe(200);
    expect(posted.body.QueryResponse.Customer.map((c: Json) => c.DisplayName)).toEqual(['Query Mango']);
    expect((await query('select * from Customer maxresults 1500')).status).toBe(400);
  });

  it('reports changes and deletions through CDC', async () => {
    sandbox.advanceClock(2);
    const since = (await call('GET', `companyinfo/${realmId}`)).body.time as string;
    sandbox.advanceClock(2);
    const keep = await createInvoice([line(ids.hours, 1, 11)]);
    const drop = await createInvoice([line(ids.hours, 1, 12)]);
    const del = await call('POST', 'invoice?operation=delete', { Id: drop.Id, SyncToken: drop.SyncToken });
    expect(del.body.Invoice).toEqual({ Id: drop.Id, status: 'Deleted', domain: 'QBO' });
    const cdc = await call('GET', `cdc?entities=Invoice&changedSince=${encodeURIComponent(since)}`);
    expect(cdc.status).toBe(200);
    const invoices = cdc.body.CDCResponse[0].QueryResponse[0].Invoice as Json[];
    expect(invoices.map((i) => i.Id)).toEqual([keep.Id, drop.Id]);
    expect(invoices[1]).toEqual({
      domain: 'QBO',
      status: 'Deleted',
      Id: drop.Id,
      MetaData: { LastUpdatedTime: expect.any(String) },
    });
    expect((await call('GET', `invoice/${drop.Id}`)).status).toBe(400);
  });
});
