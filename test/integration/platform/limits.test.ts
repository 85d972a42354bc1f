/**
 * The probe's denial-of-service requests, replayed against a real gateway: each is refused with a clear code before
 * any resolver runs, and the server keeps answering meanwhile. (No timing thresholds: the old depth rule took ~20
 * minutes on the 30-level fragment query, so finishing at all is the proof.)
 */
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { wsClient } from '../../support/connect';
import { buildOrders } from '../../support/orders';

function fragmentBomb(levels: number): string {
  let text = '{ __typename ...F0 }\n';
  for (let i = 0; i < levels; i++)
    text += `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }\n`;
  return `${text}fragment F${levels} on Query { __typename }\n`;
}

const aliasesOfOrders = (count: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: orders(first: 500) { edges { node { id lines { sku } } } }`).join(' ')} }`;

interface Answer {
  status: number;
  contentType: string;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

describe('limits of /graphql', () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false' });
    ({ key } = await t.newTenantKey(['READ']));
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = async (
    body: string | Buffer,
    headers: Record<string, string> = {},
    path = '/graphql',
  ): Promise<Answer> => {
    const response = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: (await response.json()) as Answer['body'],
    };
  };
  const ask = (query: string, variables?: unknown, withKey = true) =>
    post(JSON.stringify({ query, variables }), withKey ? { authorization: `Bearer ${key}` } : {});

  it('refuses the exponential fragment query (30 levels, no key) by its cost while /healthz answers', async () => {
    const bombs = Array.from({ length: 8 }, () => ask(fragmentBomb(30), undefined, false));
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    for (const answer of await Promise.all(bombs)) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' }),
        }),
      ]);
    }
  });

  it('refuses 1,000 aliases of orders(first: 500) (79 KB) by its size, and 20 of them by their cost', async () => {
    const thousand = await ask(aliasesOfOrders(1000));
    expect(thousand.status).toBe(400);
    expect(thousand.body.errors?.[0].extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      limit: 'maxTokens',
    });
    const twenty = await ask(aliasesOfOrders(20));
    expect(twenty.body.errors?.map((e) => e.extensions?.limit)).toEqual(['maxCost']);
    expect(twenty.body.data).toBeUndefined();
    const tooManyAliases = await ask(
      `{ ${Array.from({ length: 25 }, (_, i) => `v${i}: viewer { tenantId }`).join(' ')} }`,
    );
    expect(tooManyAliases.body.errors?.map((e) => e.extensions?.limit)).toEqual(['maxAliases']);
    // The sensible form passes: one page.
    const one = await ask(aliasesOfOrders(1));
    expect(one.body).toEqual({ data: { a0: { edges: [] } } });
  });

  it('refuses a 4.7 MB document and 25,000 orders in variables with 413 in the GraphQL error shape', async () => {
    const document = `{ viewer { tenantId } } # ${'x'.repeat(4.7 * 1024 * 1024)}`;
    const big = await ask(document);
    expect(big.status).toBe(413);
    expect(big.contentType).toMatch(/application\/json/);
    expect(big.body.errors?.[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const orders = await ask(
      'mutation($c: ID!, $o: [OrderInput!]!) { upsertOrders(connectionId: $c, channel: "shop", orders: $o) { created } }',
      { c: 'x', o: buildOrders(25_000) },
    );
    expect(orders.status).toBe(413);
    expect(orders.body.errors?.[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('answers JSON for malformed JSON, bad gzip, unknown paths and a persisted-query hash mismatch', async () => {
    const malformed = await post('{"query": ');
    expect([malformed.status, malformed.contentType]).toEqual([400, expect.stringMatching(/json/)]);
    expect(malformed.body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST' });

    const badGzip = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect(badGzip.body.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    const goodGzip = await post(gzipSync(JSON.stringify({ query: '{ __typename }' })), {
      'content-encoding': 'gzip',
    });
    expect(goodGzip.body).toEqual({ data: { __typename: 'Query' } });

    const missing = await post('{}', {}, '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const mismatch = await post(
      JSON.stringify({
        query: '{ __typename }',
        extensions: {
          persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('x').digest('hex') },
        },
      }),
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([
      {
        message: 'provided sha does not match query',
        extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_HASH_MISMATCH' }),
      },
    ]);
    expect(JSON.stringify(mismatch.body)).not.toMatch(/stacktrace|at .*\.js/);
  });

  it('applies the same limits to graphql-ws operations', async () => {
    const client = wsClient(t, key);
    try {
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: fragmentBomb(30) },
          { next: resolve, error: resolve, complete: () => resolve('complete') },
        );
      });
      expect(outcome).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' }),
        }),
      ]);
      const tooLong = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: aliasesOfOrders(1000) },
          { next: resolve, error: resolve, complete: () => resolve('complete') },
        );
      });
      expect(tooLong).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ limit: 'maxTokens' }) }),
      ]);
      const fine = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: '{ viewer { scopes } }' },
          { next: resolve, error: resolve, complete: () => resolve('complete') },
        );
      });
      expect(fine).toEqual({ data: { viewer: { scopes: ['READ'] } } });
    } finally {
      await client.dispose();
    }
  });
});

describe('in production', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false', NODE_ENV: 'production', GRAPHIQL: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('does not suggest field names', async () => {
    const { key } = await t.newTenantKey(['READ']);
    for (const withKey of [undefined, key]) {
      const answer = await t.graphql(withKey, '{ viewr { tenantId } }');
      expect(answer.errors?.map((e) => e.message)).toEqual(['Cannot query field "viewr" on type "Query".']);
    }
  });
});
