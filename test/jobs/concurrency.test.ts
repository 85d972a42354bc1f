import type { DataSource } from 'typeorm';
import { JobQueue, JobWorker, type JobHandler } from '../../src/jobs';
import { DIALECTS, type Dialect } from '../support/database';
import {
  openJobsDatabase,
  silentLogger,
  TEST_KINDS,
  waitFor,
  type JobsDatabase,
  type TestCatalogue,
} from './helpers';

const JOBS = 200;

/**
 * Two workers, each on its own DataSource (its own pool, or its own SQLite connection), as in two processes, race
 * for one backlog. Every job must run exactly once.
 */
function competingWorkers(dialect: Dialect): void {
  let db: JobsDatabase;
  const workers: Array<JobWorker<TestCatalogue>> = [];

  beforeAll(async () => {
    db = await openJobsDatabase(dialect);
    await db.dataSource.query(
      'CREATE TABLE job_runs (jobId VARCHAR(40) PRIMARY KEY, worker VARCHAR(100) NOT NULL)',
    );
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop({ graceful: false });
    await db?.close();
  });

  it(`never run the same job twice across ${JOBS} short jobs`, async () => {
    const producer = new JobQueue<TestCatalogue>(db.dataSource);
    const ids = await db.dataSource.transaction(async (manager) => {
      const enqueued: string[] = [];
      for (let n = 0; n < JOBS; n++) enqueued.push(await producer.enqueue('test.other', { n }, { manager }));
      return enqueued;
    });

    const runs = new Map<string, string[]>();
    const workersSeen = new Set<string>();
    let bothRunning!: () => void;
    const bothStarted = new Promise<void>((resolve) => {
      bothRunning = resolve;
    });
    const handler =
      (name: string, dataSource: DataSource): JobHandler<TestCatalogue['test.other']> =>
      async (_payload, { jobId }) => {
        runs.set(jobId, [...(runs.get(jobId) ?? []), name]);
        // Hold the first claims until both workers have claimed something, so they really compete for the backlog.
        workersSeen.add(name);
        if (workersSeen.size === 2) bothRunning();
        await bothStarted;
        await dataSource.query('INSERT INTO job_runs (jobId, worker) VALUES (?, ?)', [jobId, name]);
      };

    for (const name of ['alpha', 'beta']) {
      // Separate DataSources: separate pools, as in two processes.
      const dataSource = await db.open();
      const worker = new JobWorker(new JobQueue<TestCatalogue>(dataSource), {
        kinds: TEST_KINDS,
        handlers: { 'test.record': async () => undefined, 'test.other': handler(name, dataSource) },
        logger: silentLogger(),
        concurrency: 8,
        pollMs: 10,
        leaseMs: 10_000,
        workerId: name,
      });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.start()));

    // Stop early on the first job that runs twice, so a broken claim fails with the duplicates rather than a timeout.
    await waitFor(
      `all ${JOBS} jobs to succeed`,
      async () =>
        [...runs.values()].some((by) => by.length > 1) || (await producer.counts()).SUCCEEDED === JOBS,
    );
    await Promise.all(workers.map((worker) => worker.stop()));

    const duplicates = [...runs].filter(([, by]) => by.length !== 1);
    expect(duplicates).toEqual([]);
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    const perWorker: Record<string, number> = { alpha: 0, beta: 0 };
    for (const [, [by]] of runs) perWorker[by ?? 'none'] += 1;
    expect(perWorker.alpha).toBeGreaterThan(0);
    expect(perWorker.beta).toBeGreaterThan(0);
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM job_runs');
    expect(Number(n)).toBe(JOBS);
    const attempts = await db.dataSource.query<Array<{ attempts: number }>>(
      'SELECT DISTINCT attempts FROM jobs',
    );
    expect(attempts.map((row) => Number(row.attempts))).toEqual([1]);
  });
}

// SQLite: claims are single statements and SQLite serializes writers, also across connections and processes.
describe('two workers on separate connections to one SQLite file', () => competingWorkers('sqlite'));

// FOR UPDATE SKIP LOCKED between separate pools. Without TEST_DATABASE_URL this describe does not exist at all.
for (const dialect of DIALECTS.filter((candidate) => candidate === 'mysql')) {
  describe(`two workers with separate pools on ${dialect}`, () => competingWorkers(dialect));
}
