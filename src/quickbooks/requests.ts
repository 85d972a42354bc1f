import { randomUUID } from 'node:crypto';
import { isWellFormedText } from '../well-formed';
import type { EntityVersion, QuickBooksOperation } from './client-types';
import type { GovernedKind } from './governor';
import { QuickBooksDirection, QuickBooksError } from './quickbooks-error';

/**
 * How the client builds a call before it goes out: the description of the call (`CallSpec`), the checks of its
 * arguments (entity names, requestids, versions) and its URL.
 */

/** Base URLs of Intuit's two environments; the emulator's URL is passed as is. */
export const QUICKBOOKS_BASE_URLS = Object.freeze({
  production: 'https://quickbooks.api.intuit.com',
  sandbox: 'https://sandbox-quickbooks.api.intuit.com',
});

export const MAX_REQUEST_ID = 50;
export const MAX_PAGE_SIZE = 1000;

const ENTITY_NAME = /^[A-Z][A-Za-z]*$/;

export const checkEntity = (entity: string): string => {
  if (!ENTITY_NAME.test(entity))
    throw new RangeError(`"${entity}" is not a QuickBooks entity name (use e.g. "SalesReceipt")`);
  return entity;
};

export const checkRequestId = (requestId: string | undefined, max: number): string => {
  if (requestId === undefined) return randomUUID();
  if (requestId.length === 0 || requestId.length > max) {
    throw new RangeError(`requestid must be 1 to ${max} characters (got ${requestId.length})`);
  }
  return requestId;
};

export const checkVersion = (what: string, body: Partial<EntityVersion>): EntityVersion => {
  if (typeof body.Id !== 'string' || body.Id === '' || typeof body.SyncToken !== 'string') {
    throw new RangeError(`${what} needs Id and SyncToken (strings)`);
  }
  return { Id: body.Id, SyncToken: body.SyncToken };
};

/** Formats a CDC `changedSince` as `2024-05-01T12:00:00+00:00` (the offset form of Intuit's examples). */
export const formatChangedSince = (since: Date | string): string => {
  if (typeof since === 'string') return since;
  if (Number.isNaN(since.getTime())) throw new RangeError('changedSince is not a valid date');
  return since.toISOString().replace(/\.\d{3}Z$/, '+00:00');
};

/** The ` WHERE ...` of a query statement; clauses that start with ORDERBY/STARTPOSITION/MAXRESULTS go as they are. */
export const whereClause = (where: string | undefined): string => {
  const w = where?.trim();
  if (!w) return '';
  return /^(ORDERBY|STARTPOSITION|MAXRESULTS)\b/i.test(w) ? ` ${w}` : ` WHERE ${w}`;
};

export interface CallSpec {
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

/**
 * The call's URL (`prefix` is `{baseUrl}/v3/company/{realmId}/`). Text that is not well-formed Unicode (a lone
 * surrogate) cannot be put in a URL (`encodeURIComponent` throws URIError): it becomes a FIX_DATA QuickBooksError
 * naming the parameter, so the caller fails what the text belongs to rather than retrying a call that can never be
 * made.
 */
export const buildUrl = (prefix: string, minorVersion: number, spec: CallSpec): URL => {
  const params: Record<string, string> = { ...spec.params, minorversion: String(minorVersion) };
  if (spec.requestId !== undefined) params.requestid = spec.requestId;
  // encodeURIComponent (spaces as %20) rather than URLSearchParams' "+": every server decodes %20 the same way.
  const qs = Object.entries(params)
    .map(([k, v]) => `${encodeUrlPart(k, spec)}=${encodeUrlPart(v, spec, k)}`)
    .join('&');
  return new URL(`${prefix}${spec.path}?${qs}`);
};

/** encodeURIComponent, but ill-formed text is a FIX_DATA QuickBooksError (never a URIError) naming what held it. */
export function encodeUrlPart(
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
