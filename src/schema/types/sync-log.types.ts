import { Field, ID, InputType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import type { SyncDirection, SyncLogStatus } from '../../entities';
import { SyncDirectionEnum, SyncLogStatusEnum } from './common.types';

@InputType()
export class SyncLogFilter {
  @Field(() => ID, { nullable: true }) connectionId?: string | null;
  @Field(() => ID, { nullable: true }) batchId?: string | null;
  @Field(() => [SyncLogStatusEnum], { nullable: true }) statuses?: SyncLogStatus[] | null;
  @Field(() => SyncDirectionEnum, { nullable: true }) direction?: SyncDirection | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(40) entityType?: string | null;
}
