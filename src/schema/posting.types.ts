import { Field, ObjectType } from 'type-graphql';
import { Order, QuickBooksTransaction } from './order.types';

@ObjectType({
  description: 'What undoSync removed; the customers and items the posting used stay in QuickBooks.',
})
export class UndoSyncPayload {
  @Field(() => Order) order!: Order;
  @Field(() => QuickBooksTransaction) removedTransaction!: QuickBooksTransaction;
  @Field(() => [String]) keptCustomerIds!: string[];
  @Field(() => [String]) keptItemIds!: string[];
}
