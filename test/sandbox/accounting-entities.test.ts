/**
 * The accounting half called directly (no HTTP): entity rules, fault codes and shapes, requestid, merges and change
 * events. Sales forms and payments are in accounting-sales.test.ts; wire-level behaviour in accounting-wire.test.ts.
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
            Detail: `The name supplied already exists. : Id=${ids.amy}`,
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
    expect(faultOf(co.call('POST', 'customer', { Id: ids.amy, sparse: true, Notes: 'x' }))).toMatchObject({
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
      Line: [itemLine(ids.hours, 1, 50)],
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
    createInvoice([itemLine(ids.hours, 1, 50)]);
    const amy = co.call('GET', `customer/${ids.amy}`).body.Customer;
    expect(amy.Balance).toBe(50);
    const res = co.call('POST', 'customer', {
      Id: ids.amy,
      SyncToken: amy.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(faultOf(res)).toMatchObject({ code: '6000' });
  });

  it('builds FullyQualifiedName and Level for sub-customers', () => {
    const job = co.call('POST', 'customer', { DisplayName: 'Birdhouse Job', ParentRef: { value: ids.amy } })
      .body.Customer;
    expect(job).toMatchObject({
      Job: true,
      Level: 1,
      FullyQualifiedName: "Amy's Bird Sanctuary:Birdhouse Job",
    });
    expect(job.ParentRef).toEqual({ value: ids.amy, name: "Amy's Bird Sanctuary" });
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
      Detail: `The name supplied already exists. : Id=${ids.hours}`,
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
    const before = co.call('GET', `item/${ids.pump}`).body.Item.QtyOnHand;
    const inv = createInvoice([itemLine(ids.pump, 3, 15)]);
    expect(co.call('GET', `item/${ids.pump}`).body.Item.QtyOnHand).toBe(before - 3);
    co.call('POST', 'invoice', { Id: inv.Id, SyncToken: inv.SyncToken }, { operation: 'delete' });
    expect(co.call('GET', `item/${ids.pump}`).body.Item.QtyOnHand).toBe(before);
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
      Line: [itemLine(ids.hours, 1, 50)],
    }).body.Invoice;
    const res = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'merge',
      data: { Id: ids.amy, MergedId: dup.Id },
    });
    expect(res.status).toBe(200);
    expect(co.events.at(-1)).toMatchObject({
      entity: 'Customer',
      id: ids.amy,
      operation: 'Merge',
      deletedId: dup.Id,
    });
    expect(co.call('GET', `invoice/${inv.Id}`).body.Invoice.CustomerRef.value).toBe(ids.amy);
    expect(co.call('GET', `customer/${ids.amy}`).body.Customer.Balance).toBe(50);
    expect(co.call('GET', `customer/${dup.Id}`).status).toBe(400);
  });

  it('applies admin edits with the normal rules and events', () => {
    const res = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'update',
      data: { Id: ids.bill, Notes: 'called' },
    });
    expect(res.status).toBe(200);
    expect((res.body as Json).Customer).toMatchObject({
      Notes: 'called',
      DisplayName: "Bill's Windsurf Shop",
    });
    expect(co.events.at(-1)).toMatchObject({ entity: 'Customer', id: ids.bill, operation: 'Update' });
    const del = co.accounting.adminChange(co.realmId, {
      entity: 'Customer',
      operation: 'delete',
      data: { Id: ids.bill },
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
    const inv = createInvoice([itemLine(ids.hours, 1, 50)]);
    co.call('POST', 'payment', {
      CustomerRef: { value: ids.amy },
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
