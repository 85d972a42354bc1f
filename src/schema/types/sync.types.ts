import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import {
  PENDING_STATUSES,
  REFERENCE_SYNC_STATES,
  type PendingStatus,
  type ReferenceSyncState,
  type StoredSyncError,
  type ReferenceType,
  type SyncAction,
  type SyncDirection,
} from '../../entities';
import { MONEY_RULE, decimalProblem } from '../../services/money';
import { Node, SyncActionEnum, SyncDirectionEnum, enumOf } from './common.types';
import { ItemKindEnum, ReferenceEntity, ReferenceTypeEnum } from './connection.types';
import { SyncBatch } from './batch.types';
import { AddressInput } from './order.types';
import { RelayConnection } from '../relay';
import { DecimalScalar, JSONObjectScalar } from '../scalars';

export const ReferenceSyncStateEnum = enumOf(REFERENCE_SYNC_STATES);
registerEnumType(ReferenceSyncStateEnum, {
  name: 'ReferenceSyncState',
  description:
    "Where a partner's customer or product stands with QuickBooks (IN_SYNC for QuickBooks' own records).",
});
export const PendingStatusEnum = enumOf(PENDING_STATUSES);
registerEnumType(PendingStatusEnum, { name: 'PendingStatus' });
export const UncheckedActionEnum = enumOf(['KEEP', 'CLEAR'] as const);
registerEnumType(UncheckedActionEnum, {
  name: 'UncheckedAction',
  description: 'What approveEntities does with the pending entities left unchecked.',
  valuesConfig: {
    KEEP: { description: 'They stay pending and are offered again.' },
    CLEAR: { description: 'They are dropped; they return only when they change again.' },
  },
});

const NO_CONTROL = /^[^\p{Cc}]*$/u;
const VISIBLE = /\S/;
const IsMoney = (): PropertyDecorator =>
  ValidateBy({
    name: 'isMoney',
    validator: {
      validate: (value: unknown) =>
        value === null || value === undefined || decimalProblem(value, MONEY_RULE) === null,
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} ${decimalProblem(args?.value, MONEY_RULE) ?? 'is invalid'}`,
    },
  });

@InputType({ description: "A partner's customer; re-sending the same externalId updates it." })
export class CustomerInput {
  @Field({ description: "The customer's id in the channel (1–191 characters)." })
  @Length(1, 191)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  externalId!: string;
  @Field({ description: 'QuickBooks DisplayName (unique among customers, vendors and employees).' })
  @Length(1, 500)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  displayName!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) companyName?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  @IsEmail({}, { message: 'must be an e-mail address' })
  email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(30) phone?: string | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  billingAddress?: AddressInput | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  shippingAddress?: AddressInput | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) active?: boolean | null;
}

@InputType({ description: "A partner's product; re-sending the same externalId updates it." })
export class ProductInput {
  @Field({ description: "The product's id in the channel (1–191 characters)." })
  @Length(1, 191)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  externalId!: string;
  @Field({ description: 'QuickBooks Name (1–100 characters; a colon becomes a dash).' })
  @Length(1, 100)
  @Matches(VISIBLE, { message: 'must not be blank' })
  @Matches(NO_CONTROL, { message: 'must not contain control characters' })
  name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) sku?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(4000) description?: string | null;
  @Field(() => ItemKindEnum, { nullable: true, description: "Default: the connection's newItemKind." })
  kind?: 'INVENTORY' | 'NON_INVENTORY' | 'SERVICE' | null;
  @Field(() => DecimalScalar, { nullable: true }) @IsOptional() @IsMoney() unitPrice?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) active?: boolean | null;
}

@ObjectType({ description: 'What upsertCustomers / upsertProducts stored and where each record went.' })
export class UpsertReferencePayload {
  @Field(() => [ReferenceEntity], { description: 'In the order sent.' }) entities!: ReferenceEntity[];
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int, { description: 'Waiting in the sync wizard (requireApproval).' })
  pendingApproval!: number;
  @Field(() => Int, { description: 'Queued for QuickBooks in `batch`.' }) queued!: number;
  @Field(() => SyncBatch, {
    nullable: true,
    description: 'The APPLY_APPROVED batch sending the queued ones.',
  })
  batch!: SyncBatch | null;
}

@ObjectType('PendingEntity', {
  implements: Node,
  description:
    'A change waiting in the sync wizard: one per entity and direction, the latest change winning.',
})
export class PendingEntityType extends Node {
  connectionId!: string;
  @Field(() => SyncDirectionEnum) direction!: SyncDirection;
  @Field(() => ReferenceTypeEnum) entityType!: ReferenceType;
  @Field() label!: string;
  @Field(() => SyncActionEnum) operation!: SyncAction;
  @Field(() => JSONObjectScalar, {
    description: '{field: {from, to}}; `from` is the value before the first change.',
  })
  changes!: Record<string, unknown>;
  @Field() detectedAt!: Date;
  @Field(() => PendingStatusEnum) status!: PendingStatus;
  @Field({
    description: "Changed in QuickBooks and by the partner since the last sync: `from` is QuickBooks' value.",
  })
  conflict!: boolean;
  @Field(() => String, { nullable: true }) quickbooksId!: string | null;
  @Field(() => String, { nullable: true }) externalId!: string | null;
  @Field(() => String, { nullable: true }) channel!: string | null;
}
export const PendingEntityConnection = RelayConnection('PendingEntity', PendingEntityType);

@ObjectType({ description: 'What approveEntities did.' })
export class ApproveEntitiesPayload {
  @Field(() => Int) approved!: number;
  @Field(() => Int) cleared!: number;
  @Field(() => Int) kept!: number;
  @Field(() => SyncBatch, {
    nullable: true,
    description: 'The APPLY_APPROVED batch (null when nothing was approved).',
  })
  batch!: SyncBatch | null;
}

/** What the ReferenceEntity sync fields read, carried on entities the sync resolver built. */
export interface ReferenceSyncFields {
  externalId: string | null;
  channel: string | null;
  syncState: ReferenceSyncState;
  lastError: StoredSyncError | null;
}
