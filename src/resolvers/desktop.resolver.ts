import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import type { Desktop } from '../desktop';
import { Connection } from '../schema/types/connection.types';
import { WebConnectorInfo } from '../schema/types/desktop.types';

/** Connection.webConnector: the Web Connector side of DESKTOP connections (null for QuickBooks Online). */
@Resolver(() => Connection)
export class DesktopResolver {
  constructor(private readonly desktop: Desktop) {}

  @FieldResolver(() => WebConnectorInfo, {
    nullable: true,
    description:
      'For DESKTOP connections: the Web Connector user, the .qwc file and what waits for the next run.',
  })
  async webConnector(
    @Root() connection: Connection,
    @Ctx() context: GatewayContext,
  ): Promise<WebConnectorInfo | null> {
    return this.desktop.info(principalOf(context).tenantId, connection);
  }
}
