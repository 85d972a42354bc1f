/**
 * qbXML as plain objects. Elements become keys (repeated elements arrays, leaves strings, attributes `@_name`), in
 * document order — qbXML is order-sensitive (requests run in the order they appear, and QuickBooks validates element
 * order against its DTD), so requests are read with `preserveOrder` and responses are written in insertion order.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** A qbXML element's content: child elements by name, attributes as `@_name`, or a text value. */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue | undefined;
}

/** One request of a message set, in order. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  content: XmlObject;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const orderedParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignorePiTags: false,
  htmlEntities: true,
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

/** Thrown when a message cannot be read at all (QuickBooks answers such a message with an HRESULT, not a status). */
export class QbxmlParseError extends Error {
  constructor(
    message: string,
    readonly hresult = '0x80040400',
  ) {
    super(message);
    this.name = 'QbxmlParseError';
  }
}

/** Element nodes of a preserveOrder list → a plain object (repeated names become arrays). */
function plain(nodes: OrderedNode[]): XmlObject | string {
  const out: XmlObject = {};
  let text = '';
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name) continue;
    if (name === '#text') {
      text += String(node[name]);
      continue;
    }
    const children = plain(node[name] as OrderedNode[]);
    const attributes = node[':@'];
    const value: XmlValue =
      attributes && typeof children === 'object'
        ? { ...attributes, ...children }
        : attributes && children === ''
          ? { ...attributes }
          : children;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  return Object.keys(out).length === 0 ? text : out;
}

/** Reads a qbXML request document: its version, onError, and the requests in order. */
export function readMessageSet(xml: string): {
  version: string | undefined;
  onError: string;
  requests: XmlElement[];
} {
  let doc: OrderedNode[];
  try {
    doc = orderedParser.parse(xml, true) as OrderedNode[];
  } catch (error) {
    throw new QbxmlParseError(
      `QuickBooks found an error when parsing the provided XML text stream. (${(error as Error).message})`,
    );
  }
  const pi = doc.find((n) => '?qbxml' in n);
  const version = pi?.[':@']?.['@_version'];
  const root = doc.find((n) => 'QBXML' in n)?.QBXML as OrderedNode[] | undefined;
  const set = root?.find((n) => 'QBXMLMsgsRq' in n);
  if (!set) throw new QbxmlParseError('QuickBooks found an error when parsing the provided XML text stream.');
  const requests: XmlElement[] = [];
  for (const node of set.QBXMLMsgsRq as OrderedNode[]) {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name === '#text') continue;
    const content = plain(node[name] as OrderedNode[]);
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes[key.slice(2)] = value;
    requests.push({ name, attributes, content: typeof content === 'string' ? {} : content });
  }
  return { version, onError: set[':@']?.['@_onError'] ?? 'stopOnError', requests };
}

/** One element as XML text (attributes as `@_name` keys, insertion order kept). */
export function buildElement(name: string, content: XmlObject | string): string {
  return builder.build({ [name]: content });
}

/** A qbXML response document around already-built response elements. */
export function responseDocument(responses: string[]): string {
  return `<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n${responses.join('\n')}\n</QBXMLMsgsRs>\n</QBXML>\n`;
}

/** The value as a list (a repeated element is an array, a single one is not). */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** A child element's text, or undefined. */
export function textOf(object: XmlObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** A child element as an object, or undefined. */
export function objectOf(object: XmlObject | undefined, key: string): XmlObject | undefined {
  const value = object?.[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
