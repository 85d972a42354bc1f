import { ENTITY_TYPES, UNMODELLED_ENTITIES } from '../entity-types';
import { queryValidation, queryValueTooLarge } from '../faults';
import { isObject } from '../fields';
import { canonicalEntity, parseQuery, type Condition, type Literal } from './query-parser';
import { normalizeName, type QboObject, type Realm } from '../company/realm';
import { recurringRow } from '../rules/recurring';
import { parseQbTime } from '../time';

export { canonicalEntity, parseQuery, queryEntity, type ParsedQuery } from './query-parser';

/** Runs parsed statements against a realm: filters, sort, paging, projections (the grammar is in query-parser.ts). */

const MAX_RESULTS_LIMIT = 1000;
// ---------------------------------------------------------------------------------------------------------------

/** Reads a dotted property, matching segments case-insensitively when needed; a reference yields its `value`. */
function valueAt(obj: QboObject, path: string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (!isObject(cur)) return undefined;
    let v = cur[seg];
    if (v === undefined) {
      const lower = seg.toLowerCase();
      for (const k of Object.keys(cur)) {
        if (k.toLowerCase() === lower) {
          v = cur[k];
          break;
        }
      }
    }
    cur = v;
  }
  if (isObject(cur) && 'value' in cur) return cur.value;
  return cur;
}

const DIGITS = /^-?\d{1,15}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parsed times of stored values: MetaData times repeat a lot and are compared on every row of a scan. */
const timeCache = new Map<string, number | undefined>();
function cachedTime(text: string): number | undefined {
  let ms = timeCache.get(text);
  if (ms === undefined && !timeCache.has(text)) {
    if (timeCache.size >= 100_000) timeCache.clear();
    ms = parseQbTime(text);
    timeCache.set(text, ms);
  }
  return ms;
}

/** A literal prepared once per query, so that each row costs one comparison. */
interface PreparedLiteral {
  num: number;
  bool: boolean;
  lower: string;
  digits: boolean;
  dateTime: boolean;
  ms: number | undefined;
}

function prepare(lit: Literal): PreparedLiteral {
  const text = String(lit);
  return {
    num: typeof lit === 'number' ? lit : text.trim() === '' ? NaN : Number(text),
    bool: typeof lit === 'boolean' ? lit : text.toLowerCase() === 'true',
    lower: text.toLowerCase(),
    digits: DIGITS.test(text),
    dateTime: DATE_TIME.test(text),
    ms: DATE.test(text) || DATE_TIME.test(text) ? parseQbTime(text) : undefined,
  };
}

/** Three-way comparison of a stored value with a prepared literal; NaN when incomparable. */
function compare(v: unknown, lit: PreparedLiteral): number {
  if (typeof v === 'number') return v - lit.num;
  if (typeof v === 'boolean') return v === lit.bool ? 0 : v ? 1 : -1;
  if (typeof v !== 'string') return NaN;
  if (lit.digits && DIGITS.test(v)) return Number(v) - lit.num;
  if (lit.ms !== undefined && (DATE_TIME.test(v) || (lit.dateTime && DATE.test(v)))) {
    const ms = cachedTime(v);
    if (ms !== undefined) return ms - lit.ms;
  }
  const a = v.toLowerCase();
  return a < lit.lower ? -1 : a > lit.lower ? 1 : 0;
}

type RowTest = (obj: QboObject) => boolean;

function compile(c: Condition): RowTest {
  const lits = c.values.map(prepare);
  const lit = lits[0];
  const isActive = c.path.length === 1 && c.path[0] === 'Active';
  const read = (obj: QboObject): unknown => {
    const v = valueAt(obj, c.path);
    // Name lists without an explicit Active are active.
    return v === undefined && isActive ? true : v;
  };
  switch (c.op) {
    case 'LIKE': {
      const re = c.like!;
      return (obj) => {
        const v = read(obj);
        return (
          (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && re.test(String(v))
        );
      };
    }
    case 'IN':
      return (obj) => {
        const v = read(obj);
        return v !== undefined && v !== null && lits.some((l) => compare(v, l) === 0);
      };
    case '=':
      return (obj) => compare(read(obj), lit) === 0;
    case '!=':
      // A missing value is not "different": QuickBooks filters on properties that have values.
      return (obj) => {
        const c = compare(read(obj), lit);
        return !Number.isNaN(c) && c !== 0;
      };
    case '<':
      return (obj) => compare(read(obj), lit) < 0;
    case '>':
      return (obj) => compare(read(obj), lit) > 0;
    case '<=':
      return (obj) => compare(read(obj), lit) <= 0;
    case '>=':
      return (obj) => compare(read(obj), lit) >= 0;
  }
}

/** Sort key of a value: numbers (and digit strings, and times) numerically, other strings case-insensitively. */
function sortKey(v: unknown): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return undefined;
  const s = v;
  if (DIGITS.test(s)) return Number(s);
  if (DATE_TIME.test(s)) {
    const ms = cachedTime(s);
    if (ms !== undefined) return ms;
  }
  return s.toLowerCase();
}

function compareKeys(a: number | string | undefined, b: number | string | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Puts the first segment of a property path in QuickBooks' spelling, or raises 4001 for an unknown property. */
function canonicalPath(
  path: string[],
  fields: ReadonlySet<string>,
  lowerFields: Map<string, string>,
): string[] {
  const first = fields.has(path[0]) ? path[0] : lowerFields.get(path[0].toLowerCase());
  if (first === undefined) throw queryValidation(`property '${path.join('.')}' is not queryable`);
  return [first, ...path.slice(1)];
}

const lowerFieldCache = new Map<string, Map<string, string>>();

function lowerFieldsOf(entity: string, fields: ReadonlySet<string>): Map<string, string> {
  let m = lowerFieldCache.get(entity);
  if (!m) {
    m = new Map([...fields].map((f) => [f.toLowerCase(), f]));
    lowerFieldCache.set(entity, m);
  }
  return m;
}

const PARTY = new Set(['Customer', 'Vendor', 'Employee']);

/**
 * Candidates from an index when a condition pins the result down (Id = / IN, DisplayName =, DocNumber =): the lookups
 * clients make most (find a customer by name, a transaction by DocNumber before re-posting) stay O(1) on big tables.
 * The candidates still go through every condition. Undefined when no index applies.
 */
function indexed(realm: Realm, entity: string, conditions: Condition[]): QboObject[] | undefined {
  for (const c of conditions) {
    if (c.path.length !== 1) continue;
    const field = c.path[0];
    let ids: Iterable<string> | undefined;
    if (field === 'Id' && (c.op === '=' || c.op === 'IN')) {
      ids = c.values.map(String);
    } else if (field === 'DisplayName' && c.op === '=' && PARTY.has(entity)) {
      const owner = realm.nameIndex.get('party')?.get(normalizeName(String(c.values[0])));
      ids = owner && owner.entity === entity ? [owner.id] : [];
    } else if (field === 'DocNumber' && c.op === '=') {
      const doc = String(c.values[0]);
      // The index is exact; = ignores case, so only doc numbers without letters can use it.
      if (doc.toLowerCase() !== doc.toUpperCase()) continue;
      ids = realm.docOwners(entity, doc) ?? [];
    }
    if (ids === undefined) continue;
    const out: QboObject[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const obj = realm.live(entity, id);
      if (obj && !seen.has(id)) {
        seen.add(id);
        out.push(obj);
      }
    }
    return out.sort((a, b) => Number(a.Id) - Number(b.Id));
  }
  return undefined;
}

/** Runs a statement against a realm and returns the `QueryResponse` object. */
export function runQuery(realm: Realm, statement: string): QboObject {
  const q = parseQuery(statement);
  if (q.maxResults > MAX_RESULTS_LIMIT) throw queryValueTooLarge(q.maxResults);

  let source: Iterable<QboObject>;
  const entity = canonicalEntity(q.entity);
  if (entity !== undefined) q.entity = entity;
  const type = ENTITY_TYPES.get(q.entity);
  if (type) {
    const lower = lowerFieldsOf(q.entity, type.fields);
    for (const c of q.conditions) c.path = canonicalPath(c.path, type.fields, lower);
    for (const o of q.orderBy) o.path = canonicalPath(o.path, type.fields, lower);
    if (q.select) q.select = q.select.map((p) => canonicalPath(p, type.fields, lower));
    source = indexed(realm, q.entity, q.conditions) ?? liveObjects(realm, q.entity);
  } else if (q.entity === 'CompanyInfo' || q.entity === 'Preferences') {
    source = [q.entity === 'CompanyInfo' ? realm.companyInfo : realm.preferences];
  } else if (q.entity === 'ExchangeRate' || q.entity === 'RecurringTransaction') {
    source = liveObjects(realm, q.entity);
  } else if (UNMODELLED_ENTITIES.has(q.entity)) {
    source = [];
  } else {
    throw queryValidation(`Entity ${q.entity} is not supported.`);
  }
  const conditions = [...q.conditions];
  if (type?.kind === 'name' && !conditions.some((c) => c.path.length === 1 && c.path[0] === 'Active')) {
    conditions.push({ path: ['Active'], op: '=', values: [true] });
  }
  const tests = conditions.map(compile);
  const test = (obj: QboObject): boolean => {
    for (const t of tests) if (!t(obj)) return false;
    return true;
  };
  const skip = q.startPosition - 1;

  if (q.count) {
    let total = 0;
    for (const obj of source) if (test(obj)) total++;
    return { totalCount: total };
  }

  let page: QboObject[];
  if (q.orderBy.length === 0) {
    // Without ORDERBY, stop as soon as the page is full: paging through a large table stays cheap.
    page = [];
    let seen = 0;
    for (const obj of source) {
      if (page.length >= q.maxResults) break;
      if (!test(obj)) continue;
      if (seen++ >= skip) page.push(obj);
    }
  } else {
    // Keys computed once per row, not once per comparison.
    const keyed: Array<{ obj: QboObject; keys: Array<number | string | undefined> }> = [];
    for (const obj of source) {
      if (test(obj)) keyed.push({ obj, keys: q.orderBy.map((o) => sortKey(valueAt(obj, o.path))) });
    }
    const desc = q.orderBy.map((o) => o.desc);
    keyed.sort((a, b) => {
      for (let i = 0; i < desc.length; i++) {
        const ka = a.keys[i];
        const kb = b.keys[i];
        let c = compareKeys(ka, kb);
        // Missing values sort last either way.
        if (desc[i] && ka !== undefined && kb !== undefined) c = -c;
        if (c !== 0) return c;
      }
      return 0;
    });
    page = keyed.slice(skip, skip + q.maxResults).map((k) => k.obj);
  }
  if (page.length === 0) return {};
  let rows = q.select ? page.map((obj) => project(obj, q.select!)) : page;
  if (q.entity === 'RecurringTransaction') rows = rows.map(recurringRow);
  return { [q.entity]: rows, startPosition: q.startPosition, maxResults: page.length };
}

/** A projection: the named top-level properties that have values, plus Id, SyncToken and MetaData. */
function project(obj: QboObject, select: string[][]): QboObject {
  const out: QboObject = {};
  for (const key of ['domain', 'sparse', 'Id', 'SyncToken', 'MetaData']) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  for (const path of select) {
    const key = path[0];
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return out;
}

function* liveObjects(realm: Realm, entity: string): Iterable<QboObject> {
  const t = realm.tables.get(entity);
  if (!t) return;
  for (const row of t.values()) if (!row.deleted) yield row.obj;
}
