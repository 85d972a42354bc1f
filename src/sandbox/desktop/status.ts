/**
 * QuickBooks Desktop status codes in responses (statusCode, statusSeverity, statusMessage) with the messages
 * QuickBooks writes. 0–499 are Info, 500–999 Warn, 1000 and up Error.
 */
export interface Status {
  statusCode: string;
  statusSeverity: 'Info' | 'Warn' | 'Error';
  statusMessage: string;
}

const severity = (code: number): Status['statusSeverity'] =>
  code >= 1000 ? 'Error' : code >= 500 ? 'Warn' : 'Info';

export const status = (code: number, message: string): Status => ({
  statusCode: String(code),
  statusSeverity: severity(code),
  statusMessage: message,
});

export const OK = status(0, 'Status OK');
export const NO_MATCH = status(1, 'A query request did not find a matching object in QuickBooks');
export const notAllFound = (what: string): Status =>
  status(
    500,
    `The query request has not been fully completed. There was a required element ("${what}") that could not be found in QuickBooks.`,
  );
export const invalidId = (id: string, field: string): Status =>
  status(3000, `The given object ID "${id}" in the field "${field}" is invalid.`);
export const tooLong = (value: string, field: string): Status =>
  status(3070, `The string "${value}" in the field "${field}" is too long.`);
export const nameInUse = (name: string): Status =>
  status(3100, `The name "${name}" of the list element is already in use.`);
export const notFound = (id: string): Status =>
  status(3120, `Object "${id}" specified in the request cannot be found.`);
export const invalidReference = (type: string, name: string, where: string): Status =>
  status(
    3140,
    `There is an invalid reference to QuickBooks ${type} "${name}" in the ${where}. QuickBooks error message: Invalid argument. The specified record does not exist in the list.`,
  );
export const missingElement = (element: string): Status =>
  status(3150, `There is a missing element: "${element}".`);
export const modifyError = (type: string, name: string, reason: string): Status =>
  status(
    3170,
    `There was an error when modifying a ${type} list, element "${name}". QuickBooks error message: ${reason}`,
  );
export const saveError = (type: string, name: string, reason: string): Status =>
  status(
    3180,
    `There was an error when saving a ${type} list, element "${name}". QuickBooks error message: ${reason}`,
  );
export const staleEditSequence = (editSequence: string): Status =>
  status(3200, `The provided edit sequence "${editSequence}" is out-of-date.`);
export const NOT_PROCESSED = status(3231, 'The request has not been processed.');
