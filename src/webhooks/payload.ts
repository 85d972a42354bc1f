/**
 * QuickBooks' two webhook payload formats, normalized to one event shape (docs/reference/quickbooks-api.md §6):
 * legacy `{eventNotifications: [{realmId, dataChangeEvent: {entities: [{name, id, operation, lastUpdated, deletedId}]}}]}`
 * and the CloudEvents array `[{specversion, id, type: "qbo.<entity>.<verb>.v1", time, intuitentityid, intuitaccountid,
 * data: {deletedid}}]`.
 */
import type { QuickBooksPayloadFormat } from '../entities';

export interface NormalizedChange {
  realmId: string;
  entityName: string;
  entityId: string;
  /** Create, Update, Delete, Merge, Void, Emailed. */
  operation: string;
  deletedId: string | null;
  occurredAt: Date | null;
  /** The CloudEvents id, or realm + entity + id + operation + lastUpdated: the same change redelivered has the same key. */
  key: string;
}

export type ParsedPayload =
  | { ok: true; format: QuickBooksPayloadFormat; changes: NormalizedChange[]; skipped: number }
  | { ok: false; format: QuickBooksPayloadFormat; reason: string };

/** CloudEvents verbs → legacy operations ("void" and "voided" both seen in the wild). */
const VERBS: Record<string, string> = {
  created: 'Create',
  create: 'Create',
  updated: 'Update',
  update: 'Update',
  deleted: 'Delete',
  delete: 'Delete',
  merged: 'Merge',
  merge: 'Merge',
  voided: 'Void',
  void: 'Void',
  emailed: 'Emailed',
};
const OPERATIONS = new Set(['Create', 'Update', 'Delete', 'Merge', 'Void', 'Emailed']);

/** Lower-case CloudEvents entity names → the API's spelling. */
const ENTITY_NAMES = new Map(
  [
    'Account',
    'Bill',
    'BillPayment',
    'Budget',
    'Class',
    'CompanyCurrency',
    'CreditMemo',
    'Customer',
    'Department',
    'Deposit',
    'Employee',
    'Estimate',
    'Invoice',
    'Item',
    'JournalCode',
    'JournalEntry',
    'Payment',
    'PaymentMethod',
    'Preferences',
    'Purchase',
    'PurchaseOrder',
    'RefundReceipt',
    'SalesReceipt',
    'TaxAgency',
    'TaxCode',
    'TaxRate',
    'Term',
    'TimeActivity',
    'Transfer',
    'Vendor',
    'VendorCredit',
  ].map((name) => [name.toLowerCase(), name]),
);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined;

/** QuickBooks times: `2015-10-05T14:42:19-0700`, `...Z`, up to nanoseconds. */
export function parseQuickBooksTime(value: unknown): Date | null {
  const raw = text(value);
  if (!raw) return null;
  const normalized = raw.replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? null : new Date(ms);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clip = (value: string, max: number): string => value.slice(0, max);

/** Parses a signed body (already known to be authentic). Never throws. */
export function parseQuickBooksPayload(body: Buffer): ParsedPayload {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, format: 'UNKNOWN', reason: 'the body is not JSON' };
  }
  if (isRecord(json) && Array.isArray(json.eventNotifications)) return parseLegacy(json.eventNotifications);
  if (Array.isArray(json)) return parseCloudEvents(json);
  return {
    ok: false,
    format: 'UNKNOWN',
    reason: 'neither {eventNotifications: [...]} nor a CloudEvents array',
  };
}

function parseLegacy(notifications: unknown[]): ParsedPayload {
  const changes: NormalizedChange[] = [];
  let skipped = 0;
  for (const notification of notifications) {
    const realmId = isRecord(notification) ? text(notification.realmId) : undefined;
    const change = isRecord(notification) ? notification.dataChangeEvent : undefined;
    const entities = isRecord(change) ? change.entities : undefined;
    if (!realmId || !Array.isArray(entities)) {
      skipped++;
      continue;
    }
    for (const entity of entities) {
      if (!isRecord(entity)) {
        skipped++;
        continue;
      }
      const name = text(entity.name);
      const id = text(entity.id);
      const operation = text(entity.operation);
      if (!name || !id || !operation || !OPERATIONS.has(operation)) {
        skipped++;
        continue;
      }
      const lastUpdated = text(entity.lastUpdated) ?? '';
      const entityName = ENTITY_NAMES.get(name.toLowerCase()) ?? name;
      changes.push({
        realmId: clip(realmId, 32),
        entityName: clip(entityName, 40),
        entityId: clip(id, 32),
        operation,
        deletedId: text(entity.deletedId ?? entity.deletedID)?.slice(0, 32) ?? null,
        occurredAt: parseQuickBooksTime(lastUpdated),
        key: `lg:${realmId}:${entityName}:${id}:${operation}:${lastUpdated}`,
      });
    }
  }
  if (changes.length === 0 && skipped > 0)
    return { ok: false, format: 'LEGACY', reason: `no readable event (${skipped} skipped)` };
  return { ok: true, format: 'LEGACY', changes, skipped };
}

function parseCloudEvents(events: unknown[]): ParsedPayload {
  const changes: NormalizedChange[] = [];
  let skipped = 0;
  for (const event of events) {
    if (!isRecord(event) || text(event.specversion) === undefined) {
      skipped++;
      continue;
    }
    const id = text(event.id);
    const realmId = text(event.intuitaccountid);
    const entityId = text(event.intuitentityid);
    const parts = (text(event.type) ?? '').split('.');
    // qbo.<entity>.<verb>.v1
    const entityName = parts.length >= 3 ? (ENTITY_NAMES.get(parts[1].toLowerCase()) ?? parts[1]) : undefined;
    const operation = parts.length >= 3 ? VERBS[parts[2].toLowerCase()] : undefined;
    if (!id || !realmId || !entityId || !entityName || !operation) {
      skipped++;
      continue;
    }
    const data = isRecord(event.data) ? event.data : {};
    changes.push({
      realmId: clip(realmId, 32),
      entityName: clip(entityName, 40),
      entityId: clip(entityId, 32),
      operation,
      deletedId: text(data.deletedid ?? data.deletedId)?.slice(0, 32) ?? null,
      occurredAt: parseQuickBooksTime(event.time),
      key: `ce:${id}`,
    });
  }
  if (changes.length === 0 && skipped > 0)
    return { ok: false, format: 'CLOUDEVENTS', reason: `no readable event (${skipped} skipped)` };
  return { ok: true, format: 'CLOUDEVENTS', changes, skipped };
}
