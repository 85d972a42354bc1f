import { fullJitterDelay, GovernorRegistry, QuickBooksError } from '../../src/quickbooks';
import { envelope } from './scripted-server';
import {
  attempts,
  makeClient,
  param,
  REALM,
  restartServer,
  server,
  sleeps,
  tokens,
  useScriptedQuickBooks,
} from './client-harness';

useScriptedQuickBooks();

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
    await restartServer();
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
