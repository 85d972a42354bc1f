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
