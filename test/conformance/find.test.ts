/**
 * Every find* form of node-quickbooks against the emulator: no criteria, object criteria (=, IN from arrays), array
 * criteria with operators (=, <, >, <=, >=, LIKE, IN), count, limit/offset, fetchAll, asc/desc, and raw strings.
 * node-quickbooks writes entity names in lowercase (`select * from customer`) and reads the canonical key back.
 */
import { findMethod, startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;

beforeAll(async () => {
  c = await startConformance();
  // Enough customers for paging: 12 with a common prefix.
  for (let i = 1; i <= 12; i++) {
    await c.qb('createCustomer', {
      DisplayName: `Paging Customer ${String(i).padStart(2, '0')}`,
      CompanyName: i % 2 === 0 ? 'Even Co' : 'Odd Co',
    });
  }
});

afterAll(async () => {
  await c.close();
});

const list = (data: Json, entity: string): Json[] => data.QueryResponse[entity] ?? [];

describe('find* with node-quickbooks', () => {
  it.each([
    ['Customer'],
    ['Vendor'],
    ['Employee'],
    ['Item'],
    ['Account'],
    ['Term'],
    ['Class'],
    ['Department'],
    ['PaymentMethod'],
    ['TaxCode'],
    ['TaxRate'],
  ])('lists %s with no criteria (lowercase entity name, canonical answer key)', async (entity) => {
    const data = await c.qb(findMethod(entity));
    expect(list(data, entity).length).toBeGreaterThan(0);
    expect(data.QueryResponse.startPosition).toBe(1);
  });

  it('answers find calls for entities a new company has none of with an empty QueryResponse', async () => {
    for (const entity of ['JournalEntry', 'VendorCredit', 'Budget']) {
      const data = await c.qb(findMethod(entity));
      expect(data.QueryResponse).toEqual({});
    }
  });

  it('reads CompanyInfo and Preferences through find', async () => {
    const info = await c.qb('findCompanyInfos');
    expect(info.QueryResponse.CompanyInfo[0].CompanyName).toBeTruthy();
    const prefs = await c.qb('findPreferenceses');
    expect(prefs.QueryResponse.Preferences[0].SalesFormsPrefs).toBeDefined();
  });

  it('filters with object criteria (= and IN from an array value)', async () => {
    const one = await c.qb('findCustomers', { DisplayName: 'Paging Customer 03' });
    expect(list(one, 'Customer').map((x) => x.DisplayName)).toEqual(['Paging Customer 03']);
    const some = await c.qb('findCustomers', {
      DisplayName: ['Paging Customer 01', 'Paging Customer 02', "Amy's Bird Sanctuary"],
    });
    expect(list(some, 'Customer')).toHaveLength(3);
    const two = await c.qb('findCustomers', { CompanyName: 'Even Co', DisplayName: 'Paging Customer 04' });
    expect(list(two, 'Customer')).toHaveLength(1);
  });

  it('filters with array criteria and every operator node-quickbooks offers', async () => {
    const like = await c.qb('findCustomers', [
      { field: 'DisplayName', value: 'Paging Customer 1%', operator: 'LIKE' },
    ]);
    expect(list(like, 'Customer').map((x) => x.DisplayName)).toEqual([
      'Paging Customer 10',
      'Paging Customer 11',
      'Paging Customer 12',
    ]);
    const inList = await c.qb('findCustomers', [
      { field: 'DisplayName', value: ['Paging Customer 05', 'Paging Customer 06'], operator: 'IN' },
    ]);
    expect(list(inList, 'Customer')).toHaveLength(2);
    const items = await c.qb('findItems', [{ field: 'UnitPrice', value: '50', operator: '>=' }]);
    expect(list(items, 'Item').every((i) => i.UnitPrice >= 50)).toBe(true);
    const cheap = await c.qb('findItems', [{ field: 'UnitPrice', value: 50, operator: '<' }]);
    expect(list(cheap, 'Item').every((i) => i.UnitPrice < 50)).toBe(true);
    const gt = await c.qb('findItems', [{ field: 'UnitPrice', value: 50, operator: '>' }]);
    const le = await c.qb('findItems', [{ field: 'UnitPrice', value: 50, operator: '<=' }]);
    expect(list(gt, 'Item').length + list(le, 'Item').length).toBe(
      list(await c.qb('findItems'), 'Item').length,
    );
    const eq = await c.qb('findItems', [{ field: 'Name', value: 'Hours', operator: '=' }]);
    expect(list(eq, 'Item')[0].UnitPrice).toBe(50);
  });

  it('counts', async () => {
    const all = await c.qb('findCustomers', { count: true });
    expect(all.QueryResponse.totalCount).toBeGreaterThanOrEqual(16);
    const even = await c.qb('findCustomers', [{ count: true }, { field: 'CompanyName', value: 'Even Co' }]);
    expect(even.QueryResponse.totalCount).toBe(6);
  });

  it('pages with limit/offset and sorts with asc/desc', async () => {
    const page = await c.qb('findCustomers', [
      { field: 'DisplayName', value: 'Paging Customer%', operator: 'LIKE' },
      { field: 'asc', value: 'DisplayName' },
      { field: 'limit', value: 5 },
      { field: 'offset', value: 6 },
    ]);
    expect(list(page, 'Customer').map((x) => x.DisplayName)).toEqual([
      'Paging Customer 06',
      'Paging Customer 07',
      'Paging Customer 08',
      'Paging Customer 09',
      'Paging Customer 10',
    ]);
    const desc = await c.qb('findCustomers', { desc: 'DisplayName', limit: 2, CompanyName: 'Odd Co' });
    expect(list(desc, 'Customer').map((x) => x.DisplayName)).toEqual([
      'Paging Customer 11',
      'Paging Customer 09',
    ]);
  });

  it('fetches every page with fetchAll', async () => {
    const all = await c.qb('findCustomers', [
      { field: 'DisplayName', value: 'Paging Customer%', operator: 'LIKE' },
      { field: 'fetchAll', value: true },
      { field: 'limit', value: 5 },
    ]);
    expect(list(all, 'Customer')).toHaveLength(12);
    expect(all.QueryResponse.maxResults).toBe(12);
    const obj = await c.qb('findCustomers', { fetchAll: true, limit: 4, CompanyName: 'Odd Co' });
    expect(list(obj, 'Customer')).toHaveLength(6);
  });

  it('passes a raw criteria string through', async () => {
    const data = await c.qb('findCustomers', "where DisplayName LIKE '%Customer 0%' maxresults 3");
    expect(list(data, 'Customer')).toHaveLength(3);
  });

  it('escapes quotes in values as QuickBooks expects', async () => {
    const data = await c.qb('findCustomers', { DisplayName: "Amy's Bird Sanctuary" });
    expect(list(data, 'Customer')).toHaveLength(1);
  });
});
