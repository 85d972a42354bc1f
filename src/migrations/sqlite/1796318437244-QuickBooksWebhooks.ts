import type { MigrationInterface, QueryRunner } from 'typeorm';

export class QuickBooksWebhooks1796318437244 implements MigrationInterface {
  name = 'QuickBooksWebhooks1796318437244';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "quickbooks_webhook_deliveries" ("id" varchar(40) PRIMARY KEY NOT NULL, "status" varchar(16) NOT NULL, "format" varchar(16) NOT NULL, "bodySha256" varchar(64) NOT NULL, "bodyBytes" integer NOT NULL, "eventCount" integer NOT NULL, "storedCount" integer NOT NULL, "reason" varchar(500), "intuitTid" varchar(100), "receivedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_68a2ebb08bb7cd873d6169a95a" ON "quickbooks_webhook_deliveries" ("bodySha256") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_bfe09bdc82a7c6ebc79d4540d7" ON "quickbooks_webhook_deliveries" ("receivedAt") ',
    );
    await queryRunner.query(
      'CREATE TABLE "quickbooks_change_events" ("id" varchar(40) PRIMARY KEY NOT NULL, "dedupeKey" varchar(191) NOT NULL, "deliveryId" varchar(40) NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "realmId" varchar(32) NOT NULL, "entityName" varchar(40) NOT NULL, "entityId" varchar(32) NOT NULL, "operation" varchar(16) NOT NULL, "deletedId" varchar(32), "occurredAt" datetime(6), "status" varchar(16) NOT NULL, "claimedBy" varchar(40), "claimedAt" datetime(6), "processedAt" datetime(6), "outcome" varchar(200), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_56c37b54797a6697f0f98baa0a" ON "quickbooks_change_events" ("dedupeKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_qb_change_events_connection_created" ON "quickbooks_change_events" ("connectionId", "createdAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_qb_change_events_connection_status" ON "quickbooks_change_events" ("connectionId", "status") ',
    );
    await queryRunner.query(
      'CREATE TABLE "quickbooks_sync_cursors" ("connectionId" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "changedSince" datetime(6), "lastChangeDataCaptureAt" datetime(6), "lastChangeCount" integer NOT NULL DEFAULT (0), "lastWasFullImport" boolean NOT NULL DEFAULT (0), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "quickbooks_sync_cursors"');
    await queryRunner.query('DROP INDEX "IDX_qb_change_events_connection_status"');
    await queryRunner.query('DROP INDEX "IDX_qb_change_events_connection_created"');
    await queryRunner.query('DROP INDEX "IDX_56c37b54797a6697f0f98baa0a"');
    await queryRunner.query('DROP TABLE "quickbooks_change_events"');
    await queryRunner.query('DROP INDEX "IDX_bfe09bdc82a7c6ebc79d4540d7"');
    await queryRunner.query('DROP INDEX "IDX_68a2ebb08bb7cd873d6169a95a"');
    await queryRunner.query('DROP TABLE "quickbooks_webhook_deliveries"');
  }
}
