/**
 * The SQL of the job queue, per dialect. Everything here is raw SQL on purpose: claiming must be one atomic statement
 * (SQLite) or one short locking transaction (MySQL), and every write after the claim is fenced on the claim token, which
 * the ORM's save() cannot express.
 *
 * Times are always the application's clock (UTC `Date`), never the database's NOW(): the claim compares `runAt` and
 * `lockedUntil` with the same clock that wrote them. Processes on different machines must keep their clocks within a
 * small fraction of the lease.
 */
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { dialectOf, toDbTime, type Dialect } from '../db/sql';

export type JobDialect = Dialect;

/** A job this worker now holds, as the claim returned it. */
export interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  /** Attempts including this one (the claim counts it). */
  attempts: number;
  maxAttempts: number;
}

/** The dialect of a DataSource, or an error for drivers the queue does not support. */
export function jobDialectOf(dataSource: DataSource): JobDialect {
  return dialectOf(dataSource);
}

export { toDbTime };

/** True when an INSERT failed on a unique index (here: the dedupe key). */
export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** True when SQLite refused a write because another connection holds the write lock. */
export function isBusy(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

function driverCode(error: unknown): string | undefined {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const code = (driverError as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

interface RawJobRow {
  id: string;
  kind: string;
  payload: string | null;
  attempts: number | string;
  maxAttempts: number | string;
}

const toClaimed = (row: RawJobRow, attemptsAdded: number): ClaimedJob => ({
  id: row.id,
  kind: row.kind,
  payload: row.payload === null ? null : JSON.parse(row.payload),
  attempts: Number(row.attempts) + attemptsAdded,
  maxAttempts: Number(row.maxAttempts),
});

const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');

/** The statements a worker runs. `dataSource` is the worker's own (see JobWorker.start). */
export class JobStore {
  readonly dialect: JobDialect;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = jobDialectOf(dataSource);
  }

  private t(date: Date): Date | string {
    return toDbTime(this.dialect, date);
  }

  /**
   * Claims up to `limit` runnable jobs of these kinds for `token`: queued jobs that are due, and running jobs whose
   * lease expired (their worker died). Each claimed job becomes RUNNING, leased until `leaseUntil`, attempts + 1.
   */
  async claim(
    kinds: readonly string[],
    limit: number,
    token: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<ClaimedJob[]> {
    if (limit <= 0 || kinds.length === 0) return [];
    if (this.dialect === 'sqlite') {
      // One statement: SQLite serializes writers, so no other connection or process can claim the same rows between
      // the inner SELECT and the UPDATE.
      const rows = await this.dataSource.query<RawJobRow[]>(
        `UPDATE jobs SET status = 'RUNNING', lockedBy = ?, lockedUntil = ?, attempts = attempts + 1, updatedAt = ?
         WHERE id IN (
           SELECT id FROM jobs
           WHERE kind IN (${placeholders(kinds.length)})
             AND ((status = 'QUEUED' AND runAt <= ?) OR (status = 'RUNNING' AND lockedUntil < ?))
           ORDER BY runAt LIMIT ?)
         RETURNING id, kind, payload, attempts, maxAttempts`,
        [token, this.t(leaseUntil), this.t(now), ...kinds, this.t(now), this.t(now), limit],
      );
      return rows.map((row) => toClaimed(row, 0));
    }
    return this.claimMysql(kinds, limit, token, now, leaseUntil);
  }

  private async claimMysql(
    kinds: readonly string[],
    limit: number,
    token: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<ClaimedJob[]> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // READ COMMITTED: no gap locks, and rows the scan rejects are unlocked at once, so concurrent claimers and
      // enqueuers do not block each other.
      await runner.startTransaction('READ COMMITTED');
      const kindList = placeholders(kinds.length);
      // Two locking reads instead of one `(QUEUED AND due) OR (RUNNING AND expired) ORDER BY runAt`: each is a range
      // of the (status, runAt) index read in order, so LIMIT stops the scan and only the claimed rows get locked. With
      // the OR, InnoDB must lock every due row before sorting, and a second worker would skip the whole backlog.
      const expired = (await runner.query(
        `SELECT id, kind, payload, attempts, maxAttempts FROM jobs
         WHERE status = 'RUNNING' AND lockedUntil < ? AND kind IN (${kindList})
         ORDER BY runAt LIMIT ? FOR UPDATE SKIP LOCKED`,
        [now, ...kinds, limit],
      )) as RawJobRow[];
      const queued =
        expired.length < limit
          ? ((await runner.query(
              `SELECT id, kind, payload, attempts, maxAttempts FROM jobs
               WHERE status = 'QUEUED' AND runAt <= ? AND kind IN (${kindList})
               ORDER BY runAt LIMIT ? FOR UPDATE SKIP LOCKED`,
              [now, ...kinds, limit - expired.length],
            )) as RawJobRow[])
          : [];
      const rows = [...expired, ...queued];
      if (rows.length > 0) {
        await runner.query(
          `UPDATE jobs SET status = 'RUNNING', lockedBy = ?, lockedUntil = ?, attempts = attempts + 1, updatedAt = ?
           WHERE id IN (${placeholders(rows.length)})`,
          [token, leaseUntil, now, ...rows.map((row) => row.id)],
        );
      }
      await runner.commitTransaction();
      return rows.map((row) => toClaimed(row, 1));
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Extends the lease; false when `token` no longer holds the job (another worker re-claimed it). */
  async extend(id: string, token: string, leaseUntil: Date, now: Date): Promise<boolean> {
    return this.fenced(`lockedUntil = ?, updatedAt = ?`, [this.t(leaseUntil), this.t(now)], id, token);
  }

  /** Marks the job SUCCEEDED and frees its dedupe key; false when `token` no longer holds it. */
  async succeed(id: string, token: string, now: Date): Promise<boolean> {
    return this.fenced(
      `status = 'SUCCEEDED', lockedUntil = NULL, dedupeKey = NULL, finishedAt = ?, updatedAt = ?`,
      [this.t(now), this.t(now)],
      id,
      token,
    );
  }

  /** Puts the job back in the queue to run at `runAt`; false when `token` no longer holds it. */
  async retry(id: string, token: string, runAt: Date, error: string, now: Date): Promise<boolean> {
    return this.fenced(
      `status = 'QUEUED', runAt = ?, lockedBy = NULL, lockedUntil = NULL, lastError = ?, updatedAt = ?`,
      [this.t(runAt), error, this.t(now)],
      id,
      token,
    );
  }

  /** Marks the job DEAD with its last error and frees its dedupe key; false when `token` no longer holds it. */
  async bury(id: string, token: string, error: string, now: Date): Promise<boolean> {
    return this.fenced(
      `status = 'DEAD', lockedUntil = NULL, dedupeKey = NULL, lastError = ?, finishedAt = ?, updatedAt = ?`,
      [error, this.t(now), this.t(now)],
      id,
      token,
    );
  }

  /** The worker's sign of life (see queue-health.ts); written every few seconds while it runs. */
  async beat(workerId: string, startedAt: Date, now: Date): Promise<void> {
    const upsert =
      this.dialect === 'mysql'
        ? 'ON DUPLICATE KEY UPDATE `lastSeenAt` = VALUES(`lastSeenAt`)'
        : 'ON CONFLICT(`workerId`) DO UPDATE SET `lastSeenAt` = excluded.`lastSeenAt`';
    await this.dataSource.query(
      `INSERT INTO \`worker_heartbeats\` (\`workerId\`, \`startedAt\`, \`lastSeenAt\`) VALUES (?, ?, ?) ${upsert}`,
      [workerId, this.t(startedAt), this.t(now)],
    );
  }

  /** A stopped worker's heartbeat goes, and so do those of workers gone for a day. */
  async forget(workerId: string, now: Date): Promise<void> {
    await this.dataSource.query('DELETE FROM `worker_heartbeats` WHERE `workerId` = ? OR `lastSeenAt` < ?', [
      workerId,
      this.t(new Date(now.getTime() - 86_400_000)),
    ]);
  }

  /** An UPDATE that only applies while `token` still holds the running job: a worker that lost its lease writes nothing. */
  private async fenced(assignments: string, values: unknown[], id: string, token: string): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        `UPDATE jobs SET ${assignments} WHERE id = ? AND lockedBy = ? AND status = 'RUNNING'`,
        [...values, id, token],
        true,
      );
      return (result.affected ?? 0) > 0;
    } finally {
      await runner.release();
    }
  }
}

/**
 * Finds the unfinished job holding `dedupeKey`, as the latest committed state (or the caller's own uncommitted
 * insert). On MySQL this must be a locking read: a plain read inside the caller's REPEATABLE READ transaction could
 * return an older snapshot in which a since-finished job still held the key.
 */
export async function findByDedupeKey(
  manager: EntityManager,
  dialect: JobDialect,
  dedupeKey: string,
): Promise<string | undefined> {
  const lock = dialect === 'mysql' ? ' LOCK IN SHARE MODE' : '';
  const rows = await manager.query<Array<{ id: string }>>(`SELECT id FROM jobs WHERE dedupeKey = ?${lock}`, [
    dedupeKey,
  ]);
  return rows[0]?.id;
}
