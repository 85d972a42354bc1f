import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { INVOICE_PUSH_STATUSES, type InvoicePushStatus } from '../entities';
import { Node, SyncError, enumOf } from './common.types';
import { DateScalar, DecimalScalar } from './scalars';

export const InvoicePushStatusEnum = enumOf(INVOICE_PUSH_STATUSES);
registerEnumType(InvoicePushStatusEnum, {
  name: 'InvoicePushStatus',
  description: 'Whether an invoice has been sent to QuickBooks.',
});

@ObjectType({
  implements: Node,
  description: 'An invoice raised for an order, pushed to QuickBooks automatically or on demand.',
})
export class Invoice extends Node {
  @Field() invoiceNumber!: string;
  @Field() issuedAt!: Date;
  @Field(() => DateScalar, { nullable: true }) dueDate!: string | null;
  @Field(() => DecimalScalar) total!: string;
  @Field(() => InvoicePushStatusEnum) pushStatus!: InvoicePushStatus;
  @Field(() => String, { nullable: true, description: "The invoice's QuickBooks Id once sent." })
  quickbooksId!: string | null;
  @Field(() => Date, { nullable: true }) sentAt!: Date | null;
  @Field(() => SyncError, { nullable: true, description: 'Why the last push failed.' })
  lastError!: SyncError | null;
  /** Resolved by field resolvers (order, connection). */
  orderId!: string;
  connectionId!: string;
}
