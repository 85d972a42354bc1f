import type { Services } from './core';
import type { JobPayloads } from './job-catalogue';
import type { JobContext, JobHandlers } from './jobs';
import { toStoredError } from './services/stored-error';
import { classifyJobFailure, waitingProblem } from './services/posting/failure';

/** One handler per job kind: each is a service method, so the worker holds no business rules of its own. */
export function createJobHandlers(services: Services): JobHandlers<JobPayloads> {
  /**
   * Every batch job but posting (which classifies inside its own run) goes through here, so a failure that belongs to
   * the whole job means the same for every kind of batch (src/services/posting/failure.ts):
   * - transient (QuickBooks down or throttling, a database hiccup) before the last attempt: the batch shows "Waiting
   *   for QuickBooks (attempt n of m): …" and a QUICKBOOKS_UNAVAILABLE connection event, and the job runs again;
   * - deterministic (data QuickBooks refuses and would refuse again, a bug, a setting): the batch ends FAILED now, with
   *   the error. The service's own give-up path does it (`finalAttempt`: it releases what it holds, asks QuickBooks
   *   about requests whose outcome is unknown, fails what is pending), run once more at once: it resumes with the
   *   items still pending only, meets the same failure and gives up. Then, and on the last attempt, whatever is still
   *   open fails with the error;
   * - superseded (lease lost, worker stopping): nothing is written, the job's next run decides.
   * `run(finalAttempt)` is the service call; a job with no give-up path of its own ignores the flag.
   */
  const batchJob = async (
    batchId: string,
    context: JobContext,
    run: (finalAttempt: boolean) => Promise<void>,
  ): Promise<void> => {
    const last = context.attempt >= context.maxAttempts;
    let failure: unknown;
    try {
      await run(last);
      return;
    } catch (error) {
      failure = error;
    }
    const kind = classifyJobFailure(failure, context.signal);
    if (kind === 'superseded') throw failure;
    if (kind === 'transient' && !last) {
      context.logger.warn(
        { err: failure, batchId },
        'batch job is waiting for QuickBooks; it will run again',
      );
      await services.batches
        .waiting(batchId, waitingProblem(toStoredError(failure), context.attempt, context.maxAttempts))
        .catch(() => undefined);
      throw failure;
    }
    context.logger.error(
      { err: failure, batchId, classified: kind, attempt: context.attempt },
      kind === 'deterministic'
        ? 'batch job failed in a way another attempt would repeat; the batch ends FAILED'
        : 'batch job failed on its last attempt; the batch ends FAILED',
    );
    if (!last) {
      try {
        await run(true);
      } catch (again) {
        if (classifyJobFailure(again, context.signal) === 'superseded') throw again;
        failure = again;
      }
    }
    // Whatever the service left open fails with the reason (nothing when its give-up path already ended the batch).
    await services.batches.abandon(batchId, toStoredError(failure));
  };
  return {
    'reference.import': ({ batchId }, context) =>
      batchJob(batchId, context, () => services.references.runImport(batchId)),
    'orders.post': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.posting.runPostBatch(batchId, {
        signal,
        attempt,
        maxAttempts,
        finalAttempt: attempt >= maxAttempts,
      }),
    'orders.undo': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) => services.undo.runUndoBatch(batchId, { finalAttempt })),
    'orders.refund': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.refunds.runRefundBatch(batchId, { finalAttempt }),
      ),
    'orders.reconcile': ({ orderId, generation }) => services.undo.reconcile(orderId, generation),
    'webhooks.deliver': ({ endpointId }, { jobId }) => services.webhooks.deliver(endpointId, jobId),
    'sync.apply': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.sync.outbound.runApplyBatch(batchId, { finalAttempt }),
      ),
    'quickbooks.changes': ({ connectionId, recheck }, { jobId }) =>
      services.inbound.processPending(connectionId, jobId, recheck),
    'quickbooks.catch-up': async ({ connectionId }) => {
      await services.changeDataCapture.catchUp(connectionId);
    },
    'quickbooks.catch-up-all': ({ slot }) => services.changeDataCapture.runRound(slot),
    'invoices.send': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.invoicing.sender.runSendBatch(batchId, { signal: context.signal, finalAttempt }),
      ),
    'invoices.export': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.invoicing.exports.runExport(batchId, { signal: context.signal, finalAttempt }),
      ),
    'invoices.email': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.invoicing.emails.runEmailBatch(batchId, { signal: context.signal, finalAttempt }),
      ),
    'invoices.payments': ({ batchId }, context) =>
      batchJob(batchId, context, (finalAttempt) =>
        services.invoicing.payments.runPaymentBatch(batchId, { signal: context.signal, finalAttempt }),
      ),
  };
}
