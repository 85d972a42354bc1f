/**
 * A new company file as QuickBooks Desktop's "Express Start" leaves it for a product-based US business: a chart of
 * accounts, terms, payment methods, the two sales tax codes, a sales tax item, a shipping charge item, and a few
 * customers and a vendor (so that a customer name can clash with a vendor's, as it does in real files).
 */
import { DesktopCompany, type ListKind } from './company';
import type { XmlObject } from './xml';

const ACCOUNTS: Array<[string, string, string?]> = [
  ['Checking', 'Bank', '10100'],
  ['Undeposited Funds', 'OtherCurrentAsset', '12000'],
  ['Inventory Asset', 'OtherCurrentAsset', '12100'],
  ['Accounts Receivable', 'AccountsReceivable', '11000'],
  ['Accounts Payable', 'AccountsPayable', '20000'],
  ['Sales Tax Payable', 'OtherCurrentLiability', '25500'],
  ['Opening Balance Equity', 'Equity', '30000'],
  ['Sales', 'Income', '40000'],
  ['Merchandise Sales', 'Income', '40100'],
  ['Service Income', 'Income', '40200'],
  ['Shipping Income', 'Income', '40300'],
  ['Discounts Given', 'Income', '40900'],
  ['Cost of Goods Sold', 'CostOfGoodsSold', '50000'],
  ['Office Supplies', 'Expense', '64900'],
];

/** Seeds a company file with the lists a new US company has. */
export function seedCompany(company: DesktopCompany): DesktopCompany {
  const ref = (kind: ListKind, name: string): XmlObject => {
    const found = company.findList([kind], { FullName: name })!;
    return { ListID: found.ret.ListID, FullName: found.ret.FullName };
  };
  for (const [name, type, number] of ACCOUNTS) {
    company.addList('Account', {
      Name: name,
      Sublevel: '0',
      AccountType: type,
      ...(type === 'AccountsReceivable' ? { SpecialAccountType: 'AccountsReceivable' } : {}),
      ...(type === 'AccountsPayable' ? { SpecialAccountType: 'AccountsPayable' } : {}),
      ...(name === 'Undeposited Funds' ? { SpecialAccountType: 'UndepositedFunds' } : {}),
      AccountNumber: number,
      Balance: '0.00',
      TotalBalance: '0.00',
      CashFlowClassification: type === 'Bank' ? 'NotApplicable' : 'Operating',
    });
  }
  company.addList('StandardTerms', { Name: 'Due on receipt', StdDueDays: '0' });
  company.addList('StandardTerms', { Name: 'Net 15', StdDueDays: '15' });
  company.addList('StandardTerms', { Name: 'Net 30', StdDueDays: '30' });
  company.addList('DateDrivenTerms', { Name: '1st of month', DayOfMonthDue: '1', DueNextMonthDays: '10' });
  for (const name of ['Retail', 'Wholesale']) company.addList('Class', { Name: name, Sublevel: '0' });
  for (const [name, type] of [
    ['Cash', 'Cash'],
    ['Check', 'Check'],
    ['Visa', 'Visa'],
    ['MasterCard', 'MasterCard'],
    ['American Express', 'AmericanExpress'],
  ]) {
    company.addList('PaymentMethod', { Name: name, PaymentMethodType: type });
  }
  company.addList('SalesTaxCode', { Name: 'Tax', IsTaxable: 'true', Desc: 'Taxable Sales' });
  company.addList('SalesTaxCode', { Name: 'Non', IsTaxable: 'false', Desc: 'Non-Taxable Sales' });
  company.addList('ItemSalesTax', {
    Name: 'State Tax',
    ItemDesc: 'State sales tax',
    TaxRate: '6.25',
    TaxVendorRef: ref('Account', 'Sales Tax Payable'),
  });
  company.addList('ItemOtherCharge', {
    Name: 'Shipping',
    Sublevel: '0',
    SalesTaxCodeRef: ref('SalesTaxCode', 'Non'),
    SalesOrPurchase: {
      Desc: 'Shipping and delivery',
      Price: '0.00',
      AccountRef: ref('Account', 'Shipping Income'),
    },
  });
  company.addList('ItemService', {
    Name: 'Installation',
    Sublevel: '0',
    SalesTaxCodeRef: ref('SalesTaxCode', 'Non'),
    SalesOrPurchase: {
      Desc: 'Installation labor',
      Price: '75.00',
      AccountRef: ref('Account', 'Service Income'),
    },
  });
  for (const name of ['Amy Rice', 'Bill Bauer', 'Kristy Abercrombie']) {
    company.addList('Customer', {
      Name: name,
      Sublevel: '0',
      Balance: '0.00',
      TotalBalance: '0.00',
      JobStatus: 'None',
    });
  }
  company.addList('Vendor', { Name: 'Office Depot', IsVendorEligibleFor1099: 'false', Balance: '0.00' });
  return company;
}
