import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, TimeColumn } from '../columns';
import { TenantEntity } from './tenant.entity';

export const API_SCOPES = ['READ', 'WRITE', 'ADMIN'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/**
 * An API key. Only a SHA-256 hash of the key and a short public prefix are stored; the key itself is shown once,
 * when it is created. Keys are 256-bit random, so a fast hash is enough (no password-style stretching needed).
 */
@Entity('api_keys')
export class ApiKeyEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenantId' })
  tenant?: TenantEntity;
  @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'varchar', length: 16, unique: true }) prefix!: string;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
  @Column({ type: 'simple-array' }) scopes!: ApiScope[];
  @CreatedAtColumn() createdAt!: Date;
  @TimeColumn({ nullable: true }) lastUsedAt!: Date | null;
  @TimeColumn({ nullable: true }) revokedAt!: Date | null;
}
