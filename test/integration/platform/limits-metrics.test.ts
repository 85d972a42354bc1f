/**
 * Metrics under attack and their exposure: 20,000 random operation names leave the output bounded; /metrics needs
 * METRICS_TOKEN when set, or lives on METRICS_PORT alone; the gateway binds HOST (127.0.0.1 in local mode).
 */
import { randomBytes } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../../support/gateway';

const UNLIMITED = { RATE_LIMIT_PER_SECOND: '0', RATE_LIMIT_ANONYMOUS_PER_SECOND: '0' };
const TOKEN = 'metrics-token-0123456789abcdef';
const NAMES = 5_000;

const operationValues = (text: string): Set<string> =>
  new Set(
    [...text.matchAll(/^graphql_operation_duration_seconds_count\{[^}]*operation="([^"]*)"/gm)].map(
      (m) => m[1],
    ),
  );

describe('metrics with a token', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false', METRICS_TOKEN: TOKEN, ...UNLIMITED });
  });
  afterAll(async () => {
    await t?.close();
  });
  const scrape = async (token = TOKEN) =>
    fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });

  // The probe sent 20,000 names (bench/abuse replays that); 5,000 prove the same here: the label set does not grow.
  it('keeps the output bounded after 5,000 random operation names, labelling the contract operation', async () => {
    const { key } = await t.newTenantKey(['READ']);
    await t.graphql(key, 'query Warmup { viewer { tenantId } }');
    await t.graphql(undefined, 'query Warmup { viewer { tenantId } }');
    await t.graphql(undefined, 'query Warmup { __typename }');
    // Without a key (no key lookup per request, so the flood is quick): viewer answers UNAUTHENTICATED.
    await (await scrape()).text(); // the scrape's own series
    const before = await (await scrape()).text();
    let sent = 0;
    const worker = async () => {
      while (sent < NAMES) {
        const name = `Op${sent++}_${randomBytes(6).toString('hex')}`;
        const query = sent % 2 ? `query ${name} { viewer { tenantId } }` : `query ${name} { __typename }`;
        const send = () =>
          fetch(`${t.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query, operationName: name }),
          });
        // A kept-alive socket the server closed as it was reused: send again (the request never arrived).
        const response = await send().catch(send);
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const after = await (await scrape()).text();
    expect([...operationValues(after)].sort()).toEqual(['other', 'viewer']);
    expect(after).toMatch(
      /graphql_operation_duration_seconds_count\{type="query",operation="viewer",outcome="error"\} 2501\n/,
    );
    // Same series as before the flood (counts grew, labels did not).
    expect(after.split('\n').length).toBe(before.split('\n').length);
    expect(after).not.toContain('Op1_');
    // The GraphQL route is labelled as such.
    expect(after).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} \d{4}/);
  }, 600_000);

  it('answers /metrics only with the token', async () => {
    expect((await scrape()).status).toBe(200);
    const wrong = await scrape('not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(
      ((await wrong.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
    ).toBe('UNAUTHENTICATED');
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
  });

  it('listens on 127.0.0.1 in local mode', () => {
    expect(t.gateway.httpServer.address()).toMatchObject({ address: '127.0.0.1' });
  });
});

describe('metrics on their own port', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false', METRICS_PORT: '0', HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves /metrics on METRICS_PORT and not on the main port', async () => {
    const address = t.gateway.metricsServer!.address() as { port: number };
    const scraped = await fetch(`http://127.0.0.1:${address.port}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('http_request_duration_seconds');
    const main = await fetch(`${t.url}/metrics`);
    expect(main.status).toBe(404);
  });
});
