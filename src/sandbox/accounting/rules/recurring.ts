/**
 * RecurringTransaction (Intuit API reference, RecurringTransaction; minorversion 59+): a template of a transaction
 * with its schedule, wrapped in the transaction's own key — `{"Invoice": {..., "RecurringInfo": {...}}}` to create,
 * `{"RecurringTransaction": {"Invoice": {...}}}` back. Create, read, query and delete. The template is validated by the
 * transaction's own rules (so a template that could never post is refused as the transaction would be) and stores
 * `RecurringInfo` (Name required and unique, RecurType Automated | Reminded | UnScheduled, ScheduleInfo with
 * IntervalType Daily | Weekly | Monthly | Yearly, NumInterval, StartDate; NextDate computed). Not emulated: posting
 * the scheduled transactions when their date comes.
 */
import type { Engine } from '../engine';
import { ENTITY_TYPES } from '../entity-types';
import {
  businessValidation,
  duplicateName,
  invalidEnumeration,
  malformedRequest,
  objectNotFound,
  requiredParam,
  staleObject,
  unsupportedOperation,
} from '../faults';
import { isObject, optString, withoutServerFields } from '../fields';
import { normalizeName, type QboObject } from '../company/realm';
import { optDate } from './sales';

/** Transactions QuickBooks can schedule. */
const TEMPLATE_TYPES = new Set([
  'Invoice',
  'SalesReceipt',
  'Estimate',
  'CreditMemo',
  'RefundReceipt',
  'Bill',
  'Purchase',
  'PurchaseOrder',
  'VendorCredit',
  'Deposit',
  'Transfer',
]);

const RECUR_TYPES = ['Automated', 'Reminded', 'UnScheduled'];
const INTERVALS = ['Daily', 'Weekly', 'Monthly', 'Yearly'];

/** The one transaction key of a wrapper body and its value. */
function unwrap(body: unknown): { entity: string; data: QboObject } {
  if (!isObject(body)) throw malformedRequest('The request body is not a RecurringTransaction JSON object.');
  const inner = isObject(body.RecurringTransaction) ? body.RecurringTransaction : body;
  const keys = Object.keys(inner).filter((k) => TEMPLATE_TYPES.has(k));
  if (keys.length !== 1 || !isObject(inner[keys[0]])) {
    throw requiredParam(
      'Invoice, SalesReceipt, Bill, ... (one transaction template)',
      'RecurringTransaction',
    );
  }
  return { entity: keys[0], data: inner[keys[0]] as QboObject };
}

/** The wrapper QuickBooks answers: `{<Entity>: template}` with the template's Id, SyncToken and MetaData. */
function wrapped(row: QboObject): QboObject {
  const entity = row.TemplateType as string;
  const { TemplateType: _type, Template: template, ...envelope } = row;
  return { [entity]: { ...(template as QboObject), ...envelope } };
}

function recurInfo(engine: Engine, data: QboObject, exceptId?: string): QboObject {
  const info = isObject(data.RecurringInfo) ? { ...data.RecurringInfo } : undefined;
  if (!info) throw requiredParam('RecurringInfo');
  const name = optString(info, 'Name', 100, 'RecurringInfo.Name');
  if (name === undefined || name.trim() === '') throw requiredParam('Name', 'RecurringInfo.Name');
  for (const row of engine.realm.table('RecurringTransaction').values()) {
    const other = row.obj.Template as QboObject | undefined;
    const otherInfo = isObject(other?.RecurringInfo) ? other.RecurringInfo : {};
    if (!row.deleted && row.obj.Id !== exceptId && typeof otherInfo.Name === 'string') {
      if (normalizeName(otherInfo.Name) === normalizeName(name)) throw duplicateName(row.obj.Id as string);
    }
  }
  const recurType = optString(info, 'RecurType', undefined, 'RecurringInfo.RecurType') ?? 'Automated';
  if (!RECUR_TYPES.includes(recurType)) throw invalidEnumeration('RecurringInfo.RecurType', recurType);
  const schedule = isObject(info.ScheduleInfo) ? { ...info.ScheduleInfo } : {};
  if (recurType !== 'UnScheduled') {
    const interval = optString(
      schedule,
      'IntervalType',
      undefined,
      'RecurringInfo.ScheduleInfo.IntervalType',
    );
    if (interval === undefined)
      throw requiredParam('IntervalType', 'RecurringInfo.ScheduleInfo.IntervalType');
    if (!INTERVALS.includes(interval))
      throw invalidEnumeration('RecurringInfo.ScheduleInfo.IntervalType', interval);
    const start = optDate(schedule, 'StartDate') ?? engine.today;
    schedule.StartDate = start;
    schedule.NumInterval = Number(schedule.NumInterval ?? 1);
    if (!Number.isInteger(schedule.NumInterval) || (schedule.NumInterval as number) < 1) {
      throw businessValidation(
        'NumInterval must be a positive whole number.',
        'RecurringInfo.ScheduleInfo.NumInterval',
      );
    }
    schedule.NextDate = start >= engine.today ? start : engine.today;
  }
  return {
    ...info,
    Name: name.trim(),
    RecurType: recurType,
    Active: info.Active !== false,
    ScheduleInfo: schedule,
  };
}

/** `POST /recurringtransaction`: creates a template (or deletes one with `operation=delete`). */
export function writeRecurring(engine: Engine, body: unknown, operation: string | undefined): QboObject {
  const { entity, data } = unwrap(body);
  if (operation === 'delete') {
    const id = optString(data, 'Id');
    if (id === undefined) throw requiredParam('Id');
    const row = engine.realm.row('RecurringTransaction', id);
    if (!row || row.deleted) throw objectNotFound();
    if (optString(data, 'SyncToken') !== row.obj.SyncToken) throw staleObject();
    engine.store('RecurringTransaction', row.obj, row.obj, 'Delete');
    return { [entity]: { Id: id, status: 'Deleted', domain: 'QBO' } };
  }
  if (operation !== undefined && operation !== 'create') {
    throw unsupportedOperation(`Operation ${operation} is not supported for RecurringTransaction.`);
  }
  const info = recurInfo(engine, data);
  const { RecurringInfo: _info, ...rest } = withoutServerFields(data);
  const template = engine.preview(ENTITY_TYPES.get(entity)!, rest);
  const stored = engine.store(
    'RecurringTransaction',
    { TemplateType: entity, Template: { ...template, RecurringInfo: info } },
    undefined,
    'Create',
  );
  return { RecurringTransaction: wrapped(stored) };
}

/** `GET /recurringtransaction/{id}`. */
export function readRecurring(engine: Engine, id: string): QboObject {
  const row = engine.realm.row('RecurringTransaction', id);
  if (!row || row.deleted) throw objectNotFound();
  return { RecurringTransaction: wrapped(row.obj) };
}

/** Query rows as QuickBooks prints them. */
export function recurringRow(obj: QboObject): QboObject {
  return wrapped(obj);
}
