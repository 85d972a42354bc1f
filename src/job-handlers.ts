import type { Services } from './core';
import type { JobPayloads } from './job-catalogue';
import type { JobHandlers } from './jobs';

/** One handler per job kind: each is a service method, so the worker holds no business rules of its own. */
export function createJobHandlers(services: Services): JobHandlers<JobPayloads> {
  return {
    'reference.import': ({ batchId }) => services.references.runImport(batchId),
    'orders.post': ({ batchId }, { signal }) => services.posting.runPostBatch(batchId, signal),
    'orders.undo': ({ batchId }) => services.undo.runUndoBatch(batchId),
  };
}
