import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PendingEntities1796318007969 implements MigrationInterface {
  name = 'PendingEntities1796318007969';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE `partner_records` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `type` varchar(20) NOT NULL, `channel` varchar(100) NOT NULL, `externalId` varchar(191) NOT NULL, `name` varchar(500) NOT NULL, `content` text NOT NULL, `quickbooksId` varchar(32) NULL, `syncedContent` text NULL, `syncedSyncToken` varchar(20) NULL, `syncState` varchar(16) NOT NULL, `lastError` text NULL, `sentAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_fe21e147dbf432a2a2e2bcae25` (`tenantId`), INDEX `IDX_partner_records_connection_qbid` (`connectionId`, `type`, `quickbooksId`), UNIQUE INDEX `UQ_partner_records_key` (`connectionId`, `type`, `channel`, `externalId`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `pending_entities` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `direction` varchar(16) NOT NULL, `entityType` varchar(20) NOT NULL, `entityKey` varchar(191) NOT NULL, `quickbooksId` varchar(32) NULL, `externalId` varchar(191) NULL, `channel` varchar(100) NULL, `label` varchar(255) NOT NULL, `operation` varchar(16) NOT NULL, `changes` text NOT NULL, `snapshot` text NOT NULL, `conflict` tinyint NOT NULL DEFAULT 0, `status` varchar(16) NOT NULL, `detectedAt` datetime(6) NOT NULL, `resolvedAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_206f0d2cd9336c220ac947437a` (`tenantId`), INDEX `IDX_pending_entities_connection_status` (`connectionId`, `status`, `direction`), UNIQUE INDEX `UQ_pending_entities_key` (`connectionId`, `direction`, `entityType`, `entityKey`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX `UQ_pending_entities_key` ON `pending_entities`");
    await queryRunner.query("DROP INDEX `IDX_pending_entities_connection_status` ON `pending_entities`");
    await queryRunner.query("DROP INDEX `IDX_206f0d2cd9336c220ac947437a` ON `pending_entities`");
    await queryRunner.query("DROP TABLE `pending_entities`");
    await queryRunner.query("DROP INDEX `UQ_partner_records_key` ON `partner_records`");
    await queryRunner.query("DROP INDEX `IDX_partner_records_connection_qbid` ON `partner_records`");
    await queryRunner.query("DROP INDEX `IDX_fe21e147dbf432a2a2e2bcae25` ON `partner_records`");
    await queryRunner.query("DROP TABLE `partner_records`");
  }
}
