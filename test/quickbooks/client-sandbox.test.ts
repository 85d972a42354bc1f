import { connectApp, createSandbox, Sandbox } from '../../src/sandbox';
import {
  AccessTokenSource,
  AttemptInfo,
  GovernorRegistry,
  QuickBooksClient,
  QuickBooksClientOptions,
  QuickBooksEntity,
  QuickBooksError,
} from '../../src/quickbooks';

/**
 * The client against the emulator over real HTTP: the same code path as production, with the emulator's OAuth,
 * limits, faults and counters standing in for Intuit.
 */

const REDIRECT_URI = 'http://127.0.0.1:4000/oauth/callback';

/** Tokens from the emulator's OAuth endpoints, refreshed through the real refresh grant. */
class SandboxTokens implements AccessTokenSource {
  refreshes = 0;
  constructor(
    private readonly sandbox: Sandbox,
    private access: string,
    private refresh: string,
  ) {}

  async getAccessToken(): Promise<string> {
    return this.access;
  }

  async refreshAfterUnauthorized(): Promise<string> {
    this.refreshes += 1;
    const { clientId, clientSecret } = this.sandbox.demoApp;
    const res = await fetch(`${this.sandbox.url}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refresh }).toString(),
    });
    const json = (await res.json()) as { access_token: string; refresh_token: string };
    if (res.status !== 200) throw new Error(`refresh failed with HTTP ${res.status}`);
    this.access = json.access_token;
    this.refresh = json.refresh_token;
    return this.access;
  }
}

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

interface Harness {
  client: QuickBooksClient;
  realmId: string;
  tokens: SandboxTokens;
  attempts: AttemptInfo[];
  governors: GovernorRegistry;
  make(overrides?: Partial<QuickBooksClientOptions>): QuickBooksClient;
}

/** A fresh company, connected, with a client whose retries are fast. */
const connect = async (overrides: Partial<QuickBooksClientOptions> = {}): Promise<Harness> => {
  const realm = sandbox.createRealm({ companyName: `Client test ${Math.random().toString(36).slice(2, 8)}` });
  const { clientId, clientSecret } = sandbox.demoApp;
  const { realmId, tokens: t } = await connectApp(sandbox.url, {
    clientId,
    clientSecret,
    redirectUri: REDIRECT_URI,
    realmId: realm,
  });
  const tokens = new SandboxTokens(sandbox, t.access_token, t.refresh_token);
  const attempts: AttemptInfo[] = [];
  const governors = new GovernorRegistry();
  const make = (more: Partial<QuickBooksClientOptions> = {}): QuickBooksClient =>
    new QuickBooksClient({
      baseUrl: sandbox.url,
      realmId,
      tokens,
      governors,
      retry: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 6 },
      onAttempt: (info) => attempts.push(info),
      ...overrides,
      ...more,
    });
  return { client: make(), realmId, tokens, attempts, governors, make };
};

const adminEntities = async (realmId: string, entity: string): Promise<QuickBooksEntity[]> => {
  const res = await fetch(`${sandbox.url}/_sandbox/realms/${realmId}/entities/${entity}`);
  return ((await res.json()) as { items: QuickBooksEntity[] }).items;
};

/** An income account and a service item, for transactions. */
const serviceItem = async (client: QuickBooksClient, name: string): Promise<QuickBooksEntity> => {
  const income = await client.query("SELECT * FROM Account WHERE AccountType = 'Income'");
  expect(income.items.length).toBeGreaterThan(0);
  return client.create('Item', {
    Name: name,
    Type: 'Service',
    UnitPrice: 25,
    IncomeAccountRef: { value: income.items[0].Id },
  });
};

afterEach(() => {
  sandbox.clearFaults();
  sandbox.setLimits({
    enabled: true,
    perMinute: 500,
    concurrent: 10,
    batchPerMinute: 120,
    latencyMs: 0,
    windowMs: 60_000,
    format: 'json',
    retryAfterSeconds: null as unknown as undefined,
  });
});

describe('QuickBooksClient against the emulator', () => {
  it('creates, reads, updates, queries, counts and pages customers', async () => {
    const { client } = await connect();
    const created = await client.create('Customer', {
      DisplayName: 'Round Trip Ltd',
      PrimaryEmailAddr: { Address: 'a@b.c' },
    });
    expect(created.Id).toBeTruthy();
    expect(created.SyncToken).toBe('0');
    const read = await client.read('Customer', created.Id as string);
    expect(read.DisplayName).toBe('Round Trip Ltd');
    const updated = await client.update('Customer', { Id: read.Id, SyncToken: read.SyncToken, Notes: 'vip' });
    expect(updated.SyncToken).toBe('1');
    expect(updated.Notes).toBe('vip');
    // Sparse: the e-mail address we did not send is kept.
    expect(updated.PrimaryEmailAddr).toEqual({ Address: 'a@b.c' });

    const found = await client.query("SELECT * FROM Customer WHERE DisplayName = 'Round Trip Ltd'");
    expect(found.entity).toBe('Customer');
    expect(found.items.map((c) => c.Id)).toEqual([created.Id]);

    for (let i = 1; i <= 5; i += 1) await client.create('Customer', { DisplayName: `Paging ${i}` });
    const paged: string[] = [];
    for await (const c of client.queryAll('Customer', "DisplayName LIKE 'Paging%'", 2))
      paged.push(c.DisplayName as string);
    expect(paged.sort()).toEqual(['Paging 1', 'Paging 2', 'Paging 3', 'Paging 4', 'Paging 5']);
    expect(await client.count('Customer', "DisplayName LIKE 'Paging%'")).toBe(5);

    // A long statement goes by POST application/text and must give the same answer.
    const ids = [...Array.from({ length: 150 }, (_, i) => `'${i + 100000}'`), `'${created.Id}'`].join(', ');
    const long = await client.query(
      `SELECT * FROM Customer WHERE DisplayName = 'Round Trip Ltd' AND Id IN (${ids})`,
    );
    expect(long.items.map((c) => c.Id)).toEqual([created.Id]);
  });

  it('surfaces a stale SyncToken (5010) and a duplicate name (6240) without retrying them', async () => {
    const { client, attempts } = await connect();
    const c = await client.create('Customer', { DisplayName: 'Stale Co' });
    await client.update('Customer', { Id: c.Id, SyncToken: c.SyncToken, Notes: 'first' });
    const stale = (await client
      .update('Customer', { Id: c.Id, SyncToken: c.SyncToken, Notes: 'second' })
      .catch((e: unknown) => e)) as QuickBooksError;
    expect(stale).toBeInstanceOf(QuickBooksError);
    expect(stale).toMatchObject({
      quickbooksCode: '5010',
      category: 'RETRYABLE',
      httpStatus: 400,
      attempts: 1,
    });
    expect(stale.hint).toMatch(/re-read and retried/);
    const dup = (await client
      .create('Customer', { DisplayName: 'Stale Co' })
      .catch((e: unknown) => e)) as QuickBooksError;
    expect(dup).toMatchObject({ quickbooksCode: '6240', category: 'FIX_DATA', code: 'QUICKBOOKS_ERROR' });
    expect(dup.extensions.quickbooksCode).toBe('6240');
    expect(attempts.filter((a) => !a.ok)).toHaveLength(2);
  });

  it('posts, voids and deletes transactions', async () => {
    const { client } = await connect();
    const customer = await client.create('Customer', { DisplayName: 'Txn Buyer' });
    const item = await serviceItem(client, 'Consulting hour');
    const line = {
      Amount: 50,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 2, UnitPrice: 25 },
    };
    const receipt = await client.create('SalesReceipt', {
      CustomerRef: { value: customer.Id },
      Line: [line],
    });
    expect(Number(receipt.TotalAmt)).toBe(50);
    const voided = await client.void('SalesReceipt', {
      Id: receipt.Id as string,
      SyncToken: receipt.SyncToken as string,
    });
    expect(Number(voided.TotalAmt)).toBe(0);

    const invoice = await client.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line] });
    const voidedInvoice = await client.void('Invoice', {
      Id: invoice.Id as string,
      SyncToken: invoice.SyncToken as string,
    });
    expect(Number(voidedInvoice.Balance ?? 0)).toBe(0);

    const other = await client.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line] });
    const deleted = await client.delete('Invoice', {
      Id: other.Id as string,
      SyncToken: other.SyncToken as string,
    });
    expect(deleted.status).toBe('Deleted');
    const gone = (await client
      .read('Invoice', other.Id as string)
      .catch((e: unknown) => e)) as QuickBooksError;
    expect(gone).toBeInstanceOf(QuickBooksError);
    expect(gone.quickbooksCode).toBe('610');
    expect(gone.category).toBe('FIX_DATA');
  });

  it('runs a batch with per-item results, and reads CDC, company info and preferences', async () => {
    const { client, realmId } = await connect();
    const since = new Date(sandbox.clock.now().getTime() - 60_000);
    await client.create('Customer', { DisplayName: 'Batch Taken' });
    const results = await client.batch([
      { bId: 'a', operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch One' } },
      { bId: 'b', operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Taken' } },
      { bId: 'c', operation: 'query', query: "SELECT * FROM Customer WHERE DisplayName = 'Batch Taken'" },
    ]);
    expect(results.map((r) => [r.bId, r.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    const [one, taken, query] = results;
    if (!one.ok || !('value' in one)) throw new Error('item a should have created a customer');
    expect(one.value.DisplayName).toBe('Batch One');
    if (taken.ok) throw new Error('item b should fail');
    expect(taken.error).toMatchObject({ quickbooksCode: '6240', category: 'FIX_DATA', entity: 'Customer' });
    if (!query.ok || !('query' in query)) throw new Error('item c should be a query');
    expect(query.query.items).toHaveLength(1);

    const cdc = await client.cdc(['Customer', 'Invoice'], since);
    // New companies come seeded with a few customers; ours must be among the changes, once each.
    const changed = cdc.entities.Customer.map((c) => c.DisplayName);
    expect(changed.filter((n) => n === 'Batch One' || n === 'Batch Taken').sort()).toEqual([
      'Batch One',
      'Batch Taken',
    ]);
    expect(cdc.entities.Invoice).toEqual([]);

    const info = await client.companyInfo();
    expect(info.CompanyName).toMatch(/^Client test/);
    const prefs = await client.preferences();
    expect(prefs).toHaveProperty('SalesFormsPrefs');
    const names = (await adminEntities(realmId, 'Customer')).map((c) => c.DisplayName);
    expect(names.filter((n) => n === 'Batch One')).toHaveLength(1);
    expect(names.filter((n) => n === 'Batch Taken')).toHaveLength(1);
  });

  it('retries injected 429 and 503 faults with the same requestid and counts them', async () => {
    const { client, attempts, realmId } = await connect();
    sandbox.resetStats();
    sandbox.setFaults({
      rules: [
        {
          match: { realmId, entity: 'Customer', operation: 'create' },
          times: 1,
          respond: { status: 429, code: '3001' },
        },
        {
          match: { realmId, entity: 'Customer', operation: 'create' },
          times: 1,
          respond: { status: 503, code: '10000', format: 'html' },
        },
      ],
    });
    const c = await client.create('Customer', { DisplayName: 'Survivor' }, { requestId: 'drill-429-503' });
    expect(c.DisplayName).toBe('Survivor');
    expect(attempts.map((a) => [a.attempt, a.httpStatus, a.ok])).toEqual([
      [1, 429, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(new Set(attempts.map((a) => a.requestId))).toEqual(new Set(['drill-429-503']));
    expect(client.stats()).toMatchObject({
      attempts: 3,
      retries: 2,
      throttled: 1,
      serverErrors: 1,
      succeeded: 1,
    });
    const stats = sandbox.stats();
    expect(stats.requests.byStatus).toMatchObject({ '429': 1, '503': 1, '200': 1 });
    expect(stats.faultsInjected).toBe(2);
    expect(
      (await adminEntities(realmId, 'Customer')).filter((x) => x.DisplayName === 'Survivor'),
    ).toHaveLength(1);
  });

  it('recovers from the emulator’s own throttling (XML 429 on a short window)', async () => {
    const { make, realmId } = await connect();
    const client = make({ retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 30 } });
    sandbox.resetStats();
    sandbox.setLimits({ perMinute: 3, windowMs: 300, format: 'xml' });
    const counts: number[] = [];
    for (let i = 0; i < 8; i += 1) counts.push(await client.count('Customer'));
    expect(counts).toHaveLength(8);
    expect(new Set(counts).size).toBe(1);
    const stats = sandbox.stats();
    expect(stats.throttledBy.perMinute).toBeGreaterThan(0);
    // Every 429 the emulator sent was read (from XML) as throttling and retried until the call got through.
    expect(client.stats()).toMatchObject({
      throttled: stats.throttled,
      retries: stats.throttled,
      succeeded: 8,
      failed: 0,
    });
    expect(stats.requests.byRealm[realmId]).toBe(8 + stats.throttled);
  });

  it('keeps 50 concurrent calls to at most 10 in flight at the emulator, without a 429', async () => {
    const { make, realmId, governors } = await connect();
    const a = make();
    const b = make();
    sandbox.resetStats();
    sandbox.setLimits({ latencyMs: 20 });
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).count('Customer')));
    expect(all).toHaveLength(50);
    const stats = sandbox.stats();
    expect(stats.requests.byRealm[realmId]).toBe(50);
    // "Attempted" counts requests the emulator would have refused too: what the client really sent at once.
    expect(stats.maxConcurrentAttemptedByRealm[realmId]).toBeLessThanOrEqual(10);
    expect(stats.maxConcurrentByRealm[realmId]).toBeLessThanOrEqual(10);
    expect(stats.throttled).toBe(0);
    expect(governors.forRealm(realmId).stats().maxInFlight).toBe(10);

    // Control: the same burst with a governor that allows 20 at once does trip the emulator's limit.
    const loose = make({ governors: new GovernorRegistry({ concurrent: 20 }) });
    sandbox.resetStats();
    sandbox.setLimits({ latencyMs: 100 });
    await Promise.all(Array.from({ length: 20 }, () => loose.count('Customer')));
    expect(sandbox.stats().maxConcurrentAttemptedByRealm[realmId]).toBeGreaterThan(10);
    expect(sandbox.stats().throttledBy.concurrent).toBeGreaterThan(0);
    expect(loose.stats()).toMatchObject({ succeeded: 20, failed: 0 });
  });

  it('a lost response (committed, then dropped) is retried with the same requestid and creates ONE object', async () => {
    const { client, attempts, realmId } = await connect();
    sandbox.resetStats();
    sandbox.setFaults({
      rules: [
        {
          match: { realmId, entity: 'Customer', operation: 'create' },
          times: 1,
          dropResponseAfterCommit: true,
        },
      ],
    });
    const c = await client.create('Customer', { DisplayName: 'Exactly Once' });
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ ok: false, attempt: 1 });
    expect(attempts[0].error?.network).toBe(true);
    expect(attempts[1]).toMatchObject({ ok: true, attempt: 2 });
    expect(attempts[1].requestId).toBe(attempts[0].requestId);
    expect(sandbox.stats().droppedResponses).toBe(1);
    const all = (await adminEntities(realmId, 'Customer')).filter((x) => x.DisplayName === 'Exactly Once');
    expect(all).toHaveLength(1);
    expect(all[0].Id).toBe(c.Id);

    // The same drill on a batch: the replay answers for the whole batch.
    sandbox.setFaults({
      rules: [{ match: { realmId, operation: 'batch' }, times: 1, dropResponseAfterCommit: true }],
    });
    const results = await client.batch([
      { operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Once A' } },
      { operation: 'create', entity: 'Customer', body: { DisplayName: 'Batch Once B' } },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const names = (await adminEntities(realmId, 'Customer')).map((x) => x.DisplayName);
    expect(names.filter((n) => n === 'Batch Once A')).toHaveLength(1);
    expect(names.filter((n) => n === 'Batch Once B')).toHaveLength(1);
  });

  it('refreshes once on 401, and reports NEEDS_REAUTHORIZATION when the refreshed token is refused too', async () => {
    const { client, tokens } = await connect();
    sandbox.advanceClock(3601);
    const c = await client.create('Customer', { DisplayName: 'After Expiry' });
    expect(c.Id).toBeTruthy();
    expect(tokens.refreshes).toBe(1);
    expect(client.stats()).toMatchObject({ unauthorized: 1, tokenRefreshes: 1 });

    const broken = new QuickBooksClient({
      baseUrl: sandbox.url,
      realmId: client.realmId,
      governors: new GovernorRegistry(),
      tokens: {
        getAccessToken: async () => 'revoked-token',
        refreshAfterUnauthorized: async () => 'still-bad-token',
      },
    });
    const err = (await broken.read('Customer', c.Id as string).catch((e: unknown) => e)) as QuickBooksError;
    expect(err).toBeInstanceOf(QuickBooksError);
    expect(err.httpStatus).toBe(401);
    expect(err.category).toBe('NEEDS_REAUTHORIZATION');
    expect(err.hint).toBe('QuickBooks authorization expired or was revoked: reconnect this connection');
    expect(err.message).not.toContain('still-bad-token');
    expect(broken.stats()).toMatchObject({ attempts: 2, tokenRefreshes: 1, unauthorized: 2 });
  });
});
