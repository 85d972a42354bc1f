import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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
 * A worker process (test/fixtures/posting-worker.ts: the gateway's core with its worker on, short lease) on the
 * gateway's database and emulator; resolves when it is ready.
 */
export function startWorker(t: TestGateway, leaseMs = 1000): Promise<ChildProcess> {
  const child = fork(path.join(ROOT, 'test/fixtures/posting-worker.ts'), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'),
      DATABASE_URL: t.database.url,
      QBO_SANDBOX_URL: t.gateway.config.quickbooks.sandboxUrl!,
      GATEWAY_DATA_DIR: t.database.dataDir,
      LOG_LEVEL: 'silent',
      WORKER_LEASE_MS: String(leaseMs),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
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
