import type { MigrationInterface, QueryRunner } from 'typeorm';

export class QuickBooksWebhooks1796318437244 implements MigrationInterface {
  name = 'QuickBooksWebhooks1796318437244';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `quickbooks_webhook_deliveries` (`id` varchar(40) NOT NULL, `status` varchar(16) NOT NULL, `format` varchar(16) NOT NULL, `bodySha256` varchar(64) NOT NULL, `bodyBytes` int NOT NULL, `eventCount` int NOT NULL, `storedCount` int NOT NULL, `reason` varchar(500) NULL, `intuitTid` varchar(100) NULL, `receivedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `IDX_68a2ebb08bb7cd873d6169a95a` (`bodySha256`), INDEX `IDX_bfe09bdc82a7c6ebc79d4540d7` (`receivedAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `quickbooks_change_events` (`id` varchar(40) NOT NULL, `dedupeKey` varchar(191) NOT NULL, `deliveryId` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `realmId` varchar(32) NOT NULL, `entityName` varchar(40) NOT NULL, `entityId` varchar(32) NOT NULL, `operation` varchar(16) NOT NULL, `deletedId` varchar(32) NULL, `occurredAt` datetime(6) NULL, `status` varchar(16) NOT NULL, `claimedBy` varchar(40) NULL, `claimedAt` datetime(6) NULL, `processedAt` datetime(6) NULL, `outcome` varchar(200) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE INDEX `IDX_56c37b54797a6697f0f98baa0a` (`dedupeKey`), INDEX `IDX_qb_change_events_connection_created` (`connectionId`, `createdAt`), INDEX `IDX_qb_change_events_connection_status` (`connectionId`, `status`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `quickbooks_sync_cursors` (`connectionId` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `changedSince` datetime(6) NULL, `lastChangeDataCaptureAt` datetime(6) NULL, `lastChangeCount` int NOT NULL DEFAULT '0', `lastWasFullImport` tinyint NOT NULL DEFAULT 0, `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), PRIMARY KEY (`connectionId`)) ENGINE=InnoDB",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `quickbooks_sync_cursors`');
    await queryRunner.query(
      'DROP INDEX `IDX_qb_change_events_connection_status` ON `quickbooks_change_events`',
    );
    await queryRunner.query(
      'DROP INDEX `IDX_qb_change_events_connection_created` ON `quickbooks_change_events`',
    );
    await queryRunner.query('DROP INDEX `IDX_56c37b54797a6697f0f98baa0a` ON `quickbooks_change_events`');
    await queryRunner.query('DROP TABLE `quickbooks_change_events`');
    await queryRunner.query('DROP INDEX `IDX_bfe09bdc82a7c6ebc79d4540d7` ON `quickbooks_webhook_deliveries`');
    await queryRunner.query('DROP INDEX `IDX_68a2ebb08bb7cd873d6169a95a` ON `quickbooks_webhook_deliveries`');
    await queryRunner.query('DROP TABLE `quickbooks_webhook_deliveries`');
  }
}
