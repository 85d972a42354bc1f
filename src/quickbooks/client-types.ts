import type { GovernorRegistry } from './governor';
import type { HttpSend } from './http-transport';
import type { QuickBooksError } from './quickbooks-error';

/** The types of the QuickBooks Online client's public surface: its options, its arguments and its answers. */

/** Where access tokens come from; the connection service implements it (refresh under a lock, rotation persisted). */
export interface AccessTokenSource {
  getAccessToken(): Promise<string>;
  /** Called with the token QuickBooks just rejected (401); returns a fresh one or throws when the grant is gone. */
  refreshAfterUnauthorized(rejected: string): Promise<string>;
}

/** A QuickBooks object as JSON, e.g. `{"Id":"1","SyncToken":"0","DisplayName":"Acme"}`. */
export interface QuickBooksEntity {
  Id?: string;
  SyncToken?: string;
  [field: string]: unknown;
}

/** What a delete or a void needs: the object's id and its current version. */
export interface EntityVersion {
  Id: string;
  SyncToken: string;
}

export type QuickBooksOperation =
  | 'create'
  | 'read'
  | 'update'
  | 'delete'
  | 'void'
  | 'query'
  | 'batch'
  | 'cdc'
  | 'companyinfo'
  | 'preferences'
  | 'send';

/** Reported for every HTTP attempt (the gateway writes SyncLogs and metrics from it). Never contains tokens. */
export interface AttemptInfo {
  operation: QuickBooksOperation;
  entity?: string;
  realmId: string;
  requestId?: string;
  /** 1 for the first attempt of a call, 2 for its first retry, ... */
  attempt: number;
  httpStatus?: number;
  /** Time on the wire for this attempt (governor wait excluded). */
  durationMs: number;
  /** Time spent waiting for the realm's governor before this attempt. */
  waitMs: number;
  ok: boolean;
  error?: QuickBooksError;
  intuitTid?: string;
  /** Set when the client will try again: the delay before the next attempt, in ms. */
  retryInMs?: number;
}

export interface RetryOptions {
  /** First backoff ceiling in ms; doubles per retry (full jitter: the delay is uniform in [0, ceiling)). */
  baseDelayMs: number;
  /** Largest backoff ceiling in ms. */
  maxDelayMs: number;
  /** Attempts per call, the first included, for throttling, 5xx and network failures. */
  maxAttempts: number;
  /** A `Retry-After` longer than this is cut to it, so one answer cannot park a worker for hours. */
  maxRetryAfterMs: number;
}

export interface QuickBooksClientOptions {
  /** `https://quickbooks.api.intuit.com`, `https://sandbox-quickbooks.api.intuit.com`, or the emulator's origin. */
  baseUrl: string;
  realmId: string;
  tokens: AccessTokenSource;
  /** The process's governors; the realm's one is used. Defaults to `processGovernors`. */
  governors?: GovernorRegistry;
  /** Sent as `minorversion` on every call (75: Intuit serves anything older as 75 since 2025-08-01). */
  minorVersion?: number;
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Observer of every HTTP attempt; exceptions it throws are ignored. */
  onAttempt?: (info: AttemptInfo) => void;
  /** Query statements longer than this go by POST (`application/text`) instead of GET (default 1000 chars). */
  postQueryAboveChars?: number;
  userAgent?: string;
  /** Test seams. */
  send?: HttpSend;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WriteOptions {
  /** Idempotency key (≤ 50 chars; ≤ 36 for batch). Pass a durable one so a later retry replays; else a UUID. */
  requestId?: string;
  /** Stops the call: no further attempt starts, and the request on the wire is dropped (its outcome is unknown). */
  signal?: AbortSignal;
  /** Extra query parameters, e.g. `{ include: 'allowduplicatedocnum' }`. */
  params?: Record<string, string>;
}

export interface UpdateOptions extends WriteOptions {
  /** Sparse update (default true): fields left out stay as they are. A full update clears them. */
  sparse?: boolean;
}

/** A query's answer: the entity array plus QuickBooks' paging facts. */
export interface QueryResult<T extends QuickBooksEntity = QuickBooksEntity> {
  /** The entity name QuickBooks keyed the results by; undefined when nothing matched. */
  entity?: string;
  items: T[];
  startPosition?: number;
  maxResults?: number;
  totalCount?: number;
}

/** One operation of a batch call. `bId` defaults to the item's 1-based position. */
export type BatchItemRequest =
  | {
      bId?: string;
      operation: 'create' | 'update' | 'delete';
      entity: string;
      body: QuickBooksEntity;
      /** For updates: sparse (default true). */
      sparse?: boolean;
    }
  | { bId?: string; operation: 'void'; entity: string; body: EntityVersion }
  | { bId?: string; operation: 'query'; query: string };

/** One operation's outcome; batch items fail independently (the call itself answers 200). */
export type BatchItemResult =
  | { bId: string; ok: true; entity: string; value: QuickBooksEntity }
  | { bId: string; ok: true; query: QueryResult }
  | { bId: string; ok: false; error: QuickBooksError };

export interface CdcResult {
  /** Changed objects per requested entity; deleted ones carry `status: "Deleted"`. */
  entities: Record<string, QuickBooksEntity[]>;
  /** QuickBooks' server time of the answer, to use as the next `changedSince`. */
  time?: string;
}

/** Counters since the client was built (the observer hook is the richer source). */
export interface QuickBooksClientStats {
  calls: number;
  succeeded: number;
  failed: number;
  attempts: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  networkErrors: number;
  timeouts: number;
  unauthorized: number;
  tokenRefreshes: number;
}
