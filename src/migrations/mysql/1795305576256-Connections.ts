import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Connections1795305576256 implements MigrationInterface {
  name = 'Connections1795305576256';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TABLE `connections` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `name` varchar(100) NOT NULL, `environment` varchar(16) NOT NULL, `status` varchar(32) NOT NULL, `realmId` varchar(32) NULL, `companyName` varchar(255) NULL, `connectedAt` datetime(6) NULL, `disconnectedAt` datetime(6) NULL, `accessTokenExpiresAt` datetime(6) NULL, `refreshTokenExpiresAt` datetime(6) NULL, `refreshTokenHardExpiresAt` datetime(6) NULL, `lastReferenceSyncAt` datetime(6) NULL, `lastError` text NULL, `settings` text NOT NULL, `tokenCiphertext` text NULL, `tokenKeyId` varchar(32) NULL, `tokenVersion` int NOT NULL DEFAULT '0', `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_cb49f0f162ee763e09842197e7` (`tenantId`), UNIQUE INDEX `UQ_connections_tenant_realm` (`tenantId`, `realmId`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "CREATE TABLE `jobs` (`id` varchar(40) NOT NULL, `kind` varchar(60) NOT NULL, `payload` text NOT NULL, `status` varchar(16) NOT NULL, `runAt` datetime(6) NOT NULL, `attempts` int NOT NULL DEFAULT '0', `maxAttempts` int NOT NULL DEFAULT '10', `lockedBy` varchar(100) NULL, `lockedUntil` datetime(6) NULL, `lastError` text NULL, `dedupeKey` varchar(191) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), `finishedAt` datetime(6) NULL, UNIQUE INDEX `IDX_55e035a1db1703c0d45da9ad11` (`dedupeKey`), INDEX `IDX_jobs_status_run_at` (`status`, `runAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      'CREATE TABLE `oauth_states` (`id` varchar(40) NOT NULL, `stateHash` varchar(64) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `expiresAt` datetime(6) NOT NULL, `usedAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE INDEX `IDX_ecbb987b8ec2ae8adc4b1e33a9` (`stateHash`), INDEX `IDX_fa8cda7737187d7dc0eb7e8a12` (`connectionId`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `reference_entities` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `type` varchar(20) NOT NULL, `quickbooksId` varchar(32) NOT NULL, `name` varchar(500) NOT NULL, `kind` varchar(60) NULL, `sku` varchar(100) NULL, `email` varchar(255) NULL, `active` tinyint NOT NULL, `syncToken` varchar(20) NULL, `quickbooksUpdatedAt` datetime(6) NULL, `data` text NOT NULL, `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_2115d752aacb5a29367077fc46` (`tenantId`), INDEX `IDX_reference_connection_type_name` (`connectionId`, `type`, `name`), UNIQUE INDEX `UQ_reference_connection_type_qbid` (`connectionId`, `type`, `quickbooksId`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `sync_batches` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `kind` varchar(32) NOT NULL, `status` varchar(32) NOT NULL, `total` int NOT NULL, `processed` int NOT NULL DEFAULT '0', `succeeded` int NOT NULL DEFAULT '0', `failed` int NOT NULL DEFAULT '0', `parameters` text NULL, `error` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `startedAt` datetime(6) NULL, `finishedAt` datetime(6) NULL, `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_1d4672b805615834e84b9a648a` (`connectionId`), INDEX `IDX_batches_tenant_created` (`tenantId`, `createdAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      'CREATE TABLE `batch_items` (`id` varchar(40) NOT NULL, `batchId` varchar(40) NOT NULL, `seq` int NOT NULL, `entityType` varchar(40) NOT NULL, `entityId` varchar(64) NOT NULL, `label` varchar(255) NOT NULL, `status` varchar(16) NOT NULL, `quickbooksId` varchar(32) NULL, `error` text NULL, `finishedAt` datetime(6) NULL, INDEX `IDX_batch_items_batch_status` (`batchId`, `status`), UNIQUE INDEX `UQ_batch_items_batch_seq` (`batchId`, `seq`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `sync_logs` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `batchId` varchar(40) NULL, `direction` varchar(16) NOT NULL, `action` varchar(16) NOT NULL, `entityType` varchar(40) NOT NULL, `entityId` varchar(64) NULL, `label` varchar(255) NULL, `quickbooksId` varchar(32) NULL, `status` varchar(16) NOT NULL, `code` varchar(32) NULL, `message` text NULL, `attempt` int NOT NULL DEFAULT '1', `requestId` varchar(64) NULL, `durationMs` int NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `IDX_8625b2e78efe943eadb64d31c6` (`batchId`), INDEX `IDX_decb58249480d35b10f0374d15` (`entityId`), INDEX `IDX_sync_logs_connection_created` (`connectionId`, `createdAt`), INDEX `IDX_sync_logs_tenant_created` (`tenantId`, `createdAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `IDX_sync_logs_tenant_created` ON `sync_logs`');
    await queryRunner.query('DROP INDEX `IDX_sync_logs_connection_created` ON `sync_logs`');
    await queryRunner.query('DROP INDEX `IDX_decb58249480d35b10f0374d15` ON `sync_logs`');
    await queryRunner.query('DROP INDEX `IDX_8625b2e78efe943eadb64d31c6` ON `sync_logs`');
    await queryRunner.query('DROP TABLE `sync_logs`');
    await queryRunner.query('DROP INDEX `UQ_batch_items_batch_seq` ON `batch_items`');
    await queryRunner.query('DROP INDEX `IDX_batch_items_batch_status` ON `batch_items`');
    await queryRunner.query('DROP TABLE `batch_items`');
    await queryRunner.query('DROP INDEX `IDX_batches_tenant_created` ON `sync_batches`');
    await queryRunner.query('DROP INDEX `IDX_1d4672b805615834e84b9a648a` ON `sync_batches`');
    await queryRunner.query('DROP TABLE `sync_batches`');
    await queryRunner.query('DROP INDEX `UQ_reference_connection_type_qbid` ON `reference_entities`');
    await queryRunner.query('DROP INDEX `IDX_reference_connection_type_name` ON `reference_entities`');
    await queryRunner.query('DROP INDEX `IDX_2115d752aacb5a29367077fc46` ON `reference_entities`');
    await queryRunner.query('DROP TABLE `reference_entities`');
    await queryRunner.query('DROP INDEX `IDX_fa8cda7737187d7dc0eb7e8a12` ON `oauth_states`');
    await queryRunner.query('DROP INDEX `IDX_ecbb987b8ec2ae8adc4b1e33a9` ON `oauth_states`');
    await queryRunner.query('DROP TABLE `oauth_states`');
    await queryRunner.query('DROP INDEX `IDX_jobs_status_run_at` ON `jobs`');
    await queryRunner.query('DROP INDEX `IDX_55e035a1db1703c0d45da9ad11` ON `jobs`');
    await queryRunner.query('DROP TABLE `jobs`');
    await queryRunner.query('DROP INDEX `UQ_connections_tenant_realm` ON `connections`');
    await queryRunner.query('DROP INDEX `IDX_cb49f0f162ee763e09842197e7` ON `connections`');
    await queryRunner.query('DROP TABLE `connections`');
  }
}
