import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { connectionField } from './connection-field';
import { principalOf, type GatewayContext } from '../context';
import { SyncLog, SyncLogConnection } from '../schema/types/batch.types';
import { Connection } from '../schema/types/connection.types';
import { toSyncLogType } from '../schema/mappers';
import { toConnection } from '../schema/relay';
import { Lean } from '../schema/lean-resolvers';
import { RequireScope } from '../schema/scopes';
import { SyncLogFilter } from '../schema/types/sync-log.types';
import type { SyncLogService } from '../services/sync-log.service';

@Resolver(() => SyncLog)
export class SyncLogResolver {
  constructor(private readonly syncLogService: SyncLogService) {}

  @Query(() => SyncLogConnection, { description: 'The log of QuickBooks calls and changes, newest first.' })
  @RequireScope('READ')
  async syncLogs(
    @Arg('filter', () => SyncLogFilter, { nullable: true }) filter: SyncLogFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GatewayContext,
  ) {
    const page = await this.syncLogService.list(principalOf(context).tenantId, filter ?? {}, {
      first,
      after,
    });
    return toConnection(page, toSyncLogType);
  }

  @FieldResolver(() => Connection)
  @Lean()
  async connection(@Root() log: SyncLog, @Ctx() context: GatewayContext): Promise<Connection> {
    return connectionField(context, log.connectionId);
  }
}
