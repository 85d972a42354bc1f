import { Field, ID, ObjectType } from 'type-graphql';
import type { ApiScope } from '../../entities';
import { ApiScopeEnum } from '../scopes';

@ObjectType({ description: 'The caller: the tenant its API key belongs to and what the key may do.' })
export class Viewer {
  @Field(() => ID) tenantId!: string;
  @Field() tenantName!: string;
  @Field(() => [ApiScopeEnum]) scopes!: ApiScope[];
}
