import path from 'node:path';
import type { DataSource } from 'typeorm';
import { initializeDataSource } from '../../ormconfig';
import type { DatabaseConfig } from '../../src/config';
import { toDbTime } from '../../src/jobs/job-store';
import { createLogger, type Logger } from '../../src/logger';
import { createTestDatabase, type Dialect, type TestDatabase } from '../support/database';

/** The catalogue the queue tests use (a type alias: interfaces do not satisfy Record<string, object>). */
export type TestCatalogue = {
  'test.record': { label: string };
  'test.other': { n: number };
};
export const TEST_KINDS = ['test.record', 'test.other'] as const;

export interface JobsDatabase {
  database: TestDatabase;
  config: DatabaseConfig;
  dataSource: DataSource;
  /** Another DataSource (its own pool or SQLite connection) on the same database, closed by close(). */
  open(): Promise<DataSource>;
  /** Rows the handlers wrote to `job_effects`, oldest first. */
  effects(jobId?: string): Promise<Array<{ jobId: string; attempt: number; worker: string }>>;
  /** Records a handler's side effect, once per (job, attempt, worker). */
  recordEffect(dataSource: DataSource, jobId: string, attempt: number, worker: string): Promise<void>;
  close(): Promise<void>;
}

export const silentLogger = (): Logger =>
  createLogger((process.env.JOBS_TEST_LOG_LEVEL as 'debug') ?? 'silent');

/** A fresh, migrated database of this dialect, with a `job_effects` table for handler side effects. */
export async function openJobsDatabase(dialect: Dialect): Promise<JobsDatabase> {
  const database = await createTestDatabase(dialect);
  const config: DatabaseConfig =
    dialect === 'sqlite'
      ? { type: 'sqlite', url: path.resolve(database.url.slice('sqlite:'.length)), runMigrations: true }
      : { type: 'mysql', url: database.url, runMigrations: true };
  const dataSource = await initializeDataSource(config);
  await dataSource.runMigrations();
  await dataSource.query(
    `CREATE TABLE job_effects (seq ${dialect === 'mysql' ? 'INT AUTO_INCREMENT' : 'INTEGER'} PRIMARY KEY,
       jobId VARCHAR(40) NOT NULL, attempt INT NOT NULL, worker VARCHAR(100) NOT NULL)`,
  );
  const others: DataSource[] = [];
  return {
    database,
    config,
    dataSource,
    async open() {
      const other = await initializeDataSource(config);
      others.push(other);
      return other;
    },
    async effects(jobId) {
      const rows = await dataSource.query<Array<{ jobId: string; attempt: number | string; worker: string }>>(
        `SELECT jobId, attempt, worker FROM job_effects ${jobId ? 'WHERE jobId = ?' : ''} ORDER BY seq`,
        jobId ? [jobId] : [],
      );
      return rows.map((row) => ({ ...row, attempt: Number(row.attempt) }));
    },
    recordEffect: (ds, jobId, attempt, worker) => recordEffect(ds, jobId, attempt, worker),
    async close() {
      for (const other of others) if (other.isInitialized) await other.destroy();
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
}

export async function recordEffect(
  dataSource: DataSource,
  jobId: string,
  attempt: number,
  worker: string,
): Promise<void> {
  await dataSource.query('INSERT INTO job_effects (jobId, attempt, worker) VALUES (?, ?, ?)', [
    jobId,
    attempt,
    worker,
  ]);
}

/**
 * Polls until `check` returns a value other than undefined/false. The deadline only turns a hang into a readable
 * failure; nothing asserts how fast anything happened.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  deadlineMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A job row as raw SQL sees it (bypassing the entity), for fencing tests. */
export async function stealLease(
  dataSource: DataSource,
  dialect: Dialect,
  jobId: string,
  thief: string,
): Promise<void> {
  const until = toDbTime(dialect, new Date(Date.now() + 60 * 60_000));
  await dataSource.query(`UPDATE jobs SET lockedBy = ?, lockedUntil = ? WHERE id = ?`, [thief, until, jobId]);
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
