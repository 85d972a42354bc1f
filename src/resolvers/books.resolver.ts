import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { IsOptional, Max, Min } from 'class-validator';
import { principalOf, type GatewayContext } from '../context';
import type { WebhookDeliveryStatus } from '../entities';
import { notFound } from '../errors';
import { SyncBatch } from '../schema/types/batch.types';
import {
  ConnectionReadiness,
  RefundInput,
  WebhookDeliveryConnection,
  WebhookDeliveryStatusEnum,
  WebhookEndpoint,
  WebhookEndpointSecretPayload,
  toRefundTransaction,
  toWebhookDelivery,
  toWebhookEndpoint,
} from '../schema/types/books.types';
import { toSyncError } from '../schema/types/common.types';
import { Connection } from '../schema/types/connection.types';
import { toSyncBatchType } from '../schema/mappers';
import { Order, QuickBooksTransaction } from '../schema/types/order.types';
import { toConnection } from '../schema/relay';
import { RequireScope } from '../schema/scopes';
import type { ConnectionService } from '../services/connections/connection.service';
import type { WebhookService } from '../services/outbound-webhooks/webhook.service';
import type { RefundService } from '../services/refunds/refund.service';

/** Refunds of posted orders: the mutation and `Order.refunds`. */
@Resolver(() => Order)
export class RefundResolver {
  constructor(private readonly refundService: RefundService) {}

  @Mutation(() => SyncBatch, {
    description:
      'Refunds a posted order: a RefundReceipt for a sales receipt, a CreditMemo for an invoice; partial (lines or an ' +
      'amount) or full; never more than was paid. Returns the REFUND_ORDERS batch at once; lands exactly once.',
  })
  @RequireScope('WRITE')
  async refundOrder(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('input', () => RefundInput) input: RefundInput,
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    return toSyncBatchType(
      await this.refundService.refundOrder(principalOf(context).tenantId, orderId, input),
    );
  }

  @FieldResolver(() => [QuickBooksTransaction], {
    description: "The order's refunds in QuickBooks, oldest first.",
  })
  async refunds(@Root() order: Order, @Ctx() context: GatewayContext): Promise<QuickBooksTransaction[]> {
    return (await context.loaders.refundsByOrder.load(order.id)).map(toRefundTransaction);
  }
}

/** `Connection.readiness`. */
@Resolver(() => Connection)
export class ConnectionReadinessResolver {
  constructor(private readonly connections: ConnectionService) {}

  @FieldResolver(() => ConnectionReadiness, {
    description: 'Whether orders can be posted now, naming every missing or invalid setting at once.',
  })
  async readiness(
    @Root() connection: Connection,
    @Ctx() context: GatewayContext,
  ): Promise<ConnectionReadiness> {
    const row = await context.loaders.connection.load(connection.id);
    if (!row) throw notFound('Connection', connection.id);
    const readiness = await this.connections.readiness(row);
    return { ready: readiness.ready, problems: readiness.problems.map((p) => toSyncError(p)!) };
  }
}

@ArgsType()
class DeliveriesArgs {
  @Field(() => WebhookDeliveryStatusEnum, { nullable: true }) status?: WebhookDeliveryStatus | null;
  @Field(() => Int, { nullable: true, defaultValue: 50 }) @IsOptional() @Min(0) @Max(500) first?:
    number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

/** Partner webhook endpoints (ADMIN). */
@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  constructor(private readonly webhooks: WebhookService) {}

  @Query(() => [WebhookEndpoint], { description: "The tenant's partner webhook endpoints." })
  @RequireScope('ADMIN')
  async webhookEndpoints(@Ctx() context: GatewayContext): Promise<WebhookEndpoint[]> {
    return (await this.webhooks.listEndpoints(principalOf(context).tenantId)).map(toWebhookEndpoint);
  }

  @Mutation(() => WebhookEndpointSecretPayload, {
    description:
      'Registers an endpoint for these events; deliveries are signed (Standard Webhooks) with the secret returned here, once.',
  })
  @RequireScope('ADMIN')
  async createWebhookEndpoint(
    @Arg('url', () => String) url: string,
    @Arg('events', () => [String]) events: string[],
    @Arg('description', () => String, { nullable: true }) description: string | null,
    @Ctx() context: GatewayContext,
  ): Promise<WebhookEndpointSecretPayload> {
    const { endpoint, secret } = await this.webhooks.createEndpoint(principalOf(context).tenantId, {
      url,
      events,
      description,
    });
    return { endpoint: toWebhookEndpoint(endpoint), secret };
  }

  @Mutation(() => WebhookEndpoint, { description: 'Deletes an endpoint and what it had not received yet.' })
  @RequireScope('ADMIN')
  async deleteWebhookEndpoint(
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() context: GatewayContext,
  ): Promise<WebhookEndpoint> {
    return toWebhookEndpoint(await this.webhooks.deleteEndpoint(principalOf(context).tenantId, endpointId));
  }

  @Mutation(() => WebhookEndpointSecretPayload, {
    description:
      'A new secret, shown once; the previous one signs beside it for 24 hours. Re-enables a disabled endpoint.',
  })
  @RequireScope('ADMIN')
  async rotateWebhookSecret(
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() context: GatewayContext,
  ): Promise<WebhookEndpointSecretPayload> {
    const { endpoint, secret } = await this.webhooks.rotateSecret(principalOf(context).tenantId, endpointId);
    return { endpoint: toWebhookEndpoint(endpoint), secret };
  }

  @FieldResolver(() => WebhookDeliveryConnection, {
    description: 'Deliveries to this endpoint, newest first.',
  })
  async deliveries(
    @Root() endpoint: WebhookEndpoint,
    @Args(() => DeliveriesArgs) args: DeliveriesArgs,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.webhooks.listDeliveries(principalOf(context).tenantId, endpoint.id, args, args);
    return toConnection(page, toWebhookDelivery);
  }
}
