import {
  JobQueue,
  JobWorker,
  LeaseLostError,
  PermanentJobError,
  WorkerStoppedError,
  type JobHandlers,
  type JobWorkerOptions,
} from '../../src/jobs';
import { DIALECTS } from '../support/database';
import {
  deferred,
  openJobsDatabase,
  silentLogger,
  stealLease,
  TEST_KINDS,
  waitFor,
  type JobsDatabase,
  type TestCatalogue,
} from './helpers';

describe.each(DIALECTS)('JobWorker on %s', (dialect) => {
  let db: JobsDatabase;
  let queue: JobQueue<TestCatalogue>;
  const workers: Array<JobWorker<TestCatalogue>> = [];

  beforeAll(async () => {
    db = await openJobsDatabase(dialect);
    queue = new JobQueue<TestCatalogue>(db.dataSource);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ graceful: false });
    await db.dataSource.query('DELETE FROM jobs');
    await db.dataSource.query('DELETE FROM job_effects');
  });
  afterAll(async () => {
    await db?.close();
  });

  const noop = async (): Promise<void> => undefined;
  function worker(
    handlers: Partial<JobHandlers<TestCatalogue>>,
    options: Partial<JobWorkerOptions<TestCatalogue>> = {},
  ): JobWorker<TestCatalogue> {
    const created = new JobWorker(queue, {
      kinds: TEST_KINDS,
      handlers: { 'test.record': noop, 'test.other': noop, ...handlers },
      logger: silentLogger(),
      leaseMs: 2_000,
      pollMs: 25,
      ...options,
    });
    workers.push(created);
    return created;
  }
  const record: JobHandlers<TestCatalogue>['test.record'] = async (_payload, { jobId, attempt }) =>
    db.recordEffect(db.dataSource, jobId, attempt, 'main');

  it('runs a job enqueued in a committed transaction exactly once, woken by the commit', async () => {
    // A poll interval longer than the test timeout: only the commit's wake-up can make the job run.
    const w = worker({ 'test.record': record }, { pollMs: 10 * 60_000 });
    await w.start();
    const id = await db.dataSource.transaction((manager) =>
      queue.enqueue('test.record', { label: 'go' }, { manager, dedupeKey: 'once' }),
    );
    const job = await waitFor('the job to succeed', async () => {
      const row = await queue.get(id);
      return row?.status === 'SUCCEEDED' ? row : undefined;
    });
    await w.stop();
    expect(await db.effects()).toEqual([{ jobId: id, attempt: 1, worker: 'main' }]);
    expect(job).toMatchObject({ attempts: 1, dedupeKey: null, lockedUntil: null, lastError: null });
    expect(job.finishedAt).toBeInstanceOf(Date);
    // The finished job released its key: the same work can be queued again.
    expect(await queue.enqueue('test.record', { label: 'go' }, { dedupeKey: 'once' })).not.toBe(id);
  });

  it('never runs a job whose transaction rolled back, even while polling during it', async () => {
    // In memory, like a call to QuickBooks: a side effect that no database rollback can undo.
    const ran: string[] = [];
    const w = worker({
      'test.record': async (_payload, { jobId }) => {
        ran.push(jobId);
      },
    });
    await w.start();
    let doomed = '';
    await db.dataSource
      .transaction(async (manager) => {
        doomed = await queue.enqueue('test.record', { label: 'doomed' }, { manager });
        // Give the polling worker time to look (on SQLite it gets SQLITE_BUSY and retries).
        await new Promise((resolve) => setTimeout(resolve, 150));
        throw new Error('rollback');
      })
      .catch(() => undefined);
    const sentinel = await queue.enqueue('test.record', { label: 'sentinel' });
    await waitFor('the sentinel job', async () => (await queue.get(sentinel))?.status === 'SUCCEEDED');
    expect(await queue.get(doomed)).toBeNull();
    expect(ran).toEqual([sentinel]);
  });

  it('retries a failing job with backoff and buries it with the last error after maxAttempts', async () => {
    const delayMs = 150;
    const failedAt: Record<number, number> = {};
    const seenRunAt: Record<number, number> = {};
    const w = worker(
      {
        'test.other': async (_payload, { jobId, attempt }) => {
          await db.recordEffect(db.dataSource, jobId, attempt, 'main');
          if (attempt > 1) seenRunAt[attempt] = (await queue.get(jobId))!.runAt.getTime();
          failedAt[attempt] = Date.now();
          throw new Error(`QuickBooks said no on attempt ${attempt}`);
        },
      },
      { backoff: () => delayMs },
    );
    await w.start();
    const id = await queue.enqueue('test.other', { n: 1 }, { maxAttempts: 3, dedupeKey: 'flaky' });
    const job = await waitFor('the job to die', async () => {
      const row = await queue.get(id);
      return row?.status === 'DEAD' ? row : undefined;
    });
    expect((await db.effects(id)).map((effect) => effect.attempt)).toEqual([1, 2, 3]);
    expect(job).toMatchObject({
      attempts: 3,
      lastError: 'QuickBooks said no on attempt 3',
      dedupeKey: null,
      lockedUntil: null,
    });
    expect(job.finishedAt).toBeInstanceOf(Date);
    // Each retry was scheduled at least the backoff delay after the failure before it.
    expect(seenRunAt[2]).toBeGreaterThanOrEqual(failedAt[1] + delayMs);
    expect(seenRunAt[3]).toBeGreaterThanOrEqual(failedAt[2] + delayMs);
  });

  it('keeps the error of a failed attempt while the job waits for its retry', async () => {
    const w = worker(
      {
        'test.other': async () => {
          throw new Error('temporarily down');
        },
      },
      { backoff: () => 60 * 60_000 },
    );
    await w.start();
    const id = await queue.enqueue('test.other', { n: 2 }, { maxAttempts: 5 });
    const job = await waitFor('the first failure', async () => {
      const row = await queue.get(id);
      return row?.status === 'QUEUED' && row.attempts === 1 ? row : undefined;
    });
    expect(job).toMatchObject({ lastError: 'temporarily down', lockedBy: null, lockedUntil: null });
    expect(job.runAt.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it('buries a job at once when its handler throws a PermanentJobError', async () => {
    const w = worker({
      'test.other': async () => {
        throw new PermanentJobError('Customer 42 was deleted in QuickBooks');
      },
    });
    await w.start();
    const id = await queue.enqueue('test.other', { n: 3 });
    const job = await waitFor('the job to die', async () => {
      const row = await queue.get(id);
      return row?.status === 'DEAD' ? row : undefined;
    });
    expect(job).toMatchObject({
      attempts: 1,
      lastError: 'PermanentJobError: Customer 42 was deleted in QuickBooks',
    });
  });

  it('refuses to start when a kind has no handler or a handler has no kind', () => {
    const base = { logger: silentLogger() };
    expect(
      () => new JobWorker(queue, { ...base, kinds: TEST_KINDS, handlers: { 'test.record': noop } as never }),
    ).toThrow('kind "test.other" has no handler');
    expect(
      () =>
        new JobWorker(queue, {
          ...base,
          kinds: ['test.record'] as never,
          handlers: { 'test.record': noop, 'test.other': noop },
        }),
    ).toThrow('handler "test.other" has no kind in the catalogue');
    expect(
      () =>
        new JobWorker(queue, {
          ...base,
          kinds: TEST_KINDS,
          handlers: { 'test.record': noop, 'test.other': 'not a function' } as never,
        }),
    ).toThrow('kind "test.other" has no handler');
    expect(
      () =>
        new JobWorker(queue, {
          ...base,
          kinds: TEST_KINDS,
          handlers: { 'test.record': noop, 'test.other': noop },
          leaseMs: 1_000,
          heartbeatMs: 1_000,
        }),
    ).toThrow('heartbeatMs');
  });

  it('aborts the signal of a run that lost its lease and does not record its completion', async () => {
    const started = deferred<string>();
    let abortReason: unknown;
    const finished = deferred();
    const w = worker(
      {
        'test.record': async (_payload, { jobId, signal }) => {
          started.resolve(jobId);
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          abortReason = signal.reason;
          // A careless handler that carries on and returns normally: its success must not be written.
          finished.resolve();
        },
      },
      { leaseMs: 600, heartbeatMs: 50 },
    );
    await w.start();
    const id = await queue.enqueue('test.record', { label: 'stolen' }, { dedupeKey: 'stolen' });
    await started.promise;
    // What another worker's claim does once it believes the lease expired.
    await stealLease(db.dataSource, dialect, id, 'other-worker#1');
    await finished.promise;
    await waitFor('the run to end', () => w.inFlight === 0);
    expect(abortReason).toBeInstanceOf(LeaseLostError);
    const job = await queue.get(id);
    expect(job).toMatchObject({
      status: 'RUNNING',
      lockedBy: 'other-worker#1',
      dedupeKey: 'stolen',
      attempts: 1,
    });
    expect(job!.finishedAt).toBeNull();
  });

  it('does not record an outcome once another worker holds the job, even before a heartbeat noticed', async () => {
    const started = deferred<string>();
    const release = deferred();
    const w = worker(
      {
        'test.record': async (_payload, { jobId }) => {
          started.resolve(jobId);
          await release.promise;
        },
        'test.other': async (_payload, { jobId }) => {
          started.resolve(jobId);
          await release.promise;
          throw new Error('failed late');
        },
      },
      // No heartbeat runs during this test: only the fenced UPDATE can keep the outcome out.
      { leaseMs: 10 * 60_000, concurrency: 2 },
    );
    await w.start();
    const succeeded = await queue.enqueue('test.record', { label: 'late success' });
    const failed = await queue.enqueue('test.other', { n: 4 });
    await waitFor('both runs to start', () => w.inFlight === 2);
    await stealLease(db.dataSource, dialect, succeeded, 'other-worker#2');
    await stealLease(db.dataSource, dialect, failed, 'other-worker#3');
    release.resolve();
    await waitFor('the runs to end', () => w.inFlight === 0);
    expect(await queue.get(succeeded)).toMatchObject({ status: 'RUNNING', lockedBy: 'other-worker#2' });
    expect(await queue.get(failed)).toMatchObject({
      status: 'RUNNING',
      lockedBy: 'other-worker#3',
      lastError: null,
    });
  });

  it('graceful stop waits for running jobs and records their outcome', async () => {
    const release = deferred();
    const started = deferred();
    const w = worker({
      'test.record': async (_payload, { jobId, attempt }) => {
        started.resolve();
        await release.promise;
        await db.recordEffect(db.dataSource, jobId, attempt, 'main');
      },
    });
    await w.start();
    const id = await queue.enqueue('test.record', { label: 'drain' });
    await started.promise;
    const stopped = w.stop({ graceful: true });
    release.resolve();
    await stopped;
    expect((await queue.get(id))?.status).toBe('SUCCEEDED');
    expect(await db.effects(id)).toHaveLength(1);
  });

  it('non-graceful stop abandons running jobs, and another worker finishes them after the lease', async () => {
    const started = deferred();
    let abortReason: unknown;
    const first = worker(
      {
        'test.record': async (_payload, { signal }) => {
          started.resolve();
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          abortReason = signal.reason;
        },
      },
      { leaseMs: 500, heartbeatMs: 100 },
    );
    await first.start();
    const id = await queue.enqueue('test.record', { label: 'abandoned' });
    await started.promise;
    await first.stop({ graceful: false });
    expect(abortReason).toBeInstanceOf(WorkerStoppedError);
    expect((await queue.get(id))?.status).toBe('RUNNING');

    const second = worker({ 'test.record': record }, { leaseMs: 500 });
    await second.start();
    const job = await waitFor('the second worker to finish the job', async () => {
      const row = await queue.get(id);
      return row?.status === 'SUCCEEDED' ? row : undefined;
    });
    expect(job.attempts).toBe(2);
    expect(await db.effects(id)).toEqual([{ jobId: id, attempt: 2, worker: 'main' }]);
  });

  it('buries a job whose final attempt never finished instead of running it again', async () => {
    const started = deferred();
    const first = worker(
      {
        'test.record': async (_payload, { signal }) => {
          started.resolve();
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        },
      },
      { leaseMs: 300, heartbeatMs: 100 },
    );
    await first.start();
    const id = await queue.enqueue('test.record', { label: 'last try' }, { maxAttempts: 1 });
    await started.promise;
    await first.stop({ graceful: false });

    const second = worker({ 'test.record': record }, { leaseMs: 300 });
    await second.start();
    const job = await waitFor('the job to die', async () => {
      const row = await queue.get(id);
      return row?.status === 'DEAD' ? row : undefined;
    });
    expect(job.lastError).toContain('never finished');
    expect(await db.effects(id)).toEqual([]);
  });
});
