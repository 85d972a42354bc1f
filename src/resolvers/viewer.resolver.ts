import { Ctx, Query, Resolver } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { RequireScope } from '../schema/scopes';
import { Viewer } from '../schema/types/viewer.types';

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who is calling: the tenant and the scopes of the API key.' })
  @RequireScope('READ')
  viewer(@Ctx() context: GatewayContext): Viewer {
    const { tenantId, tenantName, scopes } = principalOf(context);
    return { tenantId, tenantName, scopes };
  }
}
