import { ArrayMinSize, ArrayUnique, IsIn, Length } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { API_SCOPES, type ApiScope } from '../../entities';
import { ApiScopeEnum } from '../scopes';

@ObjectType('ApiKey', {
  description: "An API key of the caller's tenant. The key itself is shown only when created.",
})
export class ApiKeyInfo {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'The public part of the key (qbg_<prefix>_...), used to name and revoke it.' })
  prefix!: string;
  @Field(() => [ApiScopeEnum]) scopes!: ApiScope[];
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field() @Length(1, 100) name!: string;
  @Field(() => [ApiScopeEnum], { defaultValue: ['READ'] })
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(API_SCOPES, { each: true })
  scopes!: ApiScope[];
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field({ description: 'The new key. Store it now: it is not kept and cannot be shown again.' })
  key!: string;
  @Field(() => ApiKeyInfo) apiKey!: ApiKeyInfo;
}
