/**
 * CustomerMod and Item…Mod as QuickBooks Desktop answers them: the object by ListID (3120), the current EditSequence
 * (3200 "out-of-date" otherwise), a unique name (3100); the elements given replace the object's, SalesOrPurchaseMod /
 * SalesAndPurchaseMod merge into SalesOrPurchase / SalesAndPurchase.
 */
import Decimal from 'decimal.js';
import { NAME_LIMITS, type DesktopCompany, type ListKind } from './company';
import * as S from './status';
import { textOf, type XmlObject } from './xml';

const money = (value: string): string => new Decimal(value).toFixed(2);

export function listMod(
  company: DesktopCompany,
  kind: ListKind,
  mod: XmlObject | undefined,
): { status: S.Status; body?: XmlObject } {
  if (!mod) return { status: S.missingElement(`${kind}Mod`) };
  const listId = textOf(mod, 'ListID');
  const editSequence = textOf(mod, 'EditSequence');
  if (!listId) return { status: S.missingElement('ListID') };
  if (!editSequence) return { status: S.missingElement('EditSequence') };
  const found = company.findList([kind], { ListID: listId });
  if (!found) return { status: S.notFound(listId) };
  if (found.ret.EditSequence !== editSequence) return { status: S.staleEditSequence(editSequence) };
  const name = textOf(mod, 'Name');
  if (name !== undefined) {
    if (name.length > NAME_LIMITS[kind]!) return { status: S.tooLong(name, 'name') };
    const holder = company.nameHolder(kind, name);
    if (holder && holder.ret.ListID !== listId) return { status: S.nameInUse(name) };
  }
  const patch: XmlObject = {};
  for (const [key, value] of Object.entries(mod)) {
    if (key === 'ListID' || key === 'EditSequence' || value === undefined) continue;
    if (key === 'SalesOrPurchaseMod' || key === 'SalesAndPurchaseMod') {
      const target = key.replace(/Mod$/, '');
      const merged: XmlObject = { ...((found.ret[target] as XmlObject | undefined) ?? {}) };
      for (const [k, v] of Object.entries(value as XmlObject))
        merged[k] = k.endsWith('Price') && typeof v === 'string' ? money(v) : v;
      patch[target] = merged;
    } else patch[key] = key === 'SalesPrice' && typeof value === 'string' ? money(value) : value;
  }
  return { status: S.OK, body: { [`${kind}Ret`]: company.modifyList(kind, listId, patch) } };
}
