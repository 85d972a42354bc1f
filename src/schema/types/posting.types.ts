import { Field, ObjectType } from 'type-graphql';
import { SyncBatch } from './batch.types';
import { Order, QuickBooksTransaction } from './order.types';

@ObjectType({
  description: 'What undoSync removed; the customers and items the posting used stay in QuickBooks.',
})
export class UndoSyncPayload {
  @Field(() => Order) order!: Order;
  @Field(() => QuickBooksTransaction) removedTransaction!: QuickBooksTransaction;
  @Field(() => [String]) keptCustomerIds!: string[];
  @Field(() => [String]) keptItemIds!: string[];
  @Field(() => SyncBatch, {
    nullable: true,
    description:
      'QuickBooks Desktop: the batch that removes the transaction at the next Web Connector run (the order stays POSTED until then).',
  })
  batch?: SyncBatch | null;
}
