import { Column, Entity } from 'typeorm';
import { CreatedAtColumn, IdColumn } from '../columns';

/** An organisation using the gateway. Every other row belongs to exactly one tenant. */
@Entity('tenants')
export class TenantEntity {
  @IdColumn() id!: string;
  @Column({ type: 'varchar', length: 100, unique: true }) name!: string;
  @CreatedAtColumn() createdAt!: Date;
}
