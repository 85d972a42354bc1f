import type { CdcResult, QueryResult, QuickBooksEntity } from './client-types';
import type { HttpResponse } from './http-transport';
import {
  errorFromFault,
  faultFromJson,
  intuitTidOf,
  parseFaultBody,
  QuickBooksError,
  QuickBooksErrorContext,
} from './quickbooks-error';

/**
 * How the client reads QuickBooks' answers: a 2xx body as JSON (or the fault it hides), the object an answer is
 * keyed by, query results and change-data-capture results.
 */

export const isRecord = (value: unknown): value is Record<string, unknown> =>
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

/** The `entity` object of an answer (e.g. `{"Customer":{...}}`); an answer without one is an OUR_BUG error. */
export const entityOf = <T extends QuickBooksEntity>(
  json: Record<string, unknown>,
  entity: string,
  operation: string,
): T => {
  const value = json[entity];
  if (isRecord(value)) return value as T;
  throw new QuickBooksError({
    operation,
    entity,
    quickbooksMessage: `QuickBooks answered without a ${entity}`,
    category: 'OUR_BUG',
  });
};

/** A 2xx body as JSON, or the error it hides (a fault answered with 200, or a body that is not JSON). */
export const parseSuccess = (
  response: HttpResponse,
  context: QuickBooksErrorContext,
): Record<string, unknown> | QuickBooksError => {
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
};

/** A CDC answer as changed objects per requested entity; a fault in any of its parts is thrown. */
export const toCdcResult = (json: Record<string, unknown>, entities: string[]): CdcResult => {
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
};
