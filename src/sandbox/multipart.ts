/**
 * A `multipart/form-data` reader for `POST /v3/company/{realmId}/upload` (how node-quickbooks' `upload` and Intuit's
 * SDKs send attachments: parts `file_content_NN` with a filename and content type, and optional `file_metadata_NN`
 * JSON). Small on purpose: bodies are already in memory (readBody caps them), so a split on the boundary suffices.
 */

/** One part of a multipart body. */
export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data; boundary=...` Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Splits a body into its parts; undefined when it is not well-formed. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos === -1) return undefined;
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return parts;
    if (body.subarray(pos, pos + 2).toString() === '\r\n') pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) return undefined;
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next === -1) return undefined;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    // The part's data ends before the CRLF that precedes the next delimiter.
    const data = body.subarray(headerEnd + 4, next - 2);
    const part: FormPart = { name: '', data };
    for (const h of headers) {
      const colon = h.indexOf(':');
      if (colon === -1) continue;
      const key = h.slice(0, colon).trim().toLowerCase();
      const value = h.slice(colon + 1).trim();
      if (key === 'content-disposition') {
        part.name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? '';
        const filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
        if (filename !== undefined) part.filename = filename;
      } else if (key === 'content-type') part.contentType = value;
    }
    parts.push(part);
    pos = next;
  }
}
