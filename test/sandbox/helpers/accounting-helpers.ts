/**
 * Helpers of the accounting tests: an accounting half with a clock the test moves, one seeded company, and a `call`
 * that runs a request the way the platform hands it over (path after /v3/company/{realmId}/, decoded query params).
 */
import type { AccountingApi, ChangeEvent } from '../../../src/sandbox/contracts';
import { createAccounting } from '../../../src/sandbox/accounting';

/** A clock the test controls. */
export class TestClock {
  constructor(public ms = Date.parse('2026-03-10T18:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** Loosely typed JSON for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
export type Json = any;

export interface DirectResult {
  status: number;
  body: Json;
}

export interface DirectCompany {
  accounting: AccountingApi;
  clock: TestClock;
  realmId: string;
  events: ChangeEvent[];
  call(method: 'GET' | 'POST', path: string, body?: unknown, query?: Record<string, string>): DirectResult;
  query(statement: string): DirectResult;
  /** A live object by entity and name property, from the admin listing. */
  find(entity: string, field: string, value: string): Json;
}

export function directCompany(): DirectCompany {
  const clock = new TestClock();
  const events: ChangeEvent[] = [];
  const accounting = createAccounting({ clock, onChange: (e) => events.push(e) });
  const realmId = accounting.createRealm({ companyName: 'Accounting Test Co' });
  const call = (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
  ): DirectResult => {
    // Round-trip through JSON: what goes over the wire, and proof that answers are plain JSON.
    const res = accounting.handle({ method, realmId, path, query: { minorversion: '75', ...query }, body });
    return { status: res.status, body: JSON.parse(JSON.stringify(res.body)) };
  };
  return {
    accounting,
    clock,
    realmId,
    events,
    call,
    query: (statement) => call('GET', 'query', undefined, { query: statement }),
    find: (entity, field, value) =>
      (accounting.adminEntities(realmId, entity) as Json[]).find(
        (o) => o[field] === value && o.status !== 'Deleted',
      ),
  };
}

/** The seed's items and customers the tests use most. */
export interface SeedIds {
  hours: string;
  pump: string;
  amy: string;
  bill: string;
}

export function seedIds(co: DirectCompany): SeedIds {
  return {
    hours: co.find('Item', 'Name', 'Hours').Id,
    pump: co.find('Item', 'Name', 'Pump').Id,
    amy: co.find('Customer', 'DisplayName', "Amy's Bird Sanctuary").Id,
    bill: co.find('Customer', 'DisplayName', "Bill's Windsurf Shop").Id,
  };
}

/** An invoice of `customerId` created through the API (it must be accepted). */
export function createInvoiceFor(
  co: DirectCompany,
  customerId: string,
  lines: Json[],
  extra: Json = {},
  query: Record<string, string> = {},
): Json {
  const res = co.call(
    'POST',
    'invoice',
    { CustomerRef: { value: customerId }, Line: lines, ...extra },
    query,
  );
  expect(res.status).toBe(200);
  return res.body.Invoice;
}

/** An item line as clients send it. */
export function itemLine(itemId: string, qty: number, unitPrice: number, extra: Json = {}): Json {
  return {
    Amount: Math.round(qty * unitPrice * 100) / 100,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: qty, UnitPrice: unitPrice, ...extra },
  };
}

/** The Error entry of a fault answer. */
export function faultOf(res: DirectResult | { body: Json }): Json {
  return res.body?.Fault?.Error?.[0];
}
