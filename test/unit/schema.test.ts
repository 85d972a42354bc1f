import fs from 'node:fs';
import { GraphQLError, isObjectType } from 'graphql';
import { createSchema, printGatewaySchema, SCHEMA_FILE } from '../../src/schema/build-schema';
import { createFormatError } from '../../src/schema/format-error';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { Writable } from 'node:stream';

describe('schema', () => {
  const schema = createSchema();

  it('matches the committed schema.graphql (run `npm run schema:emit` after changing the API)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(printGatewaySchema(schema));
  });

  it('guards every operation field with a scope', () => {
    const unguarded: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (!root || !isObjectType(root)) continue;
      for (const field of Object.values(root.getFields())) {
        if (!field.extensions?.requiredScope) unguarded.push(`${root.name}.${field.name}`);
      }
    }
    expect(unguarded).toEqual([]);
  });
});

describe('formatError', () => {
  const lines: string[] = [];
  const logger = createLogger(
    'error',
    new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }),
  );
  // Apollo calls formatError with the GraphQLError that wraps the resolver's error.
  const asGraphQLError = (original: Error) =>
    new GraphQLError(original.message, { originalError: original, path: ['x'] });

  it('masks unexpected errors, logs them with their stack, and hides the stack from clients', () => {
    const format = createFormatError(logger, false);
    const secret = new Error('connect ECONNREFUSED 10.0.0.3:3306 password=hunter2');
    const result = format({ message: secret.message, path: ['x'] }, asGraphQLError(secret));
    expect(result).toEqual({
      message: 'Internal server error',
      path: ['x'],
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines.join('')).toContain('ECONNREFUSED');
    expect(lines.join('')).toContain('"stack"');
  });

  it('shows the stack in development only', () => {
    const result = createFormatError(logger, true)({ message: 'boom' }, asGraphQLError(new Error('boom')));
    expect(result.extensions?.stacktrace).toEqual(
      expect.arrayContaining([expect.stringContaining('Error: boom')]),
    );
  });

  it('keeps AppError codes, hints and fields', () => {
    const error = new AppError('CONNECTION_NOT_READY', 'Connection con_1 is DISCONNECTED', {
      hint: 'reconnect this connection',
    });
    const result = createFormatError(logger, false)({ message: error.message }, asGraphQLError(error));
    expect(result.extensions).toEqual({ code: 'CONNECTION_NOT_READY', hint: 'reconnect this connection' });
  });
});
