import { QuickBooksError } from '../../src/quickbooks';
import { envelope } from './scripted-server';
import { attempts, makeClient, param, path, REALM, server, useScriptedQuickBooks } from './client-harness';

useScriptedQuickBooks();

describe('QuickBooksClient requests', () => {
  it('creates with POST /{entity}, JSON headers, minorversion and a UUID requestid', async () => {
    server.reply({
      body: envelope('Customer', { Id: '58', SyncToken: '0', DisplayName: 'Acme' }),
      headers: { intuit_tid: 'tid-1' },
    });
    const customer = await makeClient().create('Customer', { DisplayName: 'Acme' });
    expect(customer).toMatchObject({ Id: '58', SyncToken: '0', DisplayName: 'Acme' });
    const req = server.requests[0];
    expect(req.method).toBe('POST');
    expect(path(0)).toBe(`/v3/company/${REALM}/customer`);
    expect(param(0, 'minorversion')).toBe('75');
    expect(param(0, 'requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.headers.authorization).toBe('Bearer access-1');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ DisplayName: 'Acme' });
    expect(attempts).toEqual([
      expect.objectContaining({
        operation: 'create',
        entity: 'Customer',
        realmId: REALM,
        attempt: 1,
        ok: true,
        httpStatus: 200,
        intuitTid: 'tid-1',
        requestId: param(0, 'requestid'),
      }),
    ]);
    expect(JSON.stringify(attempts)).not.toContain('access-1');
  });

  it('uses the caller’s requestid verbatim and rejects one that QuickBooks would refuse', async () => {
    server.reply({ body: envelope('SalesReceipt', { Id: '9', SyncToken: '0' }) });
    const client = makeClient();
    await client.create(
      'SalesReceipt',
      { Line: [] },
      { requestId: 'order-42-post', params: { include: 'allowduplicatedocnum' } },
    );
    expect(path(0)).toBe(`/v3/company/${REALM}/salesreceipt`);
    expect(param(0, 'requestid')).toBe('order-42-post');
    expect(param(0, 'include')).toBe('allowduplicatedocnum');
    await expect(client.create('Customer', {}, { requestId: 'x'.repeat(51) })).rejects.toThrow(RangeError);
    await expect(client.create('customer', {})).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(1);
  });

  it('reads with GET /{entity}/{id} and no body, content type or requestid', async () => {
    server.reply({ body: envelope('Item', { Id: '5', Name: 'Widget' }) });
    const item = await makeClient().read('Item', '5');
    expect(item.Name).toBe('Widget');
    expect(server.requests[0].method).toBe('GET');
    expect(path(0)).toBe(`/v3/company/${REALM}/item/5`);
    expect(param(0, 'requestid')).toBeNull();
    expect(param(0, 'minorversion')).toBe('75');
    expect(server.requests[0].headers['content-type']).toBeUndefined();
  });

  it('updates sparse by default, full on request, and needs Id and SyncToken', async () => {
    server.otherwise(() => ({ body: envelope('Customer', { Id: '1', SyncToken: '3' }) }));
    const client = makeClient();
    await client.update('Customer', { Id: '1', SyncToken: '2', Notes: 'vip' });
    await client.update('Customer', { Id: '1', SyncToken: '3', DisplayName: 'A' }, { sparse: false });
    expect(param(0, 'operation')).toBe('update');
    expect(JSON.parse(server.requests[0].body)).toEqual({
      Id: '1',
      SyncToken: '2',
      Notes: 'vip',
      sparse: true,
    });
    expect(JSON.parse(server.requests[1].body)).toEqual({
      Id: '1',
      SyncToken: '3',
      DisplayName: 'A',
      sparse: false,
    });
    expect(param(1, 'requestid')).not.toBe(param(0, 'requestid'));
    await expect(client.update('Customer', { Id: '1' })).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(2);
  });

  it('deletes with ?operation=delete and voids Invoice and SalesReceipt the way QuickBooks wants', async () => {
    server
      .reply({ body: envelope('Invoice', { Id: '42', status: 'Deleted' }) })
      .reply({ body: envelope('Invoice', { Id: '43', SyncToken: '1' }) })
      .reply({ body: envelope('SalesReceipt', { Id: '44', SyncToken: '1' }) })
      .reply({ body: envelope('Payment', { Id: '45', SyncToken: '1' }) });
    const client = makeClient();
    const deleted = await client.delete('Invoice', { Id: '42', SyncToken: '0' });
    expect(deleted.status).toBe('Deleted');
    await client.void('Invoice', { Id: '43', SyncToken: '0' });
    await client.void('SalesReceipt', { Id: '44', SyncToken: '0' });
    await client.void('Payment', { Id: '45', SyncToken: '0' });
    expect([path(0), param(0, 'operation')]).toEqual([`/v3/company/${REALM}/invoice`, 'delete']);
    expect(JSON.parse(server.requests[0].body)).toEqual({ Id: '42', SyncToken: '0' });
    expect([path(1), param(1, 'operation'), param(1, 'include')]).toEqual([
      `/v3/company/${REALM}/invoice`,
      'void',
      null,
    ]);
    expect(JSON.parse(server.requests[1].body)).toEqual({ Id: '43', SyncToken: '0' });
    expect([path(2), param(2, 'operation'), param(2, 'include')]).toEqual([
      `/v3/company/${REALM}/salesreceipt`,
      'update',
      'void',
    ]);
    expect(JSON.parse(server.requests[2].body)).toEqual({ Id: '44', SyncToken: '0', sparse: true });
    expect([path(3), param(3, 'operation'), param(3, 'include')]).toEqual([
      `/v3/company/${REALM}/payment`,
      'update',
      'void',
    ]);
    for (let i = 0; i < 4; i += 1) expect(param(i, 'requestid')).toBeTruthy();
  });

  it('queries by GET when short and by POST application/text when long', async () => {
    server.otherwise(() => ({
      body: {
        QueryResponse: { Customer: [{ Id: '1' }, { Id: '2' }], startPosition: 1, maxResults: 2 },
        time: 't',
      },
    }));
    const client = makeClient({ postQueryAboveChars: 60 });
    const short = "SELECT * FROM Customer WHERE DisplayName = 'O\\'Neil & Co'";
    const result = await client.query(short);
    expect(result).toEqual({
      entity: 'Customer',
      items: [{ Id: '1' }, { Id: '2' }],
      startPosition: 1,
      maxResults: 2,
      totalCount: undefined,
    });
    expect(server.requests[0].method).toBe('GET');
    expect(path(0)).toBe(`/v3/company/${REALM}/query`);
    expect(param(0, 'query')).toBe(short);
    const long = `SELECT * FROM Customer WHERE Id IN (${Array.from({ length: 30 }, (_, i) => `'${i}'`).join(', ')})`;
    await client.query(long);
    expect(server.requests[1].method).toBe('POST');
    expect(server.requests[1].headers['content-type']).toBe('application/text');
    expect(server.requests[1].body).toBe(long);
    expect(param(1, 'query')).toBeNull();
    expect(param(1, 'minorversion')).toBe('75');
  });

  it('pages with STARTPOSITION/MAXRESULTS until a short page and counts with COUNT(*)', async () => {
    const total = 2500;
    server.otherwise((req) => {
      const q = req.url.searchParams.get('query') ?? '';
      if (q.includes('COUNT(*)')) return { body: { QueryResponse: { totalCount: total }, time: 't' } };
      const start = Number(/STARTPOSITION (\d+)/.exec(q)?.[1]);
      const max = Number(/MAXRESULTS (\d+)/.exec(q)?.[1]);
      const items = [];
      for (let i = start; i < start + max && i <= total; i += 1) items.push({ Id: String(i) });
      return {
        body: {
          QueryResponse: items.length ? { Item: items, startPosition: start, maxResults: items.length } : {},
        },
      };
    });
    const client = makeClient();
    const ids: string[] = [];
    for await (const item of client.queryAll('Item', 'Active IN (true, false)')) ids.push(item.Id as string);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(server.requests.map((r) => r.url.searchParams.get('query'))).toEqual([
      'SELECT * FROM Item WHERE Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000',
      'SELECT * FROM Item WHERE Active IN (true, false) STARTPOSITION 1001 MAXRESULTS 1000',
      'SELECT * FROM Item WHERE Active IN (true, false) STARTPOSITION 2001 MAXRESULTS 1000',
    ]);
    const again: string[] = [];
    for await (const item of client.queryAll('Item', 'ORDERBY Id', 500)) again.push(item.Id as string);
    expect(again).toHaveLength(total);
    // 2500 is a multiple of 500: the sixth page comes back empty and ends the loop.
    expect(server.requests.slice(3).map((r) => r.url.searchParams.get('query'))).toHaveLength(6);
    expect(param(3, 'query')).toBe('SELECT * FROM Item ORDERBY Id STARTPOSITION 1 MAXRESULTS 500');
    expect(await client.count('Item', "Type = 'Service'")).toBe(total);
    expect(server.requests.at(-1)?.url.searchParams.get('query')).toBe(
      "SELECT COUNT(*) FROM Item WHERE Type = 'Service'",
    );
    await expect(client.queryAll('Item', undefined, 1001).next()).rejects.toThrow(RangeError);
  });

  it('reads CDC, company info and preferences', async () => {
    server
      .reply({
        body: {
          CDCResponse: [
            {
              QueryResponse: [
                { Customer: [{ Id: '1', SyncToken: '2' }], startPosition: 1, maxResults: 1 },
                { Invoice: [{ Id: '7', status: 'Deleted', domain: 'QBO' }], startPosition: 1, maxResults: 1 },
              ],
            },
          ],
          time: '2024-05-02T00:00:00.000-07:00',
        },
      })
      .reply({ body: envelope('CompanyInfo', { Id: '1', CompanyName: 'Sandbox Co' }) })
      .reply({ body: { Preferences: { SalesFormsPrefs: { AllowShipping: true } }, time: 't' } });
    const client = makeClient();
    const cdc = await client.cdc(['Customer', 'Invoice', 'Item'], new Date('2024-05-01T12:00:00.000Z'));
    expect(cdc).toEqual({
      entities: {
        Customer: [{ Id: '1', SyncToken: '2' }],
        Invoice: [{ Id: '7', status: 'Deleted', domain: 'QBO' }],
        Item: [],
      },
      time: '2024-05-02T00:00:00.000-07:00',
    });
    expect(path(0)).toBe(`/v3/company/${REALM}/cdc`);
    expect(param(0, 'entities')).toBe('Customer,Invoice,Item');
    expect(param(0, 'changedSince')).toBe('2024-05-01T12:00:00+00:00');
    expect((await client.companyInfo()).CompanyName).toBe('Sandbox Co');
    expect(path(1)).toBe(`/v3/company/${REALM}/companyinfo/${REALM}`);
    expect(await client.preferences()).toEqual({ SalesFormsPrefs: { AllowShipping: true } });
    expect(path(2)).toBe(`/v3/company/${REALM}/preferences`);
  });

  it('reuses keep-alive connections between calls', async () => {
    server.otherwise(() => ({ body: envelope('Item', { Id: '1' }) }));
    const client = makeClient();
    for (let i = 0; i < 20; i += 1) await client.read('Item', '1');
    expect(new Set(server.requests.map((r) => r.connection)).size).toBe(1);
  });
});

describe('QuickBooksClient batch', () => {
  it('sends up to 30 operations and returns one result per item in request order', async () => {
    server.reply((req) => {
      const items = JSON.parse(req.body).BatchItemRequest;
      expect(items).toEqual([
        { bId: '1', operation: 'create', Customer: { DisplayName: 'Acme' } },
        { bId: 'upd', operation: 'update', Customer: { Id: '3', SyncToken: '0', Notes: 'x', sparse: true } },
        { bId: '3', Query: 'SELECT * FROM Item' },
        { bId: '4', operation: 'void', Invoice: { Id: '8', SyncToken: '1' } },
        {
          bId: '5',
          operation: 'update',
          optionsData: 'void',
          Payment: { Id: '9', SyncToken: '2', sparse: true },
        },
        { bId: '6', operation: 'delete', SalesReceipt: { Id: '10', SyncToken: '0' } },
      ]);
      // Answered out of order, and item 6 is missing.
      return {
        body: {
          BatchItemResponse: [
            { bId: '3', QueryResponse: { Item: [{ Id: '1' }], startPosition: 1, maxResults: 1 } },
            {
              bId: 'upd',
              Fault: {
                type: 'ValidationFault',
                Error: [{ Message: 'Stale Object Error', Detail: 'Stale Object Error : x', code: '5010' }],
              },
            },
            { bId: '1', Customer: { Id: '77', SyncToken: '0', DisplayName: 'Acme' } },
            { bId: '4', Invoice: { Id: '8', SyncToken: '2' } },
            { bId: '5', Payment: { Id: '9', SyncToken: '3' } },
          ],
          time: 't',
        },
      };
    });
    const results = await makeClient().batch([
      { operation: 'create', entity: 'Customer', body: { DisplayName: 'Acme' } },
      { bId: 'upd', operation: 'update', entity: 'Customer', body: { Id: '3', SyncToken: '0', Notes: 'x' } },
      { operation: 'query', query: 'SELECT * FROM Item' },
      { operation: 'void', entity: 'Invoice', body: { Id: '8', SyncToken: '1' } },
      { operation: 'void', entity: 'Payment', body: { Id: '9', SyncToken: '2' } },
      { operation: 'delete', entity: 'SalesReceipt', body: { Id: '10', SyncToken: '0' } },
    ]);
    expect(results.map((r) => r.bId)).toEqual(['1', 'upd', '3', '4', '5', '6']);
    expect(results[0]).toEqual({
      bId: '1',
      ok: true,
      entity: 'Customer',
      value: { Id: '77', SyncToken: '0', DisplayName: 'Acme' },
    });
    const stale = results[1];
    expect(stale.ok).toBe(false);
    if (stale.ok) throw new Error('unreachable');
    expect(stale.error).toBeInstanceOf(QuickBooksError);
    expect(stale.error).toMatchObject({
      quickbooksCode: '5010',
      category: 'RETRYABLE',
      entity: 'Customer',
      operation: 'update',
    });
    expect(results[2]).toMatchObject({ ok: true, query: { entity: 'Item', items: [{ Id: '1' }] } });
    const missing = results[5];
    if (missing.ok) throw new Error('item 6 should be missing');
    expect(missing.error.message).toContain('outcome is unknown');
    expect(server.requests).toHaveLength(1);
    expect(path(0)).toBe(`/v3/company/${REALM}/batch`);
    expect(param(0, 'requestid')).toHaveLength(36);
  });

  it('refuses more than 30 operations, long bIds and long batch requestids without calling QuickBooks', async () => {
    const client = makeClient();
    const item = { operation: 'create' as const, entity: 'Customer', body: { DisplayName: 'x' } };
    await expect(client.batch(Array.from({ length: 31 }, () => item))).rejects.toThrow(RangeError);
    await expect(client.batch([{ ...item, bId: 'elevenchars' }])).rejects.toThrow(RangeError);
    await expect(
      client.batch([
        { ...item, bId: 'a' },
        { ...item, bId: 'a' },
      ]),
    ).rejects.toThrow(RangeError);
    await expect(client.batch([item], { requestId: 'x'.repeat(37) })).rejects.toThrow(RangeError);
    expect(await client.batch([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
    server.reply({ body: { BatchItemResponse: [], time: 't' } });
    const thirty = await client.batch(Array.from({ length: 30 }, () => item));
    expect(thirty).toHaveLength(30);
    expect(JSON.parse(server.requests[0].body).BatchItemRequest).toHaveLength(30);
  });
});
