import {
  AccessTokenSource,
  AttemptInfo,
  fullJitterDelay,
  GovernorRegistry,
  QuickBooksClient,
  QuickBooksClientOptions,
  QuickBooksError,
} from '../../src/quickbooks';
import { envelope, ScriptedServer } from './scripted-server';

const REALM = '9130350000000001';

class TestTokens implements AccessTokenSource {
  token = 'access-1';
  refreshes: string[] = [];
  gets = 0;
  async getAccessToken(): Promise<string> {
    this.gets += 1;
    return this.token;
  }
  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    this.refreshes.push(rejected);
    this.token = `access-${this.refreshes.length + 1}`;
    return this.token;
  }
}

const FAULT_6240 = {
  Fault: {
    Error: [
      {
        Message: 'Duplicate Name Exists Error',
        Detail: 'The name supplied already exists. : Id=58',
        code: '6240',
      },
    ],
    type: 'ValidationFault',
  },
  time: '2024-05-01T10:00:00.000-07:00',
};
const THROTTLE_XML =
  '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001">' +
  '<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>' +
  '<Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>';
const GATEWAY_401 = {
  fault: {
    error: [
      {
        message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
        detail: 'Token expired',
        code: '3200',
      },
    ],
    type: 'AUTHENTICATION',
  },
  time: 1633520295688,
};

let server: ScriptedServer;
let tokens: TestTokens;
let attempts: AttemptInfo[];
let sleeps: number[];

const makeClient = (overrides: Partial<QuickBooksClientOptions> = {}): QuickBooksClient =>
  new QuickBooksClient({
    baseUrl: server.url,
    realmId: REALM,
    tokens,
    governors: new GovernorRegistry(),
    retry: { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 5 },
    onAttempt: (info) => attempts.push(info),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });

beforeEach(async () => {
  server = await ScriptedServer.start();
  tokens = new TestTokens();
  attempts = [];
  sleeps = [];
});
afterEach(async () => {
  await server.close();
});

const path = (i: number): string => server.requests[i].url.pathname;
const param = (i: number, name: string): string | null => server.requests[i].url.searchParams.get(name);

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

describe('QuickBooksClient failures and retries', () => {
  it('retries 503, 429, 500 and a reset connection with the SAME requestid, then succeeds', async () => {
    server
      .reply({
        status: 503,
        headers: { 'content-type': 'text/html' },
        body: '<html><title>Service Unavailable</title></html>',
      })
      .reply({ status: 429, headers: { 'content-type': 'application/xml' }, body: THROTTLE_XML })
      .reply({ status: 500, body: '' })
      .reply('reset')
      .reply({ body: envelope('Invoice', { Id: '1', SyncToken: '0' }) });
    const client = makeClient();
    const invoice = await client.create('Invoice', { Line: [] }, { requestId: 'durable-1' });
    expect(invoice.Id).toBe('1');
    expect(server.requests).toHaveLength(5);
    expect(server.requests.map((_, i) => param(i, 'requestid'))).toEqual(Array(5).fill('durable-1'));
    expect(server.requests.map((r) => r.body)).toEqual(Array(5).fill('{"Line":[]}'));
    expect(attempts.map((a) => [a.attempt, a.ok, a.httpStatus])).toEqual([
      [1, false, 503],
      [2, false, 429],
      [3, false, 500],
      [4, false, undefined],
      [5, true, 200],
    ]);
    expect(attempts.slice(0, 4).every((a) => a.retryInMs !== undefined && a.requestId === 'durable-1')).toBe(
      true,
    );
    expect(attempts[1].error?.quickbooksCode).toBe('3001');
    expect(attempts[3].error?.network).toBe(true);
    expect(client.stats()).toMatchObject({
      calls: 1,
      succeeded: 1,
      failed: 0,
      attempts: 5,
      retries: 4,
      throttled: 1,
      serverErrors: 2,
      networkErrors: 1,
    });
  });

  it('honours Retry-After, else waits a full-jitter delay', async () => {
    server
      .reply({ status: 429, headers: { 'retry-after': '0.05' }, body: THROTTLE_XML })
      .reply({ status: 503, body: '' })
      .reply({ status: 503, body: '' })
      .reply({ body: envelope('Item', { Id: '1' }) });
    const client = makeClient({
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 150, maxAttempts: 5 },
    });
    await client.read('Item', '1');
    // 50 ms from Retry-After, then floor(0.5 × min(150, 100·2^1)) and floor(0.5 × min(150, 100·2^2)).
    expect(sleeps).toEqual([50, 75, 75]);
    expect(attempts.map((a) => a.retryInMs)).toEqual([50, 75, 75, undefined]);
  });

  it('pauses every caller of the realm after a 429, not only the one that saw it', async () => {
    server.reply({ status: 429, headers: { 'retry-after': '0.2' }, body: THROTTLE_XML });
    server.otherwise(() => ({ body: envelope('Item', { Id: '1' }) }));
    const governors = new GovernorRegistry();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const throttled = makeClient({ governors, sleep: () => held });
    const bystander = makeClient({ governors, onAttempt: () => undefined });
    const first = throttled.read('Item', '1');
    while (attempts.length === 0) await new Promise((r) => setImmediate(r));
    expect(attempts[0].retryInMs).toBe(200);
    const governor = governors.forRealm(REALM);
    expect(governor.stats().pausedForMs).toBeGreaterThan(0);
    // Another client of the same realm must wait out the pause instead of adding to the overload.
    const second = bystander.read('Item', '2');
    await new Promise((r) => setImmediate(r));
    expect(governor.stats().queued).toBe(1);
    expect(server.requests).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(server.requests).toHaveLength(3);
    expect(governor.stats()).toMatchObject({ started: 3, waited: 2, pausedForMs: 0 });
  });

  it('gives up after maxAttempts with RATE_LIMITED when still throttled', async () => {
    server.otherwise(() => ({
      status: 429,
      headers: { 'content-type': 'application/xml' },
      body: THROTTLE_XML,
    }));
    const client = makeClient({ retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const err = await client.create('Customer', { DisplayName: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuickBooksError);
    expect(err).toMatchObject({
      code: 'RATE_LIMITED',
      category: 'RETRYABLE',
      attempts: 3,
      quickbooksCode: '3001',
    });
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((_, i) => param(i, 'requestid'))).size).toBe(1);
    expect(attempts.at(-1)).toMatchObject({ attempt: 3, ok: false });
    expect(attempts.at(-1)?.retryInMs).toBeUndefined();
    expect(client.stats()).toMatchObject({ failed: 1, throttled: 3, retries: 2 });
  });

  it('does not retry a data error and surfaces code, detail and hint', async () => {
    server.reply({ status: 400, body: FAULT_6240, headers: { intuit_tid: 'tid-9' } });
    const err = (await makeClient()
      .create('Customer', { DisplayName: 'Acme' })
      .catch((e: unknown) => e)) as QuickBooksError;
    expect(err).toMatchObject({
      code: 'QUICKBOOKS_ERROR',
      quickbooksCode: '6240',
      category: 'FIX_DATA',
      httpStatus: 400,
      intuitTid: 'tid-9',
      direction: 'TO_QUICKBOOKS',
    });
    expect(err.hint).toMatch(/already uses this name/);
    expect(err.extensions.quickbooksCode).toBe('6240');
    expect(server.requests).toHaveLength(1);
  });

  it('treats a fault inside a 200 answer as a failure', async () => {
    server.reply({ status: 200, body: FAULT_6240 });
    await expect(makeClient().create('Customer', { DisplayName: 'Acme' })).rejects.toMatchObject({
      quickbooksCode: '6240',
    });
  });

  it('on 401 refreshes once and retries with the new token', async () => {
    server.reply({ status: 401, body: GATEWAY_401 }).reply({ body: envelope('Customer', { Id: '1' }) });
    const client = makeClient();
    await client.create('Customer', { DisplayName: 'x' }, { requestId: 'r-401' });
    expect(tokens.refreshes).toEqual(['access-1']);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer access-1',
      'Bearer access-2',
    ]);
    expect([param(0, 'requestid'), param(1, 'requestid')]).toEqual(['r-401', 'r-401']);
    expect(client.stats()).toMatchObject({ unauthorized: 1, tokenRefreshes: 1, succeeded: 1 });
  });

  it('a second 401 is NEEDS_REAUTHORIZATION, after exactly one refresh', async () => {
    server.otherwise(() => ({ status: 401, body: GATEWAY_401 }));
    const err = (await makeClient()
      .read('Customer', '1')
      .catch((e: unknown) => e)) as QuickBooksError;
    expect(err).toBeInstanceOf(QuickBooksError);
    expect(err.category).toBe('NEEDS_REAUTHORIZATION');
    expect(err.hint).toBe('QuickBooks authorization expired or was revoked: reconnect this connection');
    expect(err.quickbooksCode).toBe('3200');
    expect(tokens.refreshes).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(err.message).not.toContain('access-');
  });

  it('times out an attempt that gets no answer and retries it', async () => {
    server.reply('hang').reply({ body: envelope('Item', { Id: '1' }) });
    const client = makeClient({ timeoutMs: 200 });
    await expect(client.read('Item', '1')).resolves.toMatchObject({ Id: '1' });
    expect(attempts[0]).toMatchObject({ ok: false, attempt: 1 });
    expect(attempts[0].error?.timedOut).toBe(true);
    expect(client.stats()).toMatchObject({ timeouts: 1, networkErrors: 1, retries: 1 });
  });

  it('retries an answer cut off mid-body', async () => {
    server.reply('truncate').reply({ body: envelope('Item', { Id: '1' }) });
    const client = makeClient();
    await expect(client.create('Item', { Name: 'x' }, { requestId: 'cut-1' })).resolves.toMatchObject({
      Id: '1',
    });
    expect(attempts[0]).toMatchObject({ ok: false, attempt: 1 });
    expect(attempts[0].error?.network).toBe(true);
    expect([param(0, 'requestid'), param(1, 'requestid')]).toEqual(['cut-1', 'cut-1']);
  });

  it('retries a reset on a reused keep-alive socket at once', async () => {
    server
      .reply({ body: envelope('Item', { Id: '1' }) })
      .reply('reset')
      .reply({ body: envelope('Item', { Id: '2' }) });
    const client = makeClient({ random: () => 0.99 });
    await client.read('Item', '1');
    await expect(client.read('Item', '2')).resolves.toMatchObject({ Id: '2' });
    expect(attempts[1]).toMatchObject({ ok: false, retryInMs: 0 });
    expect(sleeps).toEqual([]);
  });

  it('reports a server that is down as a retryable network error after all attempts', async () => {
    const url = server.url;
    await server.close();
    const client = makeClient({ baseUrl: url, retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 } });
    const err = (await client.read('Item', '1').catch((e: unknown) => e)) as QuickBooksError;
    expect(err).toBeInstanceOf(QuickBooksError);
    expect(err).toMatchObject({
      network: true,
      category: 'RETRYABLE',
      attempts: 2,
      code: 'QUICKBOOKS_ERROR',
    });
    expect(err.message).toContain('ECONNREFUSED');
    server = await ScriptedServer.start();
  });

  it('ignores an observer that throws', async () => {
    server.reply({ body: envelope('Item', { Id: '1' }) });
    const client = makeClient({
      onAttempt: () => {
        throw new Error('observer broke');
      },
    });
    await expect(client.read('Item', '1')).resolves.toMatchObject({ Id: '1' });
  });

  it('keeps 50 concurrent calls from two clients of one realm to 10 in flight at the server', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    server.otherwise(() => ({ body: envelope('Item', { Id: '1' }), gate }));
    // Two clients of the same realm share its governor when they share the registry.
    const shared = new GovernorRegistry();
    const a = makeClient({ governors: shared });
    const b = makeClient({ governors: shared });
    const all = Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).read('Item', '1')));
    while (server.requests.length < 10) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    expect(server.requests).toHaveLength(10);
    expect(shared.forRealm(REALM).stats()).toMatchObject({ inFlight: 10, queued: 40 });
    open();
    await all;
    expect(server.requests).toHaveLength(50);
    expect(server.maxInFlight).toBe(10);
    expect(shared.forRealm(REALM).stats()).toMatchObject({
      maxInFlight: 10,
      started: 50,
      inFlight: 0,
      queued: 0,
    });
  });
});

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base·2^n)) and reaches both ends', () => {
    for (let n = 0; n < 12; n += 1) {
      const ceiling = Math.min(30_000, 500 * 2 ** n);
      expect(fullJitterDelay(n, 500, 30_000, () => 0)).toBe(0);
      expect(fullJitterDelay(n, 500, 30_000, () => 0.999999)).toBe(ceiling - 1);
      for (let k = 0; k < 200; k += 1) {
        const d = fullJitterDelay(n, 500, 30_000);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        expect(Number.isInteger(d)).toBe(true);
      }
    }
  });
});
