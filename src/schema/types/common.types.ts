import { Field, InterfaceType, ID, ObjectType, registerEnumType } from 'type-graphql';
import {
  SYNC_ACTIONS,
  SYNC_DIRECTIONS,
  SYNC_LOG_STATUSES,
  type StoredSyncError,
  type SyncDirection,
} from '../../entities';

/** type-graphql wants enum objects; the entities keep string unions. */
export function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((value) => [value, value])) as { [K in T]: K };
}

export const SyncDirectionEnum = enumOf(SYNC_DIRECTIONS);
registerEnumType(SyncDirectionEnum, {
  name: 'SyncDirection',
  description: 'Which way data moved: to or from QuickBooks.',
});
export const SyncActionEnum = enumOf(SYNC_ACTIONS);
registerEnumType(SyncActionEnum, { name: 'SyncAction' });
export const SyncLogStatusEnum = enumOf(SYNC_LOG_STATUSES);
registerEnumType(SyncLogStatusEnum, { name: 'SyncLogStatus' });

/** GraphQL type of each id prefix: API objects are plain objects, so the interface resolves by id. */
const NODE_TYPES: Record<string, string> = {
  con: 'Connection',
  bat: 'SyncBatch',
  log: 'SyncLog',
  ref: 'ReferenceEntity',
  ord: 'Order',
  inv: 'Invoice',
  pen: 'PendingEntity',
  prt: 'ReferenceEntity',
};

@InterfaceType({
  description: 'An object with a global id (`Query.node` fetches any of them).',
  resolveType: (value: { id: string }) => NODE_TYPES[value.id.slice(0, value.id.indexOf('_'))],
})
export abstract class Node {
  @Field(() => ID) id!: string;
}

@ObjectType({ description: 'A failure with what a person should do about it.' })
export class SyncError {
  @Field(() => String, { nullable: true, description: 'QuickBooks\' error code (e.g. "6240"), or ours.' })
  code!: string | null;
  @Field() message!: string;
  @Field(() => String, { nullable: true }) detail!: string | null;
  @Field(() => String, { nullable: true, description: 'What to do next.' }) hint!: string | null;
  @Field(() => SyncDirectionEnum, { nullable: true }) direction!: SyncDirection | null;
  @Field() at!: Date;
}

export function toSyncError(error: StoredSyncError | null | undefined): SyncError | null {
  if (!error) return null;
  return { ...error, at: new Date(error.at) };
}
