import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SyncBatchEntity } from '../../src/entities';
import type { FaultRule } from '../../src/sandbox';
import { collect, wsClient } from './connect';
import type { TestGateway } from './gateway';

const ROOT = path.join(__dirname, '..', '..');

/** Seeded randomness, so a failing run can be replayed (the seed is in the test name). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A fixture process (test/fixtures/<file>) on the gateway's database and emulator, with `env` on top; resolves with
 * the process and its first message (its "ready").
 */
function forkFixture<M>(
  t: TestGateway,
  file: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; message: M }> {
  const child = fork(path.join(ROOT, 'test/fixtures', file), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'),
      DATABASE_URL: t.database.url,
      QBO_SANDBOX_URL: t.gateway.config.quickbooks.sandboxUrl!,
      GATEWAY_DATA_DIR: t.database.dataDir,
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: M) => resolve({ child, message }));
    child.once('exit', (code) => reject(new Error(`${file} exited early (${code})`)));
  });
}

/**
 * A worker process (test/fixtures/posting-worker.ts: the gateway's core with its worker on, short lease) on the
 * gateway's database and emulator; resolves when it is ready.
 */
export async function startWorker(
  t: TestGateway,
  leaseMs = 1000,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const { child } = await forkFixture(t, 'posting-worker.ts', { WORKER_LEASE_MS: String(leaseMs), ...env });
  return child;
}

/** SIGKILL: the worker dies wherever it is, with no chance to record anything. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Waits until `check` holds (polling a condition, not a timing). */
export async function until(check: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The batch as stored now. */
export const batchOf = (t: TestGateway, batchId: string): Promise<SyncBatchEntity> =>
  t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id: batchId });

/** Runs a batch (an import) to completion in a short-lived worker, for gateways that run no worker themselves. */
export async function runInWorker(t: TestGateway, batchId: string): Promise<void> {
  const worker = await startWorker(t);
  try {
    await until(async () => (await batchOf(t, batchId)).status === 'COMPLETED');
  } finally {
    await kill(worker);
  }
}

/** The drill's network: 5% of batch-call answers lost after QuickBooks committed, 10% 503s, 5% 429s (seeded). */
export function drillRules(realmId: string): FaultRule[] {
  return [
    // At least one lost answer whatever the interleaving (the first batch call each time the rules are set: a drill of
    // ~25 calls at 5% alone has none about a quarter of the time), then 5% at random.
    { match: { realmId, operation: 'batch' }, times: 1, dropResponseAfterCommit: true },
    { match: { realmId, operation: 'batch' }, probability: 0.05, dropResponseAfterCommit: true },
    {
      match: { realmId },
      probability: 0.1,
      respond: { status: 503, code: '10000', message: 'Service Unavailable' },
    },
    {
      match: { realmId },
      probability: 0.05,
      respond: { status: 429, code: '3001', message: 'ThrottleExceeded' },
    },
  ];
}

/**
 * SIGKILLs `workers` worker processes at `rounds` random points of some work and returns how far it was (`progress`)
 * at each kill. Where a kill lands is decided inside the emulator, not by polling from here (on a busy machine a poll
 * can come too late, after the work is done): each round lets 3–4 more calls of the kind that carries the work
 * (`operation`, batch calls by default) through, besides those the drill's own `rules` answer, then holds every later
 * one (answered 503 after two seconds, never run), and the workers die while they wait. Other calls (look-ups,
 * preferences) run freely. So the work is at most 4 × `rounds` such calls further when the last worker dies; a round
 * whose work finishes before its calls run out (`done`) ends there. The drill's rules stay in force after.
 */
export async function killAtRandomPoints(
  t: TestGateway,
  options: {
    realmId: string;
    rules: FaultRule[];
    seed: number;
    rounds: number;
    workers: number;
    rand: () => number;
    operation?: string;
    progress: () => Promise<number>;
    done: () => Promise<boolean>;
  },
): Promise<number[]> {
  const sandbox = t.gateway.sandbox!;
  const { realmId, rules, seed } = options;
  const match = { realmId, operation: options.operation ?? 'batch' };
  const killedAt: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const calls = 3 + Math.floor(options.rand() * 2);
    sandbox.setFaults({
      seed: seed + round,
      rules: [
        ...rules,
        { match, times: calls, latencyMs: 0 },
        {
          match,
          latencyMs: 2000,
          respond: { status: 503, code: '10000', message: 'Held by the drill' },
        },
      ],
    });
    const held = () => (sandbox.faults().rules.at(-1)?.fired ?? 0) > 0;
    const children = await Promise.all(Array.from({ length: options.workers }, () => startWorker(t)));
    await until(async () => held() || (await options.done()));
    await Promise.all(children.map(kill));
    killedAt.push(await options.progress());
    sandbox.setFaults({ seed: seed + round, rules });
  }
  return killedAt;
}

/**
 * Kills `workers` worker processes at four random points of a batch of `total` items (see `killAtRandomPoints`),
 * then lets fresh ones finish it. Returns how far the batch was at each kill and the last progress event, followed
 * over graphql-ws.
 */
export async function killDuringBatch(
  t: TestGateway,
  key: string,
  batchId: string,
  options: {
    total: number;
    workers: number;
    rand: () => number;
    realmId: string;
    rules: FaultRule[];
    seed: number;
  },
): Promise<{ killedAt: number[]; last: { status: string; succeeded: number } }> {
  const killedAt = await killAtRandomPoints(t, {
    ...options,
    rounds: 4,
    progress: async () => (await batchOf(t, batchId)).processed,
    done: async () => (await batchOf(t, batchId)).status === 'COMPLETED',
  });
  const finishers = await Promise.all(Array.from({ length: options.workers }, () => startWorker(t)));
  try {
    const client = wsClient(t, key);
    const events = await collect<{ batchProgress: { status: string; succeeded: number } }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status succeeded } }',
      { id: batchId },
    );
    await client.dispose();
    return { killedAt, last: events[events.length - 1].batchProgress };
  } finally {
    await Promise.all(finishers.map(kill));
  }
}

/**
 * A gateway in a process of its own (test/fixtures/gateway-server.ts) on `t`'s database and emulator, with `env`
 * (REDIS_URL, RUN_WORKER...); resolves with the process and its URL once it listens.
 */
export async function startGatewayProcess(
  t: TestGateway,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const { child, message } = await forkFixture<{ url: string }>(t, 'gateway-server.ts', {
    PORT: '0',
    NODE_ENV: 'test',
    ...env,
  });
  return { child, url: message.url };
}
