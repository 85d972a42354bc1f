import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Invoices1796305860103 implements MigrationInterface {
  name = 'Invoices1796305860103';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `payments` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `connectionId` varchar(40) NOT NULL, `batchId` varchar(40) NOT NULL, `customerQuickbooksId` varchar(32) NOT NULL, `lines` text NOT NULL, `total` decimal(18,2) NOT NULL, `txnDate` varchar(10) NOT NULL, `paymentMethodId` varchar(32) NULL, `reference` varchar(21) NULL, `status` varchar(16) NOT NULL, `quickbooksId` varchar(32) NULL, `sentAt` datetime(6) NULL, `lastError` text NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updatedAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `IDX_f6392318779da1c3781fe5b750` (`connectionId`), INDEX `IDX_86d1bbcff30b43aa0a3870ea12` (`batchId`), INDEX `IDX_payments_tenant_created` (`tenantId`, `createdAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query("ALTER TABLE `invoices` ADD `customerName` varchar(500) NOT NULL DEFAULT ''");
    await queryRunner.query('ALTER TABLE `invoices` ADD `lines` text NOT NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `charges` text NOT NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `discountTotal` decimal(18,2) NOT NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `taxTotal` decimal(18,2) NOT NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `docNumber` varchar(21) NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `customerQuickbooksId` varchar(32) NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `balance` decimal(18,2) NULL');
    await queryRunner.query('ALTER TABLE `invoices` ADD `balanceCheckedAt` datetime(6) NULL');
    await queryRunner.query(
      "ALTER TABLE `invoices` ADD `emailStatus` varchar(16) NOT NULL DEFAULT 'NOT_SET'",
    );
    await queryRunner.query('ALTER TABLE `invoices` ADD `deliveredTo` varchar(255) NULL');
    await queryRunner.query("ALTER TABLE `invoices` ADD `sendGeneration` int NOT NULL DEFAULT '0'");
    await queryRunner.query('ALTER TABLE `invoices` ADD `sendBatchId` varchar(40) NULL');
    await queryRunner.query(
      'CREATE INDEX `IDX_invoices_connection_status` ON `invoices` (`connectionId`, `pushStatus`)',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX `UQ_invoices_connection_number` ON `invoices` (`connectionId`, `invoiceNumber`)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `UQ_invoices_connection_number` ON `invoices`');
    await queryRunner.query('DROP INDEX `IDX_invoices_connection_status` ON `invoices`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `sendBatchId`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `sendGeneration`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `deliveredTo`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `emailStatus`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `balanceCheckedAt`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `balance`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `customerQuickbooksId`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `docNumber`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `taxTotal`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `discountTotal`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `charges`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `lines`');
    await queryRunner.query('ALTER TABLE `invoices` DROP COLUMN `customerName`');
    await queryRunner.query('DROP INDEX `IDX_payments_tenant_created` ON `payments`');
    await queryRunner.query('DROP INDEX `IDX_86d1bbcff30b43aa0a3870ea12` ON `payments`');
    await queryRunner.query('DROP INDEX `IDX_f6392318779da1c3781fe5b750` ON `payments`');
    await queryRunner.query('DROP TABLE `payments`');
  }
}
