import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import { IsOptional, Max, Min } from 'class-validator';
import { connectionField } from './connection-field';
import { principalOf, type GatewayContext } from '../context';
import type { ItemResultStatus } from '../entities';
import type { BatchProgressEvent } from '../pubsub';
import {
  BatchItemConnection,
  BatchProgress,
  ItemResultStatusEnum,
  SyncBatch,
  SyncBatchConnection,
} from '../schema/types/batch.types';
import { Connection } from '../schema/types/connection.types';
import { toBatchItemType, toBatchProgressType, toSyncBatchType } from '../schema/mappers';
import { toConnection } from '../schema/relay';
import { Lean } from '../schema/lean-resolvers';
import { RequireScope, authorizeSubscription } from '../schema/scopes';
import type { BatchService } from '../services/batch.service';

@ArgsType()
class BatchItemsArgs {
  @Field(() => ItemResultStatusEnum, { nullable: true }) status?: ItemResultStatus | null;
  @Field(() => Int, { nullable: true, defaultValue: 100 }) @IsOptional() @Min(0) @Max(500) first?:
    number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
class BatchesArgs {
  @Field(() => ID, { nullable: true }) connectionId?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: 20 }) @IsOptional() @Min(0) @Max(500) first?:
    number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => SyncBatch)
export class BatchResolver {
  constructor(private readonly batchService: BatchService) {}

  @Query(() => SyncBatch, { nullable: true })
  @RequireScope('READ')
  async batch(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<SyncBatch> {
    return toSyncBatchType(await this.batchService.get(principalOf(context).tenantId, id));
  }

  @Query(() => SyncBatchConnection, { description: 'Batches, newest first.' })
  @RequireScope('READ')
  async batches(@Args(() => BatchesArgs) args: BatchesArgs, @Ctx() context: GatewayContext) {
    const page = await this.batchService.list(
      principalOf(context).tenantId,
      { connectionId: args.connectionId },
      args,
    );
    return toConnection(page, toSyncBatchType);
  }

  @FieldResolver(() => BatchItemConnection, { description: 'The items and their results, in order.' })
  async items(@Root() batch: SyncBatch, @Args(() => BatchItemsArgs) args: BatchItemsArgs) {
    return toConnection(
      await this.batchService.listItems(batch.id, { status: args.status }, args),
      toBatchItemType,
    );
  }

  @FieldResolver(() => Connection)
  @Lean()
  async connection(@Root() batch: SyncBatch, @Ctx() context: GatewayContext): Promise<Connection> {
    return connectionField(context, batch.connectionId);
  }

  @Subscription(() => BatchProgress, {
    description: 'Live progress of a batch (see BatchProgress for the order of events).',
    subscribe: ({ args, context }) => {
      const principal = authorizeSubscription(context as GatewayContext, 'READ');
      return (context as GatewayContext).streams.batchProgress(principal.tenantId, args.batchId as string);
    },
  })
  @RequireScope('READ')
  batchProgress(
    @Root() event: BatchProgressEvent,
    @Arg('batchId', () => ID) _batchId: string,
  ): BatchProgress {
    return toBatchProgressType(event);
  }
}
