import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsEmail,
  IsIn,
  IsOptional,
  Length,
  Matches,
  MaxDate,
  MaxLength,
  MinDate,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import {
  CHARGE_KINDS,
  ORDER_STATUSES,
  type ChargeKind,
  type OrderStatus,
  type TransactionKind,
} from '../../entities';
import { ORDER_VIEWS, type OrderView } from '../../services/orders/order-views';
import {
  EXCHANGE_RATE_RULE,
  ISO_4217_CODES,
  MONEY_RULE,
  QUANTITY_RULE,
  decimalProblem,
  type DecimalRule,
} from '../../services/money';
import { Node, SyncError, enumOf } from './common.types';
import { TransactionKindEnum } from './connection.types';
import { RelayConnection } from '../relay';
import { DecimalScalar } from '../scalars';

export const OrderStatusEnum = enumOf(ORDER_STATUSES);
registerEnumType(OrderStatusEnum, {
  name: 'OrderStatus',
  description: 'Where an order is on its way to QuickBooks.',
  valuesConfig: {
    NEW: { description: 'Received, not posted yet.' },
    QUEUED: { description: 'Selected for posting; waiting for the worker.' },
    POSTING: { description: 'Being sent to QuickBooks now.' },
    POSTED: { description: 'In QuickBooks (see postedTransaction).' },
    FAILED: { description: 'The last posting failed (see lastError); shown in the ERRORS view.' },
    ARCHIVED: { description: 'Put aside by a person; may be posted later.' },
    UNCERTAIN: {
      description:
        'An undo is under way, or QuickBooks did not answer it in time: the gateway is checking QuickBooks for the ' +
        'transaction and makes the order NEW (removed) or returns it to where it was (kept).',
    },
  },
});
export const OrderViewEnum = enumOf(ORDER_VIEWS);
registerEnumType(OrderViewEnum, {
  name: 'OrderView',
  description: "The lists a person works from (Webgility's Orders, Errors and Archived views).",
  valuesConfig: {
    ORDERS: { description: 'NEW, QUEUED, POSTING, POSTED and UNCERTAIN orders.' },
    ERRORS: { description: 'FAILED orders.' },
    ARCHIVED: { description: 'ARCHIVED orders.' },
  },
});
export const ChargeKindEnum = enumOf(CHARGE_KINDS);
registerEnumType(ChargeKindEnum, {
  name: 'ChargeKind',
  description: 'What an order-level charge is for; each kind posts to the item configured for it.',
});

/** No control characters: QuickBooks refuses them in DocNumber and names, and they break exports. */
const NO_CONTROL = /^[^\p{Cc}]*$/u;
const VISIBLE = /\S/;

/** A decimal string that satisfies a money or quantity rule, with the exact rule in the message. */
function IsDecimal(rule: DecimalRule, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDecimal',
      validator: {
        validate: (value: unknown) => decimalProblem(value, rule) === null,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} ${decimalProblem(args?.value, rule) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

// ------------------------------------------------------------------------------------------------ output types

@ObjectType({ description: 'A postal address as the channel sent it.' })
export class Address {
  @Field(() => String, { nullable: true }) line1!: string | null;
  @Field(() => String, { nullable: true }) line2!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true, description: 'State, province or county.' }) region!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string | null;
  @Field(() => String, { nullable: true }) country!: string | null;
}

@ObjectType({ description: 'The buyer of an order.' })
export class OrderCustomer {
  @Field({
    description:
      "Empty when the order carried no customer: it then posts to the connection's defaultCustomerName.",
  })
  name!: string;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) company!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => Address, { nullable: true }) billingAddress!: Address | null;
  @Field(() => Address, { nullable: true }) shippingAddress!: Address | null;
  @Field(() => String, { nullable: true, description: 'The QuickBooks customer the order was posted to.' })
  quickbooksId!: string | null;
}

@ObjectType({ description: 'One product line of an order.' })
export class OrderLine {
  @Field(() => String, { nullable: true }) sku!: string | null;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DecimalScalar) quantity!: string;
  @Field(() => DecimalScalar) unitPrice!: string;
  @Field(() => DecimalScalar, { description: 'quantity × unitPrice, rounded half-up to cents.' })
  amount!: string;
  @Field() taxable!: boolean;
  @Field(() => String, { nullable: true, description: 'The QuickBooks item the line was posted as.' })
  quickbooksItemId!: string | null;
}

@ObjectType({ description: 'An order-level charge (freight, handling, packaging, other).' })
export class OrderCharge {
  @Field(() => ChargeKindEnum) kind!: ChargeKind;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DecimalScalar) amount!: string;
}

@ObjectType({ description: 'The QuickBooks transaction an order was posted as.' })
export class QuickBooksTransaction {
  @Field(() => TransactionKindEnum) kind!: TransactionKind | 'REFUND_RECEIPT' | 'CREDIT_MEMO';
  @Field({ description: "The transaction's QuickBooks Id." }) id!: string;
  @Field(() => String, { nullable: true }) docNumber!: string | null;
  @Field(() => String, { nullable: true }) syncToken!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) totalAmount!: string | null;
}

@ObjectType({
  implements: Node,
  description:
    'An order pushed by a sales channel, unique per (connection, channel, externalId), and its posting.',
})
export class Order extends Node {
  @Field({ description: 'The sales channel that sent the order ("shopify", "amazon-us", ...).' })
  channel!: string;
  @Field({ description: "The order's id in its channel." }) externalId!: string;
  @Field({ description: 'Becomes the DocNumber in QuickBooks.' }) orderNumber!: string;
  @Field() orderDate!: Date;
  @Field({ description: 'ISO 4217 code.' }) currency!: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description:
      "Home-currency units per unit of currency, as the channel fixed it; null: QuickBooks' rate for the order date.",
  })
  exchangeRate!: string | null;
  @Field(() => OrderCustomer) customer!: OrderCustomer;
  @Field(() => [OrderLine]) lines!: OrderLine[];
  @Field(() => [OrderCharge]) charges!: OrderCharge[];
  @Field(() => DecimalScalar) discountTotal!: string;
  @Field(() => DecimalScalar) taxTotal!: string;
  @Field(() => DecimalScalar, { description: 'Σ line amounts + Σ charges − discountTotal + taxTotal.' })
  total!: string;
  @Field(() => OrderStatusEnum) status!: OrderStatus;
  @Field(() => QuickBooksTransaction, { nullable: true }) postedTransaction!: QuickBooksTransaction | null;
  @Field(() => Date, { nullable: true }) postedAt!: Date | null;
  @Field({
    description:
      'The channel re-sent different content after the order was queued or posted. A posted order keeps the new ' +
      'content: postOrders updates its QuickBooks transaction. A queued one keeps what it was queued with.',
  })
  modifiedAfterPosting!: boolean;
  @Field(() => SyncError, { nullable: true, description: 'Why the last posting failed.' })
  lastError!: SyncError | null;
  /** Resolved by field resolvers (connection, invoice, syncLogs). */
  connectionId!: string;
}
export const OrderConnection = RelayConnection('Order', Order);

@ObjectType({ description: 'What upsertOrders did.' })
export class UpsertOrdersPayload {
  @Field(() => [Order], { description: 'Every order of the call, in the order sent.' }) orders!: Order[];
  @Field(() => Int, { description: 'Orders that did not exist before.' }) created!: number;
  @Field(() => Int, {
    description:
      'Existing orders whose content was replaced. Unchanged re-sends are not counted, nor are orders queued for ' +
      'or already in QuickBooks (also when archived after posting), which only get modifiedAfterPosting.',
  })
  updated!: number;
}

// ------------------------------------------------------------------------------------------------ inputs

@InputType({ description: 'A postal address.' })
export class AddressInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  line1?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  line2?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(255)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  city?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(255)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  region?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(30)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  postalCode?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(255)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  country?: string | null;
}

@InputType({
  description: "The buyer. Leave the whole customer out to post to the connection's defaultCustomerName.",
})
export class OrderCustomerInput {
  @Field({ description: "Becomes the QuickBooks customer's DisplayName (at most 500 characters)." })
  @MaxLength(500)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  name!: string;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  @IsEmail({}, { message: 'must be an e-mail address' })
  email?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  company?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(30)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  phone?: string | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  billingAddress?: AddressInput | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  shippingAddress?: AddressInput | null;
}

@InputType({ description: 'One product line.' })
export class OrderLineInput {
  @Field(() => String, { nullable: true, description: "Matched against the QuickBooks item's Sku first." })
  @IsOptional()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  sku?: string | null;
  @Field({
    description: "The product name; matched against the QuickBooks item's Name when the SKU finds none.",
  })
  @Length(1, 100)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(4000) description?: string | null;
  @Field(() => DecimalScalar, { description: 'Greater than 0, at most 6 decimal places.' })
  @IsDecimal(QUANTITY_RULE)
  quantity!: string;
  @Field(() => DecimalScalar, { description: 'At least 0, at most 2 decimal places.' })
  @IsDecimal(MONEY_RULE)
  unitPrice!: string;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) taxable?: boolean | null;
}

@InputType({ description: 'An order-level charge.' })
export class OrderChargeInput {
  @Field(() => ChargeKindEnum) kind!: ChargeKind;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(4000) description?: string | null;
  @Field(() => DecimalScalar, { description: 'At least 0, at most 2 decimal places.' })
  @IsDecimal(MONEY_RULE)
  amount!: string;
}

@InputType({ description: 'An order as a channel sends it; re-sending the same externalId updates it.' })
export class OrderInput {
  @Field({
    description: "The order's id in its channel (1–191 characters); the idempotency key with the channel.",
  })
  @Length(1, 191)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  externalId!: string;
  @Field({ description: 'Becomes the QuickBooks DocNumber: 1–21 characters, no control characters.' })
  @Length(1, 21, { message: 'must be 1 to 21 characters long (QuickBooks DocNumber)' })
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters (QuickBooks DocNumber)' })
  orderNumber!: string;
  @Field()
  @MinDate(new Date('1900-01-01T00:00:00Z'), { message: 'must not be before 1900-01-01' })
  @MaxDate(new Date('9999-12-31T23:59:59Z'), { message: 'must not be after 9999-12-31' })
  orderDate!: Date;
  @Field(() => String, { nullable: true, defaultValue: 'USD', description: 'ISO 4217 code.' })
  @IsOptional()
  @IsIn([...ISO_4217_CODES], { message: 'must be an ISO 4217 currency code in capitals, such as USD' })
  currency?: string | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description:
      'Home-currency units per one unit of currency (e.g. "1.0850" USD per EUR), at most 10 decimal places. Left ' +
      "out, the transaction takes QuickBooks' rate for the order date. Ignored for orders in the home currency.",
  })
  @IsOptional()
  @IsDecimal(EXCHANGE_RATE_RULE)
  exchangeRate?: string | null;
  @Field(() => OrderCustomerInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  customer?: OrderCustomerInput | null;
  @Field(() => [OrderLineInput])
  @ArrayNotEmpty({ message: 'must contain at least one line' })
  @ArrayMaxSize(1000)
  @ValidateNested()
  lines!: OrderLineInput[];
  @Field(() => [OrderChargeInput], { nullable: true, defaultValue: [] })
  @IsOptional()
  @ArrayMaxSize(100)
  @ValidateNested()
  charges?: OrderChargeInput[] | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    defaultValue: '0',
    description: 'At least 0, at most 2 decimal places.',
  })
  @IsOptional()
  @IsDecimal(MONEY_RULE)
  discountTotal?: string | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    defaultValue: '0',
    description: 'At least 0, at most 2 decimal places.',
  })
  @IsOptional()
  @IsDecimal(MONEY_RULE)
  taxTotal?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  paymentMethod?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(4000) notes?: string | null;
}

@InputType({ description: 'Which orders to list; every condition given must hold.' })
export class OrderFilter {
  @Field(() => ID, { nullable: true }) connectionId?: string | null;
  @Field(() => OrderViewEnum, { nullable: true }) view?: OrderView | null;
  @Field(() => [OrderStatusEnum], { nullable: true, description: 'Narrows the view further.' })
  statuses?: OrderStatus[] | null;
  @Field(() => String, { nullable: true, description: 'Part of the order number, customer name or e-mail.' })
  @IsOptional()
  @MaxLength(100)
  search?: string | null;
  @Field(() => Date, { nullable: true, description: 'Orders dated at or after this instant.' })
  orderDateFrom?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Orders dated at or before this instant.' })
  orderDateTo?: Date | null;
}
