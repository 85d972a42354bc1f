import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1795306300752 implements MigrationInterface {
  name = 'Orders1795306300752';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `invoices` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `orderId` varchar(40) NOT NULL, `invoiceNumber` varchar(21) NOT NULL, `issuedAt` datetime(6) NOT NULL, `dueDate` varchar(10) NULL, `total` decimal(18,2) NOT NULL, `pushStatus` varchar(16) NOT NULL, `quickbooksId` varchar(32) NULL, `sentAt` datetime(6) NULL, `lastError` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_89c82485e364081f457b210120` (`tenantId`), UNIQUE INDEX `IDX_a58a78a0e0031dd93a2f56f1e8` (`orderId`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `orders` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `channel` varchar(100) NOT NULL, `externalId` varchar(191) NOT NULL, `orderNumber` varchar(21) NOT NULL, `orderDate` datetime(6) NOT NULL, `currency` varchar(3) NOT NULL, `customerName` varchar(500) NOT NULL, `customerEmail` varchar(255) NULL, `customer` text NOT NULL, `lines` text NOT NULL, `charges` text NOT NULL, `discountTotal` decimal(18,2) NOT NULL, `taxTotal` decimal(18,2) NOT NULL, `total` decimal(18,2) NOT NULL, `paymentMethod` varchar(100) NULL, `notes` text NULL, `contentHash` varchar(64) NOT NULL, `status` varchar(16) NOT NULL, `postedTransaction` text NULL, `postedAt` datetime(6) NULL, `modifiedAfterPosting` tinyint NOT NULL DEFAULT 0, `lastError` text NULL, `postingGeneration` int NOT NULL DEFAULT '0', `postingBatchId` varchar(40) NULL, `sentAt` datetime(6) NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_2816e2e44a08e78af6bac223dd` (`connectionId`), INDEX `IDX_59b0c3b34ea0fa5562342f2414` (`orderNumber`), INDEX `IDX_orders_tenant_date` (`tenantId`, `orderDate`), INDEX `IDX_orders_tenant_status` (`tenantId`, `status`), UNIQUE INDEX `UQ_orders_connection_channel_external` (`connectionId`, `channel`, `externalId`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `UQ_orders_connection_channel_external` ON `orders`');
    await queryRunner.query('DROP INDEX `IDX_orders_tenant_status` ON `orders`');
    await queryRunner.query('DROP INDEX `IDX_orders_tenant_date` ON `orders`');
    await queryRunner.query('DROP INDEX `IDX_59b0c3b34ea0fa5562342f2414` ON `orders`');
    await queryRunner.query('DROP INDEX `IDX_2816e2e44a08e78af6bac223dd` ON `orders`');
    await queryRunner.query('DROP TABLE `orders`');
    await queryRunner.query('DROP INDEX `IDX_a58a78a0e0031dd93a2f56f1e8` ON `invoices`');
    await queryRunner.query('DROP INDEX `IDX_89c82485e364081f457b210120` ON `invoices`');
    await queryRunner.query('DROP TABLE `invoices`');
  }
}
