import type { DesktopCompany } from './company';
import { buildElement, responseDocument, type XmlObject } from './xml';

/** What QuickBooks Desktop says of itself (HostQuery). */
export function hostRet(): XmlObject {
  return {
    ProductName: 'QuickBooks Desktop Emulator (QuickBooks Gateway)',
    MajorVersion: '33',
    MinorVersion: '0',
    Country: 'US',
    SupportedQBXMLVersion: [
      '1.0',
      '2.0',
      '3.0',
      '4.0',
      '5.0',
      '6.0',
      '7.0',
      '8.0',
      '10.0',
      '11.0',
      '12.0',
      '13.0',
      '14.0',
      '15.0',
      '16.0',
    ],
    IsAutomaticLogin: 'false',
    QBFileMode: 'SingleUser',
  };
}

/** The answers QuickBooks attaches to the Web Connector's first sendRequestXML of a run (Host, Company, Preferences). */
export function hostCompanyPreferences(company: DesktopCompany): string {
  return responseDocument([
    buildElement('HostQueryRs', {
      '@_statusCode': '0',
      '@_statusSeverity': 'Info',
      '@_statusMessage': 'Status OK',
      HostRet: hostRet(),
    }),
    buildElement('CompanyQueryRs', {
      '@_statusCode': '0',
      '@_statusSeverity': 'Info',
      '@_statusMessage': 'Status OK',
      CompanyRet: { IsSampleCompany: 'false', CompanyName: company.name },
    }),
    buildElement('PreferencesQueryRs', {
      '@_statusCode': '0',
      '@_statusSeverity': 'Info',
      '@_statusMessage': 'Status OK',
      PreferencesRet: { SalesTaxPreferences: { IsUsingVendorTaxCode: 'false' } },
    }),
  ]);
}
