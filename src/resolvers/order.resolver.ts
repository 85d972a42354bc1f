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
import { connectionField } from './connection-field';
import { principalOf, type GatewayContext } from '../context';
import { notFound } from '../errors';
import { SyncLogConnection } from '../schema/types/batch.types';
import { Connection } from '../schema/types/connection.types';
import { Invoice } from '../schema/types/invoice.types';
import { toInvoiceType, toOrderType, toSyncLogType } from '../schema/mappers';
import { Order, OrderConnection, OrderFilter, OrderInput, UpsertOrdersPayload } from '../schema/types/order.types';
import { toConnection } from '../schema/relay';
import { Lean } from '../schema/lean-resolvers';
import { RequireScope } from '../schema/scopes';
import type { OrderService } from '../services/orders/order.service';

/**
 * The shared validator names an argument by finding its value among the raw arguments, but it receives the
 * converted instances, so it falls back to "input". Naming the argument here keeps paths like
 * `orders.3.lines.0.quantity`.
 */
@ArgsType()
class OrderSyncLogsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 }) @IsOptional() @Min(0) @Max(500) first?:
    number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => Order)
export class OrderResolver {
  constructor(private readonly orderService: OrderService) {}

  @Query(() => OrderConnection, {
    description: 'Orders, newest first (by arrival); the view picks the list.',
  })
  @RequireScope('READ')
  async orders(
    @Arg('filter', () => OrderFilter, { nullable: true })
    filter: OrderFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.orderService.list(principalOf(context).tenantId, filter ?? {}, { first, after });
    return toConnection(page, toOrderType);
  }

  @Query(() => Order, { nullable: true })
  @RequireScope('READ')
  async order(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<Order> {
    return toOrderType(await this.orderService.get(principalOf(context).tenantId, id));
  }

  @Mutation(() => UpsertOrdersPayload, {
    description:
      'Creates or updates up to 1,000 orders of a channel, idempotent by (channel, externalId). One transaction: an ' +
      'invalid order rejects the call (BAD_USER_INPUT naming orders.<index>.<field>) and nothing is written.',
  })
  @RequireScope('WRITE')
  async upsertOrders(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('channel', () => String) channel: string,
    @Arg('orders', () => [OrderInput]) orders: OrderInput[],
    @Ctx() context: GatewayContext,
  ): Promise<UpsertOrdersPayload> {
    const result = await this.orderService.upsert(
      principalOf(context).tenantId,
      connectionId,
      channel,
      orders,
    );
    return { orders: result.orders.map(toOrderType), created: result.created, updated: result.updated };
  }

  @Mutation(() => [Order], {
    description:
      'Moves orders to the Archived view; queued or posting orders are refused, posted ones keep their transaction.',
  })
  @RequireScope('WRITE')
  async archiveOrders(
    @Arg('orderIds', () => [ID]) orderIds: string[],
    @Ctx() context: GatewayContext,
  ): Promise<Order[]> {
    return (await this.orderService.archive(principalOf(context).tenantId, orderIds)).map(toOrderType);
  }

  @FieldResolver(() => Connection)
  @Lean()
  async connection(@Root() order: Order, @Ctx() context: GatewayContext): Promise<Connection> {
    return connectionField(context, order.connectionId);
  }

  @FieldResolver(() => Invoice, { nullable: true })
  @Lean()
  async invoice(@Root() order: Order, @Ctx() context: GatewayContext): Promise<Invoice | null> {
    const row = await context.loaders.invoiceByOrder.load(order.id);
    return row ? toInvoiceType(row) : null;
  }

  @FieldResolver(() => SyncLogConnection, {
    description: 'The QuickBooks calls made for this order, newest first.',
  })
  async syncLogs(
    @Root() order: Order,
    @Args(() => OrderSyncLogsArgs) args: OrderSyncLogsArgs,
    @Ctx() context: GatewayContext,
  ) {
    const page = await context.loaders.orderSyncLogs.load({
      orderId: order.id,
      first: args.first,
      after: args.after ?? null,
    });
    return toConnection(page, toSyncLogType);
  }
}

/** The fields of Invoice that point elsewhere; the invoice operations are in invoice.resolver.ts. */
@Resolver(() => Invoice)
export class InvoiceFieldResolver {
  @FieldResolver(() => Order)
  @Lean()
  async order(@Root() invoice: Invoice, @Ctx() context: GatewayContext): Promise<Order> {
    const row = await context.loaders.order.load(invoice.orderId);
    if (!row) throw notFound('Order', invoice.orderId);
    return toOrderType(row);
  }

  @FieldResolver(() => Connection)
  @Lean()
  async connection(@Root() invoice: Invoice, @Ctx() context: GatewayContext): Promise<Connection> {
    return connectionField(context, invoice.connectionId);
  }
}
