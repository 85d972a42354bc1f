/**
 * QuickBooks' fault vocabulary. Rules throw a `QboFault`; the request layer turns it into
 * `{"Fault":{"Error":[{Message, Detail, code, element}],"type":"ValidationFault"},"time"}` with HTTP 400 (or, inside a
 * batch, into the item's `Fault`). Codes, messages and details follow what Intuit sends (see the reference notes).
 */

/** One entry of `Fault.Error`. */
export interface FaultEntry {
  Message: string;
  Detail: string;
  code: string;
  element: string;
}

/** A QuickBooks fault raised while handling a request. Never escapes `AccountingApi.handle`. */
export class QboFault extends Error {
  constructor(
    readonly errors: FaultEntry[],
    readonly status = 400,
    readonly type = 'ValidationFault',
  ) {
    super(errors[0]?.Detail ?? 'QuickBooks fault');
    this.name = 'QboFault';
  }

  /** The `Fault` object as QuickBooks prints it. */
  toJSON(): { Error: FaultEntry[]; type: string } {
    return { Error: this.errors, type: this.type };
  }
}

function fault(code: string, message: string, detail: string, element = ''): QboFault {
  return new QboFault([{ Message: message, Detail: detail, code, element }]);
}

const NOT_FOUND_DETAIL =
  "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";

const BUSINESS_MESSAGE = 'A business validation error has occurred while processing your request';

/** 610: an id that does not exist (read, update, delete) or a reference to an inactive name-list entity. */
export function objectNotFound(element = ''): QboFault {
  return fault('610', 'Object Not Found', NOT_FOUND_DETAIL, element);
}

/** 610 for a transaction that was deleted (Intuit's "Another user has deleted this transaction"). */
export function deletedTransaction(): QboFault {
  return fault('610', 'Object Not Found', 'Object Not Found : Another user has deleted this transaction.');
}

/** 2020: a required parameter is missing. */
export function requiredParam(param: string, element = param): QboFault {
  return fault(
    '2020',
    'Required param missing, need to supply the required value for the API',
    `Required parameter ${param} is missing in the request`,
    element,
  );
}

/** 2500: a reference points at an id that does not exist. */
export function invalidReference(element: string): QboFault {
  return fault('2500', 'Invalid Reference Id', `Invalid Reference Id : ${element}`, element);
}

/** 2010: a property the entity does not have (QuickBooks' JSON reader rejects unknown fields). */
export function unknownProperty(field: string, className: string): QboFault {
  return fault(
    '2010',
    'Request has invalid or unsupported property',
    `Property Name:Unrecognized field "${field}" (class com.intuit.schema.finance.v3.${className}), not marked as ignorable specified is unsupported or invalid`,
    field,
  );
}

/** 2050: string too long. */
export function stringLength(element: string, max: number, supplied: number): QboFault {
  return fault(
    '2050',
    'String length is either shorter or longer than supported by specification',
    `String length specified does not match the supported length. Min:0 Max:${max} supplied length:${supplied}`,
    element,
  );
}

/** 2170: a value outside an enumeration. */
export function invalidEnumeration(element: string, value: string): QboFault {
  return fault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${value}`, element);
}

/** 2010 for a value of the wrong type (a number that is not a number, an object that is not an object). */
export function invalidValue(element: string, value: unknown): QboFault {
  return fault(
    '2010',
    'Request has invalid or unsupported property',
    `Property Name:${element} specified is unsupported or invalid (value: ${JSON.stringify(value)})`,
    element,
  );
}

/** 5010: the SyncToken is not the current version. */
export function staleObject(): QboFault {
  return fault(
    '5010',
    'Stale Object Error',
    'Stale Object Error : You and QuickBooks Sandbox User were working on this at the same time. QuickBooks Sandbox User finished before you did, so your work was not saved.',
  );
}

/** 6000: a business rule, with Intuit's "Business Validation Error: ..." detail. */
export function businessValidation(detail: string, element = ''): QboFault {
  return fault('6000', BUSINESS_MESSAGE, `Business Validation Error: ${detail}`, element);
}

/** 6070: Amount differs from Qty × UnitPrice. */
export function amountCalculation(supplied: string): QboFault {
  return fault(
    '6070',
    'Amount calculation incorrect in the request.',
    `Amount is not equal to UnitPrice * Qty. Supplied value:${supplied}`,
    'Line.Amount',
  );
}

/** 6100: a US line tax code other than TAX or NON. */
export function invalidLineTaxCode(value: string): QboFault {
  return fault(
    '6100',
    'Invalid Line TaxCode',
    `Invalid Line TaxCode : US companies accept only TAX or NON as a line TaxCodeRef. Supplied value:${value}`,
    'Line.SalesItemLineDetail.TaxCodeRef',
  );
}

/** 6140: DocNumber already used by another transaction of that type. */
export function duplicateDocNumber(docNumber: string, txnType: string, txnId: string): QboFault {
  return fault(
    '6140',
    'Duplicate Document Number Error',
    `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=${txnType} with TxnId=${txnId}`,
  );
}

/** 6240: the name is taken (Customer/Vendor/Employee DisplayName, Item name, ...). */
export function duplicateName(id: string): QboFault {
  return fault('6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Id=${id}`);
}

/** 6540: a payment or sales receipt already in a deposit (Intuit "Top QBO API errors": Deposited Transaction cannot
 * be changed). */
export function depositedTransaction(depositId: string): QboFault {
  return fault(
    '6540',
    'Deposited Transaction cannot be changed',
    `Deposited Transaction cannot be changed : This transaction is part of deposit ${depositId}. Remove it from the deposit first.`,
  );
}

/** 500: an operation QuickBooks does not support on that entity (e.g. deleting a Customer). */
export function unsupportedOperation(detail: string): QboFault {
  return fault('500', 'Unsupported Operation', detail);
}

/** 4000: the query does not parse. */
export function queryParse(detail: string): QboFault {
  return fault('4000', 'Error parsing query', `QueryParserError: ${detail}`);
}

/** 4000 for values the parser accepts but QuickBooks refuses (MAXRESULTS over 1000). */
export function queryValueTooLarge(value: number): QboFault {
  return fault(
    '4000',
    'Error parsing query',
    `QueryValidationError: value ${value} is too large. Max allowed value is 1000`,
  );
}

/** 4001: the query names a property that cannot be queried. */
export function queryValidation(detail: string): QboFault {
  return fault('4001', 'Invalid query', `QueryValidationError: ${detail}`);
}

/** 10000: a malformed request body (QuickBooks answers unparseable payloads with a SystemFault). */
export function malformedRequest(detail: string): QboFault {
  return new QboFault(
    [
      {
        Message: 'An application error has occurred while processing your request',
        Detail: `System Failure Error: ${detail}`,
        code: '10000',
        element: '',
      },
    ],
    400,
    'SystemFault',
  );
}
