import type { EntityManager } from 'typeorm';

/**
 * The gateway's job catalogue: each kind and its payload. The worker refuses to start unless every kind here has
 * exactly one handler (see `src/job-handlers.ts`).
 */
export type JobPayloads = {
  /** Mirror a connection's reference lists (batch REFERENCE_IMPORT). */
  'reference.import': { batchId: string };
  /** Post a POST_ORDERS batch's orders to QuickBooks. */
  'orders.post': { batchId: string };
  /** Remove an UNDO_ORDERS batch's postings from QuickBooks. */
  'orders.undo': { batchId: string };
  /** Send a SEND_INVOICES batch's invoices to QuickBooks. */
  'invoices.send': { batchId: string };
  /** Run an EXPORT batch: products, then customers, then invoices. */
  'invoices.export': { batchId: string };
  /** Have QuickBooks e-mail an EMAIL_INVOICES batch's invoices. */
  'invoices.email': { batchId: string };
  /** Create a RECORD_PAYMENTS batch's payments in QuickBooks. */
  'invoices.payments': { batchId: string };
  /** Send a REFUND_ORDERS batch's refund (RefundReceipt or CreditMemo). */
  'orders.refund': { batchId: string };
  /** Settle an order left UNCERTAIN by an undo (its transaction removed or not) by reading QuickBooks. */
  'orders.reconcile': { orderId: string; generation: number };
  /** Deliver an endpoint's pending partner webhooks, in order of creation. */
  'webhooks.deliver': { endpointId: string };
  /** Apply an APPLY_APPROVED or RETRY batch: partners' records to QuickBooks, approved inbound changes to the mirror. */
  'sync.apply': { batchId: string };
  /** Apply a connection's pending QuickBooks change notifications (webhooks) to the mirror. */
  'quickbooks.changes': {
    connectionId: string;
    /** Read these entities again since this time: a change in the same second as one already read may hide behind its dedupe key. */
    recheck?: { entities: string[]; since: string };
  };
  /** Change data capture catch-up of one connection (the webhooks' backstop). */
  'quickbooks.catch-up': { connectionId: string; reason: string };
  /** The scheduled round: a catch-up for every connected company, then the next round. */
  'quickbooks.catch-up-all': { slot: number };
};
export type JobKind = keyof JobPayloads;
export const JOB_KINDS = [
  'reference.import',
  'orders.post',
  'orders.undo',
  'invoices.send',
  'invoices.export',
  'invoices.email',
  'invoices.payments',
  'orders.refund',
  'orders.reconcile',
  'webhooks.deliver',
  'sync.apply',
  'quickbooks.changes',
  'quickbooks.catch-up',
  'quickbooks.catch-up-all',
] as const satisfies ReadonlyArray<JobKind>;

export interface EnqueueOptions {
  /** Enqueue inside this transaction, so the job exists exactly when the state change that needs it commits. */
  manager?: EntityManager;
  dedupeKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

/** What services need of the queue. */
export interface JobEnqueuer {
  enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], options?: EnqueueOptions): Promise<string>;
}
