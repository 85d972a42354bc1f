import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { AppError, type ErrorCode } from '../errors';
import type { Logger } from '../logger';

/** Apollo's own codes for requests that never reached a resolver; they pass through unchanged. */
const PROTOCOL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** type-graphql's guards throw their own errors; they map onto the contract's codes here. */
const TYPE_GRAPHQL_CODES: Record<string, ErrorCode> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  UNAUTHORIZED: 'FORBIDDEN',
};

/**
 * The one place where errors become what clients see. AppErrors keep their code, message, hint and field; input
 * validation names each field path and rule; anything else is a bug: logged with its stack and masked.
 */
export function createFormatError(logger: Logger, exposeStack: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };

    if (original instanceof AppError) {
      return {
        ...base,
        message: original.message,
        extensions: {
          ...original.extensions,
          code: original.code,
          ...(original.hint ? { hint: original.hint } : {}),
          ...(original.field ? { field: original.field } : {}),
        },
      };
    }

    const code = formatted.extensions?.code;
    if (typeof code === 'string' && TYPE_GRAPHQL_CODES[code]) {
      return { ...base, message: formatted.message, extensions: { code: TYPE_GRAPHQL_CODES[code] } };
    }
    if (typeof code === 'string' && PROTOCOL_CODES.has(code)) return formatted;

    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return {
      ...base,
      message: 'Internal server error',
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        ...(exposeStack && original instanceof Error ? { stacktrace: original.stack?.split('\n') } : {}),
      },
    };
  };
}

/** Turns nested class-validator errors into `{ field: "input.lines.0.quantity", rule }` pairs (never the value). */
export function flattenValidation(
  errors: ValidationError[],
  prefix: string,
): Array<{ field: string; rule: string }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      rule: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
    }));
    return [...own, ...flattenValidation(error.children ?? [], field)];
  });
}
