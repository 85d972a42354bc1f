/** The query language, batch and CDC, called directly on the accounting half. */
import {
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

function names(res: Json, entity = 'Customer', field = 'DisplayName'): string[] {
  return (res.body.QueryResponse[entity] ?? []).map((o: Json) => o[field]);
}

describe('query language', () => {
  beforeEach(() => {
    co.clock.advance(1);
    for (const n of ['Zeta Corp', 'alpha corp', "O'Brien & Sons", 'Beta Corp']) {
      expect(
        co.call('POST', 'customer', {
          DisplayName: n,
          PrimaryEmailAddr: { Address: `${n.length}@mail.test` },
        }).status,
      ).toBe(200);
    }
  });

  it('filters with LIKE (case-insensitive, % wildcard) and =', () => {
    expect(names(co.query("select * from Customer where DisplayName like '%corp'"))).toEqual([
      'Zeta Corp',
      'alpha corp',
      'Beta Corp',
    ]);
    expect(names(co.query("select * from Customer where DisplayName LIKE 'b%'"))).toEqual([
      "Bill's Windsurf Shop",
      'Beta Corp',
    ]);
    expect(names(co.query("SELECT * FROM Customer WHERE DisplayName = 'ZETA CORP'"))).toEqual(['Zeta Corp']);
  });

  it('reads backslash-escaped quotes in literals', () => {
    expect(names(co.query("select * from Customer where DisplayName = 'O\\'Brien & Sons'"))).toEqual([
      "O'Brien & Sons",
    ]);
  });

  it('supports IN, dotted properties, numbers and booleans', () => {
    expect(
      names(co.query("select * from Customer where DisplayName in ('Zeta Corp', 'Beta Corp', 'Nobody')")),
    ).toEqual(['Zeta Corp', 'Beta Corp']);
    expect(names(co.query("select * from Customer where PrimaryEmailAddr.Address = '9@mail.test'"))).toEqual([
      'Zeta Corp',
      'Beta Corp',
    ]);
    expect(
      names(co.query('select * from Item where UnitPrice >= 50 and Taxable = false'), 'Item', 'Name'),
    ).toEqual(['Hours', 'Design']);
    expect(names(co.query(`select * from Item where Id in ('${ids.hours}')`), 'Item', 'Name')).toEqual([
      'Hours',
    ]);
  });

  it('orders, pages and counts', () => {
    const ordered = names(
      co.query("select * from Customer where DisplayName like '%Corp' orderby DisplayName desc"),
    );
    expect(ordered).toEqual(['Zeta Corp', 'Beta Corp', 'alpha corp']);
    const page = co.query('select * from Customer orderby DisplayName startposition 2 maxresults 3');
    expect(page.body.QueryResponse.startPosition).toBe(2);
    expect(page.body.QueryResponse.maxResults).toBe(3);
    expect(names(page)).toEqual(["Amy's Bird Sanctuary", 'Beta Corp', "Bill's Windsurf Shop"]);
    expect(co.query('select count(*) from Customer').body).toEqual({
      QueryResponse: { totalCount: 8 },
      time: expect.any(String),
    });
    // Without ORDERBY pages follow creation order and never overlap.
    const first = names(co.query('select * from Customer startposition 1 maxresults 5'));
    const second = names(co.query('select * from Customer startposition 6 maxresults 5'));
    expect(first).toHaveLength(5);
    expect(second).toHaveLength(3);
    expect(new Set([...first, ...second]).size).toBe(8);
  });

  it('answers an empty result as an empty QueryResponse', () => {
    expect(co.query("select * from Customer where DisplayName = 'Nobody'").body).toEqual({
      QueryResponse: {},
      time: expect.any(String),
    });
    expect(co.query('select * from Estimate').body.QueryResponse).toEqual({});
  });

  it('defaults to 100 results and refuses MAXRESULTS over 1000', () => {
    for (let i = 0; i < 120; i++) co.call('POST', 'customer', { DisplayName: `Bulk ${i}` });
    expect(co.query('select * from Customer').body.QueryResponse.Customer).toHaveLength(100);
    expect(co.query('select * from Customer maxresults 1000').body.QueryResponse.Customer).toHaveLength(128);
    const res = co.query('select * from Customer maxresults 1500');
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatchObject({
      code: '4000',
      Detail: 'QueryValidationError: value 1500 is too large. Max allowed value is 1000',
    });
  });

  it('refuses statements that do not parse with 4000 and a QueryParserError', () => {
    for (const bad of [
      'select * from Customer where',
      "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
      'select * Customer',
      "select * from Customer where DisplayName = 'unterminated",
      'delete from Customer',
    ]) {
      const res = co.query(bad);
      expect(res.status).toBe(400);
      expect(faultOf(res)).toMatchObject({ code: '4000', Message: 'Error parsing query' });
      expect(faultOf(res).Detail).toMatch(/^QueryParserError: /);
    }
    expect(
      faultOf(co.query("select * from Customer where DisplayName = 'a' or DisplayName = 'b'")).Detail,
    ).toBe('QueryParserError: Encountered " <IDENTIFIER> "or "" at line 1, column 48.');
  });

  it('accepts entity names in any case, answers with canonical keys, and refuses unknown properties', () => {
    // node-quickbooks sends lowercase names for every find call; QuickBooks answers with `QueryResponse.Customer`.
    const lower = co.query("select * from customer where DisplayName = 'Zeta Corp'");
    expect(lower.status).toBe(200);
    expect(Object.keys(lower.body.QueryResponse)).toContain('Customer');
    expect(names(lower)).toEqual(['Zeta Corp']);
    expect(co.query('select count(*) from CUSTOMER').body.QueryResponse.totalCount).toBeGreaterThan(0);
    expect(faultOf(co.query('select * from Nonsense'))).toMatchObject({ code: '4001' });
    expect(faultOf(co.query("select * from Customer where Nickname = 'x'"))).toMatchObject({ code: '4001' });
    // Keywords and property names are not case-sensitive.
    expect(names(co.query("SeLeCt * FrOm Customer WhErE displayname = 'Zeta Corp'"))).toEqual(['Zeta Corp']);
  });

  it('answers projections: * plus properties whole, a property list with Id, SyncToken and MetaData', () => {
    const withSku = co.query("SELECT *, Sku FROM Item WHERE Name = 'Pump'").body.QueryResponse.Item[0];
    expect(withSku).toMatchObject({ Name: 'Pump', Sku: 'PMP-01', Type: 'Inventory' });
    const listed = co.query("select Id, DisplayName from Customer where DisplayName = 'Zeta Corp'").body
      .QueryResponse.Customer[0];
    expect(Object.keys(listed).sort()).toEqual(
      ['DisplayName', 'Id', 'MetaData', 'SyncToken', 'domain', 'sparse'].sort(),
    );
    expect(faultOf(co.query('select Nickname from Customer'))).toMatchObject({ code: '4001' });
  });

  it('filters with != (values that differ; objects without the property are left out)', () => {
    const all = names(co.query('select * from Customer'));
    const others = names(co.query("select * from Customer where DisplayName != 'Zeta Corp'"));
    expect(others).toHaveLength(all.length - 1);
    expect(others).not.toContain('Zeta Corp');
    expect(faultOf(co.query("select * from Customer where DisplayName <> 'Zeta Corp'"))).toMatchObject({
      code: '4000',
    });
  });

  it('filters on MetaData.LastUpdatedTime and reads POSTed statements', () => {
    const mark = co.query("select * from Customer where DisplayName = 'Beta Corp'").body.QueryResponse
      .Customer[0].MetaData.LastUpdatedTime;
    co.clock.advance(60);
    co.call('POST', 'customer', { DisplayName: 'Later Corp' });
    expect(names(co.query(`select * from Customer where MetaData.LastUpdatedTime > '${mark}'`))).toEqual([
      'Later Corp',
    ]);
    expect(
      names(
        co.query(
          `select * from Customer where Metadata.LastUpdatedTime >= '${mark}' orderby Metadata.LastUpdatedTime`,
        ),
      ),
    ).toHaveLength(5);
    const posted = co.call('POST', 'query', "select * from Customer where DisplayName = 'Later Corp'");
    expect(names(posted)).toEqual(['Later Corp']);
  });

  it('filters references by id and transactions by date and amount', () => {
    co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      TxnDate: '2026-02-01',
      Line: [itemLine(ids.hours, 2, 50)],
    });
    co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      TxnDate: '2026-03-01',
      Line: [itemLine(ids.hours, 5, 50)],
    });
    const q = (w: string): number[] =>
      (co.query(`select * from Invoice where ${w}`).body.QueryResponse.Invoice ?? []).map(
        (i: Json) => i.TotalAmt,
      );
    expect(q(`CustomerRef = '${ids.amy}'`)).toEqual([100, 250]);
    expect(q("TxnDate > '2026-02-15'")).toEqual([250]);
    expect(q("TotalAmt > '150.00'")).toEqual([250]);
    expect(q("DocNumber = '1001'")).toEqual([100]);
  });
});

describe('batch', () => {
  it('runs up to 30 operations in order with per-item answers keyed by bId', () => {
    const items: Json[] = [];
    for (let i = 0; i < 28; i++)
      items.push({ bId: `c${i}`, operation: 'create', Customer: { DisplayName: `Batch ${i}` } });
    items.push({ bId: 'dup', operation: 'create', Customer: { DisplayName: 'Batch 3' } });
    items.push({ bId: 'q', Query: "select count(*) from Customer where DisplayName like 'Batch%'" });
    const res = co.call('POST', 'batch', { BatchItemRequest: items });
    expect(res.status).toBe(200);
    const out = res.body.BatchItemResponse as Json[];
    expect(out).toHaveLength(30);
    expect(out[0]).toMatchObject({ bId: 'c0', Customer: { DisplayName: 'Batch 0', SyncToken: '0' } });
    expect(out[28]).toEqual({
      bId: 'dup',
      Fault: {
        type: 'ValidationFault',
        Error: [
          {
            Message: 'Duplicate Name Exists Error',
            Detail: expect.stringMatching(/Id=\d+$/),
            code: '6240',
            element: '',
          },
        ],
      },
    });
    expect(out[29]).toEqual({ bId: 'q', QueryResponse: { totalCount: 28 } });
    expect(co.events.filter((e) => e.operation === 'Create')).toHaveLength(28);
  });

  it('refuses more than 30 operations and runs none of them', () => {
    const items = Array.from({ length: 31 }, (_, i) => ({
      bId: `b${i}`,
      operation: 'create',
      Customer: { DisplayName: `Too Many ${i}` },
    }));
    const res = co.call('POST', 'batch', { BatchItemRequest: items });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatchObject({ code: '6000' });
    expect(faultOf(res).Detail).toContain('at most 30');
    expect(
      co.query("select count(*) from Customer where DisplayName like 'Too Many%'").body.QueryResponse
        .totalCount,
    ).toBe(0);
    expect(co.events).toHaveLength(0);
  });

  it('updates, deletes and voids in a batch', () => {
    const a = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      Line: [itemLine(ids.hours, 1, 10)],
    }).body.Invoice;
    const b = co.call('POST', 'invoice', {
      CustomerRef: { value: ids.amy },
      Line: [itemLine(ids.hours, 1, 20)],
    }).body.Invoice;
    const sr = co.call('POST', 'salesreceipt', { Line: [itemLine(ids.hours, 1, 30)] }).body.SalesReceipt;
    const res = co.call('POST', 'batch', {
      BatchItemRequest: [
        {
          bId: '1',
          operation: 'update',
          Invoice: { Id: a.Id, SyncToken: a.SyncToken, sparse: true, PrivateNote: 'edited' },
        },
        { bId: '2', operation: 'delete', Invoice: { Id: b.Id, SyncToken: b.SyncToken } },
        {
          bId: '3',
          operation: 'update',
          optionsData: 'void',
          SalesReceipt: { Id: sr.Id, SyncToken: sr.SyncToken, sparse: true },
        },
        {
          bId: '4',
          operation: 'update',
          Invoice: { Id: a.Id, SyncToken: a.SyncToken, sparse: true, PrivateNote: 'stale' },
        },
      ],
    });
    const out = res.body.BatchItemResponse as Json[];
    expect(out[0].Invoice).toMatchObject({ PrivateNote: 'edited', SyncToken: '1' });
    expect(out[1].Invoice).toEqual({ Id: b.Id, status: 'Deleted', domain: 'QBO' });
    expect(out[2].SalesReceipt).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
    expect(out[3].Fault.Error[0].code).toBe('5010');
    expect(co.events.slice(-3).map((e) => e.operation)).toEqual(['Update', 'Delete', 'Void']);
  });

  it('lets later items see what earlier items created', () => {
    const res = co.call('POST', 'batch', {
      BatchItemRequest: [
        { bId: 'a', operation: 'create', Customer: { DisplayName: 'Seen Later' } },
        { bId: 'b', Query: "select * from Customer where DisplayName = 'Seen Later'" },
      ],
    });
    expect(res.body.BatchItemResponse[1].QueryResponse.Customer).toHaveLength(1);
  });

  it('replays a batch by requestid and limits bIds to 10 characters then', () => {
    const body = {
      BatchItemRequest: [{ bId: 'x1', operation: 'create', Customer: { DisplayName: 'Batch Replay' } }],
    };
    const first = co.call('POST', 'batch', body, { requestid: 'batch-1' });
    const again = co.call('POST', 'batch', body, { requestid: 'batch-1' });
    expect(again).toEqual(first);
    expect(first.body.BatchItemResponse[0].Customer).toBeDefined();
    const longBid = co.call(
      'POST',
      'batch',
      { BatchItemRequest: [{ bId: 'abcdefghijk', Query: 'select * from Term' }] },
      { requestid: 'batch-2' },
    );
    expect(longBid.status).toBe(400);
  });
});

describe('CDC', () => {
  it('returns changes since a time, deleted objects as tombstones', () => {
    co.clock.advance(1);
    const since = new Date(co.clock.ms).toISOString();
    co.clock.advance(10);
    const c = co.call('POST', 'customer', { DisplayName: 'CDC Customer' }).body.Customer;
    const inv = co.call('POST', 'invoice', {
      CustomerRef: { value: c.Id },
      Line: [itemLine(ids.hours, 1, 10)],
    }).body.Invoice;
    const gone = co.call('POST', 'invoice', {
      CustomerRef: { value: c.Id },
      Line: [itemLine(ids.hours, 1, 20)],
    }).body.Invoice;
    co.clock.advance(10);
    co.call('POST', 'invoice', { Id: gone.Id, SyncToken: gone.SyncToken }, { operation: 'delete' });
    const res = co.call('GET', 'cdc', undefined, { entities: 'Customer,Invoice,Item', changedSince: since });
    expect(res.status).toBe(200);
    const [customers, invoices, items] = res.body.CDCResponse[0].QueryResponse as Json[];
    expect(customers.Customer.map((x: Json) => x.Id)).toEqual([c.Id]);
    expect(invoices.Invoice).toHaveLength(2);
    expect(invoices.Invoice[0].Id).toBe(inv.Id);
    expect(invoices.Invoice[1]).toEqual({
      domain: 'QBO',
      status: 'Deleted',
      Id: gone.Id,
      MetaData: { LastUpdatedTime: expect.stringMatching(/-07:00$/) },
    });
    expect(invoices).toMatchObject({ startPosition: 1, maxResults: 2 });
    expect(items).toEqual({});
  });

  it('refuses a changedSince older than 30 days', () => {
    const old = new Date(co.clock.ms - 31 * 86_400_000).toISOString();
    const res = co.call('GET', 'cdc', undefined, { entities: 'Customer', changedSince: old });
    expect(res.status).toBe(400);
    expect(faultOf(res).Detail).toContain('older than');
    const recent = new Date(co.clock.ms - 29 * 86_400_000).toISOString();
    expect(co.call('GET', 'cdc', undefined, { entities: 'Customer', changedSince: recent }).status).toBe(200);
  });

  it('returns at most 1000 objects per entity, oldest first', () => {
    co.clock.advance(1);
    const since = new Date(co.clock.ms).toISOString();
    for (let i = 0; i < 1005; i++) {
      co.clock.advance(1);
      co.call('POST', 'customer', { DisplayName: `Many ${i}` });
    }
    const res = co.call('GET', 'cdc', undefined, { entities: 'Customer', changedSince: since });
    const list = res.body.CDCResponse[0].QueryResponse[0].Customer as Json[];
    expect(list).toHaveLength(1000);
    expect(list[0].DisplayName).toBe('Many 0');
  });
});
