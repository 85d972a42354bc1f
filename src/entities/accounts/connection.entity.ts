import { Column, Entity, Index, Unique } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';
import type { StoredSyncError } from '../sync/sync-error';

/** DESKTOP = QuickBooks Desktop through the Web Connector (no OAuth; see src/desktop). */
export const QUICKBOOKS_ENVIRONMENTS = ['LOCAL', 'SANDBOX', 'PRODUCTION', 'DESKTOP'] as const;
export type QuickBooksEnvironment = (typeof QUICKBOOKS_ENVIRONMENTS)[number];
export const CONNECTION_STATUSES = [
  'PENDING_AUTHORIZATION',
  'CONNECTED',
  'NEEDS_REAUTHORIZATION',
  'DISCONNECTED',
] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** Per-connection settings (the seeds' "Defaults" and "Product settings" pages). */
export interface ConnectionSettingsData {
  enabled: boolean;
  autoInvoice: boolean;
  postOrdersAs: 'SALES_RECEIPT' | 'INVOICE';
  undoMode: 'DELETE' | 'VOID';
  requireApproval: boolean;
  defaultCustomerName: string | null;
  newItemKind: 'INVENTORY' | 'NON_INVENTORY' | 'SERVICE';
  defaultInventoryQuantity: string;
  defaultInventoryStartDate: string | null;
  incomeAccountId: string | null;
  inventoryAssetAccountId: string | null;
  costOfGoodsSoldAccountId: string | null;
  depositAccountId: string | null;
  discountAccountId: string | null;
  freightItemId: string | null;
  handlingItemId: string | null;
  packagingItemId: string | null;
  defaultTaxCodeId: string | null;
  defaultPaymentMethodId: string | null;
  /** Create a QuickBooks payment method named like an order's paymentMethod when none has that name. */
  createMissingPaymentMethods: boolean;
  /** The account refunds of sales receipts are paid from (default: depositAccountId). */
  refundAccountId: string | null;
  defaultClassId: string | null;
  defaultLocationId: string | null;
  defaultTermId: string | null;
}

export const DEFAULT_CONNECTION_SETTINGS: Readonly<ConnectionSettingsData> = Object.freeze({
  enabled: true,
  autoInvoice: false,
  postOrdersAs: 'SALES_RECEIPT',
  undoMode: 'DELETE',
  requireApproval: false,
  defaultCustomerName: null,
  newItemKind: 'NON_INVENTORY',
  defaultInventoryQuantity: '0',
  defaultInventoryStartDate: null,
  incomeAccountId: null,
  inventoryAssetAccountId: null,
  costOfGoodsSoldAccountId: null,
  depositAccountId: null,
  discountAccountId: null,
  freightItemId: null,
  handlingItemId: null,
  packagingItemId: null,
  defaultTaxCodeId: null,
  defaultPaymentMethodId: null,
  createMissingPaymentMethods: false,
  refundAccountId: null,
  defaultClassId: null,
  defaultLocationId: null,
  defaultTermId: null,
});

/**
 * A tenant's link to one QuickBooks company. Tokens are kept only as AES-256-GCM ciphertext with the id of the key
 * that sealed them; this entity is never a GraphQL type.
 */
@Entity('connections')
@Unique('UQ_connections_tenant_realm', ['tenantId', 'realmId'])
export class ConnectionEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'varchar', length: 16 }) environment!: QuickBooksEnvironment;
  @Column({ type: 'varchar', length: 32 }) status!: ConnectionStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) realmId!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) companyName!: string | null;
  /**
   * The company's home currency as QuickBooks' preferences last said (read when connecting and by every posting): a
   * posting creates home-currency customers before this run's read of the preferences answers.
   */
  @Column({ type: 'varchar', length: 3, nullable: true }) homeCurrency!: string | null;
  @TimeColumn({ nullable: true }) connectedAt!: Date | null;
  @TimeColumn({ nullable: true }) disconnectedAt!: Date | null;
  @TimeColumn({ nullable: true }) accessTokenExpiresAt!: Date | null;
  @TimeColumn({ nullable: true }) refreshTokenExpiresAt!: Date | null;
  @TimeColumn({ nullable: true }) refreshTokenHardExpiresAt!: Date | null;
  @TimeColumn({ nullable: true }) lastReferenceSyncAt!: Date | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @JsonColumn() settings!: ConnectionSettingsData;
  /** Sealed `{ accessToken, refreshToken }`; null when not connected. */
  @Column({ type: 'text', nullable: true }) tokenCiphertext!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) tokenKeyId!: string | null;
  /** Bumped on every token change, so a refresher can tell whether someone else refreshed first. */
  @Column({ type: 'int', default: 0 }) tokenVersion!: number;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}
