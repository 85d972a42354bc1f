import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, MaxDate, MaxLength, MinDate, ValidateNested } from 'class-validator';
import {
  type OrderRefundEntity,
  type WebhookDeliveryEntity,
  type WebhookEndpointEntity,
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_ENDPOINT_STATUSES,
  WEBHOOK_EVENT_TYPES,
  type WebhookDeliveryStatus,
  type WebhookEndpointStatus,
} from '../../entities';
import { SyncError, enumOf } from './common.types';
import { OrderLineInput, type QuickBooksTransaction } from './order.types';
import { RelayConnection } from '../relay';
import { DecimalScalar, JSONObjectScalar } from '../scalars';

// ------------------------------------------------------------------------------------------------ refunds

@InputType({
  description:
    "What to refund: lines (each one of the order's own, at most the quantity sold, at most the price paid), or an " +
    "amount, or neither for everything not refunded yet. Never more than the order's transaction holds.",
})
export class RefundInput {
  @Field(() => [OrderLineInput], {
    nullable: true,
    description: 'Lines to give back, matched by SKU, else name.',
  })
  @IsOptional()
  @ArrayMaxSize(1000)
  @ValidateNested()
  lines?: OrderLineInput[] | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: "An amount to give back, in the order's currency.",
  })
  @IsOptional()
  amount?: string | null;
  @Field(() => String, { nullable: true, description: 'Shown to the customer on the refund (CustomerMemo).' })
  @IsOptional()
  @MaxLength(1000)
  reason?: string | null;
  @Field(() => Date, { nullable: true, description: "The refund's date in QuickBooks (default: now)." })
  @IsOptional()
  @MinDate(new Date('1900-01-01T00:00:00Z'), { message: 'must not be before 1900-01-01' })
  @MaxDate(new Date('9999-12-31T23:59:59Z'), { message: 'must not be after 9999-12-31' })
  refundedAt?: Date | null;
}

// ------------------------------------------------------------------------------------------------ readiness

@ObjectType({ description: 'Whether a connection can post now, and everything that stops it.' })
export class ConnectionReadiness {
  @Field({ description: 'True when nothing below stops posting.' }) ready!: boolean;
  @Field(() => [SyncError], {
    description:
      'Every missing or invalid setting (and a connection that is not connected or disabled), at once.',
  })
  problems!: SyncError[];
}

// ------------------------------------------------------------------------------------------------ partner webhooks

export const WebhookEndpointStatusEnum = enumOf(WEBHOOK_ENDPOINT_STATUSES);
registerEnumType(WebhookEndpointStatusEnum, {
  name: 'WebhookEndpointStatus',
  description:
    'ACTIVE receives events; DISABLED after failing for WEBHOOK_DISABLE_AFTER (rotate the secret to enable).',
});
export const WebhookDeliveryStatusEnum = enumOf(WEBHOOK_DELIVERY_STATUSES);
registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING (waiting or being retried), DELIVERED (answered 2xx), FAILED (given up).',
});

@ObjectType({ description: 'One event sent (or to send) to an endpoint; its id is the `webhook-id` header.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The Standard Webhooks message id, the same on every attempt.' })
  id!: string;
  @Field({ description: `The event: ${WEBHOOK_EVENT_TYPES.join(', ')}.` }) eventType!: string;
  @Field(() => WebhookDeliveryStatusEnum) status!: WebhookDeliveryStatus;
  @Field(() => Int) attempts!: number;
  @Field({ description: 'When it is (or was) due next.' }) nextAttemptAt!: Date;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: "The endpoint's last HTTP status." }) lastStatusCode!:
    number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
  @Field() createdAt!: Date;
  @Field(() => JSONObjectScalar, { description: 'The body sent: {type, timestamp, data}.' }) payload!: Record<
    string,
    unknown
  >;
}
export const WebhookDeliveryConnection = RelayConnection('WebhookDelivery', WebhookDelivery);

@ObjectType({ description: 'A partner endpoint receiving signed events (Standard Webhooks).' })
export class WebhookEndpoint {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => [String], { description: `Events it receives (${WEBHOOK_EVENT_TYPES.join(', ')}).` })
  events!: string[];
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => WebhookEndpointStatusEnum) status!: WebhookEndpointStatus;
  @Field(() => Date, {
    nullable: true,
    description: 'Since when it has been failing (null while it succeeds).',
  })
  failingSince!: Date | null;
  @Field(() => Date, { nullable: true }) disabledAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastDeliveryAt!: Date | null;
  @Field() createdAt!: Date;
}

@ObjectType({ description: 'An endpoint and its signing secret, shown this once: store it now.' })
export class WebhookEndpointSecretPayload {
  @Field(() => WebhookEndpoint) endpoint!: WebhookEndpoint;
  @Field({
    description:
      'The Standard Webhooks secret (whsec_...). Verify `webhook-signature` with it (e.g. the standardwebhooks package).',
  })
  secret!: string;
}

// ------------------------------------------------------------------------------------------------ mappers

export function toRefundTransaction(refund: OrderRefundEntity): QuickBooksTransaction {
  return {
    kind: refund.kind,
    id: refund.quickbooksId!,
    docNumber: refund.docNumber,
    syncToken: refund.syncToken,
    totalAmount: refund.totalAmount,
  };
}

export function toWebhookEndpoint(row: WebhookEndpointEntity): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    status: row.status,
    failingSince: row.failingSince,
    disabledAt: row.disabledAt,
    lastDeliveryAt: row.lastDeliveryAt,
    createdAt: row.createdAt,
  };
}

export function toWebhookDelivery(row: WebhookDeliveryEntity): WebhookDelivery {
  return {
    id: row.id,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastAttemptAt: row.lastAttemptAt,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}
