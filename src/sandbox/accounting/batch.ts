import { Engine } from './engine';
import { ENTITY_TYPES } from './entity-types';
import {
  businessValidation,
  malformedRequest,
  QboFault,
  requiredParam,
  unknownProperty,
  unsupportedOperation,
} from './faults';
import { isObject } from './fields';
import { runQuery } from './reading/query';
import type { QboObject } from './company/realm';

/** Intuit's cap on operations per batch call. */
export const MAX_BATCH_ITEMS = 30;
/** With a requestid, each bId may be at most 10 characters (Intuit's requestid rules). */
const MAX_BID_WITH_REQUEST_ID = 10;

function includes(options: unknown, option: string): boolean {
  return typeof options === 'string' && options.split(',').some((o) => o.trim().toLowerCase() === option);
}

/**
 * `POST batch`: up to 30 operations run in order, each answering under its `bId` with the entity, a `QueryResponse`
 * or a `Fault`; the call itself answers 200. Later items see what earlier items committed (Intuit does not promise
 * this either way; running in order is the simplest faithful choice). A malformed batch is refused whole with a 400
 * and nothing runs.
 */
export function runBatch(engine: Engine, body: unknown, withRequestId: boolean): QboObject {
  return { BatchItemResponse: batchItems(body, withRequestId).map((item) => runItem(engine, item)) };
}

/**
 * `runBatch` with each operation in a turn of its own (`turn` between them) and an engine of its own (its time the
 * moment it runs): the emulator's server answers this way, so that requests arriving while a batch is worked on are
 * read at once, as QuickBooks, working on them side by side, would.
 */
export async function runBatchInTurns(
  engineNow: () => Engine,
  body: unknown,
  withRequestId: boolean,
  turn: () => Promise<void>,
): Promise<QboObject> {
  const items = batchItems(body, withRequestId);
  const responses: QboObject[] = [];
  for (const [index, item] of items.entries()) {
    if (index > 0) await turn();
    responses.push(runItem(engineNow(), item));
  }
  return { BatchItemResponse: responses };
}

/** The batch's operations, checked: a malformed batch is refused whole before any runs. */
function batchItems(body: unknown, withRequestId: boolean): QboObject[] {
  if (!isObject(body)) throw malformedRequest('The request body is not a batch JSON object.');
  const items = body.BatchItemRequest;
  if (!Array.isArray(items) || items.length === 0) throw requiredParam('BatchItemRequest');
  if (items.length > MAX_BATCH_ITEMS) {
    throw businessValidation(
      `The batch has ${items.length} BatchItemRequest items; a batch can have at most ${MAX_BATCH_ITEMS}.`,
      'BatchItemRequest',
    );
  }
  const seen = new Set<string>();
  for (const item of items) {
    if (!isObject(item)) throw malformedRequest('Each BatchItemRequest must be a JSON object.');
    const bId = item.bId;
    if (typeof bId !== 'string' || bId === '') throw requiredParam('bId', 'BatchItemRequest.bId');
    if (seen.has(bId))
      throw businessValidation(`Duplicate bId ${bId} in the batch; each bId must be unique.`, 'bId');
    seen.add(bId);
    if (withRequestId && bId.length > MAX_BID_WITH_REQUEST_ID) {
      throw businessValidation(
        `bId ${bId} is longer than ${MAX_BID_WITH_REQUEST_ID} characters, the maximum when a requestid is given.`,
        'bId',
      );
    }
  }
  return items as QboObject[];
}

function runItem(engine: Engine, item: QboObject): QboObject {
  const bId = item.bId as string;
  try {
    if (item.Query !== undefined) {
      if (typeof item.Query !== 'string') throw malformedRequest('Query must be a string.');
      return { bId, QueryResponse: runQuery(engine.realm, item.Query) };
    }
    const entityKeys = Object.keys(item).filter(
      (k) => k !== 'bId' && k !== 'operation' && k !== 'optionsData',
    );
    if (entityKeys.length !== 1) {
      if (entityKeys.length === 0) throw requiredParam('IntuitObject', 'BatchItemRequest');
      throw unknownProperty(entityKeys[1], 'BatchItemRequest');
    }
    const name = entityKeys[0];
    const type = ENTITY_TYPES.get(name);
    if (!type) {
      if (name === 'CDCQuery' || name === 'ReportQuery') {
        throw unsupportedOperation(`Operation ${name} is not supported in a batch by the emulator.`);
      }
      throw unknownProperty(name, 'BatchItemRequest');
    }
    const data = item[name];
    const operation = typeof item.operation === 'string' ? item.operation.toLowerCase() : undefined;
    const allowDuplicateDocNum = includes(item.optionsData, 'allowduplicatedocnum');
    let result: QboObject;
    switch (operation) {
      case 'create':
        result = engine.create(type, data, { allowDuplicateDocNum });
        break;
      case 'update':
        result = includes(item.optionsData, 'void')
          ? engine.voidTxn(type, data)
          : engine.update(type, data, { allowDuplicateDocNum });
        break;
      case 'delete':
        result = engine.remove(type, data);
        break;
      case 'void':
        result = engine.voidTxn(type, data);
        break;
      case undefined:
        throw requiredParam('operation', 'BatchItemRequest.operation');
      default:
        throw unsupportedOperation(`Operation ${String(item.operation)} is not supported.`);
    }
    return { bId, [name]: result };
  } catch (err) {
    if (err instanceof QboFault) return { bId, Fault: err.toJSON() };
    throw err;
  }
}
