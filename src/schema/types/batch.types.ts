import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  BATCH_KINDS,
  BATCH_STATUSES,
  ITEM_RESULT_STATUSES,
  type BatchKind,
  type BatchStatus,
  type ItemResultStatus,
  type SyncAction,
  type SyncDirection,
  type SyncLogStatus,
} from '../../entities';
import {
  Node,
  SyncActionEnum,
  SyncDirectionEnum,
  SyncError,
  SyncLogStatusEnum,
  enumOf,
} from './common.types';
import { RelayConnection } from '../relay';

export const BatchKindEnum = enumOf(BATCH_KINDS);
registerEnumType(BatchKindEnum, { name: 'BatchKind' });
export const BatchStatusEnum = enumOf(BATCH_STATUSES);
registerEnumType(BatchStatusEnum, { name: 'BatchStatus' });
export const ItemResultStatusEnum = enumOf(ITEM_RESULT_STATUSES);
registerEnumType(ItemResultStatusEnum, { name: 'ItemResultStatus' });

@ObjectType({ description: 'One item of a batch and its result (the "results pop-up" row).' })
export class BatchItem {
  @Field() entityType!: string;
  @Field(() => ID) entityId!: string;
  @Field() label!: string;
  @Field(() => ItemResultStatusEnum) status!: ItemResultStatus;
  @Field(() => String, { nullable: true }) quickbooksId!: string | null;
  @Field(() => SyncError, { nullable: true }) error!: SyncError | null;
}
export const BatchItemConnection = RelayConnection('BatchItem', BatchItem);

@ObjectType({
  implements: Node,
  description: 'Long work (posting, import, ...) whose progress and results are visible.',
})
export class SyncBatch extends Node {
  @Field(() => BatchKindEnum) kind!: BatchKind;
  @Field(() => BatchStatusEnum) status!: BatchStatus;
  @Field(() => Int) total!: number;
  @Field(() => Int) processed!: number;
  @Field(() => Int) succeeded!: number;
  @Field(() => Int) failed!: number;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => SyncError, {
    nullable: true,
    description:
      'Why the batch as a whole failed, when it did; while it runs, what it is waiting out ("Waiting for ' +
      'QuickBooks (attempt 2 of 25): ...", cleared once items finish again).',
  })
  error!: SyncError | null;
  /** Resolved by a field resolver. */
  connectionId!: string;
}
export const SyncBatchConnection = RelayConnection('SyncBatch', SyncBatch);

@ObjectType({
  description:
    "A progress event. The first is the batch's state when subscribing; then one per finished item (several may be " +
    'coalesced under load, never reordered); the stream completes after COMPLETED, COMPLETED_WITH_ERRORS or FAILED.',
})
export class BatchProgress {
  @Field(() => ID) batchId!: string;
  @Field(() => BatchKindEnum) kind!: BatchKind;
  @Field(() => BatchStatusEnum) status!: BatchStatus;
  @Field(() => Int) total!: number;
  @Field(() => Int) processed!: number;
  @Field(() => Int) succeeded!: number;
  @Field(() => Int) failed!: number;
  @Field(() => BatchItem, {
    nullable: true,
    description: 'The item just finished (null on the first event).',
  })
  item!: BatchItem | null;
  @Field(() => SyncError, {
    nullable: true,
    description:
      'The batch\'s own problem: why it FAILED, or while it runs what it is waiting out ("Waiting for QuickBooks ' +
      '(attempt 2 of 25): ..."); null once items finish again.',
  })
  error!: SyncError | null;
  @Field() at!: Date;
}

@ObjectType({ implements: Node, description: 'One QuickBooks call, or one change received from QuickBooks.' })
export class SyncLog extends Node {
  @Field(() => ID, { nullable: true }) batchId!: string | null;
  @Field(() => SyncDirectionEnum) direction!: SyncDirection;
  @Field(() => SyncActionEnum) action!: SyncAction;
  @Field() entityType!: string;
  @Field(() => ID, { nullable: true }) entityId!: string | null;
  @Field(() => String, { nullable: true }) label!: string | null;
  @Field(() => String, { nullable: true }) quickbooksId!: string | null;
  @Field(() => SyncLogStatusEnum) status!: SyncLogStatus;
  @Field(() => String, { nullable: true }) code!: string | null;
  @Field(() => String, { nullable: true }) message!: string | null;
  @Field(() => Int) attempt!: number;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => Int, { nullable: true }) durationMs!: number | null;
  @Field() createdAt!: Date;
  /** Resolved by a field resolver. */
  connectionId!: string;
}
export const SyncLogConnection = RelayConnection('SyncLog', SyncLog);
