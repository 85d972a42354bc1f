/**
 * `npm run bench -- webhooks [--seconds 30] [--rate 1000] [--objects 20000]`: QuickBooks webhooks at 1,000 events a
 * second for 30 s, in deliveries of 1–10 events, half legacy and half CloudEvents, against a real gateway on
 * BENCH_DATABASE_URL's MySQL/MariaDB (else SQLite).
 *
 * Processes as in production: this one is the gateway's HTTP intake; a child is QuickBooks (the emulator) and the
 * sender, so neither the emulator's work nor the load generator's shares the gateway's event loop; and on MySQL/MariaDB
 * the worker that applies the changes runs in a process of its own (bench/job-worker.ts; README, "Scaling out").
 * WEBHOOKS_BENCH_TOPOLOGY=single (and always on SQLite, one process's file) runs the worker in the gateway's process. Every event is a real change
 * made in the emulator just before it is reported (a customer's Notes: a new SyncToken and LastUpdatedTime each time).
 * Prints one JSON line: ack p50/p99, events lost (stored ≠ sent, or the mirror ≠ QuickBooks at the end), time until
 * all are applied, QuickBooks calls used per 100 changed objects, the gateway's CPU per 1,000 events, the targets and
 * whether each is met.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createGateway } from '../src/app';
import { QuickBooksChangeEventEntity, ReferenceEntityRow } from '../src/entities';
import { createLogger } from '../src/logger';
import { createSandbox, type Sandbox } from '../src/sandbox';
import { signIntuitBody } from '../src/webhooks/signature';
import type { JobWorkerMessage } from './job-worker';
import { benchConfig, connectRealm, round, scratchDatabase, waitForBatch } from './support';

const TARGETS = { ackP99Ms: 50, lost: 0, callsPer100ChangedObjects: 1 };

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

// ---- messages between the gateway (parent) and QuickBooks + sender (child) ----
interface Ready {
  type: 'ready';
  url: string;
  realmId: string;
}
interface Start {
  type: 'start';
  webhookUrl: string;
  verifier: string;
  clientId: string;
  seconds: number;
  rate: number;
}
interface Sent {
  type: 'sent';
  acks: number[];
  failed: number;
  sent: number;
  deliveries: number;
  distinct: number;
  changed: string[];
  sendSeconds: number;
}
interface State {
  type: 'state';
  customers: Array<{ Id: string; SyncToken: string; Notes?: string }>;
  requests: number;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`bench child exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The child: the emulator, its customers, and the sender. */
async function runQuickBooksAndSender(): Promise<void> {
  const objects = arg('objects', 20000);
  const sandbox: Sandbox = await createSandbox({ limits: { enabled: true } });
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
  const changed = new Set<string>();
  process.on('message', (message: Start | { type: 'state' } | { type: 'exit' }) => {
    if (message.type === 'start') {
      void send(sandbox, realmId, ids, changed, message).then((sent) => process.send!(sent));
    } else if (message.type === 'state') {
      const all = sandbox.accounting.adminEntities(realmId, 'Customer') as State['customers'];
      const state: State = {
        type: 'state',
        customers: all
          .filter((c) => changed.has(c.Id))
          .map((c) => ({ Id: c.Id, SyncToken: c.SyncToken, Notes: c.Notes })),
        requests: sandbox.stats().requests.total,
      };
      process.send!(state);
    } else if (message.type === 'exit') {
      void sandbox.close().then(() => process.exit(0));
    }
  });
  const ready: Ready = { type: 'ready', url: sandbox.url, realmId };
  process.send!(ready);
}

async function send(
  sandbox: Sandbox,
  realmId: string,
  ids: string[],
  changed: Set<string>,
  start: Start,
): Promise<Sent> {
  const { clientId, verifier, seconds, rate } = start;
  // The bench reports the changes itself (to set the rate); the emulator's own deliveries stay off.
  sandbox.updateApp(clientId, { webhookUrl: null as never });
  sandbox.resetStats();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(start.webhookUrl);
  const acks: number[] = [];
  let failed = 0;
  let sent = 0;
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
  const begun = performance.now();
  let due = 0;
  let deliveries = 0;
  while (performance.now() - begun < seconds * 1000) {
    const elapsed = performance.now() - begun;
    const goal = Math.floor((elapsed / 1000) * rate);
    while (due < goal) {
      const size = Math.min(goal - due, 1 + Math.floor(Math.random() * 10));
      const batch = Array.from({ length: size }, () => ids[Math.floor(Math.random() * ids.length)]);
      deliver(deliveries++ % 2 === 0, batch);
      due += size;
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(1, tickMs - ((performance.now() - begun) % tickMs))),
    );
  }
  const sendSeconds = (performance.now() - begun) / 1000;
  await Promise.all(inFlight);
  agent.destroy();
  return {
    type: 'sent',
    acks,
    failed,
    sent,
    deliveries,
    distinct: expectedKeys.size,
    changed: [...changed],
    sendSeconds,
  };
}

/** The parent: the gateway (HTTP intake and worker) on the bench database. */
async function main(): Promise<void> {
  const seconds = arg('seconds', 30);
  const rate = arg('rate', 1000);
  const child = fork(__filename, process.argv.slice(2), {
    env: { ...process.env, BENCH_WEBHOOKS_ROLE: 'quickbooks' },
  });
  const { url: sandboxUrl, realmId } = await nextMessage<Ready>(child, 'ready');
  const database = await scratchDatabase();
  const env = { QBO_CDC_INTERVAL_MINUTES: '0' };
  const split = process.env.WEBHOOKS_BENCH_TOPOLOGY !== 'single' && database.dialect !== 'sqlite';
  const worker = split
    ? fork(path.join(__dirname, 'job-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : undefined;
  const gateway = await createGateway(benchConfig(database.url, database.dataDir, sandboxUrl, env), {
    logger: createLogger('silent'),
    collectDefaultMetrics: false,
    runWorker: !split,
    worker: { pollMs: 20 },
  });
  const url = await gateway.listen();
  if (worker) {
    const start: JobWorkerMessage = {
      type: 'start',
      databaseUrl: database.url,
      dataDir: database.dataDir,
      emulatorUrl: sandboxUrl,
      env,
    };
    worker.send(start);
    await nextMessage<{ type: 'ready' }>(worker, 'ready');
  }
  /** QuickBooks calls of the inbound sync so far, wherever it runs. */
  const inboundCalls = async (): Promise<number> => {
    if (!worker) return gateway.services.inbound.calls;
    worker.send({ type: 'stats' } satisfies JobWorkerMessage);
    return (await nextMessage<{ type: 'stats'; inboundCalls: number }>(worker, 'stats')).inboundCalls;
  };
  try {
    const tenant = await gateway.services.tenants.create('bench');
    const { connectionId, importBatchId } = await connectRealm(
      gateway,
      undefined as never,
      tenant.id,
      realmId,
    );
    await waitForBatch(gateway, importBatchId);
    // BENCH_NO_WORKER=1: only the intake is measured (nothing is applied).
    if (process.env.BENCH_NO_WORKER) {
      await gateway.worker?.stop({ graceful: true });
      worker?.send({ type: 'stop' } satisfies JobWorkerMessage);
    }
    const callsBefore = process.env.BENCH_NO_WORKER ? 0 : await inboundCalls();
    const loadBefore = os.loadavg()[0];
    const cpuBefore = process.cpuUsage();
    const start: Start = {
      type: 'start',
      webhookUrl: `${url}/webhooks/quickbooks`,
      verifier: gateway.config.quickbooks.webhookVerifierToken,
      clientId: gateway.config.quickbooks.clientId,
      seconds,
      rate,
    };
    child.send(start);
    const result = await nextMessage<Sent>(child, 'sent');
    const cpu = process.cpuUsage(cpuBefore);
    const loadAfter = os.loadavg()[0];
    const ackedAt = performance.now();
    child.send({ type: 'state' });
    const quickbooks = await nextMessage<State>(child, 'state');
    const current = new Map(quickbooks.customers.map((c) => [c.Id, c]));

    // Applied: no event left to process and every changed customer's mirror row at QuickBooks' version.
    const events = gateway.dataSource.getRepository(QuickBooksChangeEventEntity);
    const rows = gateway.dataSource.getRepository(ReferenceEntityRow);
    let mismatched = result.changed.length;
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
        mismatched = result.changed.filter((id) => {
          const row = byId.get(id);
          const qb = current.get(id);
          return !row || !qb || row.syncToken !== qb.SyncToken || row.data.Notes !== qb.Notes;
        }).length;
        if (mismatched === 0) break;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const appliedAt = performance.now();
    const stored = await events.countBy({ connectionId });
    // Every QuickBooks request the emulator served since the sending began (the gateway's inbound reads and anything
    // else it did meanwhile).
    child.send({ type: 'state' });
    const requests = (await nextMessage<State>(child, 'state')).requests;
    const sorted = [...result.acks].sort((a, b) => a - b);
    const changedObjects = result.changed.length;
    const figures = {
      ackP50Ms: round(percentile(sorted, 50), 1),
      ackP99Ms: round(percentile(sorted, 99), 1),
      lost: result.distinct - stored + mismatched,
      callsPer100ChangedObjects: round((requests / Math.max(1, changedObjects)) * 100, 2),
    };
    console.log(
      JSON.stringify({
        bench: 'webhooks',
        database: database.dialect,
        seconds: round(result.sendSeconds, 1),
        targetEventsPerSecond: rate,
        eventsSent: result.sent,
        eventsPerSecond: Math.round(result.sent / result.sendSeconds),
        deliveries: result.deliveries,
        ackP50Ms: figures.ackP50Ms,
        ackP99Ms: figures.ackP99Ms,
        ackMaxMs: round(sorted[sorted.length - 1] ?? 0, 1),
        failedDeliveries: result.failed,
        eventsStored: stored,
        eventsDistinct: result.distinct,
        lost: figures.lost,
        changedObjects,
        secondsUntilAllAppliedAfterLastAck: round((appliedAt - ackedAt) / 1000, 2),
        quickbooksCalls: requests,
        topology: split ? 'split' : 'single',
        inboundCalls: process.env.BENCH_NO_WORKER ? 0 : (await inboundCalls()) - callsBefore,
        callsPer100ChangedObjects: figures.callsPer100ChangedObjects,
        callsPer100Events: round((requests / Math.max(1, result.sent)) * 100, 2),
        gatewayCpuMsPer1000Events: round(((cpu.user + cpu.system) / 1000 / result.sent) * 1000, 0),
        loadAverage: [round(loadBefore, 1), round(loadAfter, 1)],
        cpus: os.cpus().length,
        targets: {
          ackP99Ms: `≤ ${TARGETS.ackP99Ms}`,
          lost: TARGETS.lost,
          callsPer100ChangedObjects: `≤ ${TARGETS.callsPer100ChangedObjects}`,
        },
        met: {
          ackP99Ms: figures.ackP99Ms <= TARGETS.ackP99Ms,
          lost: figures.lost === TARGETS.lost,
          callsPer100ChangedObjects: figures.callsPer100ChangedObjects <= TARGETS.callsPer100ChangedObjects,
        },
      }),
    );
  } finally {
    child.send({ type: 'exit' });
    if (worker?.connected) worker.send({ type: 'stop' } satisfies JobWorkerMessage);
    await gateway.close();
    await database.drop();
  }
}

const run = process.env.BENCH_WEBHOOKS_ROLE === 'quickbooks' ? runQuickBooksAndSender : main;
void run().catch((error) => {
  console.error(error);
  process.exit(1);
});
