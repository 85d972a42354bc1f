import { asList, objectOf, textOf, type XmlObject } from './xml';

/** Whether a time (ISO text) lies within a query's From/To bounds (either may be absent). */
export function inRange(value: string, from: unknown, to: unknown): boolean {
  const time = Date.parse(value);
  if (typeof from === 'string' && time < Date.parse(from)) return false;
  if (typeof to === 'string' && time > Date.parse(to)) return false;
  return true;
}

/** The filters of a list query that names no ListID or FullName. */
export function matchesListFilters(ret: XmlObject, c: XmlObject): boolean {
  const active = textOf(c, 'ActiveStatus') ?? 'ActiveOnly';
  if (active === 'ActiveOnly' && ret.IsActive === 'false') return false;
  if (active === 'InactiveOnly' && ret.IsActive !== 'false') return false;
  const from = textOf(c, 'FromModifiedDate');
  if (from && Date.parse(ret.TimeModified as string) < Date.parse(from)) return false;
  const name = (textOf(ret, 'FullName') ?? '').toLowerCase();
  const filter = objectOf(c, 'NameFilter');
  if (filter) {
    const wanted = (textOf(filter, 'Name') ?? '').toLowerCase();
    const how = textOf(filter, 'MatchCriterion');
    if (how === 'StartsWith' && !name.startsWith(wanted)) return false;
    if (how === 'Contains' && !name.includes(wanted)) return false;
    if (how === 'EndsWith' && !name.endsWith(wanted)) return false;
  }
  const range = objectOf(c, 'NameRangeFilter');
  if (range) {
    const fromName = textOf(range, 'FromName')?.toLowerCase();
    const toName = textOf(range, 'ToName')?.toLowerCase();
    if (fromName && name < fromName) return false;
    if (toName && name > toName) return false;
  }
  const types = asList(c.AccountType as string | string[] | undefined);
  if (types.length && !types.includes(ret.AccountType as string)) return false;
  return true;
}
