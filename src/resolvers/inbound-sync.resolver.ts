import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { Connection } from '../schema/types/connection.types';
import type { InboundSync } from '../services/sync/inbound.service';

/** `Connection.lastWebhookAt` and `Connection.lastChangeDataCaptureAt` (QuickBooks → gateway, issue 11). */
@Resolver(() => Connection)
export class ConnectionInboundResolver {
  constructor(private readonly inbound: InboundSync) {}

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When QuickBooks last reported a change of this company through its webhooks.',
  })
  async lastWebhookAt(@Root() connection: Connection, @Ctx() context: GatewayContext): Promise<Date | null> {
    return (await this.inbound.status(principalOf(context).tenantId, connection.id)).lastWebhookAt;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When the last change data capture catch-up (the webhooks’ backstop) finished.',
  })
  async lastChangeDataCaptureAt(
    @Root() connection: Connection,
    @Ctx() context: GatewayContext,
  ): Promise<Date | null> {
    return (await this.inbound.status(principalOf(context).tenantId, connection.id)).lastChangeDataCaptureAt;
  }
}
