/**
 * The entities the emulator serves, with the properties each one has. The property lists serve two purposes: unknown
 * properties in a write are refused with 2010 (QuickBooks' JSON reader is strict, which is how clients learn about typos
 * such as `Quantity` for `Qty`), and queries may filter or sort only on properties the entity has (4001 otherwise).
 */

/** Name lists can only be made inactive; transactions are hard-deleted and some can be voided. */
export type EntityKind = 'name' | 'txn';

/** Static description of one entity type. */
export interface EntityType {
  /** As QuickBooks spells it in JSON and queries: `SalesReceipt`. */
  name: string;
  /** Lowercase URL segment: `salesreceipt`. */
  path: string;
  kind: EntityKind;
  /** Top-level JSON properties the entity accepts and returns. */
  fields: ReadonlySet<string>;
  /** False for TaxCode/TaxRate, which QuickBooks creates through its TaxService, not the entity endpoint. */
  writable: boolean;
  /** Transactions with `?operation=void` (or `update&include=void`). */
  voidable: boolean;
  /** Whether DocNumber is auto-assigned and unique per type (6140). */
  docNumbers: boolean;
  /** How QuickBooks names the type inside fault details (`TxnType=Sales Receipt`). */
  label: string;
}

const COMMON = ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status', 'CustomField', 'AttachableRef'];

const PERSON = [
  'Title',
  'GivenName',
  'MiddleName',
  'FamilyName',
  'Suffix',
  'FullyQualifiedName',
  'CompanyName',
  'DisplayName',
  'PrintOnCheckName',
  'Active',
  'PrimaryPhone',
  'AlternatePhone',
  'Mobile',
  'Fax',
  'PrimaryEmailAddr',
  'WebAddr',
  'OtherContactInfo',
  'DefaultTaxCodeRef',
  'V4IDPseudonym',
  'Source',
];

const TRANSACTION = [
  'DocNumber',
  'TxnDate',
  'DepartmentRef',
  'CurrencyRef',
  'ExchangeRate',
  'PrivateNote',
  'TxnStatus',
  'LinkedTxn',
  'Line',
  'TxnTaxDetail',
  'TxnSource',
  'TransactionLocationType',
  'ProjectRef',
  'RecurDataRef',
  'TaxExemptionRef',
  'HomeTotalAmt',
  'TotalAmt',
];

const SALES = [
  ...TRANSACTION,
  'CustomerRef',
  'CustomerMemo',
  'BillAddr',
  'ShipAddr',
  'ShipFromAddr',
  'FreeFormAddress',
  'ClassRef',
  'SalesTermRef',
  'DueDate',
  'ShipMethodRef',
  'ShipDate',
  'TrackingNum',
  'GlobalTaxCalculation',
  'ApplyTaxAfterDiscount',
  'PrintStatus',
  'EmailStatus',
  'BillEmail',
  'BillEmailCc',
  'BillEmailBcc',
  'Balance',
  'HomeBalance',
  'PaymentMethodRef',
  'PaymentRefNum',
  'DepositToAccountRef',
  'DeliveryInfo',
  'DiscountRate',
  'DiscountAmt',
];

function def(
  name: string,
  kind: EntityKind,
  fields: string[],
  opts: Partial<Pick<EntityType, 'writable' | 'voidable' | 'docNumbers' | 'label'>> = {},
): EntityType {
  return {
    name,
    path: name.toLowerCase(),
    kind,
    fields: new Set([...COMMON, ...fields]),
    writable: opts.writable ?? true,
    voidable: opts.voidable ?? false,
    docNumbers: opts.docNumbers ?? false,
    label: opts.label ?? name,
  };
}

const ALL: EntityType[] = [
  def('Customer', 'name', [
    ...PERSON,
    'Taxable',
    'BillAddr',
    'ShipAddr',
    'OtherAddr',
    'Notes',
    'Job',
    'BillWithParent',
    'ParentRef',
    'Level',
    'SalesTermRef',
    'PaymentMethodRef',
    'Balance',
    'OpenBalanceDate',
    'BalanceWithJobs',
    'CurrencyRef',
    'PreferredDeliveryMethod',
    'ResaleNum',
    'ARAccountRef',
    'IsProject',
    'TaxExemptionReasonId',
    'PrimaryTaxIdentifier',
    'SecondaryTaxIdentifier',
    'BusinessNumber',
    'GSTIN',
    'GSTRegistrationType',
    'CustomerTypeRef',
    'ClientEntityId',
    'ContactName',
    'AltContactName',
  ]),
  def('Vendor', 'name', [
    ...PERSON,
    'BillAddr',
    'OtherAddr',
    'TaxCountry',
    'TaxIdentifier',
    'BusinessNumber',
    'ParentRef',
    'VendorTypeRef',
    'TermRef',
    'PrefillAccountRef',
    'Balance',
    'AcctNum',
    'Vendor1099',
    'T4AEligible',
    'T5018Eligible',
    'CurrencyRef',
    'TaxReportingBasis',
    'APAccountRef',
    'BillRate',
    'CostRate',
    'ContactName',
  ]),
  def('Employee', 'name', [
    ...PERSON,
    'EmployeeType',
    'EmployeeNumber',
    'SSN',
    'PrimaryAddr',
    'OtherAddr',
    'BillableTime',
    'BillRate',
    'CostRate',
    'BirthDate',
    'Gender',
    'HiredDate',
    'ReleasedDate',
    'UseTimeEntry',
    'Organization',
  ]),
  def('Item', 'name', [
    'Name',
    'Sku',
    'Description',
    'Active',
    'SubItem',
    'ParentRef',
    'Level',
    'FullyQualifiedName',
    'Taxable',
    'SalesTaxIncluded',
    'UnitPrice',
    'RatePercent',
    'Type',
    'IncomeAccountRef',
    'PurchaseDesc',
    'PurchaseTaxIncluded',
    'PurchaseCost',
    'ExpenseAccountRef',
    'AssetAccountRef',
    'PrefVendorRef',
    'TrackQtyOnHand',
    'QtyOnHand',
    'QtyOnPurchaseOrder',
    'QtyOnSalesOrder',
    'ReorderPoint',
    'InvStartDate',
    'SalesTaxCodeRef',
    'PurchaseTaxCodeRef',
    'ClassRef',
    'Source',
    'ServiceType',
    'ItemCategoryType',
    'TaxClassificationRef',
    'ItemGroupDetail',
    'ItemAssemblyDetail',
    'PrintGroupedItems',
  ]),
  def('Account', 'name', [
    'Name',
    'SubAccount',
    'ParentRef',
    'Description',
    'FullyQualifiedName',
    'Active',
    'Classification',
    'AccountType',
    'AccountSubType',
    'AcctNum',
    'CurrentBalance',
    'CurrentBalanceWithSubAccounts',
    'CurrencyRef',
    'TaxCodeRef',
    'TxnLocationType',
    'AccountAlias',
    'OpeningBalance',
    'OpeningBalanceDate',
  ]),
  def('Term', 'name', [
    'Name',
    'Active',
    'Type',
    'DueDays',
    'DiscountPercent',
    'DiscountDays',
    'DayOfMonthDue',
    'DueNextMonthDays',
    'DiscountDayOfMonth',
  ]),
  def('Class', 'name', ['Name', 'SubClass', 'ParentRef', 'FullyQualifiedName', 'Active']),
  def('Department', 'name', [
    'Name',
    'SubDepartment',
    'ParentRef',
    'FullyQualifiedName',
    'Active',
    'Address',
  ]),
  def('PaymentMethod', 'name', ['Name', 'Active', 'Type']),
  def(
    'TaxCode',
    'name',
    [
      'Name',
      'Description',
      'Active',
      'Hidden',
      'Taxable',
      'TaxGroup',
      'SalesTaxRateList',
      'PurchaseTaxRateList',
      'TaxCodeConfigType',
    ],
    { writable: false },
  ),
  def(
    'TaxRate',
    'name',
    [
      'Name',
      'Description',
      'Active',
      'RateValue',
      'AgencyRef',
      'TaxReturnLineRef',
      'EffectiveTaxRate',
      'SpecialTaxType',
      'DisplayType',
    ],
    { writable: false },
  ),
  def(
    'Invoice',
    'txn',
    [
      ...SALES,
      'Deposit',
      'AllowIPNPayment',
      'AllowOnlinePayment',
      'AllowOnlineCreditCardPayment',
      'AllowOnlineACHPayment',
      'InvoiceLink',
      'EInvoiceStatus',
    ],
    { voidable: true, docNumbers: true },
  ),
  def('SalesReceipt', 'txn', [...SALES, 'CreditCardPayment'], {
    voidable: true,
    docNumbers: true,
    label: 'Sales Receipt',
  }),
  def('CreditMemo', 'txn', [...SALES, 'RemainingCredit', 'InvoiceRef'], {
    voidable: true,
    docNumbers: true,
    label: 'Credit Memo',
  }),
  // Money paid back to a customer (Intuit API reference, RefundReceipt: a SalesTransaction whose DepositToAccountRef
  // is the account the refund is paid from; voidable since 2017, per the webhooks' Void list).
  def('RefundReceipt', 'txn', [...SALES, 'CheckPayment', 'CreditCardPayment', 'PaymentType'], {
    voidable: true,
    docNumbers: true,
    label: 'Refund Receipt',
  }),
  // The foreign currencies of a multicurrency company (see currency.ts).
  def('CompanyCurrency', 'name', ['Code', 'Name', 'Active']),
  def(
    'Payment',
    'txn',
    [
      ...TRANSACTION,
      'CustomerRef',
      'ARAccountRef',
      'DepositToAccountRef',
      'PaymentMethodRef',
      'PaymentRefNum',
      'CreditCardPayment',
      'UnappliedAmt',
      'ProcessPayment',
    ],
    { voidable: true },
  ),
];

// Purchases, banking, time and tax (Intuit API reference of each entity; required fields and rules in purchases.ts,
// banking.ts and others.ts, which cite them).
const PURCHASE = [
  ...TRANSACTION,
  'VendorRef',
  'APAccountRef',
  'SalesTermRef',
  'DueDate',
  'Balance',
  'HomeBalance',
];

ALL.push(
  def('Estimate', 'txn', [...SALES, 'ExpirationDate', 'AcceptedBy', 'AcceptedDate', 'TxnStatus'], {
    docNumbers: true,
  }),
  def('Bill', 'txn', [
    ...PURCHASE,
    'RemitToAddr',
    'VendorAddr',
    'GlobalTaxCalculation',
    'IncludeInAnnualTPAR',
  ]),
  def(
    'BillPayment',
    'txn',
    [
      ...TRANSACTION,
      'VendorRef',
      'APAccountRef',
      'PayType',
      'CheckPayment',
      'CreditCardPayment',
      'ProcessBillPayment',
    ],
    { voidable: true, label: 'Bill Payment' },
  ),
  def(
    'Purchase',
    'txn',
    [
      ...TRANSACTION,
      'AccountRef',
      'PaymentType',
      'EntityRef',
      'Credit',
      'RemitToAddr',
      'PaymentMethodRef',
      'PrintStatus',
      'GlobalTaxCalculation',
      'IncludeInAnnualTPAR',
    ],
    { voidable: true },
  ),
  def(
    'PurchaseOrder',
    'txn',
    [
      ...PURCHASE,
      'POStatus',
      'POEmail',
      'ShipAddr',
      'ShipMethodRef',
      'VendorAddr',
      'ClassRef',
      'Memo',
      'EmailStatus',
      'GlobalTaxCalculation',
      'ManuallyClosed',
    ],
    { label: 'Purchase Order' },
  ),
  def('VendorCredit', 'txn', [...PURCHASE, 'GlobalTaxCalculation'], { label: 'Vendor Credit' }),
  def('Deposit', 'txn', [...TRANSACTION, 'DepositToAccountRef', 'CashBack', 'GlobalTaxCalculation']),
  def('Transfer', 'txn', [...TRANSACTION, 'FromAccountRef', 'ToAccountRef', 'Amount'], { voidable: true }),
  def('CreditCardPayment', 'txn', [
    ...TRANSACTION,
    'CreditCardAccountRef',
    'BankAccountRef',
    'Amount',
    'VendorRef',
    'Memo',
    'PrintStatus',
    'CheckNum',
  ]),
  def('TimeActivity', 'txn', [
    'TxnDate',
    'NameOf',
    'EmployeeRef',
    'VendorRef',
    'OtherNameRef',
    'CustomerRef',
    'DepartmentRef',
    'ItemRef',
    'ClassRef',
    'PayrollItemRef',
    'BillableStatus',
    'Taxable',
    'HourlyRate',
    'CostRate',
    'Hours',
    'Minutes',
    'BreakHours',
    'BreakMinutes',
    'StartTime',
    'EndTime',
    'Description',
    'ProjectRef',
    'TransactionLocationType',
  ]),
  def('TaxAgency', 'name', [
    'DisplayName',
    'TaxTrackedOnSales',
    'TaxTrackedOnPurchases',
    'SalesTaxCodeRef',
    'PurchaseTaxCodeRef',
    'TaxRegistrationNumber',
    'ReportingPeriod',
    'LastFileDate',
    'TaxAgencyConfig',
    'Active',
  ]),
  def('Attachable', 'txn', [
    'FileName',
    'FileAccessUri',
    'TempDownloadUri',
    'Size',
    'ContentType',
    'Category',
    'Lat',
    'Long',
    'PlaceName',
    'Note',
    'Tag',
    'ThumbnailFileAccessUri',
    'ThumbnailTempDownloadUri',
  ]),
);

/** Entity types by QuickBooks name (`SalesReceipt`). */
export const ENTITY_TYPES: ReadonlyMap<string, EntityType> = new Map(ALL.map((t) => [t.name, t]));

/** Entity types by URL segment (`salesreceipt`). URIs are case-sensitive at Intuit, so only lowercase matches. */
export const ENTITY_BY_PATH: ReadonlyMap<string, EntityType> = new Map(ALL.map((t) => [t.path, t]));

/** Sales transactions share line and total rules. */
export const SALES_TRANSACTIONS: ReadonlySet<string> = new Set([
  'Invoice',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
]);

/**
 * QuickBooks entities the emulator does not model. Queries on them answer with an empty result rather than a parse
 * error, because a real company would simply have none of them yet.
 */
export const UNMODELLED_ENTITIES: ReadonlySet<string> = new Set(['Budget', 'JournalCode', 'JournalEntry']);

/** Allowed properties of a transaction line and of its detail objects (2010 otherwise). */
export const LINE_FIELDS: ReadonlySet<string> = new Set([
  'Id',
  'LineNum',
  'Description',
  'Amount',
  'DetailType',
  'SalesItemLineDetail',
  'DiscountLineDetail',
  'SubTotalLineDetail',
  'DescriptionLineDetail',
  'GroupLineDetail',
  'TaxLineDetail',
  'LinkedTxn',
  'AccountBasedExpenseLineDetail',
  'ItemBasedExpenseLineDetail',
  'DepositLineDetail',
  'LineEx',
  'CustomField',
  'ProjectRef',
  'ReceivedAmount',
]);

export const SALES_ITEM_DETAIL_FIELDS: ReadonlySet<string> = new Set([
  'ItemRef',
  'ClassRef',
  'UnitPrice',
  'RatePercent',
  'PriceLevelRef',
  'MarkupInfo',
  'Qty',
  'UOMRef',
  'ItemAccountRef',
  'InventorySiteRef',
  'TaxCodeRef',
  'TaxClassificationRef',
  'ServiceDate',
  'TaxInclusiveAmt',
  'DiscountRate',
  'DiscountAmt',
]);

export const DISCOUNT_DETAIL_FIELDS: ReadonlySet<string> = new Set([
  'PercentBased',
  'DiscountPercent',
  'DiscountAccountRef',
  'DiscountRef',
  'ClassRef',
  'TaxCodeRef',
  'ServiceDate',
]);
