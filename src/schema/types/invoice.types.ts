import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import {
  INVOICE_EMAIL_STATUSES,
  INVOICE_PUSH_STATUSES,
  type InvoiceEmailStatus,
  type InvoicePushStatus,
} from '../../entities';
import { Node, SyncError, enumOf } from './common.types';
import { OrderCharge, OrderLine } from './order.types';
import { RelayConnection } from '../relay';
import { DateScalar, DecimalScalar } from '../scalars';

export const InvoicePushStatusEnum = enumOf(INVOICE_PUSH_STATUSES);
registerEnumType(InvoicePushStatusEnum, {
  name: 'InvoicePushStatus',
  description: 'Whether an invoice has been sent to QuickBooks.',
  valuesConfig: {
    NOT_SENT: { description: 'Created; waiting for sendInvoice (Auto Invoice is off).' },
    QUEUED: { description: 'In a SEND_INVOICES or EXPORT batch, on its way to QuickBooks.' },
    SENT: { description: 'In QuickBooks (see quickbooksId); its order is POSTED as this Invoice.' },
    FAILED: { description: 'The last sending failed (see lastError); fix the cause and send it again.' },
  },
});
export const InvoiceEmailStatusEnum = enumOf(INVOICE_EMAIL_STATUSES);
registerEnumType(InvoiceEmailStatusEnum, {
  name: 'InvoiceEmailStatus',
  description: "QuickBooks' EmailStatus of the invoice.",
  valuesConfig: {
    NOT_SET: { description: 'Not e-mailed.' },
    NEED_TO_SEND: { description: 'Marked to be e-mailed in QuickBooks.' },
    EMAIL_SENT: { description: 'QuickBooks e-mailed it (see deliveredTo).' },
  },
});

@ObjectType({
  implements: Node,
  description: 'An invoice raised for an order, pushed to QuickBooks automatically or on demand.',
})
export class Invoice extends Node {
  @Field({ description: 'Unique per connection; becomes the QuickBooks DocNumber (at most 21 characters).' })
  invoiceNumber!: string;
  @Field({ description: 'The invoice date (QuickBooks TxnDate).' }) issuedAt!: Date;
  @Field(() => DateScalar, { nullable: true, description: 'When payment is due (QuickBooks DueDate).' })
  dueDate!: string | null;
  @Field(() => DecimalScalar, { description: 'Σ lines + Σ charges − discount + tax, as on the order.' })
  total!: string;
  @Field(() => InvoicePushStatusEnum) pushStatus!: InvoicePushStatus;
  @Field(() => String, { nullable: true, description: "The invoice's QuickBooks Id once sent." })
  quickbooksId!: string | null;
  @Field(() => String, { nullable: true, description: 'The DocNumber QuickBooks holds, once sent.' })
  docNumber!: string | null;
  @Field(() => Date, {
    nullable: true,
    description:
      'While QUEUED: when it was handed to QuickBooks (its outcome is then looked up before any re-send).',
  })
  sentAt!: Date | null;
  @Field(() => SyncError, {
    nullable: true,
    description:
      'Why the last push failed: QuickBooks code, message, detail and what to do (the error badge).',
  })
  lastError!: SyncError | null;
  @Field(() => InvoiceEmailStatusEnum, { description: "QuickBooks' e-mail status (see emailInvoices)." })
  emailStatus!: InvoiceEmailStatus;
  @Field(() => String, { nullable: true, description: 'The address QuickBooks e-mailed the invoice to.' })
  deliveredTo!: string | null;
  @Field(() => [OrderLine], { description: "The order's lines, as copied when the invoice was created." })
  lines!: OrderLine[];
  @Field(() => [OrderCharge], { description: "The order's charges, as copied when the invoice was created." })
  charges!: OrderCharge[];
  /** Resolved by field resolvers (order, connection, balance). */
  orderId!: string;
  connectionId!: string;
}
export const InvoiceConnection = RelayConnection('Invoice', Invoice);

@InputType({
  description: 'How to raise an invoice; everything left out comes from the order and the connection.',
})
export class InvoiceInput {
  @Field(() => String, {
    nullable: true,
    description:
      'Default: the order number. Unique per connection, at most 21 characters (QuickBooks DocNumber).',
  })
  invoiceNumber?: string | null;
  @Field(() => Date, { nullable: true, description: 'Default: now.' }) issuedAt?: Date | null;
  @Field(() => DateScalar, {
    nullable: true,
    description: "Default: the issue date plus the days of the connection's defaultTermId, when one is set.",
  })
  dueDate?: string | null;
}

@InputType({ description: 'Which invoices to list; every condition given must hold.' })
export class InvoiceFilter {
  @Field(() => ID, { nullable: true }) connectionId?: string | null;
  @Field(() => [InvoicePushStatusEnum], { nullable: true }) pushStatuses?: InvoicePushStatus[] | null;
  @Field(() => String, {
    nullable: true,
    description: 'Part of the invoice number, DocNumber or customer name.',
  })
  @IsOptional()
  @MaxLength(100)
  search?: string | null;
}

@ObjectType({ description: 'What exportToQuickBooks would do now (Rootstock\'s "Sales Invoice Export").' })
export class ExportPreview {
  @Field(() => Int, {
    description: "Products (order lines' SKUs, or names without one) that QuickBooks is not known to have.",
  })
  productCount!: number;
  @Field(() => Int, {
    description: 'Customers of those invoices and orders that QuickBooks is not known to have.',
  })
  customerCount!: number;
  @Field(() => Int, { description: 'Invoices created and not yet SENT.' }) invoiceCount!: number;
  @Field(() => Int, { description: 'NEW or FAILED orders without an invoice, still to post.' })
  ordersToPostCount!: number;
}

@InputType({ description: 'A payment against a gateway invoice.' })
export class PaymentInput {
  @Field(() => ID, { description: 'A SENT invoice.' }) invoiceId!: string;
  @Field(() => DecimalScalar, {
    description: 'Greater than 0, at most the open balance, at most 2 decimal places.',
  })
  amount!: string;
  @Field(() => Date, { nullable: true, description: 'Default: now (the payment date in QuickBooks).' })
  receivedAt?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: "A QuickBooks payment method's name or id; default the connection's defaultPaymentMethodId.",
  })
  paymentMethod?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Check or transaction number (at most 21 characters).',
  })
  reference?: string | null;
}
