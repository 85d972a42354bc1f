import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { JOB_STATUSES, JobEntity, type JobStatus } from '../entities/platform/job.entity';
import { newId } from '../ids';
import { findByDedupeKey, isUniqueViolation, jobDialectOf, type JobDialect } from './job-store';

/** A job catalogue: job kind → payload type. One catalogue types the queue and its worker. */
export type JobCatalogue = Record<string, object>;

/** Column limits of the `jobs` table. */
export const JOB_KIND_MAX_LENGTH = 60;
export const DEDUPE_KEY_MAX_LENGTH = 191;
export const DEFAULT_MAX_ATTEMPTS = 10;

export interface EnqueueOptions {
  /**
   * The caller's transaction. The job is inserted in it, so it exists if and only if the caller's state change commits.
   * Local workers are woken when that transaction commits.
   */
  manager?: EntityManager;
  /** Not before this time (default: now). */
  runAt?: Date;
  /**
   * While a job with this key is unfinished (QUEUED or RUNNING), enqueueing the same key returns that job's id instead
   * of adding another. Finished jobs release their key. Build keys deterministically from what the job is about, e.g.
   * `import-reference:${connectionId}`. Note that a RUNNING job may already have read the state the caller is changing.
   */
  dedupeKey?: string;
  /** Attempts before the job is DEAD (default 10). */
  maxAttempts?: number;
}

/** Number of jobs in each status. */
export type JobCounts = Record<JobStatus, number>;

/**
 * The job queue of the gateway, kept in its own database (`jobs` table). Producers enqueue here; a JobWorker claims and
 * runs. Generic over the catalogue so that a kind and its payload are checked together at compile time.
 */
export class JobQueue<P extends JobCatalogue> {
  /** 'mysql' (MySQL/MariaDB) or 'sqlite' (better-sqlite3). */
  readonly dialect: JobDialect;
  private readonly wakeListeners = new Set<() => void>();
  /** Query runners holding an open transaction with an enqueued job: commit wakes the workers. */
  private readonly awaitingCommit = new WeakSet<QueryRunner>();
  private commitHookInstalled = false;

  constructor(readonly dataSource: DataSource) {
    this.dialect = jobDialectOf(dataSource);
  }

  /**
   * Adds a job and returns its id (or, with `dedupeKey`, the id of the unfinished job already holding the key).
   * Without `manager` the job is committed at once and local workers are woken.
   */
  async enqueue<K extends keyof P & string>(
    kind: K,
    payload: P[K],
    options: EnqueueOptions = {},
  ): Promise<string> {
    const { dedupeKey, runAt = new Date(), maxAttempts = DEFAULT_MAX_ATTEMPTS } = options;
    if (!kind || kind.length > JOB_KIND_MAX_LENGTH) {
      throw new Error(`Job kind must be 1 to ${JOB_KIND_MAX_LENGTH} characters: "${kind}"`);
    }
    if (dedupeKey !== undefined && (dedupeKey.length === 0 || dedupeKey.length > DEDUPE_KEY_MAX_LENGTH)) {
      throw new Error(`dedupeKey must be 1 to ${DEDUPE_KEY_MAX_LENGTH} characters`);
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new Error('maxAttempts must be a positive integer');
    if (Number.isNaN(runAt.getTime())) throw new Error('runAt is not a valid date');

    const manager = options.manager ?? this.dataSource.manager;
    const id = await this.insert(manager, kind, payload, runAt, maxAttempts, dedupeKey);
    const runner = options.manager?.queryRunner;
    if (runner?.isTransactionActive) {
      this.wakeOnCommit(runner);
    } else {
      this.wake();
    }
    return id;
  }

  private async insert(
    manager: EntityManager,
    kind: string,
    payload: object,
    runAt: Date,
    maxAttempts: number,
    dedupeKey: string | undefined,
  ): Promise<string> {
    // Insert first and look up on conflict, rather than look up first: a plain pre-check would race with another
    // enqueuer, and a locking pre-check takes gap locks that deadlock two concurrent enqueuers on MySQL. A failed
    // INSERT only rolls back its own statement (MySQL and SQLite), so the caller's transaction carries on.
    // A handful of rounds covers the holder finishing (and releasing the key) between our INSERT and SELECT.
    for (let round = 0; ; round++) {
      const id = newId('job');
      const now = new Date();
      try {
        await manager
          .createQueryBuilder()
          .insert()
          .into(JobEntity)
          .values({
            id,
            kind,
            payload,
            status: 'QUEUED',
            runAt,
            attempts: 0,
            maxAttempts,
            lockedBy: null,
            lockedUntil: null,
            lastError: null,
            dedupeKey: dedupeKey ?? null,
            createdAt: now,
            updatedAt: now,
            finishedAt: null,
          })
          .updateEntity(false)
          .execute();
        return id;
      } catch (error) {
        if (dedupeKey === undefined || !isUniqueViolation(error) || round >= 4) throw error;
        const existing = await findByDedupeKey(manager, this.dialect, dedupeKey);
        if (existing) return existing;
      }
    }
  }

  /** One job, or null. */
  async get(id: string): Promise<JobEntity | null> {
    return this.dataSource.getRepository(JobEntity).findOneBy({ id });
  }

  /** How many jobs are in each status (zero for none). */
  async counts(): Promise<JobCounts> {
    const rows = await this.dataSource.query<Array<{ status: JobStatus; n: number | string }>>(
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status',
    );
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobCounts;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /**
   * Nudges this process's idle workers to look for work now instead of at their next poll. Workers in other processes
   * still find the job at their next poll.
   */
  wake(): void {
    for (const listener of this.wakeListeners) listener();
  }

  /** Subscribes to wake(); returns the unsubscribe function. Used by JobWorker. */
  onWake(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    return () => this.wakeListeners.delete(listener);
  }

  /**
   * Wakes the workers once `runner`'s transaction commits; waking before that would find nothing. TypeORM announces
   * commits to the DataSource's subscribers, so the queue adds one subscriber, once.
   */
  private wakeOnCommit(runner: QueryRunner): void {
    this.awaitingCommit.add(runner);
    if (this.commitHookInstalled) return;
    this.commitHookInstalled = true;
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => {
        // Nested transactions (savepoints) announce their commit too; only the outermost one makes the job visible.
        if (!queryRunner.isTransactionActive && this.awaitingCommit.delete(queryRunner)) this.wake();
      },
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.awaitingCommit.delete(queryRunner);
      },
    };
    this.dataSource.subscribers.push(subscriber);
  }
}
