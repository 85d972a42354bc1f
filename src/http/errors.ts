/**
 * Errors that happen before GraphQL (body parsing, sizes, unknown paths, rate limits) answer in the GraphQL error
 * shape, `{ errors: [{ message, extensions: { code, … } }] }`, so clients parse one format whatever failed. Never a
 * stack, never HTML.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';

export interface ErrorBody {
  errors: Array<{ message: string; extensions: Record<string, unknown> & { code: string } }>;
}

export function errorBody(
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): ErrorBody {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): void {
  res.status(status).json(errorBody(code, message, extensions));
}

/** body-parser's error types, as a client-facing code and message. */
function describe(
  error: { type?: string; status?: number; limit?: number },
  maxBodyBytes: number,
): { status: number; code: string; message: string; hint?: string } {
  switch (error.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body is larger than ${error.limit ?? maxBodyBytes} bytes`,
        hint: 'send fewer items per request (upsertOrders takes up to 1000 orders), or raise GRAPHQL_MAX_BODY_BYTES',
      };
    case 'entity.parse.failed':
      return { status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'The request body uses an unsupported content encoding or charset',
      };
    default: {
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
      return status === 500
        ? { status, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }
        : { status, code: 'BAD_REQUEST', message: 'The request body could not be read (bad compression?)' };
    }
  }
}

/** The last error handler: what Express or a body parser threw, as JSON. */
export function jsonErrorHandler(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const described = describe(error ?? {}, maxBodyBytes);
    if (described.status >= 500)
      logger.error({ err: error, path: req.path }, 'unexpected error in a request');
    sendError(
      res,
      described.status,
      described.code,
      described.message,
      described.hint ? { hint: described.hint } : {},
    );
  };
}

/** Unknown paths: 404 in the same shape. */
export function jsonNotFound(): RequestHandler {
  return (req, res) =>
    sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`, {
      hint: 'the API is POST /graphql; the console is at /console',
    });
}
