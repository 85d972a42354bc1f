/** A failure as stored on connections, orders, invoices and batch items, and shown as `SyncError`. */
export interface StoredSyncError {
  code: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  direction: 'TO_QUICKBOOKS' | 'FROM_QUICKBOOKS' | null;
  /** ISO-8601. */
  at: string;
}
