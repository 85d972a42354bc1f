import { randomInt } from 'node:crypto';
import type {
  AccountingApi,
  AccountingOptions,
  AccountingRequest,
  AccountingResponse,
  RequestDescription,
} from '../contracts';
import { runBatch, runBatchInTurns } from './batch';
import { runCdc } from './reading/cdc';
import type { ChangeSink } from './context';
import { checkCurrencyPrefs, readExchangeRate, writeExchangeRate } from './rules/currency';
import { describeRequest, queryStatement } from './describe';
import { Engine } from './engine';
import { ENTITY_BY_PATH, ENTITY_TYPES, type EntityType } from './entity-types';
import {
  businessValidation,
  malformedRequest,
  objectNotFound,
  QboFault,
  queryParse,
  requiredParam,
  staleObject,
  unsupportedOperation,
} from './faults';
import { isObject, optString } from './fields';
import { invoicePdf } from './documents/pdf';
import { downloadLink, fileContent, upload, withDownloadUri } from './documents/attachments';
import { readRecurring, writeRecurring } from './rules/recurring';
import { createTaxCode } from './rules/tax-service';
import { runReport } from './reading/reports';
import { runQuery } from './reading/query';
import { Realm, type QboObject, type RealmState } from './company/realm';
import { seedRealm } from './company/seed';
import { addHistory, type HistoryOptions } from './company/history';
import { envelopeTime, metaTime } from './time';

export { SHIPPING_ITEM_ID } from './rules/sales';
export { SEED_EMPLOYEE_NAMES, SEED_VENDOR_NAMES } from './company/seed';
export { MAX_BATCH_ITEMS } from './batch';

/** Entities with `GET /{entity}/{id}/pdf` (node-quickbooks: getInvoicePdf, getEstimatePdf, getCreditMemoPdf,
 * getSalesReceiptPdf). */
const PDF_ENTITIES = new Set(['Invoice', 'Estimate', 'CreditMemo', 'SalesReceipt', 'RefundReceipt']);

/** Longest requestid QuickBooks accepts: 50 characters, 36 for batch calls. */
const MAX_REQUEST_ID = 50;
const MAX_BATCH_REQUEST_ID = 36;

/** Snapshot format of the accounting half. */
interface AccountingSnapshot {
  version: 1;
  realms: RealmState[];
}

function includesOption(value: string | undefined, option: string): boolean {
  return value !== undefined && value.split(',').some((o) => o.trim().toLowerCase() === option);
}

/**
 * `include=invoiceLink` on an invoice read: the customer-facing link QuickBooks adds (minorversion 36+). Intuit's
 * sandbox answers a placeholder page on developer.intuit.com for it (UNCERTAIN: the exact sandbox URL); the emulator
 * answers that shape with the company and invoice ids so a client can tell links apart.
 */
function invoiceLink(realmId: string, invoice: QboObject): string {
  return `https://developer.intuit.com/comingSoonview?realmId=${realmId}&txnId=${String(invoice.Id)}`;
}

function faultResponse(err: unknown, nowMs: number): AccountingResponse {
  if (err instanceof QboFault)
    return { status: err.status, body: { Fault: err.toJSON(), time: envelopeTime(nowMs) } };
  // A bug in the emulator: answer as QuickBooks answers its own failures, with the cause in the detail.
  const detail = err instanceof Error ? err.message : String(err);
  return {
    status: 500,
    body: {
      Fault: {
        Error: [
          {
            Message: 'An application error has occurred while processing your request',
            Detail: `System Failure Error: ${detail}`,
            code: '10000',
            element: '',
          },
        ],
        type: 'SystemFault',
      },
      time: envelopeTime(nowMs),
    },
  };
}

/** The accounting half of the emulator: company data and the QuickBooks Online Accounting API over it. */
class AccountingService implements AccountingApi {
  private readonly realms = new Map<string, Realm>();

  constructor(private readonly opts: AccountingOptions) {}

  describe(req: AccountingRequest): RequestDescription {
    return describeRequest(req);
  }

  handle(req: AccountingRequest): AccountingResponse {
    const admitted = this.admit(req);
    if ('answer' in admitted) return admitted.answer;
    const { realm, requestId, nowMs } = admitted;
    const response = this.route(realm, req, nowMs, requestId !== undefined);
    if (requestId !== undefined && response.status < 500) realm.rememberRequest(requestId, response);
    return response;
  }

  /**
   * `handle`, with a batch's operations each in an event-loop turn of its own (`turn` between them): the server's way
   * in, so that a request arriving meanwhile is read on arrival instead of after the whole batch's work (~8 ms for 30
   * transactions in this single thread). A request repeating the requestid of a batch still being worked on waits for
   * that batch's answer: nothing runs twice.
   */
  async handleInTurns(req: AccountingRequest, turn: () => Promise<void>): Promise<AccountingResponse> {
    if (req.method !== 'POST' || req.path.split('/')[0] !== 'batch') return this.handle(req);
    const admitted = this.admit(req);
    if ('answer' in admitted) return admitted.answer;
    const { realm, requestId, nowMs } = admitted;
    const key = requestId === undefined ? undefined : `${realm.realmId}|${requestId}`;
    const running = key === undefined ? undefined : this.batchesRunning.get(key);
    if (running) return running;
    const work = (async (): Promise<AccountingResponse> => {
      let response: AccountingResponse;
      try {
        const engineNow = () =>
          new Engine(realm, this.opts.clock.now().getTime(), this.sinkFor(realm.realmId));
        const body = await runBatchInTurns(engineNow, req.body, requestId !== undefined, turn);
        response = { status: 200, body: { ...body, time: envelopeTime(nowMs) } };
      } catch (err) {
        response = faultResponse(err, nowMs);
      }
      if (requestId !== undefined && response.status < 500) realm.rememberRequest(requestId, response);
      if (key !== undefined) this.batchesRunning.delete(key);
      return response;
    })();
    if (key !== undefined) this.batchesRunning.set(key, work);
    return work;
  }

  /** Batches being worked on in turns, by realm and requestid. */
  private readonly batchesRunning = new Map<string, Promise<AccountingResponse>>();

  /** The realm and requestid of a request, or the answer it gets without running: no such company, a replay. */
  private admit(
    req: AccountingRequest,
  ): { realm: Realm; requestId: string | undefined; nowMs: number } | { answer: AccountingResponse } {
    const nowMs = this.opts.clock.now().getTime();
    const realm = this.realms.get(req.realmId);
    if (!realm) {
      return {
        answer: faultResponse(
          new QboFault(
            [
              {
                Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
                Detail: `No company with realm id ${req.realmId}`,
                code: '3100',
                element: '',
              },
            ],
            403,
            'AuthorizationFault',
          ),
          nowMs,
        ),
      };
    }
    const requestId = req.query.requestid === '' ? undefined : req.query.requestid;
    if (requestId !== undefined) {
      const max = req.path.split('/')[0] === 'batch' ? MAX_BATCH_REQUEST_ID : MAX_REQUEST_ID;
      if (requestId.length > max) {
        return {
          answer: faultResponse(
            businessValidation(
              `You cannot enter more than ${max} characters in the request_id field. You tried entering ${requestId.slice(0, 10)}..., which is ${requestId.length} characters.`,
            ),
            nowMs,
          ),
        };
      }
      // A retry of a request already answered: the same answer, nothing runs again.
      const stored = realm.requestIds.get(requestId);
      if (stored) return { answer: stored };
    }
    return { realm, requestId, nowMs };
  }

  private sinkFor(realmId: string): ChangeSink {
    return (change) => {
      try {
        this.opts.onChange({ realmId, ...change });
      } catch {
        // The change is committed; a failing listener must not turn it into an error answer.
      }
    };
  }

  private route(
    realm: Realm,
    req: AccountingRequest,
    nowMs: number,
    withRequestId: boolean,
  ): AccountingResponse {
    const time = envelopeTime(nowMs);
    const ok = (body: QboObject): AccountingResponse => ({ status: 200, body: { ...body, time } });
    try {
      const engine = new Engine(realm, nowMs, this.sinkFor(realm.realmId));
      const segments = req.path.split('/').filter((s) => s !== '');
      const head = segments[0] ?? '';
      switch (head) {
        case 'query': {
          const statement = queryStatement(req);
          if (statement === undefined || statement.trim() === '')
            throw queryParse('Encountered "<EOF>" at line 1, column 1.');
          return ok({ QueryResponse: runQuery(realm, statement) });
        }
        case 'batch':
          if (req.method !== 'POST') throw unsupportedOperation('Operation batch requires POST.');
          return ok(runBatch(engine, req.body, withRequestId));
        case 'cdc':
          return ok(runCdc(realm, nowMs, req.query.entities, req.query.changedSince));
        case 'companyinfo':
          if (req.method === 'GET') {
            if (segments[1] !== undefined && segments[1] !== realm.realmId) throw objectNotFound();
            return ok({ CompanyInfo: realm.companyInfo });
          }
          return ok({ CompanyInfo: this.updateSingleton(realm, 'CompanyInfo', req.body, nowMs) });
        case 'preferences':
          if (req.method === 'GET') return ok({ Preferences: realm.preferences });
          return ok({ Preferences: this.updateSingleton(realm, 'Preferences', req.body, nowMs) });
        case 'reports':
          if (req.method !== 'GET') throw unsupportedOperation('Reports are read with GET.');
          return { status: 200, body: runReport(engine, segments[1], req.query) };
        case 'upload':
          if (req.method !== 'POST') throw unsupportedOperation('Operation upload requires POST.');
          return ok(upload(engine, req.body, req.origin));
        case 'download':
          if (segments.length !== 2)
            throw unsupportedOperation(`Operation GET ${req.path} is not supported.`);
          return { status: 200, body: downloadLink(engine, segments[1], req.origin) };
        case 'taxservice':
          if (req.method !== 'POST' || segments[1] !== 'taxcode') {
            throw unsupportedOperation(`Operation ${req.method} ${req.path} is not supported.`);
          }
          return ok(createTaxCode(engine, req.body));
        case 'recurringtransaction':
          if (req.method === 'GET') {
            if (segments.length !== 2)
              throw unsupportedOperation(`Operation GET ${req.path} is not supported.`);
            return ok(readRecurring(engine, segments[1]));
          }
          return ok(writeRecurring(engine, req.body, req.query.operation?.toLowerCase()));
        case 'exchangerate':
          if (req.method === 'GET') return ok({ ExchangeRate: readExchangeRate(engine, req.query) });
          return ok({ ExchangeRate: writeExchangeRate(engine, req.body, metaTime(nowMs)) });
        default:
          break;
      }
      const type = ENTITY_BY_PATH.get(head);
      if (!type) throw unsupportedOperation(`Operation ${req.method} ${req.path} is not supported.`);
      if (req.method === 'GET') {
        if (segments.length === 3 && segments[2] === 'pdf' && PDF_ENTITIES.has(type.name)) {
          const name = typeof realm.companyInfo.CompanyName === 'string' ? realm.companyInfo.CompanyName : '';
          return { status: 200, body: invoicePdf(engine.read(type, segments[1]), name, type.label) };
        }
        if (segments.length !== 2)
          throw unsupportedOperation(`Operation GET ${req.path} is not supported (JSON only).`);
        const obj = engine.read(type, segments[1]);
        if (type.name === 'Invoice' && includesOption(req.query.include, 'invoicelink')) {
          return ok({ Invoice: { ...obj, InvoiceLink: invoiceLink(realm.realmId, obj) } });
        }
        if (type.name === 'Attachable') return ok({ Attachable: withDownloadUri(realm, obj, req.origin) });
        return ok({ [type.name]: obj });
      }
      if (segments.length === 3 && segments[2] === 'send') {
        return ok({ [type.name]: engine.send(type, segments[1], req.query.sendTo) });
      }
      if (segments.length !== 1) throw unsupportedOperation(`Operation POST ${req.path} is not supported.`);
      return ok({ [type.name]: this.write(engine, type, req) });
    } catch (err) {
      return faultResponse(err, nowMs);
    }
  }

  /** `POST /{entity}` with `operation` create | update | delete | void and `include` void | allowduplicatedocnum. */
  private write(engine: Engine, type: EntityType, req: AccountingRequest): QboObject {
    const op = req.query.operation?.toLowerCase();
    const allowDuplicateDocNum = includesOption(req.query.include, 'allowduplicatedocnum');
    const body = req.body;
    switch (op) {
      case 'delete':
        return engine.remove(type, body);
      case 'void':
        return engine.voidTxn(type, body);
      case 'update':
        if (includesOption(req.query.include, 'void')) return engine.voidTxn(type, body);
        return engine.update(type, body, { allowDuplicateDocNum });
      case undefined:
      case 'create':
        if (isObject(body) && body.Id !== undefined && body.Id !== null && body.Id !== '') {
          return engine.update(type, body, { allowDuplicateDocNum });
        }
        return engine.create(type, body, { allowDuplicateDocNum });
      default:
        throw unsupportedOperation(`Operation ${op} is not supported.`);
    }
  }

  /** CompanyInfo and Preferences: one object per company, updated with a SyncToken (sparse merges sections). */
  private updateSingleton(
    realm: Realm,
    kind: 'CompanyInfo' | 'Preferences',
    body: unknown,
    nowMs: number,
  ): QboObject {
    if (!isObject(body)) throw malformedRequest(`The request body is not a ${kind} JSON object.`);
    const current = kind === 'CompanyInfo' ? realm.companyInfo : realm.preferences;
    const token = optString(body, 'SyncToken');
    if (token === undefined) throw requiredParam('SyncToken');
    if (token !== current.SyncToken) throw staleObject();
    const merged: QboObject = body.sparse === true ? { ...current } : {};
    for (const [key, value] of Object.entries(body)) {
      const cur = merged[key];
      merged[key] = isObject(cur) && isObject(value) && body.sparse === true ? { ...cur, ...value } : value;
    }
    if (kind === 'Preferences') checkCurrencyPrefs(current, merged);
    const stamp = metaTime(nowMs);
    const meta = isObject(current.MetaData) ? current.MetaData : {};
    const next: QboObject = {
      ...merged,
      domain: 'QBO',
      sparse: false,
      Id: current.Id,
      SyncToken: String(Number(current.SyncToken) + 1),
      MetaData: { CreateTime: meta.CreateTime, LastUpdatedTime: stamp },
    };
    if (kind === 'CompanyInfo') realm.companyInfo = next;
    else realm.preferences = next;
    this.sinkFor(realm.realmId)({
      entity: kind,
      id: String(current.Id),
      operation: 'Update',
      lastUpdated: stamp,
    });
    return next;
  }

  createRealm(
    opts: {
      companyName?: string;
      country?: string;
      realmId?: string;
      history?: HistoryOptions;
    } = {},
  ): string {
    let realmId = opts.realmId;
    if (realmId !== undefined) {
      if (this.realms.has(realmId)) throw new Error(`Realm ${realmId} already exists`);
    } else {
      do {
        // 16 digits, like the realm ids of Intuit's sandbox companies.
        realmId = `9341${randomInt(100_000_000_000, 999_999_999_999)}`;
      } while (this.realms.has(realmId));
    }
    const realm = new Realm(realmId, opts.companyName ?? 'Sandbox Company_US_1', opts.country ?? 'US');
    seedRealm(realm, this.opts.clock.now().getTime());
    if (opts.history) addHistory(realm, this.opts.clock.now().getTime(), opts.history);
    this.realms.set(realmId, realm);
    return realmId;
  }

  hasRealm(realmId: string): boolean {
    return this.realms.has(realmId);
  }

  listRealms(): Array<{ realmId: string; companyName: string }> {
    return [...this.realms.values()].map((r) => ({ realmId: r.realmId, companyName: r.companyName }));
  }

  adminEntities(realmId: string, entity: string): unknown[] {
    const realm = this.realms.get(realmId);
    if (!realm) return [];
    if (entity === 'CompanyInfo') return [realm.companyInfo];
    if (entity === 'Preferences') return [realm.preferences];
    const t = realm.tables.get(entity);
    return t ? [...t.values()].map((row) => row.obj) : [];
  }

  adminChange(
    realmId: string,
    change: {
      entity: string;
      operation: 'create' | 'update' | 'delete' | 'void' | 'merge';
      data: Record<string, unknown>;
    },
  ): AccountingResponse {
    const nowMs = this.opts.clock.now().getTime();
    const realm = this.realms.get(realmId);
    try {
      if (!realm) throw objectNotFound();
      const type = ENTITY_TYPES.get(change.entity);
      if (!type) throw unsupportedOperation(`Entity ${change.entity} is not supported.`);
      const engine = new Engine(realm, nowMs, this.sinkFor(realmId));
      const data = isObject(change.data) ? change.data : {};
      const id = optString(data, 'Id');
      const currentToken = (): string => {
        if (id === undefined) throw requiredParam('Id');
        return engine.read(type, id).SyncToken as string;
      };
      let obj: QboObject;
      switch (change.operation) {
        case 'create':
          obj = engine.create(type, data);
          break;
        case 'update':
          // A person edits the current version and only the fields they touch.
          obj = engine.update(type, { sparse: true, ...data, SyncToken: data.SyncToken ?? currentToken() });
          break;
        case 'delete':
          obj =
            type.kind === 'name'
              ? engine.update(type, { Id: id, SyncToken: currentToken(), sparse: true, Active: false })
              : engine.remove(type, { Id: id, SyncToken: currentToken() });
          break;
        case 'void':
          obj = engine.voidTxn(type, { Id: id, SyncToken: currentToken() });
          break;
        case 'merge': {
          const survivor = id ?? optString(data, 'survivorId');
          const merged =
            optString(data, 'MergedId') ?? optString(data, 'mergedId') ?? optString(data, 'deletedId');
          if (survivor === undefined) throw requiredParam('Id');
          if (merged === undefined) throw requiredParam('MergedId');
          obj = engine.merge(type, survivor, merged);
          break;
        }
        default:
          throw unsupportedOperation(`Operation ${String(change.operation)} is not supported.`);
      }
      return { status: 200, body: { [type.name]: obj, time: envelopeTime(nowMs) } };
    } catch (err) {
      return faultResponse(err, nowMs);
    }
  }

  snapshot(): unknown {
    const snap: AccountingSnapshot = {
      version: 1,
      realms: [...this.realms.values()].map((r) => r.toState()),
    };
    return snap;
  }

  restore(state: unknown): void {
    if (!isObject(state) || state.version !== 1 || !Array.isArray(state.realms)) {
      throw new Error('Not an accounting snapshot (expected {version: 1, realms: [...]})');
    }
    const next = new Map<string, Realm>();
    for (const rs of state.realms as RealmState[]) next.set(rs.realmId, Realm.fromState(rs));
    this.realms.clear();
    for (const [id, realm] of next) this.realms.set(id, realm);
  }

  reset(): void {
    this.realms.clear();
  }

  attachmentContent(realmId: string, id: string): { contentType: string; data: Buffer } | undefined {
    const realm = this.realms.get(realmId);
    return realm ? fileContent(realm, id) : undefined;
  }
}

/**
 * Creates the accounting half of the emulator. The platform authenticates and throttles each request, then calls
 * `handle`; every committed change is reported through `opts.onChange` (the platform turns them into webhooks).
 */
export function createAccounting(opts: AccountingOptions): AccountingApi {
  return new AccountingService(opts);
}
