import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, TimeColumn } from '../columns';

/**
 * The `state` of one authorization request, bound to a tenant and connection. Only its SHA-256 is stored; it is
 * single use (usedAt) and expires after ten minutes.
 */
@Entity('oauth_states')
export class OAuthStateEntity {
  @IdColumn() id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) stateHash!: string;
  @RefColumn() tenantId!: string;
  @Index() @RefColumn() connectionId!: string;
  @TimeColumn() expiresAt!: Date;
  @TimeColumn({ nullable: true }) usedAt!: Date | null;
  /** Where to send the person back after consent (a page of an allowed CORS origin), with the outcome. */
  @Column({ type: 'varchar', length: 2000, nullable: true }) returnUrl!: string | null;
  @CreatedAtColumn() createdAt!: Date;
}
