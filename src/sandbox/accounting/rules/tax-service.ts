/**
 * `POST /taxservice/taxcode` (Intuit API reference, TaxService; node-quickbooks' createTaxService): creates a TaxCode
 * and, for each `TaxRateDetails` entry without a `TaxRateId`, a TaxRate (`TaxRateName`, `RateValue`, `TaxAgencyId`
 * of an existing TaxAgency, `TaxApplicableOn` Sales | Purchase). The answer echoes the request with `TaxCodeId` and
 * each `TaxRateId`. TaxCode and TaxRate cannot be created any other way (their own endpoints are read-only).
 */
import type { Engine } from '../engine';
import { ENTITY_TYPES } from '../entity-types';
import {
  duplicateName,
  invalidEnumeration,
  invalidReference,
  malformedRequest,
  requiredParam,
} from '../faults';
import { isObject, optDecimal, optString, reqString } from '../fields';
import { num } from '../money';
import { normalizeName, type QboObject } from '../company/realm';

export function createTaxCode(engine: Engine, body: unknown): QboObject {
  if (!isObject(body)) throw malformedRequest('The request body is not a TaxService JSON object.');
  const name = reqString(body, 'TaxCode', 100).trim();
  const owner = engine.realm.nameIndex.get('TaxCode')?.get(normalizeName(name));
  if (owner) throw duplicateName(owner.id);
  const details = body.TaxRateDetails;
  if (!Array.isArray(details) || details.length === 0) throw requiredParam('TaxRateDetails');
  const sales: QboObject[] = [];
  const purchase: QboObject[] = [];
  const answered: QboObject[] = [];
  // Validate everything before creating anything, so a refused request writes nothing.
  const planned = details.map((raw: unknown, i) => {
    if (!isObject(raw)) throw requiredParam('TaxRateDetails');
    const on = optString(raw, 'TaxApplicableOn') ?? 'Sales';
    if (on !== 'Sales' && on !== 'Purchase') throw invalidEnumeration('TaxRateDetails.TaxApplicableOn', on);
    const rateId = optString(raw, 'TaxRateId');
    if (rateId !== undefined) {
      const rate = engine.realm.live('TaxRate', rateId);
      if (!rate) throw invalidReference('TaxRateDetails.TaxRateId');
      return { raw, on, rate, order: i };
    }
    const rateName = reqString(raw, 'TaxRateName', 100, 'TaxRateDetails.TaxRateName').trim();
    if (engine.realm.nameIndex.get('TaxRate')?.get(normalizeName(rateName))) {
      throw duplicateName(engine.realm.nameIndex.get('TaxRate')!.get(normalizeName(rateName))!.id);
    }
    const value = optDecimal(raw, 'RateValue', 'TaxRateDetails.RateValue');
    if (value === undefined) throw requiredParam('RateValue', 'TaxRateDetails.RateValue');
    const agencyId = optString(raw, 'TaxAgencyId');
    if (agencyId === undefined) throw requiredParam('TaxAgencyId', 'TaxRateDetails.TaxAgencyId');
    if (!engine.realm.live('TaxAgency', agencyId)) throw invalidReference('TaxRateDetails.TaxAgencyId');
    return { raw, on, rateName, value: num(value), agencyId, order: i };
  });
  for (const p of planned) {
    const rate =
      'rate' in p && p.rate
        ? p.rate
        : engine.insert(ENTITY_TYPES.get('TaxRate')!, {
            Name: p.rateName,
            Description: p.rateName,
            Active: true,
            RateValue: p.value,
            AgencyRef: { value: p.agencyId },
            SpecialTaxType: 'NONE',
            DisplayType: 'ReadOnly',
            EffectiveTaxRate: [{ RateValue: p.value, EffectiveDate: `${engine.today}T00:00:00Z` }],
          });
    const detail = {
      TaxRateRef: { value: rate.Id, name: rate.Name },
      TaxTypeApplicable: 'TaxOnAmount',
      TaxOrder: p.order,
    };
    (p.on === 'Sales' ? sales : purchase).push(detail);
    answered.push({
      TaxRateName: rate.Name,
      TaxRateId: rate.Id,
      RateValue: rate.RateValue,
      TaxAgencyId: isObject(rate.AgencyRef) ? rate.AgencyRef.value : undefined,
      TaxApplicableOn: p.on,
    });
  }
  const code = engine.insert(ENTITY_TYPES.get('TaxCode')!, {
    Name: name,
    Description: name,
    Active: true,
    Hidden: false,
    Taxable: true,
    TaxGroup: true,
    SalesTaxRateList: { TaxRateDetail: sales },
    PurchaseTaxRateList: { TaxRateDetail: purchase },
  });
  return { TaxCode: name, TaxCodeId: code.Id, TaxRateDetails: answered };
}
