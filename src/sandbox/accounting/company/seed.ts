import { Engine } from '../engine';
import { ENTITY_TYPES } from '../entity-types';
import type { QboObject, Realm } from './realm';
import { companyDate, metaTime } from '../time';

/**
 * The starting data of a new company: a small but realistic US business, close to what Intuit's sandbox companies
 * hold, so that a client can post invoices, sales receipts and payments at once. Created through the same rules as API
 * writes (so the seed obeys them), but without change events: nobody edited anything yet.
 */

/** Names the seed reserves for vendors and employees, so that a customer with one of them gets 6240. */
export const SEED_VENDOR_NAMES = ['Acme Supplies', 'Books by Bessie'];
export const SEED_EMPLOYEE_NAMES = ['Jordan Employee', 'Emily Platt'];

const ADDRESS = {
  Line1: '123 Sierra Way',
  City: 'San Pablo',
  CountrySubDivisionCode: 'CA',
  PostalCode: '87999',
  Country: 'USA',
};

export function seedRealm(realm: Realm, nowMs: number): void {
  const engine = new Engine(realm, nowMs, () => undefined);
  const create = (entity: string, data: QboObject): QboObject =>
    engine.create(ENTITY_TYPES.get(entity)!, data);
  const insert = (entity: string, data: QboObject, id?: string): QboObject =>
    engine.insert(ENTITY_TYPES.get(entity)!, data, id);
  const ref = (obj: QboObject): { value: string; name: string } => ({
    value: obj.Id as string,
    name: (obj.FullyQualifiedName ?? obj.DisplayName ?? obj.Name) as string,
  });

  const account = (
    Name: string,
    AccountType: string,
    AccountSubType: string,
    extra: QboObject = {},
  ): QboObject => create('Account', { Name, AccountType, AccountSubType, ...extra });
  account('Checking', 'Bank', 'Checking', { AcctNum: '1000' });
  account('Savings', 'Bank', 'Savings', { AcctNum: '1010' });
  account('Accounts Receivable (A/R)', 'Accounts Receivable', 'AccountsReceivable');
  account('Undeposited Funds', 'Other Current Asset', 'UndepositedFunds');
  const inventoryAsset = account('Inventory Asset', 'Other Current Asset', 'Inventory');
  account('Accounts Payable (A/P)', 'Accounts Payable', 'AccountsPayable');
  account('Mastercard', 'Credit Card', 'CreditCard');
  account('Sales Tax Payable', 'Other Current Liability', 'SalesTaxPayable');
  account('Opening Balance Equity', 'Equity', 'OpeningBalanceEquity');
  account('Retained Earnings', 'Equity', 'RetainedEarnings');
  const productIncome = account('Sales of Product Income', 'Income', 'SalesOfProductIncome');
  const servicesIncome = account('Services', 'Income', 'ServiceFeeIncome');
  const discounts = account('Discounts given', 'Income', 'DiscountsRefundsGiven');
  const shippingIncome = account('Shipping Income', 'Income', 'OtherPrimaryIncome');
  const cogs = account('Cost of Goods Sold', 'Cost of Goods Sold', 'SuppliesMaterialsCogs');
  account('Advertising', 'Expense', 'AdvertisingPromotional');
  account('Office Expenses', 'Expense', 'OfficeGeneralAdministrativeExpenses');
  account('Rent or Lease', 'Expense', 'RentOrLeaseOfBuildings');
  account('Utilities', 'Expense', 'Utilities');
  account('Bank Charges', 'Expense', 'BankCharges');

  create('Term', { Name: 'Due on receipt', DueDays: 0 });
  create('Term', { Name: 'Net 15', DueDays: 15 });
  const net30 = create('Term', { Name: 'Net 30', DueDays: 30 });
  create('Term', { Name: 'Net 60', DueDays: 60 });

  create('PaymentMethod', { Name: 'Cash', Type: 'NON_CREDIT_CARD' });
  create('PaymentMethod', { Name: 'Check', Type: 'NON_CREDIT_CARD' });
  create('PaymentMethod', { Name: 'Visa', Type: 'CREDIT_CARD' });
  create('PaymentMethod', { Name: 'MasterCard', Type: 'CREDIT_CARD' });
  create('PaymentMethod', { Name: 'American Express', Type: 'CREDIT_CARD' });
  create('PaymentMethod', { Name: 'Discover', Type: 'CREDIT_CARD' });

  // The agency the seeded rates report to (TaxRate.AgencyRef "1").
  create('TaxAgency', { DisplayName: 'California Department of Tax and Fee Administration' });
  const rate = (Name: string, RateValue: number, Description: string): QboObject =>
    insert('TaxRate', {
      Name,
      Description,
      Active: true,
      RateValue,
      AgencyRef: { value: '1' },
      SpecialTaxType: 'NONE',
      DisplayType: 'ReadOnly',
      EffectiveTaxRate: [{ RateValue, EffectiveDate: '2020-01-01T00:00:00-07:00' }],
    });
  const california = rate('California', 8, 'California sales tax');
  const arizona = rate('Arizona', 5.6, 'Arizona state sales tax');
  const tucson = rate('Tucson City', 2, 'Tucson city sales tax');
  const pseudoCode = (Id: string, Taxable: boolean): QboObject =>
    insert(
      'TaxCode',
      {
        Name: Id,
        Description: Id === 'TAX' ? 'TAX' : 'NON',
        Active: true,
        Hidden: false,
        Taxable,
        TaxGroup: false,
      },
      Id,
    );
  pseudoCode('TAX', true);
  pseudoCode('NON', false);
  const taxCode = (Name: string, rates: QboObject[]): QboObject =>
    insert('TaxCode', {
      Name,
      Description: Name,
      Active: true,
      Hidden: false,
      Taxable: true,
      TaxGroup: true,
      SalesTaxRateList: {
        TaxRateDetail: rates.map((r, i) => ({
          TaxRateRef: ref(r),
          TaxTypeApplicable: 'TaxOnAmount',
          TaxOrder: i,
        })),
      },
      PurchaseTaxRateList: { TaxRateDetail: [] },
    });
  taxCode('California', [california]);
  taxCode('Tucson', [arizona, tucson]);

  create('Class', { Name: 'Retail' });
  create('Class', { Name: 'Wholesale' });
  create('Department', { Name: 'North' });
  create('Department', { Name: 'South' });

  for (const name of SEED_VENDOR_NAMES) create('Vendor', { DisplayName: name, CompanyName: name });
  create('Employee', { DisplayName: SEED_EMPLOYEE_NAMES[0], GivenName: 'Jordan', FamilyName: 'Employee' });
  create('Employee', { DisplayName: SEED_EMPLOYEE_NAMES[1], GivenName: 'Emily', FamilyName: 'Platt' });

  create('Customer', {
    DisplayName: "Amy's Bird Sanctuary",
    CompanyName: "Amy's Bird Sanctuary",
    GivenName: 'Amy',
    FamilyName: 'Lauterbach',
    PrimaryEmailAddr: { Address: 'Birds@Intuit.com' },
    PrimaryPhone: { FreeFormNumber: '(650) 555-3311' },
    BillAddr: {
      Line1: '4581 Finch St.',
      City: 'Bayshore',
      CountrySubDivisionCode: 'CA',
      PostalCode: '94326',
    },
    SalesTermRef: ref(net30),
  });
  create('Customer', {
    DisplayName: "Bill's Windsurf Shop",
    CompanyName: "Bill's Windsurf Shop",
    GivenName: 'Bill',
    FamilyName: 'Lucchini',
    PrimaryEmailAddr: { Address: 'Surf@Intuit.com' },
    BillAddr: {
      Line1: '12 Ocean Dr.',
      City: 'Half Moon Bay',
      CountrySubDivisionCode: 'CA',
      PostalCode: '94213',
    },
  });
  create('Customer', {
    DisplayName: 'Cool Cars',
    CompanyName: 'Cool Cars',
    GivenName: 'Grace',
    FamilyName: 'Pariente',
    PrimaryEmailAddr: { Address: 'Cool_Cars@intuit.com' },
    BillAddr: {
      Line1: '65 Ocean Dr.',
      City: 'Half Moon Bay',
      CountrySubDivisionCode: 'CA',
      PostalCode: '94213',
    },
  });
  create('Customer', {
    GivenName: 'Diego',
    FamilyName: 'Rodriguez',
    PrimaryEmailAddr: { Address: 'Diego@Rodriguez.com' },
  });

  create('Item', { Name: 'Services', Type: 'Service', IncomeAccountRef: ref(servicesIncome) });
  create('Item', {
    Name: 'Hours',
    Type: 'Service',
    Description: 'Hourly service',
    UnitPrice: 50,
    IncomeAccountRef: ref(servicesIncome),
  });
  create('Item', {
    Name: 'Design',
    Type: 'Service',
    Description: 'Custom Design',
    UnitPrice: 75,
    IncomeAccountRef: ref(servicesIncome),
  });
  create('Item', {
    Name: 'Sprinkler Heads',
    Type: 'NonInventory',
    Description: 'Sprinkler Heads',
    UnitPrice: 2,
    Taxable: true,
    IncomeAccountRef: ref(productIncome),
    ExpenseAccountRef: ref(cogs),
  });
  create('Item', {
    Name: 'Pump',
    Type: 'Inventory',
    Description: 'Fountain Pump',
    Sku: 'PMP-01',
    UnitPrice: 15,
    PurchaseCost: 10,
    Taxable: true,
    TrackQtyOnHand: true,
    QtyOnHand: 25,
    InvStartDate: '2024-01-01',
    IncomeAccountRef: ref(productIncome),
    AssetAccountRef: ref(inventoryAsset),
    ExpenseAccountRef: ref(cogs),
  });
  create('Item', {
    Name: 'Rock Fountain',
    Type: 'Inventory',
    Description: 'Rock Fountain',
    Sku: 'RF-01',
    UnitPrice: 275,
    PurchaseCost: 125,
    Taxable: true,
    TrackQtyOnHand: true,
    QtyOnHand: 2,
    InvStartDate: '2024-01-01',
    IncomeAccountRef: ref(productIncome),
    AssetAccountRef: ref(inventoryAsset),
    ExpenseAccountRef: ref(cogs),
  });

  const stamp = metaTime(nowMs);
  const meta = { CreateTime: stamp, LastUpdatedTime: stamp };
  realm.companyInfo = {
    CompanyName: realm.companyName,
    LegalName: realm.companyName,
    CompanyAddr: { Id: '1', ...ADDRESS },
    CustomerCommunicationAddr: { Id: '1', ...ADDRESS },
    LegalAddr: { Id: '1', ...ADDRESS },
    PrimaryPhone: { FreeFormNumber: '(650) 944-4444' },
    CompanyStartDate: companyDate(nowMs),
    FiscalYearStartMonth: 'January',
    Country: realm.country,
    Email: { Address: 'noreply@quickbooks.com' },
    WebAddr: {},
    SupportedLanguages: 'en',
    NameValue: [
      { Name: 'NeoEnabled', Value: 'true' },
      { Name: 'IndustryType', Value: 'Landscaping Services' },
      { Name: 'SubscriptionStatus', Value: 'PAID' },
      { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
      { Name: 'PayrollFeature', Value: 'false' },
      { Name: 'AccountantFeature', Value: 'false' },
      { Name: 'ItemCategoriesFeature', Value: 'true' },
    ],
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
    MetaData: meta,
  };
  realm.preferences = {
    AccountingInfoPrefs: {
      TrackDepartments: true,
      DepartmentTerminology: 'Location',
      ClassTrackingPerTxn: false,
      ClassTrackingPerTxnLine: true,
      CustomerTerminology: 'Customers',
      FirstMonthOfFiscalYear: 'January',
      TaxYearMonth: 'January',
      UseAccountNumbers: false,
    },
    ProductAndServicesPrefs: {
      ForSales: true,
      ForPurchase: true,
      QuantityWithPriceAndRate: true,
      QuantityOnHand: true,
    },
    SalesFormsPrefs: {
      CustomField: [],
      CustomTxnNumbers: true,
      AllowDeposit: true,
      AllowDiscount: true,
      DefaultDiscountAccount: discounts.Id,
      AllowEstimates: true,
      AllowServiceDate: false,
      AllowShipping: true,
      DefaultShippingAccount: shippingIncome.Id,
      DefaultTerms: { value: net30.Id },
      ETransactionEnabledStatus: 'NotApplicable',
      IPNSupportEnabled: false,
      UsingPriceLevels: false,
      UsingProgressInvoicing: false,
    },
    VendorAndPurchasesPrefs: { TrackingByCustomer: true, BillableExpenseTracking: true, POCustomField: [] },
    TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false },
    // The blocks below are what Intuit's sample company answers (XSD Preferences: TimeTrackingPrefs,
    // EmailMessagesPrefs, ReportPrefs); clients read them when they set up time entries and e-mails.
    TimeTrackingPrefs: {
      UseServices: true,
      BillCustomers: true,
      ShowBillRateToAll: false,
      WorkWeekStartDate: 'Monday',
      MarkTimeEntriesBillable: true,
    },
    EmailMessagesPrefs: {
      InvoiceMessage: {
        Subject: `Invoice from ${realm.companyName}`,
        Message: `Your invoice is attached.  We appreciate your business.\n\nThank you,\n${realm.companyName}`,
      },
      EstimateMessage: {
        Subject: `Estimate from ${realm.companyName}`,
        Message: `Please review the estimate below.  Feel free to contact us if you have any questions.\nWe look forward to working with you.\n\nThank you,\n${realm.companyName}`,
      },
      SalesReceiptMessage: {
        Subject: `Sales Receipt from ${realm.companyName}`,
        Message: `Your sales receipt is attached.  We appreciate your business.\n\nThank you,\n${realm.companyName}`,
      },
      StatementMessage: {
        Subject: `Statement from ${realm.companyName}`,
        Message: `Your statement is attached.  We appreciate your business.\n\nThank you,\n${realm.companyName}`,
      },
    },
    ReportPrefs: { ReportBasis: 'Accrual', CalcAgingReportFromTxnDate: false },
    CurrencyPrefs: { MultiCurrencyEnabled: false, HomeCurrency: { value: 'USD' } },
    OtherPrefs: {
      NameValue: [{ Name: 'SalesFormsPrefs.DefaultCustomerMessage', Value: 'Thank you for your business.' }],
    },
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
    MetaData: meta,
  };
}
