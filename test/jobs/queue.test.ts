import { JobQueue } from '../../src/jobs';
import { DIALECTS } from '../support/database';
import { openJobsDatabase, type JobsDatabase, type TestCatalogue } from './helpers';

describe.each(DIALECTS)('JobQueue on %s', (dialect) => {
  let db: JobsDatabase;
  let queue: JobQueue<TestCatalogue>;

  beforeAll(async () => {
    db = await openJobsDatabase(dialect);
    queue = new JobQueue<TestCatalogue>(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.dataSource.query('DELETE FROM jobs');
  });

  it('stores a queued job with its payload, options and times', async () => {
    const runAt = new Date(Date.now() + 60_000);
    const id = await queue.enqueue('test.record', { label: 'hello' }, { runAt, maxAttempts: 3 });
    const job = await queue.get(id);
    expect(job).toMatchObject({
      id,
      kind: 'test.record',
      payload: { label: 'hello' },
      status: 'QUEUED',
      attempts: 0,
      maxAttempts: 3,
      lockedBy: null,
      dedupeKey: null,
    });
    expect(job!.runAt.getTime()).toBe(runAt.getTime());
    expect(await queue.counts()).toEqual({ QUEUED: 1, RUNNING: 0, SUCCEEDED: 0, DEAD: 0 });
    expect(await queue.get('job_missing')).toBeNull();
  });

  it('leaves no job when the enqueueing transaction rolls back, and keeps it when it commits', async () => {
    let rolledBackId = '';
    await expect(
      db.dataSource.transaction(async (manager) => {
        rolledBackId = await queue.enqueue(
          'test.record',
          { label: 'lost' },
          { manager, dedupeKey: 'k-rollback' },
        );
        expect(await manager.query('SELECT id FROM jobs WHERE id = ?', [rolledBackId])).toHaveLength(1);
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    expect(await queue.get(rolledBackId)).toBeNull();
    expect(await queue.counts()).toEqual({ QUEUED: 0, RUNNING: 0, SUCCEEDED: 0, DEAD: 0 });

    // The rolled-back job did not keep its dedupe key.
    const committedId = await db.dataSource.transaction((manager) =>
      queue.enqueue('test.record', { label: 'kept' }, { manager, dedupeKey: 'k-rollback' }),
    );
    expect(committedId).not.toBe(rolledBackId);
    expect((await queue.get(committedId))?.status).toBe('QUEUED');
  });

  it('returns the unfinished job holding a dedupe key instead of adding another', async () => {
    const first = await queue.enqueue('test.record', { label: 'a' }, { dedupeKey: 'import:con_1' });
    const second = await queue.enqueue('test.record', { label: 'b' }, { dedupeKey: 'import:con_1' });
    expect(second).toBe(first);
    const other = await queue.enqueue('test.record', { label: 'c' }, { dedupeKey: 'import:con_2' });
    expect(other).not.toBe(first);
    expect((await queue.get(first))?.payload).toEqual({ label: 'a' });
    expect((await queue.counts()).QUEUED).toBe(2);
  });

  it('dedupes concurrent enqueues of the same key to one job', async () => {
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) => queue.enqueue('test.other', { n: i }, { dedupeKey: 'race' })),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await db.dataSource.query('SELECT id FROM jobs')).toHaveLength(1);
  });

  it('dedupes inside a transaction without breaking it', async () => {
    const existing = await queue.enqueue('test.record', { label: 'held' }, { dedupeKey: 'held' });
    const [again, fresh, twice] = await db.dataSource.transaction(async (manager) => {
      const a = await queue.enqueue('test.record', { label: 'x' }, { manager, dedupeKey: 'held' });
      const b = await queue.enqueue('test.record', { label: 'y' }, { manager, dedupeKey: 'new-in-txn' });
      const c = await queue.enqueue('test.record', { label: 'z' }, { manager, dedupeKey: 'new-in-txn' });
      return [a, b, c];
    });
    expect(again).toBe(existing);
    expect(twice).toBe(fresh);
    expect((await queue.get(fresh))?.payload).toEqual({ label: 'y' });
    expect((await queue.counts()).QUEUED).toBe(2);
  });

  it('lets the same key be enqueued again once the holder has finished', async () => {
    const first = await queue.enqueue('test.record', { label: 'a' }, { dedupeKey: 'again' });
    // A worker finishing the job clears the key (the worker tests cover that it does).
    await db.dataSource.query("UPDATE jobs SET status = 'SUCCEEDED', dedupeKey = NULL WHERE id = ?", [first]);
    const second = await queue.enqueue('test.record', { label: 'b' }, { dedupeKey: 'again' });
    expect(second).not.toBe(first);
    expect(await queue.counts()).toEqual({ QUEUED: 1, RUNNING: 0, SUCCEEDED: 1, DEAD: 0 });
  });

  it('rejects kinds and keys that do not fit the table', async () => {
    await expect(queue.enqueue('x'.repeat(61) as 'test.record', { label: '' })).rejects.toThrow('kind');
    await expect(queue.enqueue('test.record', { label: '' }, { dedupeKey: 'k'.repeat(192) })).rejects.toThrow(
      'dedupeKey',
    );
    await expect(queue.enqueue('test.record', { label: '' }, { maxAttempts: 0 })).rejects.toThrow(
      'maxAttempts',
    );
    expect((await queue.counts()).QUEUED).toBe(0);
  });

  it('wakes local listeners on enqueue, and after commit for transactional enqueues', async () => {
    const wakes: string[] = [];
    const unsubscribe = queue.onWake(() => wakes.push('wake'));
    await queue.enqueue('test.record', { label: 'now' });
    expect(wakes).toHaveLength(1);
    await db.dataSource.transaction(async (manager) => {
      await queue.enqueue('test.record', { label: 'later' }, { manager });
      expect(wakes).toHaveLength(1);
    });
    expect(wakes).toHaveLength(2);
    await db.dataSource
      .transaction(async (manager) => {
        await queue.enqueue('test.record', { label: 'never' }, { manager });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    expect(wakes).toHaveLength(2);
    unsubscribe();
    queue.wake();
    expect(wakes).toHaveLength(2);
  });
});
