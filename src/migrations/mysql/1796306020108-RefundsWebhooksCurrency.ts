import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RefundsWebhooksCurrency1796306020108 implements MigrationInterface {
  name = 'RefundsWebhooksCurrency1796306020108';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `order_refunds` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `orderId` varchar(40) NOT NULL, `seq` int NOT NULL, `batchId` varchar(40) NOT NULL, `kind` varchar(16) NOT NULL, `status` varchar(16) NOT NULL, `lines` text NULL, `amount` decimal(18,2) NOT NULL, `full` tinyint NOT NULL DEFAULT 0, `reason` varchar(1000) NULL, `refundedAt` datetime(6) NOT NULL, `docNumber` varchar(21) NOT NULL, `quickbooksId` varchar(32) NULL, `syncToken` varchar(20) NULL, `totalAmount` decimal(18,2) NULL, `sentAt` datetime(6) NULL, `lastError` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_1d266acc6f94a5d28bf7bfa169` (`orderId`), INDEX `IDX_order_refunds_batch` (`batchId`), UNIQUE INDEX `UQ_order_refunds_order_seq` (`orderId`, `seq`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `webhook_endpoints` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `url` varchar(2000) NOT NULL, `events` text NOT NULL, `description` varchar(255) NULL, `status` varchar(16) NOT NULL, `secretCiphertext` text NOT NULL, `secretKeyId` varchar(32) NOT NULL, `previousSecretCiphertext` text NULL, `previousSecretKeyId` varchar(32) NULL, `previousSecretUntil` datetime(6) NULL, `failingSince` datetime(6) NULL, `disabledAt` datetime(6) NULL, `lastDeliveryAt` datetime(6) NULL, `leaseToken` varchar(100) NULL, `leaseUntil` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_e82953082c6d29f833fe458b14` (`tenantId`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `webhook_deliveries` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `endpointId` varchar(40) NOT NULL, `eventType` varchar(60) NOT NULL, `payload` text NOT NULL, `status` varchar(16) NOT NULL, `attempts` int NOT NULL DEFAULT '0', `nextAttemptAt` datetime(6) NOT NULL, `lastAttemptAt` datetime(6) NULL, `lastStatusCode` int NULL, `lastError` varchar(500) NULL, `deliveredAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `IDX_webhook_deliveries_endpoint_status` (`endpointId`, `status`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      'CREATE TABLE `worker_heartbeats` (`workerId` varchar(100) NOT NULL, `startedAt` datetime(6) NOT NULL, `lastSeenAt` datetime(6) NOT NULL, PRIMARY KEY (`workerId`)) ENGINE=InnoDB',
    );
    await queryRunner.query('ALTER TABLE `oauth_states` ADD `returnUrl` varchar(2000) NULL');
    await queryRunner.query('ALTER TABLE `orders` ADD `exchangeRate` decimal(20,10) NULL');
    await queryRunner.query('ALTER TABLE `orders` ADD `statusBeforeUndo` varchar(16) NULL');
    await queryRunner.query('ALTER TABLE `reference_entities` ADD `currency` varchar(3) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `reference_entities` DROP COLUMN `currency`');
    await queryRunner.query('ALTER TABLE `orders` DROP COLUMN `statusBeforeUndo`');
    await queryRunner.query('ALTER TABLE `orders` DROP COLUMN `exchangeRate`');
    await queryRunner.query('ALTER TABLE `oauth_states` DROP COLUMN `returnUrl`');
    await queryRunner.query('DROP TABLE `worker_heartbeats`');
    await queryRunner.query('DROP INDEX `IDX_webhook_deliveries_endpoint_status` ON `webhook_deliveries`');
    await queryRunner.query('DROP TABLE `webhook_deliveries`');
    await queryRunner.query('DROP INDEX `IDX_e82953082c6d29f833fe458b14` ON `webhook_endpoints`');
    await queryRunner.query('DROP TABLE `webhook_endpoints`');
    await queryRunner.query('DROP INDEX `UQ_order_refunds_order_seq` ON `order_refunds`');
    await queryRunner.query('DROP INDEX `IDX_order_refunds_batch` ON `order_refunds`');
    await queryRunner.query('DROP INDEX `IDX_1d266acc6f94a5d28bf7bfa169` ON `order_refunds`');
    await queryRunner.query('DROP TABLE `order_refunds`');
  }
}
