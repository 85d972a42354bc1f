import { Column, Entity, Index, Unique } from 'typeorm';
import { IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';

export const REFERENCE_TYPES = [
  'ACCOUNT',
  'TERM',
  'CLASS',
  'LOCATION',
  'PAYMENT_METHOD',
  'TAX_CODE',
  'TAX_RATE',
  'CUSTOMER',
  'ITEM',
] as const;
export type ReferenceType = (typeof REFERENCE_TYPES)[number];

/** The mirror of one QuickBooks list object (account, term, customer, item, ...) of one connection. */
@Entity('reference_entities')
@Unique('UQ_reference_connection_type_qbid', ['connectionId', 'type', 'quickbooksId'])
@Index('IDX_reference_connection_type_name', ['connectionId', 'type', 'name'])
export class ReferenceEntityRow {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 20 }) type!: ReferenceType;
  @Column({ type: 'varchar', length: 32 }) quickbooksId!: string;
  @Column({ type: 'varchar', length: 500 }) name!: string;
  /** Account.AccountType, Item.Type or PaymentMethod.Type: what settings validation and matching need. */
  @Column({ type: 'varchar', length: 60, nullable: true }) kind!: string | null;
  /** Item.Sku, for matching order lines. */
  @Column({ type: 'varchar', length: 100, nullable: true }) sku!: string | null;
  /** Customer.PrimaryEmailAddr, for matching order customers. */
  @Column({ type: 'varchar', length: 255, nullable: true }) email!: string | null;
  /** Customer.CurrencyRef: a customer's currency is fixed in QuickBooks, so orders match customers by currency too. */
  @Column({ type: 'varchar', length: 3, nullable: true }) currency!: string | null;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'varchar', length: 20, nullable: true }) syncToken!: string | null;
  @TimeColumn({ nullable: true }) quickbooksUpdatedAt!: Date | null;
  @JsonColumn() data!: Record<string, unknown>;
  @UpdatedAtColumn() updatedAt!: Date;
}
