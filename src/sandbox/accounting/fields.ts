import { invalidValue, requiredParam, stringLength, unknownProperty } from './faults';
import { toDec, type Dec } from './money';
import type { QboObject } from './company/realm';

/** Readers for request bodies: they accept what QuickBooks' JSON reader accepts and raise its faults otherwise. */

export function isObject(value: unknown): value is QboObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string property (numbers are accepted and printed as strings, as Jackson does); `max` raises 2050. */
export function optString(
  input: QboObject,
  field: string,
  max?: number,
  element = field,
): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else throw invalidValue(element, v);
  if (max !== undefined && s.length > max) throw stringLength(element, max, s.length);
  return s;
}

export function reqString(input: QboObject, field: string, max?: number, element = field): string {
  const s = optString(input, field, max, element);
  if (s === undefined || s.trim() === '') throw requiredParam(field, element);
  return s;
}

export function optBool(input: QboObject, field: string, element = field): boolean | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidValue(element, v);
}

export function optDecimal(input: QboObject, field: string, element = field): Dec | undefined {
  const v = input[field];
  if (v === undefined || v === null || v === '') return undefined;
  const d = toDec(v);
  if (!d) throw invalidValue(element, v);
  return d;
}

export function optObject(input: QboObject, field: string, element = field): QboObject | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidValue(element, v);
  return v;
}

/** Refuses properties the entity does not have (2010), as QuickBooks' strict JSON reader does. */
export function checkFields(obj: QboObject, allowed: ReadonlySet<string>, className: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) throw unknownProperty(key, className);
  }
}

/** Server-maintained properties that a client may echo back but never sets. */
export const SERVER_FIELDS = ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status'] as const;

/** A shallow copy without the server-maintained envelope properties. */
export function withoutServerFields(obj: QboObject): QboObject {
  const out: QboObject = { ...obj };
  for (const f of SERVER_FIELDS) delete out[f];
  return out;
}

/**
 * A copy of a request body without empty-string values, at any depth: clients send `""` for optional fields they
 * leave unset (a form's default for an unset boolean, `"ApplyTaxAfterDiscount": ""`), and QuickBooks treats empty
 * values of optional fields as absent (issue 13, observed with third-party clients). An object emptied that way is
 * dropped too (`PrimaryEmailAddr: {Address: ""}`). Required fields still fail as missing (2020), not as invalid.
 */
export function withoutEmptyStrings(obj: QboObject): QboObject {
  const out: QboObject = {};
  for (const [key, value] of Object.entries(obj)) {
    const v = stripEmpty(value);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function stripEmpty(value: unknown): unknown {
  if (value === '') return undefined;
  if (Array.isArray(value)) return value.map((v) => (isObject(v) ? withoutEmptyStrings(v) : v));
  if (isObject(value)) {
    const inner = withoutEmptyStrings(value);
    return Object.keys(inner).length === 0 && Object.keys(value).length > 0 ? undefined : inner;
  }
  return value;
}

/** Top-level properties sent as `""` (a sparse update clears them). */
export function emptyStringKeys(obj: QboObject): string[] {
  return Object.keys(obj).filter((k) => obj[k] === '');
}
