import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectionHomeCurrency1796416744604 implements MigrationInterface {
  name = 'ConnectionHomeCurrency1796416744604';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `connections` ADD `homeCurrency` varchar(3) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `connections` DROP COLUMN `homeCurrency`');
  }
}
