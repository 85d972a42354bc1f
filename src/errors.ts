/**
 * The one error vocabulary of the gateway. Services throw `AppError`s; `formatError` (src/schema/format-error.ts) maps
 * each `code` to GraphQL's `extensions.code` in one place. Anything that is not an AppError is a bug and is reported to
 * the client as INTERNAL_SERVER_ERROR with no detail.
 */

/** Error codes of the API contract (`extensions.code`). */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'CONNECTION_NOT_READY',
  /** Something QuickBooks Online connections do that QuickBooks Desktop (Web Connector) connections do not yet. */
  'NOT_SUPPORTED_ON_DESKTOP',
  'QUICKBOOKS_ERROR',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  /** What a person should do next ("reconnect this connection"). */
  hint?: string;
  /** Field path of bad input, e.g. `orders.3.lines.0.quantity`. */
  field?: string;
  /** Extra machine-readable facts that are safe to show to the client (never secrets). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly hint?: string;
  readonly field?: string;
  readonly extensions: Record<string, unknown>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.hint = options.hint;
    this.field = options.field;
    this.extensions = options.extensions ?? {};
  }
}

export const badInput = (field: string, message: string, hint?: string): AppError =>
  new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field, hint });

export const notFound = (what: string, id: string): AppError =>
  new AppError('NOT_FOUND', `${what} ${id} was not found`);
