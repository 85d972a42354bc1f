import type { BatchItemRequest, BatchItemResult } from './client-types';
import { errorFromFault, faultFromJson, QuickBooksError, QuickBooksErrorContext } from './quickbooks-error';
import { checkEntity, checkVersion } from './requests';
import { isRecord, toQueryResult } from './responses';

/** The batch call's two halves: its items as Intuit's `BatchItemRequest`, and its `BatchItemResponse` as results. */

/** QuickBooks' batch endpoint accepts at most 30 operations per call (reference §4). */
export const MAX_BATCH_ITEMS = 30;
export const MAX_BATCH_REQUEST_ID = 36;
const MAX_BATCH_ID = 10;

/** One item of the wire's `BatchItemRequest`, e.g. `{"bId":"1","operation":"create","Invoice":{...}}`. */
export interface BatchWireItem {
  bId: string;
  [field: string]: unknown;
}

/**
 * The items as Intuit's `BatchItemRequest` (bIds checked: 1 to 10 characters, unique), and whether any of them
 * writes. Misuse (a bad bId, entity name or version) is a RangeError.
 */
export const toBatchWire = (items: BatchItemRequest[]): { wire: BatchWireItem[]; writes: boolean } => {
  const seen = new Set<string>();
  let writes = false;
  const wire = items.map((item, index): BatchWireItem => {
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
  return { wire, writes };
};

/**
 * The batch answer as one result per item, in the order of `items`: the item's object or query result, or its own
 * `QuickBooksError` (its fault, no answer at all, or an answer without its object).
 */
export const toBatchResults = (
  items: BatchItemRequest[],
  wire: BatchWireItem[],
  json: Record<string, unknown>,
  requestId: string,
): BatchItemResult[] => {
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
};
