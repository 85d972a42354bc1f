/**
 * `npm run bench -- abuse` — the security probe's denial-of-service requests (issue 9), replayed against a real
 * gateway, in one JSON line. For each: how long until the gateway refuses (median per request, with the status and
 * code it answers), and the `/healthz` latency while the attack runs, against `/healthz` idle in the same run
 * (`healthzRatio` = during / idle; near 1 means the attack does not hold up the server). The attacks are sent one
 * after another (as the probe did), the name flood 16 at a time, the burst all at once.
 *
 * - `fragments`: `{__typename ...F0}` with `fragment Fi on Query {__typename ...F(i+1) ...F(i+1)}`, 30 levels, no key;
 * - `aliases`: 1,000 aliases of `orders(first: 500) { edges { node { id lines { sku } } } }` with a READ key (79 KB);
 * - `document`: a 4.7 MB document; `orders25k`: 25,000 orders in the variables of upsertOrders;
 * - `names`: 20,000 requests with random operation names (`ABUSE_BENCH_NAMES`), and the /metrics size before/after;
 * - `burst`: 1,000 requests at once with one key at the default rate limit (50/s, burst 100).
 *
 * The first five run with rate limits off, so that what is measured is the limits themselves. Baseline in the same
 * run: `{ __typename }` sent the same way (`vsTrivialQuery`, `healthzVsTrivialQuery` are ratios to it).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createGateway, type Gateway } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { round, scratchDatabase } from './support';

const NAMES = Number(process.env.ABUSE_BENCH_NAMES ?? 20_000);
const COPIES = 8;

interface Answer {
  ms: number;
  status: number;
  code?: string;
}

async function start(env: Record<string, string>): Promise<{ gateway: Gateway; url: string; key: string }> {
  const database = await scratchDatabase('sqlite');
  const config = loadConfig(
    {
      PORT: '0',
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      RUN_WORKER: 'false',
      ...env,
    },
    database.dataDir,
  );
  const gateway = await createGateway(config, {
    logger: createLogger('silent'),
    collectDefaultMetrics: false,
  });
  const url = await gateway.listen();
  const tenant = await gateway.services.tenants.create('bench');
  const { key } = await gateway.services.apiKeys.create(tenant.id, 'bench', ['READ']);
  const close = gateway.close.bind(gateway);
  gateway.close = async () => {
    await close();
    await database.drop();
  };
  return { gateway, url, key };
}

async function post(url: string, body: string, key?: string): Promise<Answer> {
  const started = performance.now();
  const send = () =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body,
    });
  const response = await send().catch(send);
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]
      ?.extensions?.code;
  } catch {
    code = 'not JSON';
  }
  return { ms: performance.now() - started, status: response.status, code };
}

async function healthz(url: string): Promise<number> {
  const started = performance.now();
  await (await fetch(`${url}/healthz`)).text();
  return performance.now() - started;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** Runs the attack while probing /healthz one request after another; returns both sides. */
async function during(url: string, attack: () => Promise<Answer[]>) {
  let running = true;
  const probes: number[] = [];
  const probing = (async () => {
    while (running) probes.push(await healthz(url));
  })();
  const started = performance.now();
  const answers = await attack();
  const totalMs = performance.now() - started;
  running = false;
  await probing;
  return { answers, totalMs, probes };
}

function fragmentBomb(levels: number): string {
  let text = '{ __typename ...F0 }\n';
  for (let i = 0; i < levels; i++)
    text += `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }\n`;
  return `${text}fragment F${levels} on Query { __typename }\n`;
}

function orders(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `A-${i}`,
    orderNumber: String(1000 + i),
    orderDate: '2026-11-20T10:00:00Z',
    customer: { name: `Customer ${i}`, email: `c${i}@example.com` },
    lines: [{ sku: `SKU-${i % 50}`, name: 'T-shirt', quantity: '2', unitPrice: '12.50', taxable: true }],
  }));
}

async function main(): Promise<void> {
  const open = await start({ RATE_LIMIT_PER_SECOND: '0', RATE_LIMIT_ANONYMOUS_PER_SECOND: '0' });
  const limited = await start({});
  try {
    for (let i = 0; i < 20; i++) await healthz(open.url); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < 100; i++) idle.push(await healthz(open.url));
    const idleMs = median(idle);

    // One request after another, as the probe sent them: /healthz then shows how long one request holds the server.
    const copies =
      (body: string, key?: string, count = COPIES) =>
      async () => {
        const answers: Answer[] = [];
        for (let i = 0; i < count; i++) answers.push(await post(open.url, body, key));
        return answers;
      };
    const aliasDoc = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: orders(first: 500) { edges { node { id lines { sku } } } }`).join(' ')} }`;
    const attacks: Record<string, () => Promise<Answer[]>> = {
      fragments: copies(JSON.stringify({ query: fragmentBomb(30) })),
      aliases: copies(JSON.stringify({ query: aliasDoc }), open.key),
      document: copies(
        JSON.stringify({ query: `{ viewer { tenantId } } # ${'x'.repeat(4.7 * 1024 * 1024)}` }),
        open.key,
        3,
      ),
      orders25k: copies(
        JSON.stringify({
          query:
            'mutation($c: ID!, $o: [OrderInput!]!) { upsertOrders(connectionId: $c, channel: "shop", orders: $o) { created } }',
          variables: { c: 'x', o: orders(25_000) },
        }),
        open.key,
        3,
      ),
    };
    const results: Record<string, unknown> = {};
    const baseline = { ms: 0, healthzMs: 0 };
    const summarize = (run: Awaited<ReturnType<typeof during>>) => {
      const statuses: Record<string, number> = {};
      for (const a of run.answers)
        statuses[`${a.status} ${a.code ?? 'ok'}`] = (statuses[`${a.status} ${a.code ?? 'ok'}`] ?? 0) + 1;
      const healthzMs = median(run.probes);
      return {
        requests: run.answers.length,
        answered: statuses,
        refusalMs: round(median(run.answers.map((a) => a.ms)), 1),
        totalMs: round(run.totalMs, 0),
        healthzMs: round(healthzMs, 2),
        healthzMaxMs: round(Math.max(...run.probes), 1),
        healthzRatio: round(healthzMs / idleMs, 2),
        ...(baseline.ms > 0
          ? {
              vsTrivialQuery: round(median(run.answers.map((a) => a.ms)) / baseline.ms, 2),
              healthzVsTrivialQuery: round(healthzMs / baseline.healthzMs, 2),
            }
          : {}),
      };
    };
    // The baseline: a trivial query sent the same way (one after another), with /healthz probed meanwhile.
    const trivial = await during(open.url, copies(JSON.stringify({ query: '{ __typename }' }), open.key));
    results.trivialQuery = summarize(trivial);
    baseline.ms = median(trivial.answers.map((a) => a.ms));
    baseline.healthzMs = median(trivial.probes);
    for (const [name, attack] of Object.entries(attacks))
      results[name] = summarize(await during(open.url, attack));

    const scrape = async () => (await (await fetch(`${open.url}/metrics`)).text()).length;
    await post(open.url, JSON.stringify({ query: 'query Warm { __typename }' })); // the series the flood will use
    await scrape();
    const metricsBefore = await scrape();
    let sent = 0;
    const names = await during(open.url, async () => {
      const answers: Answer[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (sent < NAMES) {
            const name = `Op${sent++}_${randomBytes(6).toString('hex')}`;
            answers.push(
              await post(
                open.url,
                JSON.stringify({ query: `query ${name} { __typename }`, operationName: name }),
              ),
            );
          }
        }),
      );
      return answers;
    });
    results.names = {
      ...summarize(names),
      metricsBytesBefore: metricsBefore,
      metricsBytesAfter: await scrape(),
    };

    results.burst = summarize(
      await during(limited.url, () =>
        Promise.all(
          Array.from({ length: 1000 }, () =>
            post(limited.url, JSON.stringify({ query: '{ __typename }' }), limited.key),
          ),
        ),
      ),
    );
    console.log(JSON.stringify({ bench: 'abuse', healthzIdleMs: round(idleMs, 2), ...results }));
  } finally {
    await open.gateway.close();
    await limited.gateway.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
