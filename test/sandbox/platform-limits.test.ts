/**
 * QuickBooks' throttles: concurrency, requests per minute and batch calls per minute, each answered 429 with fault
 * 3001, and the in-flight counters behind `stats.maxConcurrent`.
 */
import type { Sandbox } from '../../src/sandbox';
import { QUERY_PATH, admin, api, connectDemo, startSandbox } from './platform-helpers';

describe('sandbox limits', () => {
  let sandbox: Sandbox;
  let token: string;
  let realmId: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    const connected = await connectDemo(sandbox);
    token = connected.tokens.access_token;
    realmId = connected.realmId;
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const query = () => api(sandbox, token, realmId, 'GET', QUERY_PATH);

  it('answers 429 with fault 3001 beyond 10 requests in flight, and never admits more than 10', async () => {
    // The latency keeps the first requests in flight while the others arrive.
    expect((await admin(sandbox, 'PUT', '/limits', { concurrent: 10, latencyMs: 1000 })).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 15 }, () => query()));
    const throttled = results.filter((r) => r.status === 429);
    const ok = results.filter((r) => r.status === 200);
    expect(throttled.length).toBeGreaterThan(0);
    expect(ok.length + throttled.length).toBe(15);
    expect(throttled[0].json).toMatchObject({
      Fault: {
        Error: [
          {
            Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
            Detail: 'The request limit was reached.  Try again later',
            code: '3001',
          },
        ],
        type: 'SERVICE',
      },
    });
    expect(throttled[0].headers.get('retry-after')).toBeNull();
    const stats = (await admin(sandbox, 'GET', '/stats')).json;
    expect(stats.maxConcurrent).toBeLessThanOrEqual(10);
    expect(stats.maxConcurrentByRealm[realmId]).toBe(stats.maxConcurrent);
    expect(stats.maxConcurrentAttempted).toBeGreaterThan(10);
    expect(stats.throttledBy.concurrent).toBe(throttled.length);
    expect(stats.requests.byStatus['429']).toBe(throttled.length);
  });

  it('reports the raw concurrency when limits are off', async () => {
    sandbox.setLimits({ enabled: false, latencyMs: 1000 });
    const results = await Promise.all(Array.from({ length: 15 }, () => query()));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(sandbox.stats().maxConcurrent).toBeGreaterThan(10);
  });

  it('limits requests per minute over a sliding window, with optional Retry-After and XML', async () => {
    sandbox.setLimits({ perMinute: 5, retryAfterSeconds: 7 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await query()).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const again = await query();
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('7');

    sandbox.setLimits({ format: 'xml' });
    const xml = await query();
    expect(xml.status).toBe(429);
    expect(xml.headers.get('content-type')).toContain('application/xml');
    expect(xml.text).toContain(
      '<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>',
    );

    // Throttled calls do not count: once the window has slid past the five admitted calls, calls go through again.
    // (A 1 ms window stands in for waiting a minute.)
    sandbox.setLimits({ windowMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect((await query()).status).toBe(200);
    expect(sandbox.stats().throttledBy.perMinute).toBe(3);
  });

  it('limits batch calls per minute separately', async () => {
    sandbox.setLimits({ batchPerMinute: 2 });
    const batch = (n: number) =>
      api(sandbox, token, realmId, 'POST', 'batch', {
        BatchItemRequest: [
          { bId: `b${n}`, operation: 'create', Customer: { DisplayName: `Batch Customer ${n}` } },
        ],
      });
    expect((await batch(1)).status).toBe(200);
    expect((await batch(2)).status).toBe(200);
    const third = await batch(3);
    expect(third.status).toBe(429);
    expect(third.json.Fault.Error[0].code).toBe('3001');
    expect((await query()).status).toBe(200);
    const stats = sandbox.stats();
    expect(stats.throttledBy.batchPerMinute).toBe(1);
    expect(stats.requests.byOperation.batch).toBe(3);
  });

  it('rejects bad limit settings', async () => {
    const res = await admin(sandbox, 'PUT', '/limits', { concurrent: 0 });
    expect(res.status).toBe(400);
    expect(res.json.error).toContain('concurrent');
    expect((await admin(sandbox, 'PUT', '/limits', { bogus: 1 })).status).toBe(400);
    expect((await admin(sandbox, 'GET', '/limits')).json).toMatchObject({
      perMinute: 500,
      concurrent: 10,
      batchPerMinute: 120,
    });
  });
});
