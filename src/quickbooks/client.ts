import { randomUUID } from 'node:crypto';
import { isWellFormedText } from '../well-formed';
import { GovernedKind, GovernorRegistry, RealmGovernor } from './governor';
import { defaultHttpSend, HttpResponse, HttpSend, HttpTransportError } from './http-transport';
import {
  errorFromFault,
  faultFromJson,
  intuitTidOf,
  parseFault,
  parseFaultBody,
  QuickBooksDirection,
  QuickBooksError,
  QuickBooksErrorContext,
} from './quickbooks-error';

/**
 * The one QuickBooks Online client (DESIGN principle 7). It speaks Intuit's wire protocol to QuickBooks or to the
 * emulator alike: every call goes through the realm's governor, every write carries a `requestid` that is reused
 * on every retry (so a lost response replays instead of posting twice — principle 2), and every failure becomes a
 * classified `QuickBooksError`.
 */

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

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 6,
  maxRetryAfterMs: 300_000,
});

/** Base URLs of Intuit's two environments; the emulator's URL is passed as is. */
export const QUICKBOOKS_BASE_URLS = Object.freeze({
  production: 'https://quickbooks.api.intuit.com',
  sandbox: 'https://sandbox-quickbooks.api.intuit.com',
});

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

/** Governors shared by every client of this process that is not given its own registry. */
export const processGovernors = new GovernorRegistry();

/** QuickBooks' batch endpoint accepts at most 30 operations per call (reference §4). */
export const MAX_BATCH_ITEMS = 30;
const MAX_REQUEST_ID = 50;
const MAX_BATCH_REQUEST_ID = 36;
const MAX_BATCH_ID = 10;
const MAX_PAGE_SIZE = 1000;

/** Full-jitter exponential backoff: uniform in [0, min(cap, base·2^retryIndex)). `retryIndex` 0 is the first retry. */
export const fullJitterDelay = (
  retryIndex: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retryIndex));

const ENTITY_NAME = /^[A-Z][A-Za-z]*$/;

const checkEntity = (entity: string): string => {
  if (!ENTITY_NAME.test(entity))
    throw new RangeError(`"${entity}" is not a QuickBooks entity name (use e.g. "SalesReceipt")`);
  return entity;
};

const checkRequestId = (requestId: string | undefined, max: number): string => {
  if (requestId === undefined) return randomUUID();
  if (requestId.length === 0 || requestId.length > max) {
    throw new RangeError(`requestid must be 1 to ${max} characters (got ${requestId.length})`);
  }
  return requestId;
};

const checkVersion = (what: string, body: Partial<EntityVersion>): EntityVersion => {
  if (typeof body.Id !== 'string' || body.Id === '' || typeof body.SyncToken !== 'string') {
    throw new RangeError(`${what} needs Id and SyncToken (strings)`);
  }
  return { Id: body.Id, SyncToken: body.SyncToken };
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value);

const num = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : undefined;

/** Turns `{"Customer":[...],"startPosition":1,"maxResults":2}` into a `QueryResult`. */
export const toQueryResult = <T extends QuickBooksEntity>(queryResponse: unknown): QueryResult<T> => {
  const qr = isRecord(queryResponse) ? queryResponse : {};
  let entity: string | undefined;
  let items: T[] = [];
  for (const [key, value] of Object.entries(qr)) {
    if (Array.isArray(value)) {
      entity = key;
      items = value as T[];
      break;
    }
  }
  return {
    entity,
    items,
    startPosition: num(qr.startPosition),
    maxResults: num(qr.maxResults),
    totalCount: num(qr.totalCount),
  };
};

/** Formats a CDC `changedSince` as `2024-05-01T12:00:00+00:00` (the offset form of Intuit's examples). */
const formatChangedSince = (since: Date | string): string => {
  if (typeof since === 'string') return since;
  if (Number.isNaN(since.getTime())) throw new RangeError('changedSince is not a valid date');
  return since.toISOString().replace(/\.\d{3}Z$/, '+00:00');
};

interface CallSpec {
  operation: QuickBooksOperation;
  entity?: string;
  kind: GovernedKind;
  method: 'GET' | 'POST';
  /** Path after `/v3/company/{realmId}/`. */
  path: string;
  params?: Record<string, string>;
  body?: string;
  contentType?: string;
  requestId?: string;
  direction: QuickBooksDirection;
  signal?: AbortSignal;
  /** What the call is, for the governor's observer (e.g. `batch:create SalesReceipt`). */
  label?: string;
}

const elapsed = (since: number): number => Math.round((performance.now() - since) * 1000) / 1000;

/**
 * A client for one company (realm). Cheap to build; build one per connection and share it. Methods throw
 * `QuickBooksError` for every failure that came from QuickBooks or the network, and `RangeError` for misuse.
 */
export class QuickBooksClient {
  readonly realmId: string;
  readonly baseUrl: string;
  private readonly tokens: AccessTokenSource;
  private readonly governor: RealmGovernor;
  private readonly minorVersion: number;
  private readonly timeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly onAttempt?: (info: AttemptInfo) => void;
  private readonly postQueryAboveChars: number;
  private readonly userAgent: string;
  private readonly send: HttpSend;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly prefix: string;
  private readonly counters: QuickBooksClientStats = {
    calls: 0,
    succeeded: 0,
    failed: 0,
    attempts: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    unauthorized: 0,
    tokenRefreshes: 0,
  };

  constructor(options: QuickBooksClientOptions) {
    if (!options.realmId) throw new RangeError('realmId is required');
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:' && base.protocol !== 'http:')
      throw new RangeError('baseUrl must be http(s)');
    this.realmId = options.realmId;
    this.baseUrl = base.origin + base.pathname.replace(/\/+$/, '');
    this.prefix = `${this.baseUrl}/v3/company/${encodeURIComponent(options.realmId)}/`;
    this.tokens = options.tokens;
    this.governor = (options.governors ?? processGovernors).forRealm(options.realmId);
    this.minorVersion = options.minorVersion ?? 75;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!(this.retry.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be at least 1');
    this.onAttempt = options.onAttempt;
    this.postQueryAboveChars = options.postQueryAboveChars ?? 1000;
    this.userAgent = options.userAgent ?? 'quickbooks-gateway/0.1';
    this.send = options.send ?? defaultHttpSend;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Counters since this client was built. */
  stats(): QuickBooksClientStats {
    return { ...this.counters };
  }

  /** `POST /{entity}`: creates an object and returns it as QuickBooks stored it. */
  async create<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    body: QuickBooksEntity,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.write<T>('create', entity, options.params, body, options.requestId, options.signal);
  }

  /** `GET /{entity}/{id}`. A deleted transaction answers 610 (FIX_DATA). */
  async read<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    id: string,
    options: Pick<WriteOptions, 'signal'> = {},
  ): Promise<T> {
    checkEntity(entity);
    if (!id) throw new RangeError('read needs an id');
    const json = await this.execute({
      operation: 'read',
      entity,
      kind: 'single',
      method: 'GET',
      path: `${entity.toLowerCase()}/${encodeUrlPart(id, { operation: 'read', entity })}`,
      direction: 'FROM_QUICKBOOKS',
      signal: options.signal,
    });
    return this.entityOf<T>(json, entity, 'read');
  }

  /** `POST /{entity}?operation=update` with `Id` and `SyncToken`; sparse by default. Stale SyncToken → 5010. */
  async update<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    body: QuickBooksEntity,
    options: UpdateOptions = {},
  ): Promise<T> {
    checkVersion('update', body);
    return this.write<T>(
      'update',
      entity,
      { operation: 'update', ...options.params },
      { ...body, sparse: options.sparse ?? true },
      options.requestId,
      options.signal,
    );
  }

  /** `POST /{entity}?operation=delete` (transactions only; name lists are made inactive instead). */
  async delete(
    entity: string,
    version: EntityVersion,
    options: WriteOptions = {},
  ): Promise<QuickBooksEntity> {
    return this.write(
      'delete',
      entity,
      { operation: 'delete', ...options.params },
      checkVersion('delete', version),
      options.requestId,
      options.signal,
    );
  }

  /**
   * Voids a transaction: Invoice by `?operation=void`; SalesReceipt, Payment and the others by a sparse update with
   * `?operation=update&include=void` (reference §2.6).
   */
  async void<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    version: EntityVersion,
    options: WriteOptions = {},
  ): Promise<T> {
    const v = checkVersion('void', version);
    const invoice = entity === 'Invoice';
    return this.write<T>(
      'void',
      entity,
      invoice
        ? { operation: 'void', ...options.params }
        : { operation: 'update', include: 'void', ...options.params },
      invoice ? v : { ...v, sparse: true },
      options.requestId,
      options.signal,
    );
  }

  /**
   * `POST /{entity}/{id}/send[?sendTo=]`: QuickBooks e-mails the transaction to its BillEmail (or `sendTo`) and answers
   * with the transaction, its EmailStatus and DeliveryInfo updated. The requestid makes a retry a replay, not a second
   * e-mail.
   */
  async sendByEmail<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    id: string,
    options: WriteOptions & { sendTo?: string } = {},
  ): Promise<T> {
    checkEntity(entity);
    if (!id) throw new RangeError('send needs an id');
    const json = await this.execute({
      operation: 'send',
      entity,
      kind: 'single',
      method: 'POST',
      path: `${entity.toLowerCase()}/${encodeUrlPart(id, { operation: 'send', entity })}/send`,
      params: { ...options.params, ...(options.sendTo ? { sendTo: options.sendTo } : {}) },
      requestId: checkRequestId(options.requestId, MAX_REQUEST_ID),
      direction: 'TO_QUICKBOOKS',
    });
    return this.entityOf<T>(json, entity, 'send');
  }

  /** The one shape of every single-object write: `POST /{entity}` with its requestid, answered by the object. */
  private async write<T extends QuickBooksEntity = QuickBooksEntity>(
    operation: 'create' | 'update' | 'delete' | 'void',
    entity: string,
    params: Record<string, string> | undefined,
    body: object,
    requestId: string | undefined,
    signal?: AbortSignal,
  ): Promise<T> {
    checkEntity(entity);
    const json = await this.execute({
      signal,
      operation,
      entity,
      kind: 'single',
      method: 'POST',
      path: entity.toLowerCase(),
      params,
      body: JSON.stringify(body),
      requestId: checkRequestId(requestId, MAX_REQUEST_ID),
      direction: 'TO_QUICKBOOKS',
    });
    return this.entityOf<T>(json, entity, operation);
  }

  /** Runs one query statement (GET, or POST `application/text` when long). */
  async query<T extends QuickBooksEntity = QuickBooksEntity>(statement: string): Promise<QueryResult<T>> {
    if (!statement.trim()) throw new RangeError('query needs a statement');
    const long = statement.length > this.postQueryAboveChars;
    const json = await this.execute({
      operation: 'query',
      entity: /\bfrom\s+([A-Za-z]+)/i.exec(statement)?.[1],
      kind: 'single',
      method: long ? 'POST' : 'GET',
      path: 'query',
      params: long ? undefined : { query: statement },
      body: long ? statement : undefined,
      contentType: long ? 'application/text' : undefined,
      direction: 'FROM_QUICKBOOKS',
    });
    return toQueryResult<T>(json.QueryResponse);
  }

  /**
   * Every object matching `where` (e.g. `Active IN (true, false)`, or `ORDERBY Id` alone), page by page with
   * STARTPOSITION/MAXRESULTS. Stops at the first page shorter than `pageSize`.
   */
  async *queryAll<T extends QuickBooksEntity = QuickBooksEntity>(
    entity: string,
    where?: string,
    pageSize = MAX_PAGE_SIZE,
  ): AsyncGenerator<T, void, undefined> {
    checkEntity(entity);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new RangeError(`pageSize must be 1 to ${MAX_PAGE_SIZE}`);
    }
    const base = `SELECT * FROM ${entity}${this.whereClause(where)}`;
    for (let position = 1; ; position += pageSize) {
      const page = await this.query<T>(`${base} STARTPOSITION ${position} MAXRESULTS ${pageSize}`);
      for (const item of page.items) yield item;
      if (page.items.length < pageSize) return;
    }
  }

  /** `SELECT COUNT(*) FROM {entity} [WHERE ...]`. */
  async count(entity: string, where?: string): Promise<number> {
    checkEntity(entity);
    const result = await this.query(`SELECT COUNT(*) FROM ${entity}${this.whereClause(where)}`);
    return result.totalCount ?? 0;
  }

  /**
   * Up to 30 operations in one call. Results come back in the order of `items`, one per item; an item's fault is its
   * own `QuickBooksError` and does not fail the others. More than 30 items is a programmer error (RangeError).
   */
  async batch(
    items: BatchItemRequest[],
    options: Omit<WriteOptions, 'params'> = {},
  ): Promise<BatchItemResult[]> {
    if (items.length > MAX_BATCH_ITEMS) {
      throw new RangeError(
        `a QuickBooks batch holds at most ${MAX_BATCH_ITEMS} operations (got ${items.length})`,
      );
    }
    if (items.length === 0) return [];
    const requestId = checkRequestId(options.requestId, MAX_BATCH_REQUEST_ID);
    const seen = new Set<string>();
    let writes = false;
    const wire = items.map((item, index) => {
      const bId = item.bId ?? String(index + 1);
      // With a requestid, QuickBooks allows bIds of at most 10 characters (reference §2.3).
      if (bId.length === 0 || bId.length > MAX_BATCH_ID)
        throw new RangeError(`bId "${bId}" must be 1 to 10 characters`);
      if (seen.has(bId)) throw new RangeError(`bId "${bId}" is used twice`);
      seen.add(bId);
      if (item.operation === 'query') return { bId, Query: item.query };
      checkEntity(item.entity);
      writes = true;
      switch (item.operation) {
        case 'create':
          return { bId, operation: 'create', [item.entity]: item.body };
        case 'update':
          checkVersion('update', item.body);
          return { bId, operation: 'update', [item.entity]: { ...item.body, sparse: item.sparse ?? true } };
        case 'delete':
          return { bId, operation: 'delete', [item.entity]: checkVersion('delete', item.body) };
        case 'void': {
          const v = checkVersion('void', item.body);
          return item.entity === 'Invoice'
            ? { bId, operation: 'void', Invoice: v }
            : { bId, operation: 'update', optionsData: 'void', [item.entity]: { ...v, sparse: true } };
        }
      }
    });
    const json = await this.execute({
      signal: options.signal,
      operation: 'batch',
      kind: 'batch',
      method: 'POST',
      path: 'batch',
      body: JSON.stringify({ BatchItemRequest: wire }),
      requestId,
      direction: writes ? 'TO_QUICKBOOKS' : 'FROM_QUICKBOOKS',
      label: `batch:${items[0].operation}${items[0].operation === 'query' ? '' : ` ${items[0].entity}`}`,
    });
    const responses = new Map<string, Record<string, unknown>>();
    for (const r of Array.isArray(json.BatchItemResponse) ? json.BatchItemResponse : []) {
      if (isRecord(r) && (typeof r.bId === 'string' || typeof r.bId === 'number'))
        responses.set(String(r.bId), r);
    }
    return items.map((item, index): BatchItemResult => {
      const bId = wire[index].bId;
      const entity = item.operation === 'query' ? undefined : item.entity;
      const context = {
        operation: item.operation,
        entity,
        requestId,
        direction: item.operation === 'query' ? 'FROM_QUICKBOOKS' : 'TO_QUICKBOOKS',
      } satisfies QuickBooksErrorContext;
      const r = responses.get(bId);
      if (!r) {
        return {
          bId,
          ok: false,
          error: new QuickBooksError({
            ...context,
            quickbooksMessage: 'QuickBooks returned no result for this batch item; its outcome is unknown',
            category: 'RETRYABLE',
            hint: 'Check QuickBooks for the record before sending it again',
          }),
        };
      }
      const fault = faultFromJson(r);
      if (fault) return { bId, ok: false, error: errorFromFault(fault, context) };
      if (item.operation === 'query') return { bId, ok: true, query: toQueryResult(r.QueryResponse) };
      const value = r[item.entity];
      if (isRecord(value)) return { bId, ok: true, entity: item.entity, value };
      return {
        bId,
        ok: false,
        error: new QuickBooksError({
          ...context,
          quickbooksMessage: `QuickBooks answered this batch item without a ${item.entity}`,
          category: 'OUR_BUG',
        }),
      };
    });
  }

  /** Change data capture: objects of `entities` changed since `changedSince` (≤ 30 days back; ≤ 1000 objects). */
  async cdc(entities: string[], changedSince: Date | string): Promise<CdcResult> {
    if (entities.length === 0) throw new RangeError('cdc needs at least one entity');
    entities.forEach(checkEntity);
    const json = await this.execute({
      operation: 'cdc',
      kind: 'single',
      method: 'GET',
      path: 'cdc',
      params: { entities: entities.join(','), changedSince: formatChangedSince(changedSince) },
      direction: 'FROM_QUICKBOOKS',
    });
    const out: Record<string, QuickBooksEntity[]> = Object.fromEntries(entities.map((e) => [e, []]));
    const cdcResponses = Array.isArray(json.CDCResponse)
      ? json.CDCResponse
      : isRecord(json.CDCResponse)
        ? [json.CDCResponse]
        : [];
    for (const cdc of cdcResponses) {
      const fault = faultFromJson(cdc);
      if (fault) throw errorFromFault(fault, { operation: 'cdc', direction: 'FROM_QUICKBOOKS' });
      const qrs = isRecord(cdc) ? cdc.QueryResponse : undefined;
      for (const qr of Array.isArray(qrs) ? qrs : isRecord(qrs) ? [qrs] : []) {
        if (!isRecord(qr)) continue;
        for (const [key, value] of Object.entries(qr)) {
          if (Array.isArray(value)) out[key] = [...(out[key] ?? []), ...(value as QuickBooksEntity[])];
        }
      }
    }
    return { entities: out, time: typeof json.time === 'string' ? json.time : undefined };
  }

  /** `GET /companyinfo/{realmId}`. */
  async companyInfo(): Promise<QuickBooksEntity> {
    const json = await this.execute({
      operation: 'companyinfo',
      entity: 'CompanyInfo',
      kind: 'single',
      method: 'GET',
      path: `companyinfo/${encodeURIComponent(this.realmId)}`,
      direction: 'FROM_QUICKBOOKS',
    });
    return this.entityOf(json, 'CompanyInfo', 'companyinfo');
  }

  /** `GET /preferences`. */
  async preferences(): Promise<QuickBooksEntity> {
    const json = await this.execute({
      operation: 'preferences',
      entity: 'Preferences',
      kind: 'single',
      method: 'GET',
      path: 'preferences',
      direction: 'FROM_QUICKBOOKS',
    });
    return this.entityOf(json, 'Preferences', 'preferences');
  }

  // ---------------------------------------------------------------------------------------------------------------

  private whereClause(where: string | undefined): string {
    const w = where?.trim();
    if (!w) return '';
    return /^(ORDERBY|STARTPOSITION|MAXRESULTS)\b/i.test(w) ? ` ${w}` : ` WHERE ${w}`;
  }

  private entityOf<T extends QuickBooksEntity>(
    json: Record<string, unknown>,
    entity: string,
    operation: string,
  ): T {
    const value = json[entity];
    if (isRecord(value)) return value as T;
    throw new QuickBooksError({
      operation,
      entity,
      quickbooksMessage: `QuickBooks answered without a ${entity}`,
      category: 'OUR_BUG',
    });
  }

  /**
   * The call's URL. Text that is not well-formed Unicode (a lone surrogate) cannot be put in a URL
   * (`encodeURIComponent` throws URIError): it becomes a FIX_DATA QuickBooksError naming the parameter, so the caller
   * fails what the text belongs to rather than retrying a call that can never be made.
   */
  private buildUrl(spec: CallSpec): URL {
    const params: Record<string, string> = { ...spec.params, minorversion: String(this.minorVersion) };
    if (spec.requestId !== undefined) params.requestid = spec.requestId;
    // encodeURIComponent (spaces as %20) rather than URLSearchParams' "+": every server decodes %20 the same way.
    const qs = Object.entries(params)
      .map(([k, v]) => `${encodeUrlPart(k, spec)}=${encodeUrlPart(v, spec, k)}`)
      .join('&');
    return new URL(`${this.prefix}${spec.path}?${qs}`);
  }

  private notify(info: AttemptInfo): void {
    if (!this.onAttempt) return;
    try {
      this.onAttempt(info);
    } catch {
      // An observer must never change the outcome of a call.
    }
  }

  /** Sends one call with the governor, the 401 refresh and the retry policy; returns the parsed JSON body. */
  private async execute(spec: CallSpec): Promise<Record<string, unknown>> {
    this.counters.calls += 1;
    const url = this.buildUrl(spec);
    const context = {
      operation: spec.operation,
      entity: spec.entity,
      requestId: spec.requestId,
      direction: spec.direction,
    };
    let token = await this.tokens.getAccessToken();
    let refreshed = false;
    let retries = 0;
    for (let attempt = 1; ; attempt += 1) {
      spec.signal?.throwIfAborted();
      const waitStart = performance.now();
      let waitMs = 0;
      let sentAt = waitStart;
      let response: HttpResponse | undefined;
      let transportError: HttpTransportError | undefined;
      try {
        response = await this.governor.run(
          spec.kind,
          () => {
            sentAt = performance.now();
            waitMs = elapsed(waitStart);
            this.counters.attempts += 1;
            spec.signal?.throwIfAborted();
            return this.send({
              method: spec.method,
              url,
              signal: spec.signal,
              timeoutMs: this.timeoutMs,
              body: spec.body,
              headers: {
                authorization: `Bearer ${token}`,
                accept: 'application/json',
                'user-agent': this.userAgent,
                ...(spec.body === undefined
                  ? {}
                  : { 'content-type': spec.contentType ?? 'application/json' }),
              },
            });
          },
          spec.label ?? `${spec.operation}${spec.entity ? `:${spec.entity}` : ''}`,
        );
      } catch (err) {
        if (!(err instanceof HttpTransportError)) throw err;
        transportError = err;
      }
      const durationMs = elapsed(sentAt);
      const intuitTid = response ? intuitTidOf(response.headers) : undefined;

      let error: QuickBooksError;
      if (response && response.status >= 200 && response.status < 300) {
        const parsed = this.parseSuccess(response, context);
        if (!(parsed instanceof QuickBooksError)) {
          this.counters.succeeded += 1;
          this.notify({
            ...this.attemptBase(spec, attempt, waitMs, durationMs),
            httpStatus: response.status,
            ok: true,
            intuitTid,
          });
          return parsed;
        }
        error = parsed;
      } else if (response) {
        error = parseFault(response.status, response.headers, response.body, context);
      } else {
        const te = transportError as HttpTransportError;
        error = new QuickBooksError({
          ...context,
          quickbooksMessage: te.timedOut
            ? `QuickBooks did not answer within ${this.timeoutMs} ms`
            : `Could not reach QuickBooks: ${te.code}${te.message && te.message !== te.code ? ` (${te.message})` : ''}`,
          network: true,
          timedOut: te.timedOut,
          cause: te,
        });
      }
      error.attempts = attempt;
      this.countFailure(error);

      if (error.httpStatus === 401 && !refreshed) {
        // One refresh and one retry: the token may have expired in flight, or another process rotated it.
        refreshed = true;
        this.notify({
          ...this.attemptBase(spec, attempt, waitMs, durationMs),
          ...this.failure(error),
          retryInMs: 0,
        });
        this.counters.tokenRefreshes += 1;
        token = await this.tokens.refreshAfterUnauthorized(token);
        continue;
      }
      if (error.transient && retries + 1 < this.retry.maxAttempts) {
        const delay = this.retryDelay(error, retries, transportError?.reusedSocket === true && retries === 0);
        if (error.throttled) {
          // The realm is over its limits for everyone in this process: pause the realm, not only this caller.
          this.governor.backoff(
            error.retryAfterMs ?? Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** retries),
          );
        }
        this.notify({
          ...this.attemptBase(spec, attempt, waitMs, durationMs),
          ...this.failure(error),
          retryInMs: delay,
        });
        retries += 1;
        this.counters.retries += 1;
        if (delay > 0) await this.sleep(delay);
        token = await this.tokens.getAccessToken();
        continue;
      }
      this.counters.failed += 1;
      this.notify({ ...this.attemptBase(spec, attempt, waitMs, durationMs), ...this.failure(error) });
      throw error;
    }
  }

  private attemptBase(spec: CallSpec, attempt: number, waitMs: number, durationMs: number) {
    return {
      operation: spec.operation,
      entity: spec.entity,
      realmId: this.realmId,
      requestId: spec.requestId,
      attempt,
      waitMs,
      durationMs,
    };
  }

  private failure(error: QuickBooksError) {
    return { ok: false, error, httpStatus: error.httpStatus, intuitTid: error.intuitTid };
  }

  private countFailure(error: QuickBooksError): void {
    if (error.throttled) this.counters.throttled += 1;
    if (error.httpStatus !== undefined && error.httpStatus >= 500) this.counters.serverErrors += 1;
    if (error.network) this.counters.networkErrors += 1;
    if (error.timedOut) this.counters.timeouts += 1;
    if (error.httpStatus === 401) this.counters.unauthorized += 1;
  }

  /**
   * Delay before retry number `retryIndex` (0-based): `Retry-After` when QuickBooks sent one, else full jitter.
   * A connection reset on a reused keep-alive socket is retried at once: the server had closed an idle socket.
   */
  private retryDelay(error: QuickBooksError, retryIndex: number, staleSocket: boolean): number {
    if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, this.retry.maxRetryAfterMs);
    if (staleSocket && !error.timedOut) return 0;
    return fullJitterDelay(retryIndex, this.retry.baseDelayMs, this.retry.maxDelayMs, this.random);
  }

  /** A 2xx body as JSON, or the error it hides (a fault answered with 200, or a body that is not JSON). */
  private parseSuccess(
    response: HttpResponse,
    context: QuickBooksErrorContext,
  ): Record<string, unknown> | QuickBooksError {
    const text = response.body;
    const base = {
      ...context,
      httpStatus: response.status,
      intuitTid: intuitTidOf(response.headers),
    };
    let json: unknown;
    try {
      json = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      const fault = parseFaultBody(text);
      if (fault) return errorFromFault(fault, base);
      // Truncated or foreign (proxy) answers: sending again is safe because writes carry a requestid.
      return new QuickBooksError({
        ...base,
        quickbooksMessage: `QuickBooks answered HTTP ${response.status} with a body that is not JSON`,
        category: 'RETRYABLE',
        network: true,
      });
    }
    if (!isRecord(json)) {
      return new QuickBooksError({
        ...base,
        quickbooksMessage: 'QuickBooks answered with JSON that is not an object',
        category: 'OUR_BUG',
      });
    }
    const fault = faultFromJson(json);
    if (fault && !json.BatchItemResponse) return errorFromFault(fault, base);
    return json;
  }
}

/** encodeURIComponent, but ill-formed text is a FIX_DATA QuickBooksError (never a URIError) naming what held it. */
function encodeUrlPart(
  value: string,
  context: { operation?: string; entity?: string },
  parameter = 'id',
): string {
  if (!isWellFormedText(value)) {
    throw new QuickBooksError({
      quickbooksMessage: `The ${parameter} of this ${context.entity ?? 'QuickBooks'} call holds text that is not well-formed Unicode (a lone surrogate)`,
      category: 'FIX_DATA',
      hint: 'correct the text of the record it came from (names, numbers, notes), then try again',
      operation: context.operation,
      entity: context.entity,
    });
  }
  return encodeURIComponent(value);
}
