import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Desktop1796306973592 implements MigrationInterface {
  name = 'Desktop1796306973592';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `web_connectors` (`connectionId` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `userName` varchar(64) NOT NULL, `passwordHash` varchar(200) NOT NULL, `ownerId` varchar(40) NOT NULL, `fileId` varchar(40) NOT NULL, `companyFile` varchar(500) NULL, `lastPollAt` datetime(6) NULL, `lastError` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_850ed0ae55b13f420566891cf9` (`tenantId`), UNIQUE INDEX `IDX_a4ab46c00ab2170a92e1f56b1a` (`userName`), PRIMARY KEY (`connectionId`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `desktop_sessions` (`id` varchar(40) NOT NULL, `ticketHash` varchar(64) NOT NULL, `connectionId` varchar(40) NOT NULL, `answered` int NOT NULL DEFAULT '0', `lastError` text NULL, `closedAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `IDX_eaccd373237f5e8289b5f2dd5e` (`ticketHash`), INDEX `IDX_74ccf543d18bd53b59a9f1a8a7` (`connectionId`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "CREATE TABLE `desktop_requests` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `batchId` varchar(40) NULL, `producer` varchar(32) NOT NULL, `purpose` varchar(32) NOT NULL, `type` varchar(48) NOT NULL, `entityKey` varchar(191) NULL, `label` varchar(255) NULL, `dedupeKey` varchar(191) NULL, `status` varchar(16) NOT NULL, `body` text NOT NULL, `context` text NULL, `result` text NULL, `sessionId` varchar(40) NULL, `sentAt` datetime(6) NULL, `attempts` int NOT NULL DEFAULT '0', `statusCode` varchar(16) NULL, `statusMessage` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `IDX_c8d41cc2f754df17634d912011` (`dedupeKey`), INDEX `IDX_desktop_requests_batch` (`batchId`, `purpose`, `status`), INDEX `IDX_desktop_requests_connection_status` (`connectionId`, `status`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `IDX_desktop_requests_connection_status` ON `desktop_requests`');
    await queryRunner.query('DROP INDEX `IDX_desktop_requests_batch` ON `desktop_requests`');
    await queryRunner.query('DROP INDEX `IDX_c8d41cc2f754df17634d912011` ON `desktop_requests`');
    await queryRunner.query('DROP TABLE `desktop_requests`');
    await queryRunner.query('DROP INDEX `IDX_74ccf543d18bd53b59a9f1a8a7` ON `desktop_sessions`');
    await queryRunner.query('DROP INDEX `IDX_eaccd373237f5e8289b5f2dd5e` ON `desktop_sessions`');
    await queryRunner.query('DROP TABLE `desktop_sessions`');
    await queryRunner.query('DROP INDEX `IDX_a4ab46c00ab2170a92e1f56b1a` ON `web_connectors`');
    await queryRunner.query('DROP INDEX `IDX_850ed0ae55b13f420566891cf9` ON `web_connectors`');
    await queryRunner.query('DROP TABLE `web_connectors`');
  }
}
