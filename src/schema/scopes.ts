import { Authorized, Extensions, registerEnumType } from 'type-graphql';
import type { GatewayContext } from '../context';
import { API_SCOPES, type ApiScope } from '../entities';
import { AppError } from '../errors';
import type { Principal } from '../services/api-key.service';

export const ApiScopeEnum = Object.fromEntries(API_SCOPES.map((scope) => [scope, scope])) as {
  [K in ApiScope]: K;
};
registerEnumType(ApiScopeEnum, {
  name: 'ApiScope',
  description:
    'What an API key may do: READ queries and subscriptions, WRITE mutations, ADMIN connection lifecycle.',
  valuesConfig: {
    READ: { description: 'Queries and subscriptions.' },
    WRITE: { description: 'Mutations on orders, invoices and batches (implies READ).' },
    ADMIN: { description: 'Connection lifecycle and settings (implies WRITE and READ).' },
  },
});

/** Scopes imply the ones below them: an ADMIN key may also write and read. */
const RANK: Record<ApiScope, number> = { READ: 1, WRITE: 2, ADMIN: 3 };

export function hasScope(granted: readonly ApiScope[], required: ApiScope): boolean {
  return granted.some((scope) => RANK[scope] >= RANK[required]);
}

/**
 * Marks an operation field with the scope it needs. It both enforces the scope (type-graphql's `@Authorized`) and
 * records it in the field's extensions, so a test can walk the built schema and fail on any unguarded operation.
 */
export function RequireScope(scope: ApiScope): MethodDecorator {
  const authorized = Authorized(scope);
  const extensions = Extensions({ requiredScope: scope });
  return (target, key, descriptor) => {
    authorized(target, key, descriptor);
    extensions(target, key, descriptor);
  };
}

/**
 * Scope check for a subscription's `subscribe` function, which runs before (and apart from) field-level auth.
 * Returns the principal so the stream can be scoped to its tenant.
 */
export function authorizeSubscription(context: GatewayContext, scope: ApiScope): Principal {
  if (!context.principal) throw new AppError('UNAUTHENTICATED', 'An API key is required');
  if (!hasScope(context.principal.scopes, scope))
    throw new AppError('FORBIDDEN', `This API key lacks the ${scope} scope`);
  return context.principal;
}
