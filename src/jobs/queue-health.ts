/**
 * How the queue is doing, for `/readyz` and the metrics: jobs by kind and status, how long the oldest due job has been
 * waiting, and how many workers are alive (their heartbeats, written by JobWorker).
 */
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { dialectOf, toDbTime } from '../db/sql';

/** A worker that has not beaten for this long is taken for dead (it beats every few seconds). */
export const WORKER_ALIVE_MS = 30_000;

export interface QueueHealth {
  /** Jobs by kind and status. */
  counts: Array<{ kind: string; status: string; count: number }>;
  /** How long the oldest due QUEUED job has waited, in ms (0 when none waits). */
  oldestWaitingMs: number;
  /** Workers with a heartbeat in the last WORKER_ALIVE_MS. */
  liveWorkers: number;
}

export async function queueHealth(dataSource: DataSource, now = new Date()): Promise<QueueHealth> {
  const dialect = dialectOf(dataSource);
  const [counts, [oldest], [workers]] = await Promise.all([
    dataSource.query<Array<{ kind: string; status: string; n: number | string }>>(
      'SELECT `kind`, `status`, COUNT(*) AS n FROM `jobs` GROUP BY `kind`, `status`',
    ),
    dataSource.query<Array<{ runAt: Date | string | null }>>(
      "SELECT MIN(`runAt`) AS runAt FROM `jobs` WHERE `status` = 'QUEUED' AND `runAt` <= ?",
      [toDbTime(dialect, now)],
    ),
    dataSource.query<Array<{ n: number | string }>>(
      'SELECT COUNT(*) AS n FROM `worker_heartbeats` WHERE `lastSeenAt` > ?',
      [toDbTime(dialect, new Date(now.getTime() - WORKER_ALIVE_MS))],
    ),
  ]);
  const runAt = oldest?.runAt ? parseDbTime(oldest.runAt) : undefined;
  return {
    counts: counts.map((row) => ({ kind: row.kind, status: row.status, count: Number(row.n) })),
    oldestWaitingMs: runAt ? Math.max(0, now.getTime() - runAt.getTime()) : 0,
    liveWorkers: Number(workers?.n ?? 0),
  };
}

/** MySQL hands back a Date; SQLite the text TypeORM wrote ("2026-12-03 10:00:00.000", UTC). */
function parseDbTime(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

/**
 * Prometheus gauges of the queue, read from the database when scraped: `gateway_jobs{kind,status}`,
 * `gateway_jobs_oldest_waiting_seconds`, `gateway_jobs_dead`, `gateway_workers_alive`.
 */
export function registerQueueMetrics(registry: Registry, dataSource: DataSource): void {
  // One read per scrape: the registry collects every gauge in the same tick, so they share the read it starts.
  let shared: Promise<QueueHealth> | undefined;
  const read = (): Promise<QueueHealth> => {
    if (!shared) {
      shared = queueHealth(dataSource);
      setImmediate(() => (shared = undefined));
    }
    return shared;
  };
  new Gauge({
    name: 'gateway_jobs',
    help: 'Jobs in the queue by kind and status (QUEUED, RUNNING, SUCCEEDED, DEAD)',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
    async collect() {
      const { counts } = await read();
      this.reset();
      for (const row of counts) this.set({ kind: row.kind, status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'gateway_jobs_oldest_waiting_seconds',
    help: 'How long the oldest due job has been waiting to run',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestWaitingMs / 1000);
    },
  });
  new Gauge({
    name: 'gateway_jobs_dead',
    help: 'Jobs that failed for good (DEAD), all kinds',
    registers: [registry],
    async collect() {
      this.set((await read()).counts.filter((c) => c.status === 'DEAD').reduce((sum, c) => sum + c.count, 0));
    },
  });
  new Gauge({
    name: 'gateway_workers_alive',
    help: 'Job workers with a recent heartbeat',
    registers: [registry],
    async collect() {
      this.set((await read()).liveWorkers);
    },
  });
}
