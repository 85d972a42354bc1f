import fs from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchemaSync, type AuthChecker, type PubSub } from 'type-graphql';
import type { ApiScope } from '../entities';
import { AppError } from '../errors';
import type { GatewayContext } from '../context';
import { RESOLVER_CLASSES } from '../resolvers';
import { applyLeanResolvers } from './lean-resolvers';
import { DateTimeScalar } from './scalars';
import { hasScope } from './scopes';
import { validateInput } from './validate-input';

/** Where the emitted SDL is committed; `npm run schema:emit` rewrites it and a test fails when it is stale. */
export const SCHEMA_FILE = path.join(__dirname, 'schema.graphql');

/** Unauthenticated callers get UNAUTHENTICATED; authenticated ones lacking the scope get FORBIDDEN. */
export const scopeAuthChecker: AuthChecker<GatewayContext, ApiScope> = ({ context }, required) => {
  if (!context.principal) {
    throw new AppError('UNAUTHENTICATED', 'An API key is required: send "Authorization: Bearer <key>"');
  }
  const missing = required.filter((scope) => !hasScope(context.principal!.scopes, scope));
  if (missing.length > 0) {
    throw new AppError('FORBIDDEN', `This API key lacks the ${missing.join(', ')} scope`);
  }
  return true;
};

export interface SchemaOptions {
  /** Resolver instances by class (the ten-line container); absent when only the shape is needed. */
  resolvers?: Map<Function, object>;
  pubSub?: PubSub;
}

export function createSchema(options: SchemaOptions = {}): GraphQLSchema {
  const instances = options.resolvers;
  const schema = buildSchemaSync({
    resolvers: RESOLVER_CLASSES,
    container: instances
      ? {
          get: (cls: Function) => {
            const instance = instances.get(cls);
            if (!instance) throw new Error(`no instance registered for resolver ${cls.name}`);
            return instance;
          },
        }
      : undefined,
    authChecker: scopeAuthChecker,
    authMode: 'error',
    validate: true,
    validateFn: validateInput,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Our subscriptions bring their own streams (`subscribe`), but type-graphql insists on a pub/sub.
    pubSub: options.pubSub ?? createPubSub(),
    emitSchemaFile: false,
  });
  if (instances) applyLeanResolvers(schema, instances);
  return schema;
}

/** The SDL as committed: sorted, so the file only changes when the API does. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

export function emitSchemaFile(schema: GraphQLSchema): void {
  fs.writeFileSync(SCHEMA_FILE, printGatewaySchema(schema));
}
