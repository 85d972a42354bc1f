import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { IsIn, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import {
  CONNECTION_STATUSES,
  QUICKBOOKS_ENVIRONMENTS,
  REFERENCE_TYPES,
  type ConnectionStatus,
  type QuickBooksEnvironment,
  type ReferenceType,
} from '../../entities';
import { CONNECTION_EVENT_KINDS, type ConnectionEventKind } from '../../pubsub';
import { Node, SyncError, enumOf } from './common.types';
import { RelayConnection } from '../relay';
import { DateScalar, DecimalScalar, JSONObjectScalar } from '../scalars';

export const QuickBooksEnvironmentEnum = enumOf(QUICKBOOKS_ENVIRONMENTS);
registerEnumType(QuickBooksEnvironmentEnum, {
  name: 'QuickBooksEnvironment',
  description:
    "LOCAL is the built-in QuickBooks emulator; SANDBOX and PRODUCTION are Intuit's; DESKTOP is QuickBooks Desktop through the Web Connector.",
});
export const ConnectionStatusEnum = enumOf(CONNECTION_STATUSES);
registerEnumType(ConnectionStatusEnum, { name: 'ConnectionStatus' });
export const TransactionKindEnum = enumOf([
  'SALES_RECEIPT',
  'INVOICE',
  'REFUND_RECEIPT',
  'CREDIT_MEMO',
] as const);
registerEnumType(TransactionKindEnum, {
  name: 'TransactionKind',
  description:
    'A QuickBooks sales transaction. Orders post as SALES_RECEIPT or INVOICE; refunds are the other two.',
  valuesConfig: {
    REFUND_RECEIPT: { description: 'Money paid back for a sales receipt (refundOrder).' },
    CREDIT_MEMO: { description: 'A credit for an invoice (refundOrder).' },
  },
});
export const UndoModeEnum = enumOf(['DELETE', 'VOID'] as const);
registerEnumType(UndoModeEnum, { name: 'UndoMode' });
export const ItemKindEnum = enumOf(['INVENTORY', 'NON_INVENTORY', 'SERVICE'] as const);
registerEnumType(ItemKindEnum, { name: 'ItemKind' });
export const ReferenceTypeEnum = enumOf(REFERENCE_TYPES);
registerEnumType(ReferenceTypeEnum, { name: 'ReferenceType' });
export const ConnectionEventKindEnum = enumOf(CONNECTION_EVENT_KINDS);
registerEnumType(ConnectionEventKindEnum, { name: 'ConnectionEventKind' });

@ObjectType({ description: 'How a connection posts to QuickBooks.' })
export class ConnectionSettings {
  @Field({ description: '"Enable Integrations": off = nothing is sent to QuickBooks.' }) enabled!: boolean;
  @Field({ description: '"Auto Invoice": push invoices as soon as they are created.' }) autoInvoice!: boolean;
  @Field(() => TransactionKindEnum) postOrdersAs!: 'SALES_RECEIPT' | 'INVOICE';
  @Field(() => UndoModeEnum) undoMode!: 'DELETE' | 'VOID';
  @Field({ description: 'Sync wizard: reference changes wait for approveEntities.' })
  requireApproval!: boolean;
  @Field(() => String, { nullable: true, description: 'Used for orders that carry no customer.' })
  defaultCustomerName!: string | null;
  @Field(() => ItemKindEnum) newItemKind!: 'INVENTORY' | 'NON_INVENTORY' | 'SERVICE';
  @Field(() => DecimalScalar, { description: 'QtyOnHand of inventory items the gateway creates.' })
  defaultInventoryQuantity!: string;
  @Field(() => DateScalar, {
    nullable: true,
    description: 'InvStartDate of inventory items the gateway creates.',
  })
  defaultInventoryStartDate!: string | null;
  @Field(() => String, { nullable: true }) incomeAccountId!: string | null;
  @Field(() => String, { nullable: true }) inventoryAssetAccountId!: string | null;
  @Field(() => String, { nullable: true }) costOfGoodsSoldAccountId!: string | null;
  @Field(() => String, { nullable: true }) depositAccountId!: string | null;
  @Field(() => String, { nullable: true }) discountAccountId!: string | null;
  @Field(() => String, { nullable: true }) freightItemId!: string | null;
  @Field(() => String, { nullable: true }) handlingItemId!: string | null;
  @Field(() => String, { nullable: true }) packagingItemId!: string | null;
  @Field(() => String, { nullable: true }) defaultTaxCodeId!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Payment method of sales receipts whose order names none, or names one QuickBooks lacks.',
  })
  defaultPaymentMethodId!: string | null;
  @Field({
    description:
      "An order's paymentMethod that no QuickBooks payment method is named like is created (else the default is used).",
  })
  createMissingPaymentMethods!: boolean;
  @Field(() => String, {
    nullable: true,
    description: 'The account refunds of sales receipts are paid from (default: depositAccountId).',
  })
  refundAccountId!: string | null;
  @Field(() => String, { nullable: true }) defaultClassId!: string | null;
  @Field(() => String, { nullable: true }) defaultLocationId!: string | null;
  @Field(() => String, { nullable: true }) defaultTermId!: string | null;
}

@ObjectType({ implements: Node, description: 'A link to one QuickBooks company.' })
export class Connection extends Node {
  @Field() name!: string;
  @Field(() => QuickBooksEnvironmentEnum) environment!: QuickBooksEnvironment;
  @Field(() => ConnectionStatusEnum) status!: ConnectionStatus;
  @Field(() => String, { nullable: true }) realmId!: string | null;
  @Field(() => String, { nullable: true }) companyName!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "The company's home currency (ISO 4217) as its QuickBooks preferences last said: orders in another currency post only with multicurrency on.",
  })
  homeCurrency!: string | null;
  @Field(() => Date, { nullable: true }) connectedAt!: Date | null;
  @Field(() => Date, { nullable: true }) disconnectedAt!: Date | null;
  @Field(() => Date, { nullable: true }) accessTokenExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'The rolling expiry; reconnect before it.' })
  refreshTokenExpiresAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: "The grant's absolute end, where QuickBooks reports it.",
  })
  refreshTokenHardExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastReferenceSyncAt!: Date | null;
  @Field(() => SyncError, { nullable: true }) lastError!: SyncError | null;
  @Field(() => ConnectionSettings) settings!: ConnectionSettings;
}

@InputType()
export class ConnectInput {
  @Field() @Length(1, 100) name!: string;
  @Field(() => QuickBooksEnvironmentEnum, { nullable: true }) environment?: QuickBooksEnvironment | null;
  @Field(() => ID, {
    nullable: true,
    description: 'Reconnect this existing connection instead of creating one.',
  })
  connectionId?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "Where to send the person after consent: a page of the partner's app on an origin in CORS_ORIGINS. The gateway " +
      'redirects there with connectionId, outcome (connected, denied, error) and message added to the query.',
  })
  @IsOptional()
  @MaxLength(2000)
  returnUrl?: string | null;
}

@ObjectType()
export class ConnectPayload {
  @Field(() => Connection) connection!: Connection;
  @Field({
    description:
      'Send the person here to approve access in QuickBooks. DESKTOP: the .qwc file to add to the Web Connector (an ADMIN key downloads it).',
  })
  authorizationUrl!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'DESKTOP only: the password to enter in the Web Connector for this connection. Shown this once; stored only as a hash (connect again with connectionId for a new one).',
  })
  webConnectorPassword?: string | null;
}

/** QuickBooks Online ids (digits, TAX, NON) and QuickBooks Desktop ListIDs (`80000001-1193769384`). */
const ID_RULE = /^\d{1,20}$|^(TAX|NON)$|^[0-9A-F]{1,16}-\d{1,12}$/;

@InputType({ description: 'Settings to change; fields left out stay as they are, null clears.' })
export class ConnectionSettingsInput {
  @Field({ nullable: true }) enabled?: boolean;
  @Field({ nullable: true }) autoInvoice?: boolean;
  @Field(() => TransactionKindEnum, { nullable: true, description: 'SALES_RECEIPT or INVOICE.' })
  @IsOptional()
  @IsIn(['SALES_RECEIPT', 'INVOICE'], { message: 'must be SALES_RECEIPT or INVOICE' })
  postOrdersAs?: 'SALES_RECEIPT' | 'INVOICE';
  @Field(() => UndoModeEnum, { nullable: true }) undoMode?: 'DELETE' | 'VOID';
  @Field({ nullable: true }) requireApproval?: boolean;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(500) defaultCustomerName?: string | null;
  @Field(() => ItemKindEnum, { nullable: true }) newItemKind?: 'INVENTORY' | 'NON_INVENTORY' | 'SERVICE';
  @Field(() => DecimalScalar, { nullable: true })
  @IsOptional()
  @Matches(/^\d+(\.\d+)?$/, { message: 'must not be negative' })
  defaultInventoryQuantity?: string | null;
  @Field(() => DateScalar, { nullable: true }) defaultInventoryStartDate?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  incomeAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  inventoryAssetAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  costOfGoodsSoldAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  depositAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  discountAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  freightItemId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  handlingItemId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  packagingItemId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  defaultTaxCodeId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  defaultPaymentMethodId?: string | null;
  @Field({
    nullable: true,
    description: "Create a QuickBooks payment method for an order's paymentMethod when none has its name.",
  })
  createMissingPaymentMethods?: boolean;
  @Field(() => String, {
    nullable: true,
    description:
      'A Bank, Credit Card or Other Current Asset account refunds of sales receipts are paid from.',
  })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  refundAccountId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  defaultClassId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  defaultLocationId?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(ID_RULE, { message: 'must be a QuickBooks id' })
  defaultTermId?: string | null;
}

@ObjectType({
  implements: Node,
  description: 'A QuickBooks list object (account, term, customer, item, ...) as mirrored.',
})
export class ReferenceEntity extends Node {
  @Field(() => ReferenceTypeEnum) type!: ReferenceType;
  @Field() quickbooksId!: string;
  @Field() name!: string;
  @Field() active!: boolean;
  @Field(() => String, { nullable: true }) syncToken!: string | null;
  @Field(() => Date, { nullable: true }) quickbooksUpdatedAt!: Date | null;
  @Field(() => JSONObjectScalar, { description: 'The QuickBooks object as last read.' }) data!: Record<
    string,
    unknown
  >;
}
export const ReferenceEntityConnection = RelayConnection('ReferenceEntity', ReferenceEntity);

@ObjectType({ description: 'Something happened to a connection.' })
export class ConnectionEvent {
  @Field(() => ID) connectionId!: string;
  @Field(() => ConnectionEventKindEnum) kind!: ConnectionEventKind;
  @Field(() => String, { nullable: true }) entityType!: string | null;
  @Field(() => String, { nullable: true }) quickbooksId!: string | null;
  @Field(() => String, { nullable: true }) message!: string | null;
  @Field() at!: Date;
}
