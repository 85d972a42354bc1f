import type { DataSource, Repository } from 'typeorm';
import { ConnectionEntity, type StoredSyncError, type SyncBatchEntity } from '../../entities';
import type { Logger } from '../../logger';
import { QuickBooksError } from '../../quickbooks';
import { isTerminal, type BatchService } from '../batch.service';
import type { ConnectionEvents } from '../connection-events';
import { toStoredError } from '../stored-error';
import {
  assertInvoicingReady,
  authorizationEndsAt,
  authorizationExpiringSoon,
  RESET_AUTHORIZATION_HINT,
} from './readiness';

export interface RunOptions {
  signal?: AbortSignal;
  /** The job's last attempt: a failure ends the batch FAILED instead of leaving it for another attempt. */
  finalAttempt?: boolean;
}

export interface BatchJob {
  /** Does the batch's pending work; throwing lets the job run again (it must resume safely). */
  work(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void>;
  /**
   * Fails what is still pending with the reason. `lookUp` is true when QuickBooks can still be asked about requests
   * whose outcome is unknown (not when the connection is not ready or lost its authorization).
   */
  fail(batch: SyncBatchEntity, reason: StoredSyncError, lookUp: boolean): Promise<void>;
}

/**
 * The life of an invoicing batch job (sending, export, e-mail, payments): start, check the connection, do the work,
 * finish. A connection that is not ready, lost authorization, or the job's last attempt end the batch FAILED with the
 * reason instead of leaving its items waiting; lost authorization carries the hint to reset it.
 */
export class BatchJobs {
  private readonly connections: Repository<ConnectionEntity>;

  constructor(
    dataSource: DataSource,
    private readonly batches: BatchService,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
  ) {
    this.connections = dataSource.getRepository(ConnectionEntity);
  }

  async run(batchId: string, options: RunOptions, job: BatchJob): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch || isTerminal(batch.status)) return;
    const connection = await this.connections.findOneByOrFail({ id: batch.connectionId });
    await this.batches.start(batchId);
    try {
      assertInvoicingReady(connection);
    } catch (error) {
      await this.end(batch, job, toStoredError(error), false);
      return;
    }
    this.warnIfAuthorizationExpiring(connection);
    try {
      await job.work(batch, connection);
    } catch (error) {
      const authorizationLost =
        error instanceof QuickBooksError && error.category === 'NEEDS_REAUTHORIZATION';
      if (!authorizationLost && !options.finalAttempt) throw error; // the job runs again and resumes
      if (!authorizationLost)
        this.logger.error({ err: error, batchId }, 'batch gave up after its last attempt');
      const stored = toStoredError(error);
      await this.end(
        batch,
        job,
        authorizationLost ? { ...stored, hint: RESET_AUTHORIZATION_HINT } : stored,
        !authorizationLost,
      );
      return;
    }
    await this.batches.finish(batchId);
  }

  private async end(
    batch: SyncBatchEntity,
    job: BatchJob,
    reason: StoredSyncError,
    lookUp: boolean,
  ): Promise<void> {
    await job.fail(batch, reason, lookUp);
    await this.batches.abandon(batch.id, reason); // whatever the job left open fails with the reason
  }

  /** A refresh token within 10 days of its end: tell the connection's subscribers to reauthorize in time. */
  private warnIfAuthorizationExpiring(connection: ConnectionEntity): void {
    if (!authorizationExpiringSoon(connection)) return;
    this.events.publish(connection.id, 'AUTHORIZATION_EXPIRING', {
      message: `QuickBooks authorization ends ${authorizationEndsAt(connection)!.toISOString()}: reset your QuickBooks authorization (reconnect) before then`,
    });
  }
}
