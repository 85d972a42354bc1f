import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { JobQueue, JobWorker } from '../../src/jobs';
import { DIALECTS } from '../support/database';
import type { CrashWorkerConfig, CrashWorkerMessage } from './fixtures/crash-worker';
import {
  openJobsDatabase,
  silentLogger,
  TEST_KINDS,
  waitFor,
  type JobsDatabase,
  type TestCatalogue,
} from './helpers';

const FIXTURE = path.join(__dirname, 'fixtures', 'crash-worker.ts');
const ROOT = path.resolve(__dirname, '..', '..');

/** Starts the fixture worker in a child process and resolves once it is claiming jobs. */
function startChildWorker(config: CrashWorkerConfig): {
  child: ChildProcess;
  ready: Promise<void>;
  started: Promise<{ jobId: string; attempt: number }>;
  exited: Promise<NodeJS.Signals | number | null>;
} {
  const child = fork(FIXTURE, [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'),
      JOBS_FIXTURE_CONFIG: JSON.stringify(config),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const message = <T extends CrashWorkerMessage['type']>(type: T) =>
    new Promise<Extract<CrashWorkerMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (received: CrashWorkerMessage): void => {
        if (received.type === type) {
          child.off('message', onMessage);
          resolve(received as Extract<CrashWorkerMessage, { type: T }>);
        }
      };
      child.on('message', onMessage);
      void exited.then((how) => reject(new Error(`child worker exited (${String(how)}) before "${type}"`)));
    });
  return { child, ready: message('ready').then(() => undefined), started: message('started'), exited };
}

describe.each(DIALECTS)('a worker killed mid-job on %s', (dialect) => {
  let db: JobsDatabase;
  let child: ChildProcess | undefined;
  let survivor: JobWorker<TestCatalogue> | undefined;

  beforeAll(async () => {
    db = await openJobsDatabase(dialect);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await survivor?.stop({ graceful: false });
    await db?.close();
  });

  it('leaves the job to another worker after its lease, which finishes it once', async () => {
    const queue = new JobQueue<TestCatalogue>(db.dataSource);
    const leaseMs = 500;
    const started = startChildWorker({ database: db.config, leaseMs, workerId: `child-${process.pid}` });
    child = started.child;
    started.started.catch(() => undefined);
    await started.ready;
    const id = await queue.enqueue('test.record', { label: 'crash me' });

    const run = await started.started;
    expect(run).toEqual({ type: 'started', jobId: id, attempt: 1 });
    child.kill('SIGKILL');
    expect(await started.exited).toBe('SIGKILL');
    const orphan = await queue.get(id);
    expect(orphan).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(orphan!.lockedBy).toMatch(/^child-/);

    survivor = new JobWorker(queue, {
      kinds: TEST_KINDS,
      handlers: {
        'test.record': async (_payload, { jobId, attempt }) =>
          db.recordEffect(db.dataSource, jobId, attempt, 'survivor'),
        'test.other': async () => undefined,
      },
      logger: silentLogger(),
      leaseMs,
      pollMs: 25,
      workerId: 'survivor',
    });
    await survivor.start();
    const job = await waitFor('the survivor to finish the job', async () => {
      const row = await queue.get(id);
      return row?.status === 'SUCCEEDED' ? row : undefined;
    });
    await survivor.stop();

    expect(job.attempts).toBe(2);
    expect(job.lockedBy).toMatch(/^survivor#/);
    // The killed run's side effect, then exactly one more from the survivor.
    expect(await db.effects(id)).toEqual([
      { jobId: id, attempt: 1, worker: `child-${process.pid}` },
      { jobId: id, attempt: 2, worker: 'survivor' },
    ]);
  });
});
