import { randomUUID } from 'node:crypto';
import type { Loaders } from './loaders';
import type { Logger } from './logger';
import type { BatchProgressEvent, ConnectionEventPayload } from './pubsub';
import type { Principal } from './services/api-key.service';

/** What every resolver receives, for HTTP and WebSocket alike (built by `ContextFactory`). */
export interface GatewayContext {
  requestId: string;
  /** Undefined when the caller sent no key or a bad one; guarded fields then answer UNAUTHENTICATED. */
  principal?: Principal;
  logger: Logger;
  loaders: Loaders;
  /** Event streams for subscriptions (their `subscribe` functions cannot reach resolver instances). */
  streams: SubscriptionStreams;
}

export interface SubscriptionStreams {
  batchProgress(tenantId: string, batchId: string): AsyncIterable<BatchProgressEvent>;
  connectionEvents(tenantId: string, connectionId: string): Promise<AsyncIterable<ConnectionEventPayload>>;
}

/** The principal of an authenticated context; resolvers behind `@RequireScope` can rely on it. */
export function principalOf(context: GatewayContext): Principal {
  if (!context.principal) throw new Error('principalOf called on an unauthenticated context');
  return context.principal;
}

/** Takes the caller's request id when it is sane, else makes one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[\w.:-]{1,100}$/.test(header) ? header : randomUUID();
}

/** Extracts the key from `Bearer <key>` (case-insensitive scheme). */
export function bearerKey(authorization: unknown): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1];
}
