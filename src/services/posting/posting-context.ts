import type { ConnectionEntity, ConnectionSettingsData, OrderEntity, SyncBatchEntity } from '../../entities';
import type { QuickBooksClient, QuickBooksEntity } from '../../quickbooks';
import type { CompanyCurrency } from './currency';
import type { PostingReferences } from './posting-references';
import type { WindowReferences } from './reference-phase';
import type { Resolutions } from './resolutions';

/** What one run of a posting batch knows and carries between its phases (see posting.service.ts). */

export interface PreparedOrder {
  order: OrderEntity;
  seq: number;
  body: QuickBooksEntity;
  customerId: string;
  itemIds: Map<string, string>;
}

export interface RunContext {
  batch: SyncBatchEntity;
  connection: ConnectionEntity;
  settings: ConnectionSettingsData;
  client: QuickBooksClient;
  references: PostingReferences;
  entity: 'SalesReceipt' | 'Invoice';
  allowShipping: boolean;
  /** By customerKey and itemKey, as they are found or created (a transaction waits for its own). */
  customers: Resolutions;
  items: Resolutions;
  /** The company's home currency and whether multicurrency is on (from Preferences). */
  currency: CompanyCurrency;
  /** PaymentMethod ids by lower-cased name, for orders that name one (filled window by window). */
  paymentMethods: Map<string, string>;
  signal?: AbortSignal;
}

/** What the job tells a run: its abort signal and which attempt this is. */
export interface PostRunOptions {
  signal?: AbortSignal;
  finalAttempt?: boolean;
  attempt?: number;
  maxAttempts?: number;
}

/** A run of orders to send: new transactions, or updates of posted ones changed since, and their window's references. */
export interface Chunk {
  kind: 'create' | 'update';
  entries: Array<{ order: OrderEntity; seq: number }>;
  references: WindowReferences;
}
