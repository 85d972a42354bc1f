import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { DEFAULT_BACKOFF, fullJitterBackoff, type BackoffPolicy } from './backoff';
import { isBusy, JobStore, type ClaimedJob } from './job-store';
import type { JobCatalogue, JobQueue } from './queue';

/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  kind: string;
  /** 1 on the first run; a job whose worker died counts that run too. */
  attempt: number;
  maxAttempts: number;
  /**
   * Fires when this run must stop writing: the lease was lost (another worker may now run the job; reason is a
   * LeaseLostError) or the worker stopped without waiting (reason is a WorkerStoppedError). Pass it to fetch/HTTP
   * calls and check it between steps. Whatever the handler does after it fires is not recorded.
   */
  signal: AbortSignal;
  /** Child logger with `jobId`, `attempt` and `kind`. */
  logger: Logger;
}

/** Runs one job. Resolving marks it SUCCEEDED; throwing retries it with backoff (or buries it, see PermanentJobError). */
export type JobHandler<T> = (payload: T, context: JobContext) => Promise<void>;

/** Exactly one handler per kind of the catalogue. */
export type JobHandlers<P extends JobCatalogue> = { [K in keyof P & string]: JobHandler<P[K]> };

/** How often a running worker writes its heartbeat (queue-health.ts takes one silent for 30 s for dead). */
const HEARTBEAT_EVERY_MS = 5_000;

/** Throw from a handler when retrying cannot help (e.g. the payload refers to something deleted): the job goes DEAD now. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** Abort reason: another worker holds the job now (or this worker could not renew its lease in time). */
export class LeaseLostError extends Error {
  constructor(readonly jobId: string) {
    super(`Lost the lease on job ${jobId}; stop writing, another worker may run it`);
    this.name = 'LeaseLostError';
  }
}

/** Abort reason: the worker was stopped without waiting for this job; it will run again once its lease expires. */
export class WorkerStoppedError extends Error {
  constructor(readonly jobId: string) {
    super(`Worker stopped while job ${jobId} was running; it will be retried after its lease expires`);
    this.name = 'WorkerStoppedError';
  }
}

export interface JobWorkerOptions<P extends JobCatalogue> {
  /** The catalogue's kinds. Start-up fails unless each has exactly one handler. The worker claims only these kinds. */
  kinds: readonly (keyof P & string)[];
  handlers: JobHandlers<P>;
  logger: Logger;
  /** Jobs run at once (default 5). */
  concurrency?: number;
  /** How long a claim holds a job without a heartbeat (default 30 s). A dead worker's jobs run again after this. */
  leaseMs?: number;
  /** How often running jobs' leases are renewed (default leaseMs / 3); must be shorter than leaseMs. */
  heartbeatMs?: number;
  /** How often an idle worker looks for due jobs (default 1 s); JobQueue.wake() cuts the wait short. */
  pollMs?: number;
  /** Names this worker in `lockedBy` (default host:pid:random); at most 80 characters. */
  workerId?: string;
  /** Delay before retrying a failed attempt: a policy for full-jitter exponential backoff, or a function of the attempt. */
  backoff?: BackoffPolicy | ((attempt: number) => number);
}

export interface StopOptions {
  /** true (default): wait for running jobs (up to timeoutMs), recording their outcome. false: abandon them. */
  graceful?: boolean;
  /** Longest graceful wait before the remaining jobs are abandoned (default: leaseMs). */
  timeoutMs?: number;
}

interface Execution {
  job: ClaimedJob;
  token: string;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims jobs from the database and runs their handlers, under a lease renewed by heartbeats. Safe to run in many
 * processes against one MySQL (claims use `FOR UPDATE SKIP LOCKED`) or one SQLite file (claims are single atomic
 * statements). Delivery is at least once: a job runs again if its worker dies before recording the outcome, so
 * handlers must be idempotent (the posting services check QuickBooks before re-sending).
 */
export class JobWorker<P extends JobCatalogue> {
  readonly workerId: string;
  private readonly kinds: readonly string[];
  private readonly handlers: Record<string, JobHandler<unknown>>;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly backoff: (attempt: number) => number;

  private store?: JobStore;
  /** The worker's own SQLite connection, closed on stop (see start()). */
  private ownDataSource?: DataSource;
  private readonly running = new Map<string, Execution>();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  private unsubscribeWake?: () => void;
  private nudged = false;
  private wakeSleeper?: () => void;
  private claimSequence = 0;
  private readonly startedAt = new Date();
  private beatAt = 0;

  constructor(
    private readonly queue: JobQueue<P>,
    options: JobWorkerOptions<P>,
  ) {
    this.kinds = [...options.kinds];
    this.handlers = options.handlers as unknown as Record<string, JobHandler<unknown>>;
    assertHandlersMatchCatalogue(this.kinds, this.handlers);
    this.concurrency = options.concurrency ?? 5;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.floor(this.leaseMs / 3);
    this.pollMs = options.pollMs ?? 1_000;
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.backoff = typeof backoff === 'function' ? backoff : (attempt) => fullJitterBackoff(attempt, backoff);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new Error('JobWorker: concurrency must be a positive integer');
    }
    if (!(this.leaseMs > 0)) throw new Error('JobWorker: leaseMs must be positive');
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.leaseMs)) {
      throw new Error('JobWorker: heartbeatMs must be positive and shorter than leaseMs');
    }
    if (!(this.pollMs > 0)) throw new Error('JobWorker: pollMs must be positive');
    // lockedBy is varchar(100): the worker id plus a per-claim suffix must fit.
    if (this.workerId.length === 0 || this.workerId.length > 80) {
      throw new Error('JobWorker: workerId must be 1 to 80 characters');
    }
    this.logger = options.logger.child({ module: 'jobs', workerId: this.workerId });
  }

  /** Jobs this worker is running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Starts claiming and running jobs. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`JobWorker: cannot start a worker that is ${this.state}`);
    this.state = 'running';
    try {
      this.store = new JobStore(await this.openDataSource());
    } catch (error) {
      this.state = 'stopped';
      throw error;
    }
    if (this.state !== 'running') {
      // stop() was called while the connection was opening.
      await this.ownDataSource?.destroy();
      return;
    }
    this.unsubscribeWake = this.queue.onWake(() => this.nudge());
    this.loop = this.run();
    this.logger.info(
      { kinds: this.kinds, concurrency: this.concurrency, leaseMs: this.leaseMs },
      'job worker started',
    );
  }

  /**
   * Stops claiming. Graceful (default): waits for running jobs up to `timeoutMs` and records their outcome; jobs still
   * running then are abandoned. Abandoned jobs have their signal aborted, their outcome is not recorded, and they run
   * again (on any worker) once their lease expires.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'running') this.stopping = this.shutDown(options);
    await this.stopping;
  }

  private async shutDown(options: StopOptions): Promise<void> {
    const { graceful = true, timeoutMs = this.leaseMs } = options;
    this.state = 'stopping';
    this.unsubscribeWake?.();
    this.nudge();
    await this.loop;
    if (graceful && this.running.size > 0) {
      const drained = Promise.all([...this.running.values()].map((execution) => execution.done));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([drained, timedOut]);
      clearTimeout(timer);
    }
    const abandoned = [...this.running.values()];
    for (const execution of abandoned) execution.controller.abort(new WorkerStoppedError(execution.job.id));
    this.running.clear();
    if (abandoned.length > 0) {
      this.logger.warn(
        { jobIds: abandoned.map((e) => e.job.id) },
        'abandoned running jobs; they rerun after their lease',
      );
    }
    this.state = 'stopped';
    await this.store?.forget(this.workerId, new Date()).catch(() => undefined);
    await this.ownDataSource?.destroy();
    this.logger.info('job worker stopped');
  }

  /**
   * MySQL: the app's DataSource (its pool gives each claim transaction its own connection). SQLite: a second
   * connection to the same file, because TypeORM runs every query of a better-sqlite3 DataSource on one shared
   * connection; the worker's claims would otherwise run inside whatever transaction the app has open, see its
   * uncommitted jobs and roll back with it. busy_timeout 0, because better-sqlite3 waits synchronously: a wait for the
   * app's write lock would block the event loop that the app needs to finish its transaction. The worker retries later.
   * An in-memory SQLite database cannot be opened twice; there (tests only) the worker shares the app's connection.
   */
  private async openDataSource(): Promise<DataSource> {
    const shared = this.queue.dataSource;
    const options = shared.options;
    if (options.type !== 'better-sqlite3' || options.database === ':memory:') return shared;
    const prepare = options.prepareDatabase;
    const own = new DataSource({
      ...options,
      entities: [],
      subscribers: [],
      migrations: [],
      migrationsRun: false,
      synchronize: false,
      timeout: 0,
      prepareDatabase: async (db: { pragma(sql: string): unknown }) => {
        await prepare?.(db);
        db.pragma('busy_timeout = 0');
      },
    });
    await own.initialize();
    this.ownDataSource = own;
    return own;
  }

  /** Tells `/readyz` and the metrics this worker is alive (every HEARTBEAT_EVERY_MS; a failure is only logged). */
  private async beat(): Promise<void> {
    const now = Date.now();
    if (now - this.beatAt < HEARTBEAT_EVERY_MS) return;
    this.beatAt = now;
    await this.store!.beat(this.workerId, this.startedAt, new Date(now)).catch((error: unknown) => {
      if (!isBusy(error)) this.logger.warn({ err: error }, 'could not write the worker heartbeat');
    });
  }

  private nudge(): void {
    this.nudged = true;
    this.wakeSleeper?.();
  }

  /** Waits for `ms`, a wake(), a finished job (a free slot) or stop(), whichever comes first. */
  private async idle(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wakeSleeper = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wakeSleeper = undefined;
    this.nudged = false;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.state === 'running') {
      await this.beat();
      const free = this.concurrency - this.running.size;
      if (free === 0) {
        await this.idle(this.pollMs);
        continue;
      }
      let claimed: ClaimedJob[];
      const token = `${this.workerId}#${(++this.claimSequence).toString(36)}`;
      try {
        const now = new Date();
        claimed = await this.store!.claim(
          this.kinds,
          free,
          token,
          now,
          new Date(now.getTime() + this.leaseMs),
        );
        failures = 0;
      } catch (error) {
        failures++;
        if (isBusy(error)) {
          this.logger.debug('database busy; claiming again shortly');
        } else {
          this.logger.error({ err: error }, 'claiming jobs failed');
        }
        // Short waits for a busy SQLite file, growing waits (up to the poll interval) for a database that is down.
        await this.idle(Math.min(this.pollMs, 10 * 2 ** Math.min(failures, 10)) * (0.5 + Math.random() / 2));
        continue;
      }
      for (const job of claimed) this.execute(job, token);
      // Wait for the poll interval, a wake(), or a finished job (which frees a slot and may mean more work is due).
      await this.idle(this.pollMs);
    }
  }

  private execute(job: ClaimedJob, token: string): void {
    const controller = new AbortController();
    const execution: Execution = { job, token, controller, done: Promise.resolve() };
    this.running.set(job.id, execution);
    execution.done = this.runJob(execution)
      .catch((error: unknown) => this.logger.error({ err: error, jobId: job.id }, 'job bookkeeping failed'))
      .finally(() => {
        if (this.running.get(job.id) === execution) this.running.delete(job.id);
        // A slot is free: claim again now rather than after the poll interval.
        this.nudge();
      });
  }

  private async runJob(execution: Execution): Promise<void> {
    const { job, token, controller } = execution;
    const logger = this.logger.child({ jobId: job.id, attempt: job.attempts, kind: job.kind });
    if (job.attempts > job.maxAttempts) {
      // Only an expired lease gets here: the worker running the final attempt died before recording anything.
      await this.record(execution, logger, (store, now) =>
        store.bury(
          job.id,
          token,
          `Attempt ${job.maxAttempts} of ${job.maxAttempts} never finished (its worker stopped or crashed)`,
          now,
        ),
      );
      logger.error('job is DEAD: its last attempt never finished');
      return;
    }

    const heartbeat = this.startHeartbeat(execution, logger);
    let failure: unknown;
    let succeeded = false;
    try {
      const handler = this.handlers[job.kind];
      await handler(job.payload, {
        jobId: job.id,
        kind: job.kind,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        signal: controller.signal,
        logger,
      });
      succeeded = true;
    } catch (error) {
      failure = error;
    } finally {
      heartbeat.stop();
    }

    if (controller.signal.aborted) {
      // Fencing: another worker may hold the job now, or the worker was stopped; this run's outcome is not ours to write.
      logger.warn({ reason: errorText(controller.signal.reason) }, 'job run aborted; outcome not recorded');
      return;
    }
    if (succeeded) {
      const recorded = await this.record(execution, logger, (store, now) =>
        store.succeed(job.id, token, now),
      );
      if (recorded) logger.info('job succeeded');
      return;
    }
    const message = errorText(failure).slice(0, 4000);
    if (failure instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
      const recorded = await this.record(execution, logger, (store, now) =>
        store.bury(job.id, token, message, now),
      );
      if (recorded) logger.error({ err: failure }, 'job failed for good and is DEAD');
      return;
    }
    const delayMs = Math.max(0, this.backoff(job.attempts));
    const recorded = await this.record(execution, logger, (store, now) =>
      store.retry(job.id, token, new Date(now.getTime() + delayMs), message, now),
    );
    if (recorded) logger.warn({ err: failure, retryInMs: delayMs }, 'job failed; will retry');
  }

  /**
   * Writes an outcome, fenced on the claim token. Transient errors (a busy SQLite file, a dropped MySQL connection) are
   * retried until the lease would have expired; after that another worker may hold the job and will run it again.
   */
  private async record(
    execution: Execution,
    logger: Logger,
    write: (store: JobStore, now: Date) => Promise<boolean>,
  ): Promise<boolean> {
    const deadline = Date.now() + this.leaseMs;
    for (let round = 1; ; round++) {
      if (execution.controller.signal.aborted) return false;
      try {
        const applied = await write(this.store!, new Date());
        if (!applied)
          logger.warn('lease was lost before the outcome was recorded; another worker owns the job');
        return applied;
      } catch (error) {
        if (Date.now() >= deadline) {
          logger.error({ err: error }, 'could not record the job outcome; it will run again after its lease');
          return false;
        }
        if (!isBusy(error)) logger.warn({ err: error }, 'recording the job outcome failed; retrying');
        await sleep(Math.min(1_000, 5 * 2 ** Math.min(round, 8)) * (0.5 + Math.random() / 2));
      }
    }
  }

  /**
   * Renews the lease every heartbeatMs. Aborts the run when the lease is gone: another worker re-claimed the job, or
   * renewals kept failing until the lease ran out (from then on another worker may claim it at any moment).
   */
  private startHeartbeat(execution: Execution, logger: Logger): { stop(): void } {
    const { job, token, controller } = execution;
    let leaseUntil = Date.now() + this.leaseMs;
    let beating = false;
    const timer = setInterval(() => {
      if (beating || controller.signal.aborted) return;
      beating = true;
      const now = new Date();
      const until = new Date(now.getTime() + this.leaseMs);
      this.store!.extend(job.id, token, until, now)
        .then((held) => {
          if (held) {
            leaseUntil = until.getTime();
          } else if (!controller.signal.aborted) {
            logger.warn('lease lost: another worker re-claimed the job; aborting this run');
            controller.abort(new LeaseLostError(job.id));
          }
        })
        .catch((error: unknown) => {
          if (Date.now() >= leaseUntil && !controller.signal.aborted) {
            logger.error({ err: error }, 'could not renew the lease before it expired; aborting this run');
            controller.abort(new LeaseLostError(job.id));
          } else if (!isBusy(error)) {
            logger.warn({ err: error }, 'lease renewal failed; retrying at the next heartbeat');
          }
        })
        .finally(() => {
          beating = false;
        });
    }, this.heartbeatMs);
    // An aborted run writes nothing more, so it needs no lease either.
    controller.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    return { stop: () => clearInterval(timer) };
  }
}

/** Start-up check: every catalogue kind has a handler function, and no handler lacks a kind. */
function assertHandlersMatchCatalogue(kinds: readonly string[], handlers: Record<string, unknown>): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const kind of kinds) {
    if (seen.has(kind)) problems.push(`kind "${kind}" is listed twice`);
    seen.add(kind);
    if (typeof handlers[kind] !== 'function') problems.push(`kind "${kind}" has no handler`);
  }
  for (const name of Object.keys(handlers)) {
    if (!seen.has(name)) problems.push(`handler "${name}" has no kind in the catalogue`);
  }
  if (kinds.length === 0) problems.push('the catalogue is empty');
  if (problems.length > 0) throw new Error(`JobWorker cannot start: ${problems.join('; ')}`);
}

function errorText(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
