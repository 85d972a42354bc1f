/**
 * The QuickBooks Web Connector's SOAP interface (QBWebConnectorSvc): SOAP 1.1, document/literal, namespace
 * http://developer.intuit.com/, SOAPAction `http://developer.intuit.com/<method>`. The service at `/qbwc` answers with
 * it (`GET /qbwc?wsdl`), and tests validate every message both ways against its schema.
 */

const NS = 'http://developer.intuit.com/';

/** Each operation's input and output fields, in schema order: [name, XSD type, minOccurs]. */
export const QBWC_OPERATIONS: Record<
  string,
  { input: Array<[string, string, number]>; output: [string, string, number] }
> = {
  serverVersion: { input: [], output: ['serverVersionResult', 's:string', 0] },
  clientVersion: {
    input: [['strVersion', 's:string', 0]],
    output: ['clientVersionResult', 's:string', 0],
  },
  authenticate: {
    input: [
      ['strUserName', 's:string', 0],
      ['strPassword', 's:string', 0],
    ],
    output: ['authenticateResult', 'tns:ArrayOfString', 0],
  },
  sendRequestXML: {
    input: [
      ['ticket', 's:string', 0],
      ['strHCPResponse', 's:string', 0],
      ['strCompanyFileName', 's:string', 0],
      ['qbXMLCountry', 's:string', 0],
      ['qbXMLMajorVers', 's:int', 1],
      ['qbXMLMinorVers', 's:int', 1],
    ],
    output: ['sendRequestXMLResult', 's:string', 0],
  },
  receiveResponseXML: {
    input: [
      ['ticket', 's:string', 0],
      ['response', 's:string', 0],
      ['hresult', 's:string', 0],
      ['message', 's:string', 0],
    ],
    output: ['receiveResponseXMLResult', 's:int', 1],
  },
  connectionError: {
    input: [
      ['ticket', 's:string', 0],
      ['hresult', 's:string', 0],
      ['message', 's:string', 0],
    ],
    output: ['connectionErrorResult', 's:string', 0],
  },
  getLastError: { input: [['ticket', 's:string', 0]], output: ['getLastErrorResult', 's:string', 0] },
  closeConnection: { input: [['ticket', 's:string', 0]], output: ['closeConnectionResult', 's:string', 0] },
};

const field = ([name, type, min]: [string, string, number]): string =>
  `<s:element minOccurs="${min}" maxOccurs="1" name="${name}" type="${type}"/>`;
const sequence = (fields: Array<[string, string, number]>): string =>
  fields.length
    ? `<s:complexType><s:sequence>${fields.map(field).join('')}</s:sequence></s:complexType>`
    : '<s:complexType/>';

/** The XML Schema of the messages (the WSDL's `types`), also used on its own to validate messages in tests. */
export function qbwcSchema(): string {
  const elements = Object.entries(QBWC_OPERATIONS)
    .map(
      ([op, { input, output }]) =>
        `<s:element name="${op}">${sequence(input)}</s:element>` +
        `<s:element name="${op}Response">${sequence([output])}</s:element>`,
    )
    .join('');
  return (
    `<s:schema xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="${NS}" elementFormDefault="qualified" targetNamespace="${NS}">` +
    elements +
    '<s:complexType name="ArrayOfString"><s:sequence>' +
    '<s:element minOccurs="0" maxOccurs="unbounded" name="string" nillable="true" type="s:string"/>' +
    '</s:sequence></s:complexType></s:schema>'
  );
}

/** The WSDL, with the service's address. */
export function qbwcWsdl(location: string): string {
  const ops = Object.keys(QBWC_OPERATIONS);
  const messages = ops
    .map(
      (op) =>
        `<wsdl:message name="${op}SoapIn"><wsdl:part name="parameters" element="tns:${op}"/></wsdl:message>` +
        `<wsdl:message name="${op}SoapOut"><wsdl:part name="parameters" element="tns:${op}Response"/></wsdl:message>`,
    )
    .join('');
  const portOps = ops
    .map(
      (op) =>
        `<wsdl:operation name="${op}"><wsdl:input message="tns:${op}SoapIn"/><wsdl:output message="tns:${op}SoapOut"/></wsdl:operation>`,
    )
    .join('');
  const bindingOps = ops
    .map(
      (op) =>
        `<wsdl:operation name="${op}"><soap:operation soapAction="${NS}${op}" style="document"/>` +
        '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="${NS}" targetNamespace="${NS}">` +
    `<wsdl:types>${qbwcSchema()}</wsdl:types>` +
    messages +
    `<wsdl:portType name="QBWebConnectorSvcSoap">${portOps}</wsdl:portType>` +
    '<wsdl:binding name="QBWebConnectorSvcSoap" type="tns:QBWebConnectorSvcSoap">' +
    '<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>' +
    bindingOps +
    '</wsdl:binding>' +
    '<wsdl:service name="QBWebConnectorSvc"><wsdl:port name="QBWebConnectorSvcSoap" binding="tns:QBWebConnectorSvcSoap">' +
    `<soap:address location="${location}"/></wsdl:port></wsdl:service>` +
    '</wsdl:definitions>'
  );
}
