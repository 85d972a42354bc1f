/**
 * Small HTTP helpers on Node's `http` module. The emulator avoids a framework on purpose: it must not be the bottleneck
 * of the gateway's benchmarks, so the hot path is a string split, a Map lookup and one `res.end`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body accepted (QuickBooks' own limit is not documented; batch payloads of 30 invoices fit easily). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** Thrown by `readBody` when the body is larger than `MAX_BODY_BYTES`. */
export class BodyTooLargeError extends Error {}

/** Reads the raw request body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  // Most API calls are GETs without a body: skip the stream listeners (Node ends such a request by itself).
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(req: IncomingMessage): string {
  const ct = req.headers['content-type'];
  if (!ct) return '';
  const semi = ct.indexOf(';');
  return (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

/** Decodes a query string (without the `?`) into a plain object; the last value of a repeated key wins. */
export function parseQuery(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!search) return out;
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  return out;
}

// intuit_tid values only need to be unique and look like Intuit's (`1-<hex>-<hex>`); a per-process random prefix and a
// counter avoid a crypto call per request.
const tidPrefix = `1-${randomBytes(4).toString('hex')}-`;
let tidCounter = 0;

/** A fresh transaction id for the `intuit_tid` response header. */
export function nextTid(): string {
  tidCounter = (tidCounter + 1) % 0x1_0000_0000_0000;
  return tidPrefix + tidCounter.toString(16).padStart(12, '0');
}

/** Writes a complete response with `intuit_tid` and a Content-Length. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  extraHeaders?: Record<string, string>,
): void {
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    intuit_tid: nextTid(),
  };
  if (extraHeaders) Object.assign(headers, extraHeaders);
  res.writeHead(status, headers);
  res.end(body);
}

/** A response computed before it is written (so a fault rule can run a handler and then drop the connection). */
export interface Reply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

/** A JSON reply. */
export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(body), contentType: 'application/json;charset=UTF-8', headers };
}

/** Writes a reply. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  send(res, reply.status, reply.body, reply.contentType, reply.headers);
}

/** Writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders?: Record<string, string>,
): void {
  send(res, status, JSON.stringify(body), 'application/json;charset=UTF-8', extraHeaders);
}

/** Escapes text for HTML and XML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Resolves after `ms` milliseconds (at once for 0). */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
