/**
 * TimeActivity, TaxAgency and Attachable (Intuit API reference of each):
 * - TimeActivity: NameOf Employee | Vendor with the matching EmployeeRef / VendorRef required, and a duration (Hours
 *   and/or Minutes, or StartTime and EndTime); Billable time needs a CustomerRef. TxnDate defaults to today.
 * - TaxAgency: DisplayName required and unique among tax agencies (6240); TaxTrackedOnSales true and
 *   TaxTrackedOnPurchases false unless given.
 * - Attachable: a note or a file's metadata; FileName or Note required; each AttachableRef.EntityRef must name an
 *   existing object (2500). Files arrive through `POST /upload` (multipart, see attachments.ts).
 */
import { resolveRef, setRef, type RuleContext } from '../context';
import { ENTITY_TYPES } from '../entity-types';
import {
  businessValidation,
  duplicateName,
  invalidEnumeration,
  invalidReference,
  invalidValue,
  requiredParam,
} from '../faults';
import { isObject, optBool, optDecimal, optString, reqString } from '../fields';
import { num } from '../money';
import { normalizeName, type QboObject } from '../company/realm';
import { optDate, type TxnBuilder } from './sales';

const buildTimeActivity: TxnBuilder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const nameOf = optString(input, 'NameOf');
  if (nameOf === undefined) throw requiredParam('NameOf');
  if (nameOf !== 'Employee' && nameOf !== 'Vendor') throw invalidEnumeration('NameOf', nameOf);
  const personField = nameOf === 'Employee' ? 'EmployeeRef' : 'VendorRef';
  const person = resolveRef(ctx, nameOf, input[personField], personField, true)!;
  out[personField] = person.ref;
  delete out[nameOf === 'Employee' ? 'VendorRef' : 'EmployeeRef'];
  out.TxnDate = optDate(input, 'TxnDate') ?? (typeof prev?.TxnDate === 'string' ? prev.TxnDate : ctx.today);
  const customer = setRef(ctx, out, 'CustomerRef', 'Customer');
  setRef(ctx, out, 'ItemRef', 'Item');
  setRef(ctx, out, 'ClassRef', 'Class');
  setRef(ctx, out, 'DepartmentRef', 'Department');
  const status = optString(input, 'BillableStatus') ?? 'NotBillable';
  if (!['Billable', 'NotBillable', 'HasBeenBilled'].includes(status))
    throw invalidEnumeration('BillableStatus', status);
  if (status === 'Billable' && !customer) throw requiredParam('CustomerRef');
  out.BillableStatus = status;
  out.Taxable = optBool(input, 'Taxable') ?? false;
  const hours = optDecimal(input, 'Hours');
  const minutes = optDecimal(input, 'Minutes');
  const start = optString(input, 'StartTime');
  const end = optString(input, 'EndTime');
  if (hours === undefined && minutes === undefined) {
    if (start === undefined || end === undefined) throw requiredParam('Hours');
    const ms = Date.parse(end) - Date.parse(start);
    if (!Number.isFinite(ms) || ms <= 0)
      throw businessValidation('EndTime must be after StartTime.', 'EndTime');
    const total = Math.round(ms / 60_000);
    out.Hours = Math.floor(total / 60);
    out.Minutes = total % 60;
  } else {
    out.Hours = hours === undefined ? 0 : num(hours);
    out.Minutes = minutes === undefined ? 0 : num(minutes);
  }
  for (const f of ['HourlyRate', 'CostRate', 'BreakHours', 'BreakMinutes']) {
    const d = optDecimal(input, f);
    if (d !== undefined) out[f] = num(d);
  }
  optString(input, 'Description', 4000);
  return out;
};

/** Builders of the other transactions. */
type Builder = (ctx: RuleContext, input: QboObject, prev: QboObject | undefined) => QboObject;

const buildTaxAgency: Builder = (ctx, input, prev) => {
  const out: QboObject = { ...input };
  const name = reqString(input, 'DisplayName', 100).trim();
  out.DisplayName = name;
  for (const row of ctx.realm.table('TaxAgency').values()) {
    const other = row.obj;
    if (!row.deleted && other.Id !== prev?.Id && typeof other.DisplayName === 'string') {
      if (normalizeName(other.DisplayName) === normalizeName(name)) throw duplicateName(other.Id as string);
    }
  }
  out.TaxTrackedOnSales = optBool(input, 'TaxTrackedOnSales') ?? true;
  out.TaxTrackedOnPurchases = optBool(input, 'TaxTrackedOnPurchases') ?? false;
  out.Active = optBool(input, 'Active') ?? true;
  return out;
};

/** Attachable metadata (the file itself, when there is one, is stored by attachments.ts). */
export const buildAttachable: Builder = (ctx, input) => {
  const out: QboObject = { ...input };
  const fileName = optString(input, 'FileName', 1000);
  const note = optString(input, 'Note', 2000);
  if (fileName === undefined && note === undefined) throw requiredParam('FileName');
  const refs = input.AttachableRef;
  if (refs !== undefined) {
    if (!Array.isArray(refs)) throw invalidValue('AttachableRef', refs);
    out.AttachableRef = refs.map((r: unknown) => {
      if (!isObject(r) || !isObject(r.EntityRef)) throw requiredParam('EntityRef', 'AttachableRef.EntityRef');
      const type = optString(r.EntityRef, 'type', undefined, 'AttachableRef.EntityRef.type');
      const entity = type === undefined ? undefined : ENTITY_TYPES.get(type);
      if (!entity) throw invalidReference('AttachableRef.EntityRef');
      const target = resolveRef(ctx, entity.name, r.EntityRef, 'AttachableRef.EntityRef', true)!;
      return {
        ...r,
        EntityRef: { type: entity.name, value: target.ref.value },
        IncludeOnSend: optBool(r, 'IncludeOnSend', 'AttachableRef.IncludeOnSend') ?? false,
      };
    });
  }
  const size = optDecimal(input, 'Size');
  if (size !== undefined) out.Size = num(size);
  return out;
};

/** Builders of the name-list-like entities added here. */
export const OTHER_NAME_BUILDERS: Readonly<Record<string, Builder>> = {
  TaxAgency: buildTaxAgency,
};

/** Builders of the other transaction-like entities (ids from the transaction sequence; deletable). */
export const OTHER_TXN_BUILDERS: Readonly<Record<string, TxnBuilder>> = {
  TimeActivity: buildTimeActivity,
  Attachable: buildAttachable,
};
