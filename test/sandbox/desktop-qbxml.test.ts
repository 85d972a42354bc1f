import { DesktopCompany, QbxmlProcessor, seedCompany } from '../../src/sandbox/desktop';
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  isArray: (name) => (name.endsWith('Rs') && name !== 'QBXMLMsgsRs') || name.endsWith('Ret'),
});

const message = (body: string, onError = 'continueOnError'): string =>
  `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="${onError}">${body}</QBXMLMsgsRq></QBXML>`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed XML, checked by the assertions
type Rs = Record<string, any> & { statusCode: string; statusMessage: string; requestID: string };

function run(processor: QbxmlProcessor, body: string, onError?: string): Rs[] {
  const parsed = parser.parse(processor.process(message(body, onError))) as {
    QBXML: { QBXMLMsgsRs: Record<string, Rs[]> };
  };
  const rs = parsed.QBXML.QBXMLMsgsRs;
  return Object.values(rs)
    .flat()
    .sort((a, b) => Number(a.requestID) - Number(b.requestID));
}

describe('the Desktop emulator answers qbXML 13.0', () => {
  let company: DesktopCompany;
  let qb: QbxmlProcessor;
  beforeEach(() => {
    company = seedCompany(new DesktopCompany('Test Co'));
    qb = new QbxmlProcessor(company);
  });

  it('adds customers with unique names across name lists (3100), also against a vendor', () => {
    const [added, again, vendor] = run(
      qb,
      '<CustomerAddRq requestID="1"><CustomerAdd><Name>Jane Doe</Name><Email>j@x.com</Email></CustomerAdd></CustomerAddRq>' +
        '<CustomerAddRq requestID="2"><CustomerAdd><Name>JANE DOE</Name></CustomerAdd></CustomerAddRq>' +
        '<CustomerAddRq requestID="3"><CustomerAdd><Name>Office Depot</Name></CustomerAdd></CustomerAddRq>',
    );
    expect(added).toMatchObject({ statusCode: '0', statusSeverity: 'Info' });
    expect(added.CustomerRet[0]).toMatchObject({
      Name: 'Jane Doe',
      FullName: 'Jane Doe',
      IsActive: 'true',
      Email: 'j@x.com',
    });
    expect(added.CustomerRet[0].ListID).toMatch(/^[0-9A-F]+-\d+$/);
    expect(again).toMatchObject({ statusCode: '3100', statusSeverity: 'Error' });
    expect(again.statusMessage).toBe('The name "JANE DOE" of the list element is already in use.');
    expect(vendor.statusCode).toBe('3100');
  });

  it('checks the EditSequence of a mod (3200) and gives a new one after each change', () => {
    const [added] = run(
      qb,
      '<CustomerAddRq requestID="1"><CustomerAdd><Name>Mod Me</Name></CustomerAdd></CustomerAddRq>',
    );
    const { ListID, EditSequence } = added.CustomerRet[0];
    const [modded, stale, missing] = run(
      qb,
      `<CustomerModRq requestID="1"><CustomerMod><ListID>${ListID}</ListID><EditSequence>${EditSequence}</EditSequence><IsActive>false</IsActive></CustomerMod></CustomerModRq>` +
        `<CustomerModRq requestID="2"><CustomerMod><ListID>${ListID}</ListID><EditSequence>${EditSequence}</EditSequence><IsActive>true</IsActive></CustomerMod></CustomerModRq>` +
        `<CustomerModRq requestID="3"><CustomerMod><ListID>80FFFFFF-1</ListID><EditSequence>1</EditSequence></CustomerMod></CustomerModRq>`,
    );
    expect(modded.statusCode).toBe('0');
    expect(modded.CustomerRet[0].IsActive).toBe('false');
    expect(modded.CustomerRet[0].EditSequence).not.toBe(EditSequence);
    expect(stale).toMatchObject({
      statusCode: '3200',
      statusMessage: `The provided edit sequence "${EditSequence}" is out-of-date.`,
    });
    expect(missing.statusCode).toBe('3120');
    // Inactive objects are found by name, and only listed with ActiveStatus All.
    const [byName, active, all] = run(
      qb,
      '<CustomerQueryRq requestID="1"><FullName>Mod Me</FullName></CustomerQueryRq>' +
        '<CustomerQueryRq requestID="2"><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>mod</Name></NameFilter></CustomerQueryRq>' +
        '<CustomerQueryRq requestID="3"><ActiveStatus>All</ActiveStatus><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>mod</Name></NameFilter></CustomerQueryRq>',
    );
    expect(byName.CustomerRet[0].IsActive).toBe('false');
    expect(active.statusCode).toBe('1');
    expect(all.CustomerRet).toHaveLength(1);
  });

  it('pages Customer queries with iterators and reports names it cannot find (500)', () => {
    for (let i = 0; i < 7; i++) company.addList('Customer', { Name: `Paged ${i}` });
    const [first] = run(
      qb,
      '<CustomerQueryRq requestID="1" iterator="Start"><MaxReturned>4</MaxReturned></CustomerQueryRq>',
    );
    expect(first.CustomerRet).toHaveLength(4);
    expect(first.iteratorRemainingCount).toBe('6');
    const [second] = run(
      qb,
      `<CustomerQueryRq requestID="2" iterator="Continue" iteratorID="${first.iteratorID}"><MaxReturned>4</MaxReturned></CustomerQueryRq>`,
    );
    expect(second.CustomerRet).toHaveLength(4);
    expect(second.iteratorRemainingCount).toBe('2');
    company.endSession();
    const [expired] = run(
      qb,
      `<CustomerQueryRq requestID="3" iterator="Continue" iteratorID="${first.iteratorID}"></CustomerQueryRq>`,
    );
    expect(expired.statusCode).toBe('3120');
    const [partial] = run(
      qb,
      '<CustomerQueryRq requestID="4"><FullName>Paged 1</FullName><FullName>Nobody</FullName></CustomerQueryRq>',
    );
    expect(partial.statusCode).toBe('500');
    expect(partial.CustomerRet).toHaveLength(1);
    // Accounts take no iterator: QuickBooks cannot parse such a message at all.
    expect(() => run(qb, '<AccountQueryRq requestID="1" iterator="Start"></AccountQueryRq>')).toThrow(
      /iterator/,
    );
  });

  it('adds items and sales receipts, checks references (3140), finds them by RefNumber, voids and deletes', () => {
    const [item, bad] = run(
      qb,
      '<ItemNonInventoryAddRq requestID="1"><ItemNonInventoryAdd><Name>TEE-1</Name><SalesOrPurchase><Desc>T-shirt</Desc><Price>12.50</Price><AccountRef><FullName>Merchandise Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>' +
        '<ItemServiceAddRq requestID="2"><ItemServiceAdd><Name>Bad</Name><SalesOrPurchase><AccountRef><FullName>No Such Account</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>',
    );
    expect(item.statusCode).toBe('0');
    expect(bad.statusCode).toBe('3140');
    const itemId = item.ItemNonInventoryRet[0].ListID;
    const receipt = (n: string, customer: string) =>
      `<SalesReceiptAddRq requestID="${n}"><SalesReceiptAdd><CustomerRef><FullName>${customer}</FullName></CustomerRef><TxnDate>2026-11-20</TxnDate><RefNumber>1001</RefNumber><Memo>order [qbg:o1:1]</Memo>` +
      `<SalesReceiptLineAdd><ItemRef><ListID>${itemId}</ListID></ItemRef><Desc>T-shirt</Desc><Quantity>2</Quantity><Rate>12.50</Rate><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></SalesReceiptLineAdd>` +
      `<SalesReceiptLineAdd><ItemRef><FullName>Shipping</FullName></ItemRef><Amount>4.95</Amount></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`;
    const [ok, noCustomer] = run(qb, receipt('1', 'Amy Rice') + receipt('2', 'Nobody'));
    expect(ok.SalesReceiptRet[0]).toMatchObject({
      RefNumber: '1001',
      TotalAmount: '29.95',
      Subtotal: '29.95',
    });
    expect(noCustomer.statusCode).toBe('3140');
    expect(noCustomer.statusMessage).toContain('Customer "Nobody"');
    const txnId = ok.SalesReceiptRet[0].TxnID;
    const [found, none] = run(
      qb,
      '<SalesReceiptQueryRq requestID="1"><RefNumber>1001</RefNumber></SalesReceiptQueryRq>' +
        '<SalesReceiptQueryRq requestID="2"><RefNumber>9999</RefNumber></SalesReceiptQueryRq>',
    );
    expect(found.SalesReceiptRet[0]).toMatchObject({ TxnID: txnId, Memo: 'order [qbg:o1:1]' });
    expect(found.SalesReceiptRet[0].SalesReceiptLineRet).toBeUndefined();
    expect(none.statusCode).toBe('1');
    const [voided] = run(
      qb,
      `<TxnVoidRq requestID="1"><TxnVoidType>SalesReceipt</TxnVoidType><TxnID>${txnId}</TxnID></TxnVoidRq>`,
    );
    expect(voided.statusCode).toBe('0');
    expect(company.txn(txnId)!.ret).toMatchObject({ TotalAmount: '0.00', Memo: 'VOID: order [qbg:o1:1]' });
    const [deleted, again] = run(
      qb,
      `<TxnDelRq requestID="1"><TxnDelType>SalesReceipt</TxnDelType><TxnID>${txnId}</TxnID></TxnDelRq>` +
        `<TxnDelRq requestID="2"><TxnDelType>SalesReceipt</TxnDelType><TxnID>${txnId}</TxnID></TxnDelRq>`,
    );
    expect(deleted.statusCode).toBe('0');
    expect(again.statusCode).toBe('3120');
  });

  it('stops after an error with stopOnError (3231) and goes on with continueOnError', () => {
    const body =
      '<CustomerAddRq requestID="1"><CustomerAdd><Name>Amy Rice</Name></CustomerAdd></CustomerAddRq>' +
      '<CustomerAddRq requestID="2"><CustomerAdd><Name>Next One</Name></CustomerAdd></CustomerAddRq>';
    expect(run(qb, body, 'stopOnError').map((r) => r.statusCode)).toEqual(['3100', '3231']);
    expect(run(qb, body, 'continueOnError').map((r) => r.statusCode)).toEqual(['3100', '0']);
  });

  it('answers injected statuses instead of running the request', () => {
    const injected = new QbxmlProcessor(company, {
      rules: [{ request: 'CustomerAdd', statusCode: 3180, statusMessage: 'disk full', times: 1 }],
    });
    const body = '<CustomerAddRq requestID="1"><CustomerAdd><Name>Rule</Name></CustomerAdd></CustomerAddRq>';
    expect(run(injected, body)[0]).toMatchObject({ statusCode: '3180', statusMessage: 'disk full' });
    expect(run(injected, body)[0].statusCode).toBe('0');
  });
});
