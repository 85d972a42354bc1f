/** The database job queue: enqueue in the caller's transaction, claim with leases, retry with backoff. */
export { DEFAULT_BACKOFF, fullJitterBackoff, type BackoffPolicy } from './backoff';
export {
  DEDUPE_KEY_MAX_LENGTH,
  DEFAULT_MAX_ATTEMPTS,
  JOB_KIND_MAX_LENGTH,
  JobQueue,
  type EnqueueOptions,
  type JobCatalogue,
  type JobCounts,
} from './queue';
export {
  JobWorker,
  LeaseLostError,
  PermanentJobError,
  WorkerStoppedError,
  type JobContext,
  type JobHandler,
  type JobHandlers,
  type JobWorkerOptions,
  type StopOptions,
} from './worker';
export { JOB_STATUSES, JobEntity, type JobStatus } from '../entities/platform/job.entity';
