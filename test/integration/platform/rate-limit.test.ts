/**
 * Per-key token buckets on /graphql, in memory and in Redis (shared by two gateways), over HTTP and graphql-ws; and
 * the per-address bucket of requests without a key.
 */
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { wsClient } from '../../support/connect';
import { until } from '../../support/wait';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// 1 a second with a burst of 5: a burst of 12 at once cannot all pass, whatever the machine's speed.
const LIMITS = { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '5', RATE_LIMIT_ANONYMOUS_PER_SECOND: '1' };

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function ask(t: TestGateway, key?: string): Promise<Answer> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Answer['body'],
  };
}

const burst = (t: TestGateway, count: number, key?: string) =>
  Promise.all(Array.from({ length: count }, () => ask(t, key)));

function expectRefused(answer: Answer, kind: RegExp): void {
  expect(answer.status).toBe(429);
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(answer.body.errors).toEqual([
    {
      message: expect.stringMatching(kind),
      extensions: expect.objectContaining({
        code: 'RATE_LIMITED',
        retryAfterSeconds: Number(answer.retryAfter),
      }),
    },
  ]);
}

describe('rate limits in memory', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false', ...LIMITS });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets a key burst, then answers 429 RATE_LIMITED with retryAfterSeconds; other keys are not affected', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const { key: other } = await t.newTenantKey(['READ']);
    const answers = await burst(t, 12, key);
    const allowed = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(allowed.length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expectRefused(refused[0], /this API key/);
    expect((await ask(t, other)).status).toBe(200);
    // The bucket refills: the key gets through again.
    await until(async () => (await ask(t, key)).status === 200, 30_000);
  });

  it('limits requests without a key per client address', async () => {
    const answers = await burst(t, 8);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expectRefused(refused[0], /without an API key from this address/);
    // A keyed caller from the same address has its own bucket.
    const { key } = await t.newTenantKey(['READ']);
    expect((await ask(t, key)).status).toBe(200);
  });

  it('limits graphql-ws operations of a key too', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const client = wsClient(t, key);
    try {
      const outcomes = await Promise.all(
        Array.from(
          { length: 12 },
          () =>
            new Promise<unknown>((resolve) => {
              client.subscribe(
                { query: '{ __typename }' },
                { next: resolve, error: resolve, complete: () => undefined },
              );
            }),
        ),
      );
      const refused = outcomes.filter(Array.isArray) as Array<
        Array<{ extensions?: Record<string, unknown> }>
      >;
      expect(outcomes.length - refused.length).toBeGreaterThanOrEqual(5);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused[0][0].extensions).toMatchObject({
        code: 'RATE_LIMITED',
        retryAfterSeconds: expect.any(Number),
      });
    } finally {
      await client.dispose();
    }
  });
});

describe('rate limits in Redis', () => {
  let first: TestGateway;
  let second: TestGateway;
  beforeAll(async () => {
    first = await startTestGateway('sqlite', { RUN_WORKER: 'false', REDIS_URL, ...LIMITS });
    second = await startTestGateway(
      'sqlite',
      { RUN_WORKER: 'false', REDIS_URL, ...LIMITS },
      { database: first.database },
    );
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('share one bucket per key across gateway processes', async () => {
    const { key } = await first.newTenantKey(['READ']);
    const onFirst = await burst(first, 6, key);
    expect(onFirst.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(5);
    // A fresh bucket would let 5 through at once; the shared one is (nearly) empty.
    const onSecond = await burst(second, 5, key);
    const refused = onSecond.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expectRefused(refused[0], /this API key/);
  });
});
