import type { Services } from './core';
import type { JobPayloads } from './job-catalogue';
import type { JobContext, JobHandlers } from './jobs';
import { toStoredError } from './services/stored-error';
import { classifyJobFailure, waitingProblem } from './services/posting/failure';

/** One handler per job kind: each is a service method, so the worker holds no business rules of its own. */
export function createJobHandlers(services: Services): JobHandlers<JobPayloads> {
  /** A batch job that fails on its last attempt ends its batch FAILED, so no batch waits forever. */
  const lastChance = async (
    batchId: string,
    context: JobContext,
    work: () => Promise<void>,
  ): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (context.attempt < context.maxAttempts) {
        // QuickBooks down or throttling: the batch says it is waiting, rather than RUNNING with nothing to show.
        if (classifyJobFailure(error, context.signal) === 'transient') {
          context.logger.warn(
            { err: error, batchId },
            'batch job is waiting for QuickBooks; it will run again',
          );
          await services.batches
            .waiting(batchId, waitingProblem(toStoredError(error), context.attempt, context.maxAttempts))
            .catch(() => undefined);
        }
        throw error;
      }
      context.logger.error(
        { err: error, batchId },
        'batch job failed on its last attempt; the batch ends FAILED',
      );
      await services.batches.abandon(batchId, toStoredError(error));
    }
  };
  return {
    'reference.import': ({ batchId }, context) =>
      lastChance(batchId, context, () => services.references.runImport(batchId)),
    'orders.post': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.posting.runPostBatch(batchId, {
        signal,
        attempt,
        maxAttempts,
        finalAttempt: attempt >= maxAttempts,
      }),
    'orders.undo': ({ batchId }, { attempt, maxAttempts }) =>
      services.undo.runUndoBatch(batchId, { finalAttempt: attempt >= maxAttempts }),
    'orders.refund': ({ batchId }, { attempt, maxAttempts }) =>
      services.refunds.runRefundBatch(batchId, { finalAttempt: attempt >= maxAttempts }),
    'orders.reconcile': ({ orderId, generation }) => services.undo.reconcile(orderId, generation),
    'webhooks.deliver': ({ endpointId }, { jobId }) => services.webhooks.deliver(endpointId, jobId),
    'sync.apply': ({ batchId }, { attempt, maxAttempts }) =>
      services.sync.outbound.runApplyBatch(batchId, { finalAttempt: attempt >= maxAttempts }),
    'quickbooks.changes': ({ connectionId, recheck }, { jobId }) =>
      services.inbound.processPending(connectionId, jobId, recheck),
    'quickbooks.catch-up': async ({ connectionId }) => {
      await services.changeDataCapture.catchUp(connectionId);
    },
    'quickbooks.catch-up-all': ({ slot }) => services.changeDataCapture.runRound(slot),
    'invoices.send': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.invoicing.sender.runSendBatch(batchId, { signal, finalAttempt: attempt >= maxAttempts }),
    'invoices.export': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.invoicing.exports.runExport(batchId, { signal, finalAttempt: attempt >= maxAttempts }),
    'invoices.email': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.invoicing.emails.runEmailBatch(batchId, { signal, finalAttempt: attempt >= maxAttempts }),
    'invoices.payments': ({ batchId }, { signal, attempt, maxAttempts }) =>
      services.invoicing.payments.runPaymentBatch(batchId, { signal, finalAttempt: attempt >= maxAttempts }),
  };
}
