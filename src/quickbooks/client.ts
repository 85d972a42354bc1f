import { MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_ID, toBatchResults, toBatchWire } from './batch';
import type {
  AccessTokenSource,
  AttemptInfo,
  BatchItemRequest,
  BatchItemResult,
  CdcResult,
  EntityVersion,
  QueryResult,
  QuickBooksClientOptions,
  QuickBooksClientStats,
  QuickBooksEntity,
  RetryOptions,
  UpdateOptions,
  WriteOptions,
} from './client-types';
import { GovernorRegistry, RealmGovernor } from './governor';
import { defaultHttpSend, HttpResponse, HttpSend, HttpTransportError } from './http-transport';
import { intuitTidOf, parseFault, QuickBooksError } from './quickbooks-error';
import {
  buildUrl,
  CallSpec,
  checkEntity,
  checkRequestId,
  checkVersion,
  encodeUrlPart,
  formatChangedSince,
  MAX_PAGE_SIZE,
  MAX_REQUEST_ID,
  whereClause,
} from './requests';
import { entityOf, parseSuccess, toCdcResult, toQueryResult } from './responses';
import { DEFAULT_RETRY, retryDelay } from './retry-policy';

/**
 * The one QuickBooks Online client (DESIGN principle 7). It speaks Intuit's wire protocol to QuickBooks or to the
 * emulator alike: every call goes through the realm's governor, every write carries a `requestid` that is reused
 * on every retry (so a lost response replays instead of posting twice — principle 2), and every failure becomes a
 * classified `QuickBooksError`.
 */

/** Governors shared by every client of this process that is not given its own registry. */
export const processGovernors = new GovernorRegistry();

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
    return entityOf<T>(json, entity, 'read');
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
    return entityOf<T>(json, entity, 'send');
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
    return entityOf<T>(json, entity, operation);
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
    const base = `SELECT * FROM ${entity}${whereClause(where)}`;
    for (let position = 1; ; position += pageSize) {
      const page = await this.query<T>(`${base} STARTPOSITION ${position} MAXRESULTS ${pageSize}`);
      for (const item of page.items) yield item;
      if (page.items.length < pageSize) return;
    }
  }

  /** `SELECT COUNT(*) FROM {entity} [WHERE ...]`. */
  async count(entity: string, where?: string): Promise<number> {
    checkEntity(entity);
    const result = await this.query(`SELECT COUNT(*) FROM ${entity}${whereClause(where)}`);
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
    const { wire, writes } = toBatchWire(items);
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
    return toBatchResults(items, wire, json, requestId);
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
    return toCdcResult(json, entities);
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
    return entityOf(json, 'CompanyInfo', 'companyinfo');
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
    return entityOf(json, 'Preferences', 'preferences');
  }

  // ---------------------------------------------------------------------------------------------------------------

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
    const url = buildUrl(this.prefix, this.minorVersion, spec);
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
        const parsed = parseSuccess(response, context);
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
        const delay = retryDelay(
          this.retry,
          this.random,
          error,
          retries,
          transportError?.reusedSocket === true && retries === 0,
        );
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
}
