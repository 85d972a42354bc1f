import { ENTITY_TYPES } from '../entity-types';
import { invalidValue, requiredParam, unsupportedOperation } from '../faults';
import type { QboObject, Realm, Row } from '../company/realm';
import { parseQbTime, truncateToSecond } from '../time';

/** CDC looks back at most 30 days and returns at most 1000 objects per entity (Intuit's limits). */
const LOOKBACK_MS = 30 * 86_400_000;
const MAX_PER_ENTITY = 1000;

/** Entities CDC does not cover (Intuit's list; TaxCode and TaxRate among them). */
const UNSUPPORTED = new Set(['TaxCode', 'TaxRate', 'JournalCode', 'TaxAgency', 'TimeActivity']);

const BY_LOWER = new Map([...ENTITY_TYPES.keys()].map((name) => [name.toLowerCase(), name]));

/**
 * `GET cdc?entities=Customer,Invoice&changedSince=...`: every object of those types changed at or after that time,
 * oldest first, with deleted ones as `{domain, status: "Deleted", Id, MetaData: {LastUpdatedTime}}`. The comparison is
 * inclusive at whole seconds (MetaData precision), so a client that passes the last LastUpdatedTime it saw misses nothing.
 */
export function runCdc(
  realm: Realm,
  nowMs: number,
  entitiesParam: string | undefined,
  changedSince: string | undefined,
): QboObject {
  if (entitiesParam === undefined || entitiesParam.trim() === '') throw requiredParam('entities');
  if (changedSince === undefined || changedSince.trim() === '') throw requiredParam('changedSince');
  const since = parseQbTime(changedSince);
  if (since === undefined) throw invalidValue('changedSince', changedSince);
  if (since < nowMs - LOOKBACK_MS) {
    throw unsupportedOperation(
      `Operation cdc with changedSince date ${changedSince} which is older than fixed days is not supported. CDC looks back at most 30 days.`,
    );
  }
  const from = truncateToSecond(since);
  const responses: QboObject[] = [];
  for (const raw of entitiesParam.split(',')) {
    const requested = raw.trim();
    if (requested === '') continue;
    const name = BY_LOWER.get(requested.toLowerCase());
    if (name === undefined || UNSUPPORTED.has(name)) {
      throw unsupportedOperation(`Operation cdc is not supported for entity ${requested}.`);
    }
    const rows: Row[] = [];
    for (const row of realm.table(name).values()) if (row.updatedMs >= from) rows.push(row);
    rows.sort((a, b) => a.updatedMs - b.updatedMs);
    const items = rows.slice(0, MAX_PER_ENTITY).map((row) =>
      row.deleted
        ? {
            domain: 'QBO',
            status: 'Deleted',
            Id: row.obj.Id,
            MetaData: { LastUpdatedTime: (row.obj.MetaData as QboObject).LastUpdatedTime },
          }
        : row.obj,
    );
    responses.push(items.length > 0 ? { [name]: items, startPosition: 1, maxResults: items.length } : {});
  }
  return { CDCResponse: [{ QueryResponse: responses }] };
}
