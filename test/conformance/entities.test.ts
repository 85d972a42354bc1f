/**
 * Create, read, sparse and full update, and delete/void/inactivate for every entity node-quickbooks exposes that the
 * emulator has, through node-quickbooks' own methods (createX, getX, updateX, deleteX, voidX). Table-driven: each
 * entity is a create body, a sparse change, and how QuickBooks retires it.
 */
import { itemLine, startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;
const ids: Record<string, string> = {};
let serial = 0;
const unique = (prefix: string): string => `${prefix} ${++serial}`;

beforeAll(async () => {
  c = await startConformance();
  ids.amy = (await c.seeded('Customer', 'DisplayName', "Amy's Bird Sanctuary")).Id;
  ids.hours = (await c.seeded('Item', 'Name', 'Hours')).Id;
  ids.checking = (await c.seeded('Account', 'Name', 'Checking')).Id;
  ids.services = (await c.seeded('Account', 'Name', 'Services')).Id;
  ids.cogs = (await c.seeded('Account', 'Name', 'Cost of Goods Sold')).Id;
  ids.vendor = (await c.seeded('Vendor', 'DisplayName', 'Acme Supplies')).Id;
  ids.mastercard = (await c.seeded('Account', 'Name', 'Mastercard')).Id;
  ids.savings = (await c.seeded('Account', 'Name', 'Savings')).Id;
  ids.office = (await c.seeded('Account', 'Name', 'Office Expenses')).Id;
  ids.employee = (await c.seeded('Employee', 'DisplayName', 'Emily Platt')).Id;
});

afterAll(async () => {
  await c.close();
});

interface Case {
  entity: string;
  create: () => Json;
  /** A sparse change and a check of the answer. */
  change: Json;
  retire: 'inactive' | 'delete' | 'void-and-delete' | 'none';
}

const sale = (): Json => ({
  CustomerRef: { value: ids.amy },
  Line: [itemLine(ids.hours, 2, 50)],
});

const CASES: Case[] = [
  {
    entity: 'Customer',
    create: () => ({ DisplayName: unique('Conformance Customer') }),
    change: { Notes: 'vip' },
    retire: 'inactive',
  },
  {
    entity: 'Vendor',
    create: () => ({ DisplayName: unique('Conformance Vendor') }),
    change: { AcctNum: 'V-1' },
    retire: 'inactive',
  },
  {
    entity: 'Employee',
    create: () => ({ GivenName: 'Conf', FamilyName: unique('Employee') }),
    change: { EmployeeNumber: 'E7' },
    retire: 'inactive',
  },
  {
    entity: 'Item',
    create: () => ({
      Name: unique('Conformance Item'),
      Type: 'Service',
      IncomeAccountRef: { value: ids.services },
    }),
    change: { UnitPrice: 12.5 },
    retire: 'inactive',
  },
  {
    entity: 'Account',
    create: () => ({ Name: unique('Conformance Expense'), AccountType: 'Expense' }),
    change: { Description: 'spent' },
    retire: 'inactive',
  },
  {
    entity: 'Term',
    create: () => ({ Name: unique('Net').slice(0, 30), DueDays: 45 }),
    change: { DueDays: 40 },
    retire: 'inactive',
  },
  {
    entity: 'Class',
    create: () => ({ Name: unique('Conformance Class') }),
    change: { Name: unique('Renamed Class') },
    retire: 'inactive',
  },
  {
    entity: 'Department',
    create: () => ({ Name: unique('Conformance Location') }),
    change: { Name: unique('Renamed Location') },
    retire: 'inactive',
  },
  {
    entity: 'PaymentMethod',
    create: () => ({ Name: unique('Coupon').slice(0, 30) }),
    change: { Type: 'CREDIT_CARD' },
    retire: 'inactive',
  },
  { entity: 'Invoice', create: sale, change: { PrivateNote: 'changed' }, retire: 'void-and-delete' },
  { entity: 'SalesReceipt', create: sale, change: { PrivateNote: 'changed' }, retire: 'void-and-delete' },
  { entity: 'CreditMemo', create: sale, change: { PrivateNote: 'changed' }, retire: 'delete' },
  {
    entity: 'RefundReceipt',
    create: () => ({ ...sale(), DepositToAccountRef: { value: ids.checking } }),
    change: { PrivateNote: 'changed' },
    retire: 'delete',
  },
  {
    entity: 'Payment',
    create: () => ({ CustomerRef: { value: ids.amy }, TotalAmt: 25 }),
    change: { PaymentRefNum: 'CHK-9' },
    retire: 'void-and-delete',
  },
  { entity: 'Estimate', create: sale, change: { TxnStatus: 'Accepted' }, retire: 'delete' },
  {
    entity: 'Bill',
    create: () => ({ VendorRef: { value: ids.vendor }, Line: [expenseLine(ids.office, 120)] }),
    change: { PrivateNote: 'changed' },
    retire: 'delete',
  },
  {
    entity: 'Purchase',
    create: () => ({
      PaymentType: 'CreditCard',
      AccountRef: { value: ids.mastercard },
      EntityRef: { value: ids.vendor, type: 'Vendor' },
      Line: [expenseLine(ids.office, 45.5)],
    }),
    change: { PrivateNote: 'changed' },
    retire: 'void-and-delete',
  },
  {
    entity: 'PurchaseOrder',
    create: () => ({
      VendorRef: { value: ids.vendor },
      Line: [
        {
          Amount: 20,
          DetailType: 'ItemBasedExpenseLineDetail',
          ItemBasedExpenseLineDetail: { ItemRef: { value: ids.hours }, Qty: 2, UnitPrice: 10 },
        },
      ],
    }),
    change: { Memo: 'rush' },
    retire: 'delete',
  },
  {
    entity: 'VendorCredit',
    create: () => ({ VendorRef: { value: ids.vendor }, Line: [expenseLine(ids.office, 10)] }),
    change: { PrivateNote: 'changed' },
    retire: 'delete',
  },
  {
    entity: 'Deposit',
    create: () => ({
      DepositToAccountRef: { value: ids.checking },
      Line: [
        {
          Amount: 300,
          DetailType: 'DepositLineDetail',
          DepositLineDetail: { AccountRef: { value: ids.services } },
        },
      ],
    }),
    change: { PrivateNote: 'changed' },
    retire: 'delete',
  },
  {
    entity: 'Transfer',
    create: () => ({
      FromAccountRef: { value: ids.checking },
      ToAccountRef: { value: ids.savings },
      Amount: 75,
    }),
    change: { PrivateNote: 'changed' },
    retire: 'delete',
  },
  {
    entity: 'TimeActivity',
    create: () => ({
      NameOf: 'Employee',
      EmployeeRef: { value: ids.employee },
      CustomerRef: { value: ids.amy },
      ItemRef: { value: ids.hours },
      BillableStatus: 'Billable',
      HourlyRate: 50,
      Hours: 2,
      Minutes: 30,
    }),
    change: { Description: 'site visit' },
    retire: 'delete',
  },
  {
    entity: 'TaxAgency',
    create: () => ({ DisplayName: unique('Conformance Tax Agency') }),
    change: {},
    retire: 'none',
  },
  {
    entity: 'Attachable',
    create: () => ({
      Note: 'A note about Amy',
      AttachableRef: [{ EntityRef: { type: 'Customer', value: ids.amy } }],
    }),
    change: { Note: 'An edited note' },
    retire: 'delete',
  },
];

/** An expense line on an account. */
function expenseLine(accountId: string, amount: number): Json {
  return {
    Amount: amount,
    DetailType: 'AccountBasedExpenseLineDetail',
    AccountBasedExpenseLineDetail: { AccountRef: { value: accountId } },
  };
}

describe('entities through node-quickbooks', () => {
  it.each(CASES.map((k) => [k.entity, k] as const))(
    '%s: create, read, sparse and full update, retire',
    async (entity, k) => {
      const created = await c.qb(`create${entity}`, k.create());
      expect(created.Id).toBeTruthy();
      expect(created.SyncToken).toBe('0');
      const read = await c.qb(`get${entity}`, created.Id);
      expect(read.Id).toBe(created.Id);

      // node-quickbooks' update is sparse unless told otherwise.
      const sparse = await c.qb(`update${entity}`, {
        Id: created.Id,
        SyncToken: read.SyncToken,
        ...k.change,
      });
      expect(sparse.SyncToken).toBe('1');
      for (const [key, value] of Object.entries(k.change)) expect(sparse[key]).toEqual(value);

      // A full update: the whole object as read back, sparse false.
      const full = await c.qb(`update${entity}`, { ...sparse, sparse: false });
      expect(full.SyncToken).toBe('2');

      // A stale SyncToken is QuickBooks' 5010.
      const stale = await c.fault(`update${entity}`, { Id: created.Id, SyncToken: '0', ...k.change });
      expect(stale.code).toBe('5010');

      if (k.retire === 'inactive') {
        const off = await c.qb(`update${entity}`, {
          Id: created.Id,
          SyncToken: full.SyncToken,
          Active: false,
        });
        expect(off.Active).toBe(false);
        expect(typeof c.qbo[`delete${entity}`]).not.toBe('function');
      } else if (k.retire !== 'none') {
        let current = full;
        if (k.retire === 'void-and-delete') {
          // voidInvoice / voidPayment where node-quickbooks has them; otherwise its update with `void: true`
          // (POST ?operation=update&include=void), as for sales receipts.
          const voided =
            typeof c.qbo[`void${entity}`] === 'function'
              ? await c.qb(`void${entity}`, { Id: current.Id, SyncToken: current.SyncToken })
              : await c.qb(`update${entity}`, { Id: current.Id, SyncToken: current.SyncToken, void: true });
          const again = voided[entity] ?? voided;
          expect(again.TotalAmt).toBe(0);
          current = again;
        }
        // Delete by id: node-quickbooks reads the object, then posts all of it to ?operation=delete.
        const deleted = await c.qb(`delete${entity}`, current.Id);
        expect(deleted[entity]).toMatchObject({ Id: current.Id, status: 'Deleted' });
        const gone = await c.fault(`get${entity}`, current.Id);
        expect(gone.code).toBe('610');
      }
    },
  );
});
