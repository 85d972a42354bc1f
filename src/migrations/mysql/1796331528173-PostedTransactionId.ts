import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PostedTransactionId1796331528173 implements MigrationInterface {
  name = 'PostedTransactionId1796331528173';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `orders` ADD `postedTransactionId` varchar(32) NULL');
    // Backfill: orders posted before the column existed.
    await queryRunner.query(
      "UPDATE `orders` SET `postedTransactionId` = JSON_UNQUOTE(JSON_EXTRACT(`postedTransaction`, '$.id')) WHERE `postedTransaction` IS NOT NULL",
    );
    await queryRunner.query(
      'CREATE INDEX `IDX_orders_connection_posted_id` ON `orders` (`connectionId`, `postedTransactionId`)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `IDX_orders_connection_posted_id` ON `orders`');
    await queryRunner.query('ALTER TABLE `orders` DROP COLUMN `postedTransactionId`');
  }
}
