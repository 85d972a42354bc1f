/**
 * `npm run bench -- sandbox [--seconds 8] [--clients 32]`: how fast the emulator answers, so it is never the
 * bottleneck of the gateway's benchmarks.
 *
 * The emulator runs in a worker thread with limits off; the main thread drives it over loopback HTTP with N keep-alive
 * clients, each looping over a create / read / query mix for a few seconds. A bare `http` server answering the same
 * average payload size is measured the same way in the same run, as the baseline; the ratio is what to compare across
 * machines. Prints ONE JSON line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { connectApp, createSandbox } from '../src/sandbox';

interface ServerInfo {
  url: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

type Kind = 'create' | 'read' | 'query';
const KINDS: Kind[] = ['create', 'read', 'query'];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

// ---------------------------------------------------------------------------------------------- worker side

async function runServerWorker(role: 'sandbox' | 'baseline', payloadBytes: number): Promise<void> {
  if (role === 'sandbox') {
    const sandbox = await createSandbox({ limits: { enabled: false } });
    const app = sandbox.demoApp;
    parentPort!.postMessage({
      url: sandbox.url,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: app.redirectUris[0],
    } satisfies ServerInfo);
    serveControl(() => sandbox.close());
    return;
  }
  // The baseline: the least a Node HTTP server can do for the same traffic (read the body, answer JSON of equal size).
  const payload = JSON.stringify({ pad: 'x'.repeat(Math.max(0, payloadBytes - 12)) });
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json;charset=UTF-8',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  parentPort!.postMessage({
    url: `http://127.0.0.1:${port}`,
    clientId: '',
    clientSecret: '',
    redirectUri: '',
  } satisfies ServerInfo);
  serveControl(async () => {
    server.close();
    server.closeAllConnections();
  });
}

/**
 * 'mark' starts measuring how busy the server thread is; 'stop' answers with the busy time since the mark and exits.
 * Busy time per request is the emulator's own cost, independent of how fast this one-thread load generator is.
 */
function serveControl(close: () => Promise<void>): void {
  let mark = performance.eventLoopUtilization();
  parentPort!.on('message', (msg: string) => {
    if (msg === 'mark') {
      mark = performance.eventLoopUtilization();
      parentPort!.postMessage('marked');
      return;
    }
    const elu = performance.eventLoopUtilization(mark);
    parentPort!.postMessage({ activeMs: elu.active, utilization: elu.utilization });
    void close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------- load side

interface ServerWorker {
  info: ServerInfo;
  /** Starts the busy-time measurement. */
  mark(): Promise<void>;
  /** Stops the server; resolves with its busy time since the mark. */
  stop(): Promise<{ activeMs: number; utilization: number }>;
}

function startWorker(role: 'sandbox' | 'baseline', payloadBytes = 0): Promise<ServerWorker> {
  const worker = new Worker(__filename, { workerData: { role, payloadBytes } });
  const next = <T>(): Promise<T> => new Promise((resolve) => worker.once('message', resolve));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (info: ServerInfo) =>
      resolve({
        info,
        mark: async () => {
          const answer = next<string>();
          worker.postMessage('mark');
          await answer;
        },
        stop: async () => {
          const answer = next<{ activeMs: number; utilization: number }>();
          const exited = new Promise((done) => worker.once('exit', done));
          worker.postMessage('stop');
          const busy = await answer;
          await exited;
          return busy;
        },
      }),
    );
  });
}

interface Sample {
  kind: Kind;
  ms: number;
  bytes: number;
  ok: boolean;
}

function request(
  agent: http.Agent,
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Drives `base` with `clients` loops for `seconds`; `plan` says what each kind of call sends. */
async function drive(
  base: URL,
  clients: number,
  seconds: number,
  plan: (kind: Kind, n: number) => { method: 'GET' | 'POST'; path: string; body?: string },
  token: string,
  onAnswer?: (kind: Kind, text: string) => void,
): Promise<{ samples: Sample[]; elapsedMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const samples: Sample[] = [];
  let n = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let i = c;
      while (performance.now() < deadline) {
        const kind = KINDS[i++ % KINDS.length];
        const call = plan(kind, n++);
        const t0 = performance.now();
        const res = await request(agent, base, call.method, call.path, token, call.body);
        samples.push({
          kind,
          ms: performance.now() - t0,
          bytes: Buffer.byteLength(res.text),
          ok: res.status === 200,
        });
        onAnswer?.(kind, res.text);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { samples, elapsedMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(samples: Sample[], elapsedMs: number) {
  const seconds = elapsedMs / 1000;
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const rps: Record<string, number> = {};
  for (const kind of KINDS) rps[kind] = round(samples.filter((s) => s.kind === kind).length / seconds);
  rps.overall = round(samples.length / seconds);
  return {
    requests: samples.length,
    errors: samples.filter((s) => !s.ok).length,
    rps,
    latencyMs: { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) },
    meanResponseBytes: Math.round(samples.reduce((a, s) => a + s.bytes, 0) / Math.max(1, samples.length)),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 8);
  const clients = arg('clients', 32);

  const sandbox = await startWorker('sandbox');
  const { realmId, tokens } = await connectApp(sandbox.info.url, sandbox.info);
  const base = new URL(sandbox.info.url);
  const apiPath = `/v3/company/${realmId}`;
  const ids: string[] = [];
  const runId = Date.now().toString(36);

  // A few customers to read and query from the start.
  const warmAgent = new http.Agent({ keepAlive: true });
  for (let i = 0; i < 20; i++) {
    const res = await request(
      warmAgent,
      base,
      'POST',
      `${apiPath}/customer?minorversion=75`,
      tokens.access_token,
      JSON.stringify({ DisplayName: `Bench warm ${runId} ${i}` }),
    );
    if (res.status !== 200) throw new Error(`warm-up create failed: HTTP ${res.status} ${res.text}`);
    ids.push((JSON.parse(res.text) as { Customer: { Id: string } }).Customer.Id);
  }
  warmAgent.destroy();

  const plan = (kind: Kind, n: number) => {
    const id = ids[n % ids.length];
    if (kind === 'create') {
      return {
        method: 'POST' as const,
        path: `${apiPath}/customer?minorversion=75`,
        body: JSON.stringify({
          DisplayName: `Bench ${runId} ${n}`,
          PrimaryEmailAddr: { Address: `b${n}@example.com` },
        }),
      };
    }
    if (kind === 'read') return { method: 'GET' as const, path: `${apiPath}/customer/${id}?minorversion=75` };
    const q = encodeURIComponent(`select * from Customer where Id = '${id}'`);
    return { method: 'GET' as const, path: `${apiPath}/query?query=${q}&minorversion=75` };
  };
  await sandbox.mark();
  const run = await drive(base, clients, seconds, plan, tokens.access_token, (kind, text) => {
    if (kind === 'create' && ids.length < 5000) {
      try {
        ids.push((JSON.parse(text) as { Customer: { Id: string } }).Customer.Id);
      } catch {
        // an error answer: counted as an error sample already
      }
    }
  });
  const sandboxBusy = await sandbox.stop();
  const measured = summarize(run.samples, run.elapsedMs);

  const baselineSeconds = Math.max(2, Math.round(seconds * 0.6));
  const baseline = await startWorker('baseline', measured.meanResponseBytes);
  await baseline.mark();
  const baseRun = await drive(new URL(baseline.info.url), clients, baselineSeconds, plan, 'baseline');
  const baselineBusy = await baseline.stop();
  const baseMeasured = summarize(baseRun.samples, baseRun.elapsedMs);

  // Server-thread busy time per request: the emulator's own cost, whatever the load generator manages.
  const sandboxUs = (sandboxBusy.activeMs * 1000) / Math.max(1, measured.requests);
  const baselineUs = (baselineBusy.activeMs * 1000) / Math.max(1, baseMeasured.requests);
  console.log(
    JSON.stringify({
      bench: 'sandbox',
      seconds,
      clients,
      mix: 'create/read/query 1:1:1, limits off, loopback, emulator in a worker thread',
      sandbox: {
        ...measured,
        serverUtilization: round(sandboxBusy.utilization, 3),
        serverBusyUsPerRequest: round(sandboxUs, 1),
      },
      baseline: {
        rps: baseMeasured.rps.overall,
        latencyMs: baseMeasured.latencyMs,
        payloadBytes: measured.meanResponseBytes,
        serverUtilization: round(baselineBusy.utilization, 3),
        serverBusyUsPerRequest: round(baselineUs, 1),
      },
      ratio: round(measured.rps.overall / Math.max(1, baseMeasured.rps.overall), 3),
      busyRatio: round(sandboxUs / Math.max(0.001, baselineUs), 2),
    }),
  );
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const data = workerData as { role: 'sandbox' | 'baseline'; payloadBytes: number };
  void runServerWorker(data.role, data.payloadBytes);
}
