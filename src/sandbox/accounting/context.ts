import type { ChangeOperation } from '../contracts';
import { invalidReference, invalidValue, objectNotFound, requiredParam } from './faults';
import { isObject } from './fields';
import type { QboObject, Realm } from './company/realm';

/** What entity rules need while building one object: the realm and the request's instant. */
export interface RuleContext {
  readonly realm: Realm;
  /** Epoch ms of the request, from the emulator's clock. */
  readonly nowMs: number;
  /** The company's date today (`YYYY-MM-DD`), the default TxnDate. */
  readonly today: string;
}

/** Emits one committed change; the request layer adds the realm id. */
export type ChangeSink = (change: {
  entity: string;
  id: string;
  operation: ChangeOperation;
  lastUpdated: string;
  deletedId?: string;
}) => void;

/** A reference as QuickBooks prints it. */
export interface Ref {
  value: string;
  name?: string;
}

/** The id inside a `{value, name}` reference, or undefined when the property is absent. */
export function refId(v: unknown, element: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidValue(element, v);
  const value = v.value;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw invalidValue(`${element}.value`, value);
  return String(value);
}

/** The display name QuickBooks puts on references to an entity. */
export function displayNameOf(obj: QboObject): string | undefined {
  const n = obj.FullyQualifiedName ?? obj.DisplayName ?? obj.Name;
  return typeof n === 'string' ? n : undefined;
}

/**
 * Resolves a reference to a live entity: a missing id is 2500 (Invalid Reference Id, with the element path), an
 * inactive name-list entity is 610 ("...has been made inactive..."), as QuickBooks answers. Returns the normalized
 * reference with `name` and the referenced object.
 */
export function resolveRef(
  ctx: RuleContext,
  entity: string,
  v: unknown,
  element: string,
  required = false,
): { ref: Ref; obj: QboObject } | undefined {
  const id = refId(v, element);
  if (id === undefined) {
    if (required) throw requiredParam(element);
    return undefined;
  }
  const row = ctx.realm.row(entity, id);
  if (!row || row.deleted) throw invalidReference(element);
  if (row.obj.Active === false) throw objectNotFound(element);
  const name = displayNameOf(row.obj);
  return { ref: name === undefined ? { value: id } : { value: id, name }, obj: row.obj };
}

/** Resolves an optional reference and writes the normalized form into `out` (or removes it when absent). */
export function setRef(
  ctx: RuleContext,
  out: QboObject,
  field: string,
  entity: string,
  element = field,
): QboObject | undefined {
  const r = resolveRef(ctx, entity, out[field], element);
  if (r) out[field] = r.ref;
  else delete out[field];
  return r?.obj;
}

/** The company's home currency reference, the default CurrencyRef. */
export const USD: Ref = { value: 'USD', name: 'United States Dollar' };
