import type { AccountingRequest, RequestDescription } from '../contracts';
import { ENTITY_BY_PATH } from './entity-types';
import { isObject } from './fields';
import { queryEntity } from './reading/query';

function includesOption(value: string | undefined, option: string): boolean {
  return value !== undefined && value.split(',').some((o) => o.trim().toLowerCase() === option);
}

/** The statement of a query request: `?query=` on GET, the raw body on POST (Content-Type application/text). */
export function queryStatement(req: AccountingRequest): string | undefined {
  if (typeof req.body === 'string' && req.body.trim() !== '') return req.body;
  return req.query.query;
}

/**
 * Classifies a request without running it, for the platform's fault rules, limits and stats. Mirrors the routing in
 * `AccountingService.handle` (see index.ts).
 */
export function describeRequest(req: AccountingRequest): RequestDescription {
  const segments = req.path.split('/').filter((s) => s !== '');
  const head = segments[0] ?? '';
  switch (head) {
    case 'query': {
      const statement = queryStatement(req);
      const entity = statement ? queryEntity(statement) : undefined;
      return entity === undefined
        ? { operation: 'query', readOnly: true }
        : { entity, operation: 'query', readOnly: true };
    }
    case 'batch': {
      const items =
        isObject(req.body) && Array.isArray(req.body.BatchItemRequest) ? req.body.BatchItemRequest : [];
      const readOnly = items.length > 0 && items.every((i) => isObject(i) && i.Query !== undefined);
      return { operation: 'batch', readOnly };
    }
    case 'cdc':
      return { operation: 'cdc', readOnly: true };
    case 'companyinfo':
      return { entity: 'CompanyInfo', operation: 'companyinfo', readOnly: req.method === 'GET' };
    case 'preferences':
      return { entity: 'Preferences', operation: 'preferences', readOnly: req.method === 'GET' };
    case 'reports':
      return { entity: segments[1], operation: 'report', readOnly: true };
    case 'upload':
      return { entity: 'Attachable', operation: 'create', readOnly: false };
    case 'download':
      return { entity: 'Attachable', operation: 'read', readOnly: true };
    case 'taxservice':
      return { entity: 'TaxCode', operation: 'create', readOnly: false };
    case 'recurringtransaction':
      return {
        entity: 'RecurringTransaction',
        operation: req.method === 'GET' ? 'read' : req.query.operation === 'delete' ? 'delete' : 'create',
        readOnly: req.method === 'GET',
      };
    case 'exchangerate':
      return {
        entity: 'ExchangeRate',
        operation: req.method === 'GET' ? 'read' : 'update',
        readOnly: req.method === 'GET',
      };
    default:
      break;
  }
  const type = ENTITY_BY_PATH.get(head);
  const entity = type?.name ?? head;
  if (req.method === 'GET')
    return { entity, operation: segments[2] === 'pdf' ? 'pdf' : 'read', readOnly: true };
  if (segments[2] === 'send') return { entity, operation: 'send', readOnly: false };
  const op = req.query.operation?.toLowerCase();
  if (op === 'delete') return { entity, operation: 'delete', readOnly: false };
  if (op === 'void' || includesOption(req.query.include, 'void'))
    return { entity, operation: 'void', readOnly: false };
  if (
    op === 'update' ||
    (isObject(req.body) && req.body.Id !== undefined && req.body.Id !== null && req.body.Id !== '')
  ) {
    return { entity, operation: 'update', readOnly: false };
  }
  return { entity, operation: 'create', readOnly: false };
}
