import { ApiKeyResolver } from './api-key.resolver';
import { BatchResolver } from './batch.resolver';
import { ConnectionResolver } from './connection.resolver';
import { NodeResolver } from './node.resolver';
import { InvoiceFieldResolver, OrderResolver } from './order.resolver';
import { PostingResolver } from './posting.resolver';
import { SyncLogResolver } from './sync-log.resolver';
import { ViewerResolver } from './viewer.resolver';

/** Every resolver class of the API; `src/app.ts` registers one instance of each. */
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
] as const;

export {
  ApiKeyResolver,
  BatchResolver,
  ConnectionResolver,
  InvoiceFieldResolver,
  NodeResolver,
  OrderResolver,
  PostingResolver,
  SyncLogResolver,
  ViewerResolver,
};
