import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { principalOf, type GatewayContext } from '../context';
import { ApiKeyInfo, CreateApiKeyInput, CreateApiKeyPayload } from '../schema/types/api-key.types';
import { RequireScope } from '../schema/scopes';
import type { ApiKeyService } from '../services/api-key.service';

@Resolver()
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Query(() => [ApiKeyInfo], { description: "The API keys of the caller's tenant, revoked ones included." })
  @RequireScope('ADMIN')
  apiKeys(@Ctx() context: GatewayContext): Promise<ApiKeyInfo[]> {
    return this.keys.list(principalOf(context).tenantId);
  }

  @Mutation(() => CreateApiKeyPayload, { description: "Creates an API key for the caller's tenant." })
  @RequireScope('ADMIN')
  async createApiKey(
    @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Ctx() context: GatewayContext,
  ): Promise<CreateApiKeyPayload> {
    const { key, apiKey } = await this.keys.create(principalOf(context).tenantId, input.name, input.scopes);
    return { key, apiKey };
  }

  @Mutation(() => Boolean, {
    description: "Revokes a key of the caller's tenant by its prefix; false if none is active.",
  })
  @RequireScope('ADMIN')
  revokeApiKey(@Arg('prefix') prefix: string, @Ctx() context: GatewayContext): Promise<boolean> {
    return this.keys.revoke(prefix, principalOf(context).tenantId);
  }
}
