import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';
import type { StoredSyncError } from '../sync/sync-error';

/**
 * The Web Connector side of a DESKTOP connection: the user the Web Connector authenticates as (the password only as
 * a scrypt hash), the GUIDs of its .qwc file, and what the last run reported.
 */
@Entity('web_connectors')
export class WebConnectorEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) connectionId!: string;
  @Index() @RefColumn() tenantId!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) userName!: string;
  /** `scrypt$<salt>$<hash>` (base64url). */
  @Column({ type: 'varchar', length: 200 }) passwordHash!: string;
  /** The .qwc OwnerID and FileID (GUIDs in braces). */
  @Column({ type: 'varchar', length: 40 }) ownerId!: string;
  @Column({ type: 'varchar', length: 40 }) fileId!: string;
  /** The company file the Web Connector last opened. */
  @Column({ type: 'varchar', length: 500, nullable: true }) companyFile!: string | null;
  @TimeColumn({ nullable: true }) lastPollAt!: Date | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

/** One Web Connector run (authenticate … closeConnection); the ticket is kept only as its SHA-256. */
@Entity('desktop_sessions')
export class DesktopSessionEntity {
  @IdColumn() id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) ticketHash!: string;
  @Index() @RefColumn() connectionId!: string;
  /** Requests answered in this run (for percent done). */
  @Column({ type: 'int', default: 0 }) answered!: number;
  @Column({ type: 'text', nullable: true }) lastError!: string | null;
  @TimeColumn({ nullable: true }) closedAt!: Date | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

export const DESKTOP_REQUEST_STATUSES = ['PENDING', 'SENT', 'DONE', 'FAILED', 'LOST'] as const;
export type DesktopRequestStatus = (typeof DESKTOP_REQUEST_STATUSES)[number];

/**
 * One qbXML request waiting for, or handed to, the Web Connector: the durable queue of a DESKTOP connection. A row is
 * PENDING until a sendRequestXML claims it (SENT, in its own commit, before the XML leaves), then DONE or FAILED when
 * its response is handled, or LOST when its run ended without an answer (the producer then looks before re-sending).
 */
@Entity('desktop_requests')
@Index('IDX_desktop_requests_connection_status', ['connectionId', 'status'])
@Index('IDX_desktop_requests_batch', ['batchId', 'purpose', 'status'])
export class DesktopRequestEntity {
  /** Also the qbXML requestID. */
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @RefColumn({ nullable: true }) batchId!: string | null;
  /** Who handles the response: the batch kind that produced the request (POST_ORDERS, REFERENCE_IMPORT, ...). */
  @Column({ type: 'varchar', length: 32 }) producer!: string;
  /** The producer's step (`customer`, `post`, `lookup`, ...). */
  @Column({ type: 'varchar', length: 32 }) purpose!: string;
  /** The qbXML request without `Rq` (`CustomerAdd`, `SalesReceiptQuery`, ...). */
  @Column({ type: 'varchar', length: 48 }) type!: string;
  /** What the request is about (an order id, a customer key, a list type). */
  @Column({ type: 'varchar', length: 191, nullable: true }) entityKey!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) label!: string | null;
  /** Makes planning idempotent: a second planner's identical request is refused by this unique key. */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 191, nullable: true }) dedupeKey!:
    string | null;
  @Column({ type: 'varchar', length: 16 }) status!: DesktopRequestStatus;
  /** The request element: `{ attributes, content }` for the qbXML builder. */
  @JsonColumn() body!: { attributes?: Record<string, string>; content: Record<string, unknown> };
  /** The producer's own data (names, order ids, attempt counters). */
  @JsonColumn({ nullable: true }) context!: Record<string, unknown> | null;
  /** What the response established (ListID, TxnID, or the stored error). */
  @JsonColumn({ nullable: true }) result!: Record<string, unknown> | null;
  @RefColumn({ nullable: true }) sessionId!: string | null;
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) statusCode!: string | null;
  @Column({ type: 'text', nullable: true }) statusMessage!: string | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}
