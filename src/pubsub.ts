import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { BatchKind, BatchStatus, ItemResultStatus, StoredSyncError } from './entities';

/** A batch item as published (plain JSON: events may cross processes through Redis). */
export interface BatchItemEvent {
  seq: number;
  entityType: string;
  entityId: string;
  label: string;
  status: ItemResultStatus;
  quickbooksId: string | null;
  error: StoredSyncError | null;
}

export interface BatchProgressEvent {
  batchId: string;
  kind: BatchKind;
  status: BatchStatus;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  item: BatchItemEvent | null;
  /**
   * The batch's own problem: why it FAILED, or, while it runs, what it is waiting out ("Waiting for QuickBooks
   * (attempt 2 of 25): ..."); null once items finish again.
   */
  error: StoredSyncError | null;
  /** ISO-8601. */
  at: string;
}

export const CONNECTION_EVENT_KINDS = [
  'STATUS_CHANGED',
  'REFERENCE_DATA_CHANGED',
  'PENDING_ENTITIES_CHANGED',
  'TRANSACTION_CHANGED_IN_QUICKBOOKS',
  'AUTHORIZATION_EXPIRING',
  'QUICKBOOKS_UNAVAILABLE',
] as const;
export type ConnectionEventKind = (typeof CONNECTION_EVENT_KINDS)[number];

export interface ConnectionEventPayload {
  connectionId: string;
  kind: ConnectionEventKind;
  entityType: string | null;
  quickbooksId: string | null;
  message: string | null;
  at: string;
}

/** Topics, keyed by id so each subscriber only receives its own batch's or connection's events. */
export type GatewayTopics = {
  batchProgress: [batchId: string, event: BatchProgressEvent];
  connectionEvents: [connectionId: string, event: ConnectionEventPayload];
};
export type GatewayPubSub = PubSub<GatewayTopics>;

export interface PubSubHandle {
  pubSub: GatewayPubSub;
  close(): Promise<void>;
}

/**
 * In-process pub/sub by default; with a Redis URL, events go through Redis so that a subscriber connected to any
 * gateway process sees events published by any worker.
 */
export function createGatewayPubSub(redisUrl?: string): PubSubHandle {
  if (!redisUrl) return { pubSub: createPubSub<GatewayTopics>(), close: async () => undefined };
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    pubSub: createPubSub<GatewayTopics>({ eventTarget: eventTarget as never }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
