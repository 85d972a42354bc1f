import { Column, Entity } from 'typeorm';
import { TimeColumn } from '../columns';

/** A job worker's sign of life, renewed while it runs; `/readyz` looks for a live one when work is waiting. */
@Entity('worker_heartbeats')
export class WorkerHeartbeatEntity {
  @Column({ type: 'varchar', length: 100, primary: true }) workerId!: string;
  @TimeColumn() startedAt!: Date;
  @TimeColumn() lastSeenAt!: Date;
}
