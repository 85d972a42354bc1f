import { spawn, type ChildProcess } from 'node:child_process';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import { LessThanOrEqual } from 'typeorm';
import { loadConfig, type Config } from '../src/config';
import { createCore, type Core } from '../src/core';
import { JobEntity } from '../src/entities';
import { JOB_KINDS } from '../src/job-catalogue';
import { createJobHandlers } from '../src/job-handlers';
import { JobWorker } from '../src/jobs';
import { createLogger } from '../src/logger';
import type { Sandbox } from '../src/sandbox';
import { postingTimings } from '../src/services/posting/timings';

/** A scratch database for a benchmark: SQLite, or MySQL on BENCH_DATABASE_URL's server (the default when it is set). */
export async function scratchDatabase(
  dialect: 'sqlite' | 'mysql' = process.env.BENCH_DATABASE_URL ? 'mysql' : 'sqlite',
): Promise<{ url: string; dataDir: string; dialect: string; drop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-bench-'));
  const base = process.env.BENCH_DATABASE_URL;
  if (dialect === 'sqlite' || !base) {
    return {
      url: `sqlite:${path.join(dataDir, 'bench.sqlite')}`,
      dataDir,
      dialect: 'sqlite',
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `bench_${process.pid}_${Date.now()}`;
  const admin = await createConnection(base);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    dialect: 'mysql',
    drop: async () => {
      const conn = await createConnection(base);
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function benchConfig(
  databaseUrl: string,
  dataDir: string,
  sandboxUrl: string,
  extra: Record<string, string> = {},
): Readonly<Config> {
  return loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, QBO_SANDBOX_URL: sandboxUrl, ...extra },
    dataDir,
  );
}

/** Connects a realm through the real OAuth flow (consent auto-approved); returns the connection and its import batch. */
export async function connectRealm(
  core: Core,
  sandbox: Sandbox,
  tenantId: string,
  realmId: string,
): Promise<{ connectionId: string; importBatchId: string }> {
  const { connection, authorizationUrl } = await core.services.connections.connect(tenantId, {
    name: `bench ${realmId}`,
  });
  const consent = new URL(authorizationUrl);
  consent.searchParams.set('sandbox_consent', 'approve');
  consent.searchParams.set('sandbox_realm', realmId);
  const response = await fetch(consent, { redirect: 'manual' });
  const location = new URL(response.headers.get('location')!);
  const outcome = await core.services.connections.completeAuthorization(
    Object.fromEntries(location.searchParams),
  );
  if (!outcome.ok || !outcome.importBatchId) throw new Error(outcome.message);
  void sandbox;
  return { connectionId: connection.id, importBatchId: outcome.importBatchId };
}

export function waitForBatch(core: Core, batchId: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = async (): Promise<void> => {
      const batch = await core.services.batches.findById(batchId);
      if (batch && ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`batch ${batchId} did not finish`));
      setTimeout(() => void check(), 20);
    };
    void check();
  });
}

/**
 * Waits until no job is due or running (the catch-up a new connection starts, partner webhooks of an ingest), so a
 * measured run does not share QuickBooks' 10 slots with work that is not its own. Scheduled rounds later on wait.
 */
export async function waitForQuietJobs(core: Core, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await core.dataSource
      .getRepository(JobEntity)
      .countBy([{ status: 'RUNNING' }, { status: 'QUEUED', runAt: LessThanOrEqual(new Date()) }]);
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`${busy} jobs still busy after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** The emulator running in its own process, with its admin API. */
export interface Emulator {
  url: string;
  process: ChildProcess;
  admin(method: string, route: string, body?: unknown): Promise<unknown>;
}

/** The emulator in its own process, so its memory and CPU are not the gateway's. */
export async function startEmulator(): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'src', 'sandbox', 'main.js'), '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /emulator on (http:\/\/\S+)/.exec(buffer);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error('emulator exited')));
  });
  child.stdout.resume();
  return {
    url,
    process: child,
    async admin(method, route, body) {
      const call = () =>
        fetch(`${url}/_sandbox/${route}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // A keep-alive socket the emulator closed while the bench was busy elsewhere: one more try on a new one.
      const response = await call().catch(call);
      return response.json();
    },
  };
}

/** CPU seconds used so far by a process (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** How many orders, distinct customers and distinct SKUs a benchmark posts. */
export interface Shape {
  orders: number;
  customers: number;
  skus: number;
}

/** Orders of the benchmarks: 3 lines and a freight charge each, customers and SKUs cycling through the shape. */
export function buildOrders(shape: Shape, offset: number, count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    return {
      externalId: `bench-${i}`,
      orderNumber: `B${100000 + i}`,
      orderDate: new Date(Date.UTC(2026, 10, 1 + (i % 20))),
      currency: 'USD',
      customer: {
        name: `Bench Buyer ${i % shape.customers}`,
        email: `buyer${i % shape.customers}@example.com`,
      },
      lines: [0, 1, 2].map((j) => ({
        sku: `BENCH-${(i * 3 + j) % shape.skus}`,
        name: `Bench Product ${(i * 3 + j) % shape.skus}`,
        quantity: String(1 + ((i + j) % 4)),
        unitPrice: `${5 + ((i + j * 11) % 40)}.${String((i * 13 + j) % 100).padStart(2, '0')}`,
        taxable: j === 0,
      })),
      charges: [{ kind: 'FREIGHT' as const, amount: `${3 + (i % 6)}.50` }],
      discountTotal: '0',
      taxTotal: '0',
    };
  });
}

/**
 * A gateway core on the database (worker in this process) connected to a new company of the emulator, reference
 * data imported, an income account set.
 */
export async function setUp(emulator: Emulator, databaseUrl: string, dataDir: string) {
  const { realmId } = (await emulator.admin('POST', 'realms', { companyName: 'Bench Posting Co' })) as {
    realmId: string;
  };
  const core = await createCore(
    benchConfig(databaseUrl, dataDir, emulator.url),
    createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
    {
      runWorker: false,
      collectDefaultMetrics: false,
    },
  );
  const tenant = await core.services.tenants.create('bench');
  const worker = new JobWorker(core.queue, {
    kinds: JOB_KINDS,
    handlers: createJobHandlers(core.services),
    logger: createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
    // The default poll: jobs queued in this process wake the worker at once, and a fast poll is CPU taken from the run.
  });
  await worker.start();
  const { connectionId, importBatchId } = await connectRealm(core, undefined as never, tenant.id, realmId);
  await waitForBatch(core, importBatchId);
  await waitForQuietJobs(core);
  const accounts = await core.services.references.list(
    tenant.id,
    connectionId,
    { type: 'ACCOUNT' },
    { first: 500 },
  );
  const account = (type: string) => accounts.nodes.find((a) => a.kind === type)!.quickbooksId;
  await core.services.connections.updateSettings(tenant.id, connectionId, {
    incomeAccountId: account('Income'),
  });
  return { core, worker, tenantId: tenant.id, connectionId, realmId };
}

/** Upserts the shape's orders, 1,000 a call; returns their ids and how long it took. */
export async function ingest(
  core: Core,
  tenantId: string,
  connectionId: string,
  shape: Shape,
): Promise<{ ids: string[]; seconds: number }> {
  const started = performance.now();
  const ids: string[] = [];
  for (let offset = 0; offset < shape.orders; offset += 1000) {
    const batch = buildOrders(shape, offset, Math.min(1000, shape.orders - offset));
    const result = await core.services.orders.upsert(tenantId, connectionId, 'bench', batch);
    ids.push(...result.orders.map((o) => o.id));
  }
  return { ids, seconds: (performance.now() - started) / 1000 };
}

/**
 * The least time QuickBooks' limits allow for the unavoidable creates of a posting: customers and items before the
 * transactions that need them, each in full batches of 30; at most 10 calls at once (each `latencyMs`) and 120 batch
 * calls per window. bench/posting and bench/invoices measure against it.
 */
export function limitedCeiling(shape: Shape, latencyMs: number, windowMs: number) {
  const referenceCalls = Math.ceil(shape.customers / 30) + Math.ceil(shape.skus / 30);
  const transactionCalls = Math.ceil(shape.orders / 30);
  const concurrencyBoundMs = (Math.ceil(referenceCalls / 10) + Math.ceil(transactionCalls / 10)) * latencyMs;
  const rateBoundMs =
    Math.max(0, Math.ceil((referenceCalls + transactionCalls) / 120) - 1) * windowMs + latencyMs;
  return {
    windowSeconds: windowMs / 1000,
    concurrencyBoundSeconds: round(concurrencyBoundMs / 1000),
    rateBoundSeconds: round(rateBoundMs / 1000),
    unavoidableBatchCalls: referenceCalls + transactionCalls,
    ceilingSeconds: round(Math.max(concurrencyBoundMs, rateBoundMs) / 1000),
  };
}

/** With BENCH_PROFILE=<file>, a CPU profile of the posting itself (load it in Chrome DevTools). */
export async function profiled<T>(work: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return work();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/** A call seen by the trace, in ms since the trace began. */
interface TracedCall {
  label: string;
  queuedAt: number;
  startedAt: number;
  endedAt: number;
}

/** Labels of the calls that carry the work itself (the transactions, the deletes), as opposed to look-ups. */
const WORK_CALL = /^batch:(create|update|delete|void) (SalesReceipt|Invoice|Payment)$/;

/**
 * Where the time of a run goes, from the realm governors' view of every QuickBooks call: time to the first call and
 * to the first work call (transactions, deletes), calls in flight over the run (mean, share of time at the limit,
 * idle gaps with none in flight), the tail after the last call, and the posting pipeline's own DB phases.
 * `trace.stop(totalSeconds)` returns the figures; call it when the run is over.
 */
export function traceCalls(core: Core, concurrent = 10) {
  const origin = performance.now();
  const calls: TracedCall[] = [];
  postingTimings.reset();
  // How long a timer due now waits for the event loop: what an answer arriving at a random moment waits too.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  core.governors.observe((call) => {
    // Calls under way before the run (an import's last look-ups) are not the run's.
    if (call.startedAt < origin) return;
    calls.push({
      label: call.label ?? call.kind,
      queuedAt: call.queuedAt - origin,
      startedAt: call.startedAt - origin,
      endedAt: call.endedAt - origin,
    });
  });
  return {
    stop(totalSeconds: number) {
      core.governors.observe(undefined);
      loopDelay.disable();
      // The histogram counts the 1 ms resolution itself in every sample.
      const delayMs = (ns: number) => round(Math.max(0, ns / 1e6 - 1), 1);
      const totalMs = totalSeconds * 1000;
      const events = calls
        .flatMap((c) => [
          { at: c.startedAt, delta: 1 },
          { at: c.endedAt, delta: -1 },
        ])
        .sort((a, b) => a.at - b.at || a.delta - b.delta);
      let inFlight = 0;
      let last = events[0]?.at ?? 0;
      let weighted = 0;
      let atLimitMs = 0;
      let idleMs = 0;
      const gaps: number[] = [];
      for (const event of events) {
        const span = event.at - last;
        weighted += inFlight * span;
        if (inFlight >= concurrent) atLimitMs += span;
        if (inFlight === 0 && span > 0) {
          idleMs += span;
          if (span >= 5) gaps.push(round(span, 0));
        }
        inFlight += event.delta;
        last = event.at;
      }
      const firstStart = calls.length ? Math.min(...calls.map((c) => c.startedAt)) : 0;
      const lastEnd = calls.length ? Math.max(...calls.map((c) => c.endedAt)) : 0;
      const busyMs = lastEnd - firstStart;
      const work = calls.filter((c) => WORK_CALL.test(c.label));
      const byLabel: Record<string, number> = {};
      const durations: Record<string, number> = {};
      for (const c of calls) {
        byLabel[c.label] = (byLabel[c.label] ?? 0) + 1;
        durations[c.label] = (durations[c.label] ?? 0) + c.endedAt - c.startedAt;
      }
      const meanCallMs = Object.fromEntries(
        Object.entries(durations).map(([label, ms]) => [label, round(ms / byLabel[label], 0)]),
      );
      // When each kind of call ran: the first one's start and the last one's end (the run's phases, in ms).
      const spanMs: Record<string, [number, number]> = {};
      for (const c of calls) {
        const span = spanMs[c.label];
        spanMs[c.label] = span
          ? [Math.min(span[0], round(c.startedAt, 0)), Math.max(span[1], round(c.endedAt, 0))]
          : [round(c.startedAt, 0), round(c.endedAt, 0)];
      }
      const governorWaitMs = calls.reduce((sum, c) => sum + (c.startedAt - c.queuedAt), 0);
      return {
        calls: calls.length,
        callsByLabel: byLabel,
        meanCallMs,
        spanMs,
        firstCallMs: round(firstStart, 0),
        /** The round trip the work calls actually took (a busy machine slows the emulator down too). */
        meanWorkCallMs: work.length
          ? round(work.reduce((sum, c) => sum + c.endedAt - c.startedAt, 0) / work.length, 0)
          : null,
        firstWorkCallMs: work.length ? round(Math.min(...work.map((c) => c.startedAt)), 0) : null,
        lastCallEndMs: round(lastEnd, 0),
        tailMs: round(totalMs - lastEnd, 0),
        meanInFlight: busyMs > 0 ? round(weighted / busyMs, 2) : 0,
        shareAtLimit: busyMs > 0 ? round(atLimitMs / busyMs, 2) : 0,
        idleMs: round(idleMs, 0),
        idleGapsMs: gaps.slice(0, 20),
        meanGovernorWaitMs: calls.length ? round(governorWaitMs / calls.length, 1) : 0,
        pipelinePhasesMs: postingTimings.snapshot(),
        eventLoopDelayMs: {
          mean: delayMs(loopDelay.mean),
          p50: delayMs(loopDelay.percentile(50)),
          p90: delayMs(loopDelay.percentile(90)),
          p99: delayMs(loopDelay.percentile(99)),
          max: delayMs(loopDelay.max),
        },
      };
    },
  };
}

/**
 * The ratio against the ceiling recomputed at the round trip the calls really took: on a busy machine the emulator
 * answers slower than its configured latency, and this separates "the gateway kept the slots busy" from that.
 */
export function ratioAtObservedLatency(
  shape: Shape,
  observedMs: number | null,
  windowMs: number,
  seconds: number,
): number | null {
  if (!observedMs) return null;
  return round(limitedCeiling(shape, observedMs, windowMs).ceilingSeconds / seconds, 2);
}

/** The targets a bench checks, with `met` flags: ratio ≥ target for each. */
export function targets(checks: Record<string, { value: number | null; atLeast?: number; atMost?: number }>) {
  const out: Record<string, { value: number | null; target: string; met: boolean }> = {};
  for (const [name, { value, atLeast, atMost }] of Object.entries(checks)) {
    const met =
      value !== null &&
      (atLeast === undefined || value >= atLeast) &&
      (atMost === undefined || value <= atMost);
    out[name] = {
      value,
      target: atLeast !== undefined ? `>= ${atLeast}` : `<= ${atMost}`,
      met,
    };
  }
  return { targets: out, met: Object.values(out).every((t) => t.met) };
}
