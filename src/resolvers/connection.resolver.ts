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
  Subscription,
} from 'type-graphql';
import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { principalOf, type GatewayContext } from '../context';
import type { ReferenceType } from '../entities';
import type { ConnectionEventPayload } from '../pubsub';
import { SyncBatch } from '../schema/types/batch.types';
import {
  ConnectInput,
  ConnectPayload,
  Connection,
  ConnectionEvent,
  ConnectionSettingsInput,
  ReferenceEntityConnection,
  ReferenceTypeEnum,
} from '../schema/types/connection.types';
import {
  toConnectionEventType,
  toConnectionType,
  toReferenceEntityType,
  toSyncBatchType,
} from '../schema/mappers';
import { toConnection } from '../schema/relay';
import { RequireScope, authorizeSubscription } from '../schema/scopes';
import type { ConnectionService } from '../services/connections/connection.service';
import type { ReferenceService } from '../services/reference.service';

@ArgsType()
class ReferenceDataArgs {
  @Field(() => ReferenceTypeEnum) type!: ReferenceType;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) search?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) includeInactive?: boolean | null;
  @Field(() => Int, { nullable: true, defaultValue: 50 }) @IsOptional() @Min(0) @Max(500) first?:
    number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => Connection)
export class ConnectionResolver {
  constructor(
    private readonly connectionService: ConnectionService,
    private readonly references: ReferenceService,
  ) {}

  @Query(() => [Connection], { description: "The tenant's QuickBooks connections." })
  @RequireScope('READ')
  async connections(@Ctx() context: GatewayContext): Promise<Connection[]> {
    return (await this.connectionService.list(principalOf(context).tenantId)).map(toConnectionType);
  }

  @Query(() => Connection, { nullable: true })
  @RequireScope('READ')
  async connection(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<Connection> {
    return toConnectionType(await this.connectionService.get(principalOf(context).tenantId, id));
  }

  @Mutation(() => ConnectPayload, {
    description:
      'Starts connecting a QuickBooks company; completes when the person approves at authorizationUrl.',
  })
  @RequireScope('ADMIN')
  async connect(
    @Arg('input', () => ConnectInput) input: ConnectInput,
    @Ctx() context: GatewayContext,
  ): Promise<ConnectPayload> {
    const { connection, authorizationUrl, webConnectorPassword } = await this.connectionService.connect(
      principalOf(context).tenantId,
      input,
    );
    return { connection: toConnectionType(connection), authorizationUrl, webConnectorPassword };
  }

  @Mutation(() => Connection, { description: 'Revokes the grant at Intuit and forgets the tokens.' })
  @RequireScope('ADMIN')
  async disconnect(
    @Arg('connectionId', () => ID) connectionId: string,
    @Ctx() context: GatewayContext,
  ): Promise<Connection> {
    return toConnectionType(
      await this.connectionService.disconnect(principalOf(context).tenantId, connectionId),
    );
  }

  @Mutation(() => Connection)
  @RequireScope('ADMIN')
  async updateConnectionSettings(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('input', () => ConnectionSettingsInput) input: ConnectionSettingsInput,
    @Ctx() context: GatewayContext,
  ): Promise<Connection> {
    return toConnectionType(
      await this.connectionService.updateSettings(principalOf(context).tenantId, connectionId, input),
    );
  }

  @Mutation(() => SyncBatch, {
    description: 'Re-imports reference lists from QuickBooks (all when types is omitted).',
  })
  @RequireScope('WRITE')
  async syncReferenceData(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('types', () => [ReferenceTypeEnum], { nullable: true }) types: ReferenceType[] | null,
    @Ctx() context: GatewayContext,
  ): Promise<SyncBatch> {
    const connection = await this.connectionService.requireReady(principalOf(context).tenantId, connectionId);
    return toSyncBatchType(await this.references.startImport(connection, types ?? undefined));
  }

  @FieldResolver(() => ReferenceEntityConnection, {
    description: 'The mirrored QuickBooks list of one type.',
  })
  async referenceData(
    @Root() connection: Connection,
    @Args(() => ReferenceDataArgs) args: ReferenceDataArgs,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.references.list(principalOf(context).tenantId, connection.id, args, args);
    return toConnection(page, toReferenceEntityType);
  }

  @Subscription(() => ConnectionEvent, {
    description: 'Status changes, reference data changes and QuickBooks-side changes of one connection.',
    subscribe: ({ args, context }) => {
      const principal = authorizeSubscription(context as GatewayContext, 'READ');
      return (context as GatewayContext).streams.connectionEvents(
        principal.tenantId,
        args.connectionId as string,
      );
    },
  })
  @RequireScope('READ')
  connectionEvents(
    @Root() event: ConnectionEventPayload,
    @Arg('connectionId', () => ID) _connectionId: string,
  ): ConnectionEvent {
    return toConnectionEventType(event);
  }
}
