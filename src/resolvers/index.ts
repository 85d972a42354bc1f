import type { Services } from '../core';
import { ApiKeyResolver } from './api-key.resolver';
import { BatchResolver } from './batch.resolver';
import { ConnectionReadinessResolver, RefundResolver, WebhookEndpointResolver } from './books.resolver';
import { ConnectionResolver } from './connection.resolver';
import { DesktopResolver } from './desktop.resolver';
import { ConnectionInboundResolver } from './inbound-sync.resolver';
import { ConnectionInvoicingResolver, InvoiceResolver } from './invoice.resolver';
import { NodeResolver } from './node.resolver';
import { InvoiceFieldResolver, OrderResolver } from './order.resolver';
import { PostingResolver } from './posting.resolver';
import { SyncLogResolver } from './sync-log.resolver';
import { ConnectionPendingResolver, ReferenceSyncResolver, SyncResolver } from './sync.resolver';
import { ViewerResolver } from './viewer.resolver';

/** Every resolver class of the API (the schema's shape). */
export const RESOLVER_CLASSES = [
  ViewerResolver,
  ApiKeyResolver,
  NodeResolver,
  ConnectionResolver,
  BatchResolver,
  SyncLogResolver,
  OrderResolver,
  InvoiceFieldResolver,
  PostingResolver,
  DesktopResolver,
  InvoiceResolver,
  ConnectionInvoicingResolver,
  RefundResolver,
  ConnectionReadinessResolver,
  WebhookEndpointResolver,
  SyncResolver,
  ReferenceSyncResolver,
  ConnectionPendingResolver,
  ConnectionInboundResolver,
] as const;

/** One instance of each resolver class, given the services it calls (the container type-graphql asks). */
export function createResolvers(services: Services): Map<Function, object> {
  const instances: Array<[(typeof RESOLVER_CLASSES)[number], object]> = [
    [ViewerResolver, new ViewerResolver()],
    [ApiKeyResolver, new ApiKeyResolver(services.apiKeys)],
    [
      NodeResolver,
      new NodeResolver(
        services.connections,
        services.batches,
        services.references,
        services.orders,
        services.invoicing.invoices,
        { pending: services.pending, outbound: services.sync.outbound },
      ),
    ],
    [ConnectionResolver, new ConnectionResolver(services.connections, services.references)],
    [BatchResolver, new BatchResolver(services.batches)],
    [SyncLogResolver, new SyncLogResolver(services.syncLogs)],
    [OrderResolver, new OrderResolver(services.orders)],
    [InvoiceFieldResolver, new InvoiceFieldResolver()],
    [PostingResolver, new PostingResolver(services.posting, services.undo)],
    [DesktopResolver, new DesktopResolver(services.desktop)],
    [InvoiceResolver, new InvoiceResolver(services.invoicing)],
    [ConnectionInvoicingResolver, new ConnectionInvoicingResolver(services.invoicing)],
    [RefundResolver, new RefundResolver(services.refunds)],
    [ConnectionReadinessResolver, new ConnectionReadinessResolver(services.connections)],
    [WebhookEndpointResolver, new WebhookEndpointResolver(services.webhooks)],
    [SyncResolver, new SyncResolver(services)],
    [ReferenceSyncResolver, new ReferenceSyncResolver(services.sync.outbound, services.pending)],
    [ConnectionPendingResolver, new ConnectionPendingResolver(services.sync.outbound, services.pending)],
    [ConnectionInboundResolver, new ConnectionInboundResolver(services.inbound)],
  ];
  return new Map(instances);
}
