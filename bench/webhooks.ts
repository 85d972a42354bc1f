/**
 * `npm run bench -- webhooks [--seconds 30] [--rate 1000] [--objects 20000]`: QuickBooks webhooks at 1,000 events a
 * second for 30 s, in deliveries of 1–10 events, half legacy and half CloudEvents, against a real gateway (HTTP, its
 * worker in the same process) on BENCH_DATABASE_URL's MySQL/MariaDB (else SQLite). Every event is a real change made
 * in the emulator just before it is reported (a customer's Notes: a new SyncToken and LastUpdatedTime each time). Prints one JSON line: ack p50/p99, events lost (stored ≠ sent, or the
 * mirror ≠ QuickBooks at the end), time until all are applied, QuickBooks calls used per 100 changed objects.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createGateway } from '../src/app';
import { QuickBooksChangeEventEntity, ReferenceEntityRow } from '../src/entities';
import { createLogger } from '../src/logger';
import { createSandbox } from '../src/sandbox';
import { signIntuitBody } from '../src/webhooks/signature';
import { benchConfig, connectRealm, round, scratchDatabase, waitForBatch } from './support';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** One POST on a keep-alive agent; resolves to the status code. */
function post(
  agent: http.Agent,
  target: URL,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const seconds = arg('seconds', 30);
  const rate = arg('rate', 1000);
  const objects = arg('objects', 20000);
  const sandbox = await createSandbox({ limits: { enabled: true } });
  const realmId = sandbox.createRealm({ companyName: 'Bench Webhooks Co' });
  const ids: string[] = [];
  for (let i = 0; i < objects; i++) {
    const created = sandbox.accounting.adminChange(realmId, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: `Hook Customer ${i}` },
    });
    ids.push(String((created.body as { Customer: { Id: string } }).Customer.Id));
  }
  const database = await scratchDatabase();
  const gateway = await createGateway(
    benchConfig(database.url, database.dataDir, sandbox.url, { QBO_CDC_INTERVAL_MINUTES: '0' }),
    { logger: createLogger('silent'), collectDefaultMetrics: false, worker: { pollMs: 20 } },
  );
  const url = await gateway.listen();
  const verifier = gateway.config.quickbooks.webhookVerifierToken;
  try {
    const tenant = await gateway.services.tenants.create('bench');
    const { connectionId, importBatchId } = await connectRealm(gateway, sandbox, tenant.id, realmId);
    await waitForBatch(gateway, importBatchId);
    // BENCH_NO_WORKER=1: only the intake is measured (nothing is applied).
    if (process.env.BENCH_NO_WORKER) await gateway.worker?.stop({ graceful: true });
    // The bench reports the changes itself (to set the rate); the emulator's own deliveries stay off.
    sandbox.updateApp(gateway.config.quickbooks.clientId, { webhookUrl: null as never });
    const clientId = gateway.config.quickbooks.clientId;
    sandbox.resetStats();

    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const target = new URL(`${url}/webhooks/quickbooks`);
    const acks: number[] = [];
    let failed = 0;
    let sent = 0;
    const changed = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    let seq = 0;
    const expectedKeys = new Set<string>();
    let ceCount = 0;
    const deliver = (legacy: boolean, customerIds: string[]) => {
      const events = customerIds.map((id) => {
        const result = sandbox.accounting.adminChange(realmId, {
          entity: 'Customer',
          operation: 'update',
          data: { Id: id, Notes: `change ${++seq}` },
        });
        const customer = (result.body as { Customer: { MetaData: { LastUpdatedTime: string } } }).Customer;
        changed.add(id);
        return { id, lastUpdated: customer.MetaData.LastUpdatedTime };
      });
      const body = legacy
        ? JSON.stringify({
            eventNotifications: [
              {
                realmId,
                dataChangeEvent: {
                  entities: events.map((e) => ({
                    name: 'Customer',
                    id: e.id,
                    operation: 'Update',
                    lastUpdated: e.lastUpdated,
                  })),
                },
              },
            ],
          })
        : JSON.stringify(
            events.map((e) => ({
              specversion: '1.0',
              id: randomUUID(),
              source: `intuit.${clientId}`,
              type: 'qbo.customer.updated.v1',
              datacontenttype: 'application/json',
              time: new Date(Date.parse(e.lastUpdated)).toISOString(),
              intuitentityid: e.id,
              intuitaccountid: realmId,
              data: {},
            })),
          );
      sent += events.length;
      // Legacy events are told apart by realm, entity, id, operation and lastUpdated (whole seconds): two changes of
      // one customer within a second are one event there, by design.
      for (const e of events) expectedKeys.add(legacy ? `${e.id}:${e.lastUpdated}` : `ce:${++ceCount}`);
      const started = performance.now();
      const p = post(
        agent,
        target,
        {
          'content-type': legacy ? 'application/json' : 'application/cloudevents+json',
          'intuit-signature': signIntuitBody(body, verifier),
        },
        body,
      )
        .then((status) => {
          if (status === 200) acks.push(performance.now() - started);
          else failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };

    const tickMs = 10;
    const start = performance.now();
    let due = 0;
    let deliveries = 0;
    while (performance.now() - start < seconds * 1000) {
      const elapsed = performance.now() - start;
      const target = Math.floor((elapsed / 1000) * rate);
      while (due < target) {
        const size = Math.min(target - due, 1 + Math.floor(Math.random() * 10));
        const batch = Array.from({ length: size }, () => ids[Math.floor(Math.random() * ids.length)]);
        deliver(deliveries++ % 2 === 0, batch);
        due += size;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(1, tickMs - ((performance.now() - start) % tickMs))),
      );
    }
    const sendSeconds = (performance.now() - start) / 1000;
    await Promise.all(inFlight);
    const ackedAt = performance.now();

    // Applied: no event left to process and every changed customer's mirror row at QuickBooks' version.
    const events = gateway.dataSource.getRepository(QuickBooksChangeEventEntity);
    const rows = gateway.dataSource.getRepository(ReferenceEntityRow);
    const current = new Map(
      (
        sandbox.accounting.adminEntities(realmId, 'Customer') as Array<{
          Id: string;
          SyncToken: string;
          Notes?: string;
        }>
      ).map((c) => [c.Id, c]),
    );
    let mismatched = changed.size;
    const deadline = Date.now() + (process.env.BENCH_NO_WORKER ? 0 : 600_000);
    for (;;) {
      const open = await events.count({
        where: [
          { connectionId, status: 'PENDING' },
          { connectionId, status: 'PROCESSING' },
        ],
      });
      if (open === 0) {
        const mirror = await rows.find({
          select: { quickbooksId: true, syncToken: true, data: true },
          where: { connectionId, type: 'CUSTOMER' },
        });
        const byId = new Map(mirror.map((r) => [r.quickbooksId, r]));
        mismatched = [...changed].filter((id) => {
          const row = byId.get(id);
          const qb = current.get(id)!;
          return !row || row.syncToken !== qb.SyncToken || row.data.Notes !== qb.Notes;
        }).length;
        if (mismatched === 0) break;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const appliedAt = performance.now();
    const stored = await events.countBy({ connectionId });
    const stats = sandbox.stats();
    const sorted = [...acks].sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'webhooks',
        database: database.dialect,
        seconds: round(sendSeconds, 1),
        targetEventsPerSecond: rate,
        eventsSent: sent,
        eventsPerSecond: Math.round(sent / sendSeconds),
        deliveries,
        ackP50Ms: round(percentile(sorted, 50), 1),
        ackP99Ms: round(percentile(sorted, 99), 1),
        ackMaxMs: round(sorted[sorted.length - 1] ?? 0, 1),
        failedDeliveries: failed,
        eventsStored: stored,
        eventsDistinct: expectedKeys.size,
        lost: expectedKeys.size - stored + mismatched,
        changedObjects: changed.size,
        secondsUntilAllAppliedAfterLastAck: round((appliedAt - ackedAt) / 1000, 2),
        quickbooksCalls: stats.requests.total,
        callsPer100ChangedObjects: round((stats.requests.total / changed.size) * 100, 2),
        callsPer100Events: round((stats.requests.total / sent) * 100, 2),
        inboundCalls: gateway.services.inbound.calls,
      }),
    );
    agent.destroy();
  } finally {
    await gateway.close();
    await sandbox.close();
    await database.drop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
