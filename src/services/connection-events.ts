import type { ConnectionEventKind, GatewayPubSub } from '../pubsub';

/** Publishes `connectionEvents` (status changes, reference data changes, ...). */
export class ConnectionEvents {
  constructor(private readonly pubSub: GatewayPubSub) {}

  publish(
    connectionId: string,
    kind: ConnectionEventKind,
    details: { entityType?: string; quickbooksId?: string; message?: string } = {},
  ): void {
    this.pubSub.publish('connectionEvents', connectionId, {
      connectionId,
      kind,
      entityType: details.entityType ?? null,
      quickbooksId: details.quickbooksId ?? null,
      message: details.message ?? null,
      at: new Date().toISOString(),
    });
  }

  subscribe(connectionId: string) {
    return this.pubSub.subscribe('connectionEvents', connectionId);
  }
}
