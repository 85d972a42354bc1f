import { AppError } from '../errors';
import { QuickBooksError } from '../quickbooks';
import type { StoredSyncError } from '../entities';
import { MappingProblem } from './posting/posting-mapper';

/** A failure as stored on orders and batch items. */
export function toStoredError(
  error: unknown,
  direction: StoredSyncError['direction'] = 'TO_QUICKBOOKS',
): StoredSyncError {
  const at = new Date().toISOString();
  if (error instanceof QuickBooksError) {
    return {
      code: error.quickbooksCode ?? String(error.httpStatus ?? error.code),
      message: error.quickbooksMessage || error.message,
      detail: error.detail ?? null,
      hint: error.hint ?? null,
      direction,
      at,
    };
  }
  if (error instanceof MappingProblem) {
    return { code: 'SETTINGS', message: error.message, detail: null, hint: error.hint, direction, at };
  }
  if (error instanceof AppError) {
    return {
      code: error.code,
      message: error.message,
      detail: null,
      hint: error.hint ?? null,
      direction,
      at,
    };
  }
  return {
    code: 'INTERNAL',
    message: 'The gateway failed while posting; the order can be posted again',
    detail: null,
    hint: null,
    direction,
    at,
  };
}

/** The same QuickBooks failure with what a person should do here (a data problem to fix, not a retry). */
export function withHint(error: QuickBooksError, hint: string): QuickBooksError {
  return new QuickBooksError({
    httpStatus: error.httpStatus,
    quickbooksCode: error.quickbooksCode,
    quickbooksMessage: error.quickbooksMessage,
    detail: error.detail,
    element: error.element,
    intuitTid: error.intuitTid,
    faultType: error.faultType,
    requestId: error.requestId,
    operation: error.operation,
    entity: error.entity,
    direction: error.direction,
    category: 'FIX_DATA',
    hint,
  });
}
