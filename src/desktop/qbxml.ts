/**
 * qbXML 13.0 for the gateway: request message sets (several requests, `onError="continueOnError"`, each with the
 * queue row's id as requestID) and their responses, with QuickBooks' status codes turned into stored errors that say
 * what to do next.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { StoredSyncError } from '../entities';

export const QBXML_VERSION = '13.0';

/** One request of a message set: `type` without `Rq` (`CustomerAdd`), content in qbXML element order. */
export interface QbxmlRequest {
  id: string;
  type: string;
  attributes?: Record<string, string>;
  content: Record<string, unknown>;
}

/** One response of a message set. */
export interface QbxmlResponse {
  requestId: string;
  /** Without `Rs` (`CustomerAdd`). */
  type: string;
  statusCode: number;
  statusSeverity: string;
  statusMessage: string;
  iteratorRemainingCount?: number;
  iteratorId?: string;
  /** The `...Ret` objects, in order, with their element names (`ItemServiceRet`). */
  rets: Array<{ name: string; value: QbObject }>;
  /** Everything else in the response element (TxnDelRs' TxnID, ...). */
  body: QbObject;
}

/** A QuickBooks object as read from qbXML: elements by name, leaves as strings. */
export type QbObject = { [key: string]: unknown };

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: true,
  suppressEmptyNode: false,
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
  // Every response and every ...Ret as a list, whether one or many came.
  isArray: (name, jpath) =>
    (typeof jpath === 'string' && jpath.split('.').length === 3) || name.endsWith('Ret'),
});

/** A request message set; requests run in this order and an error does not stop the ones after it. */
export function requestMessage(requests: QbxmlRequest[]): string {
  const elements = requests.map((request) => {
    const attributes: Record<string, string> = { '@_requestID': request.id };
    for (const [key, value] of Object.entries(request.attributes ?? {})) attributes[`@_${key}`] = value;
    return builder.build({ [`${request.type}Rq`]: { ...attributes, ...request.content } });
  });
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="${QBXML_VERSION}"?>\n` +
    `<QBXML><QBXMLMsgsRq onError="continueOnError">${elements.join('')}</QBXMLMsgsRq></QBXML>`
  );
}

/** The responses of a message set; throws on a document that is not qbXML. */
export function parseResponses(xml: string): QbxmlResponse[] {
  const parsed = parser.parse(xml) as { QBXML?: { QBXMLMsgsRs?: Record<string, QbObject[]> } };
  const set = parsed.QBXML?.QBXMLMsgsRs;
  if (!set || typeof set !== 'object') throw new Error('the response is not a qbXML message set');
  const responses: QbxmlResponse[] = [];
  for (const [name, list] of Object.entries(set)) {
    if (!name.endsWith('Rs') || !Array.isArray(list)) continue;
    for (const element of list) {
      const rets: QbxmlResponse['rets'] = [];
      const body: QbObject = {};
      for (const [key, value] of Object.entries(element)) {
        if (key.endsWith('Ret') && Array.isArray(value))
          for (const ret of value as QbObject[]) rets.push({ name: key, value: ret });
        else body[key] = value;
      }
      responses.push({
        requestId: text(element.requestID),
        type: name.slice(0, -2),
        statusCode: Number(element.statusCode ?? 0),
        statusSeverity: text(element.statusSeverity),
        statusMessage: text(element.statusMessage),
        iteratorRemainingCount:
          element.iteratorRemainingCount !== undefined ? Number(element.iteratorRemainingCount) : undefined,
        iteratorId: element.iteratorID !== undefined ? text(element.iteratorID) : undefined,
        rets,
        body,
      });
    }
  }
  return responses;
}

/** A qbXML leaf as text ('' when absent). */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** `<ListID>` of a reference element, or ''. */
export const refId = (value: unknown): string =>
  value && typeof value === 'object' ? text((value as QbObject).ListID) : '';

/** QuickBooks' severities: 0–499 Info, 500–999 Warn (the request was done), 1000 and up Error (it was not). */
export const isError = (response: QbxmlResponse): boolean =>
  response.statusSeverity === 'Error' || response.statusCode >= 1000;

/** What to do next, by status code (the Error Log's "how to resolve"). */
const HINTS: Record<number, string> = {
  3000: 'the id no longer exists in this company file: sync reference data, then retry',
  3070: 'a value is longer than QuickBooks Desktop allows: shorten it, then retry',
  3100: 'the name is already used in QuickBooks (by another customer, vendor, employee, item or account): rename one of them, then retry',
  3120: 'the object is no longer in QuickBooks: sync reference data, then retry',
  3140: 'something this refers to is missing or inactive in QuickBooks: sync reference data, check the connection settings, then retry',
  3150: 'QuickBooks needs a value that was not sent: check the connection settings, then retry',
  3170: 'someone was editing this in QuickBooks at the same time: retry when they are done',
  3175: 'the object is in use in QuickBooks: close it there, then retry',
  3180: 'QuickBooks refused to save it for the reason in the message: fix it in QuickBooks or in the order, then retry',
  3200: 'it changed in QuickBooks meanwhile: "Fix Edit Sequence" re-reads it and retries (the gateway does this by itself)',
  3231: 'not processed because an earlier request of the run failed: retry',
  3250: 'this feature is off or not available in this edition of QuickBooks',
  3260: "the Web Connector's QuickBooks user lacks permission: give it access in QuickBooks, then retry",
};

/** A failed response as stored on orders, batch items and sync logs: QuickBooks' code and message and a hint. */
export function statusError(
  response: Pick<QbxmlResponse, 'statusCode' | 'statusMessage'>,
  direction: StoredSyncError['direction'] = 'TO_QUICKBOOKS',
): StoredSyncError {
  return {
    code: String(response.statusCode),
    message: response.statusMessage || `QuickBooks answered status ${response.statusCode}`,
    detail: null,
    hint: HINTS[response.statusCode] ?? 'see the QuickBooks message; fix the data, then retry',
    direction,
    at: new Date().toISOString(),
  };
}
