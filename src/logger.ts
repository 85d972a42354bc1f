/**
 * The root pino logger. Every other logger is a child of it (per module, per request, per job), so redaction applies
 * everywhere: authorization headers, tokens, signatures and secrets never reach the log.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** Paths pino censors wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["intuit-signature"]',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'req.headers["x-qbo-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'apiKey',
  'secret',
  'password',
  'token',
  'encryptionKey',
  'connectionParams.authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.password',
  '*.clientSecret',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'quickbooks-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * A URL as logged: the path, and the query's parameter names with every value censored. Query strings carry the
 * one-time OAuth `code` and `state`, the company's `realmId`, and keys sent in the wrong place (`?authorization=`).
 */
export function redactUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const names = url
    .slice(mark + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const name = pair.split('=')[0];
      return `${safeName(name)}=[redacted]`;
    });
  return `${url.slice(0, mark)}?${names.join('&')}`;
}

/** Parameter names are kept when they look like names; anything else (a key pasted as a name) is censored too. */
function safeName(name: string): string {
  return /^[\w.-]{1,40}$/.test(name) && !/^qbg_/.test(name) ? name : '[redacted]';
}

/** pino-http's request serializer: the fields worth logging, with the URL redacted and no parsed query. */
export function serializeRequest(req: {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: Record<string, unknown>;
  remoteAddress?: unknown;
}): Record<string, unknown> {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    headers: req.headers?.referer ? { ...req.headers, referer: redactUrl(req.headers.referer) } : req.headers,
    remoteAddress: req.remoteAddress,
  };
}
