import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, TimeColumn, UpdatedAtColumn } from '../columns';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'DEAD'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * A job of the database queue. Claimed with `FOR UPDATE SKIP LOCKED` (MySQL) under a lease (`lockedUntil`) that the
 * worker extends with heartbeats; an expired lease makes the job claimable again.
 */
@Entity('jobs')
@Index('IDX_jobs_status_run_at', ['status', 'runAt'])
export class JobEntity {
  @IdColumn() id!: string;
  @Column({ type: 'varchar', length: 60 }) kind!: string;
  @JsonColumn() payload!: Record<string, unknown>;
  @Column({ type: 'varchar', length: 16 }) status!: JobStatus;
  @TimeColumn() runAt!: Date;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ type: 'int', default: 10 }) maxAttempts!: number;
  @Column({ type: 'varchar', length: 100, nullable: true }) lockedBy!: string | null;
  @TimeColumn({ nullable: true }) lockedUntil!: Date | null;
  @Column({ type: 'text', nullable: true }) lastError!: string | null;
  /** Jobs with the same key are enqueued once while one is not finished (e.g. one import per connection). */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 191, nullable: true }) dedupeKey!:
    string | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
  @TimeColumn({ nullable: true }) finishedAt!: Date | null;
}
