import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795305478571 implements MigrationInterface {
  name = 'Foundation1795305478571';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `tenants` (`id` varchar(40) NOT NULL, `name` varchar(100) NOT NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE INDEX `IDX_32731f181236a46182a38c992a` (`name`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `api_keys` (`id` varchar(40) NOT NULL, `tenantId` varchar(40) NOT NULL, `name` varchar(100) NOT NULL, `prefix` varchar(16) NOT NULL, `hash` varchar(64) NOT NULL, `scopes` text NOT NULL, `createdAt` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `lastUsedAt` datetime(6) NULL, `revokedAt` datetime(6) NULL, INDEX `IDX_2cd545077d6e6e8378b051cf1b` (`tenantId`), UNIQUE INDEX `IDX_6f6105c8efe05b310d046cbdb3` (`prefix`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `api_keys` ADD CONSTRAINT `FK_2cd545077d6e6e8378b051cf1b7` FOREIGN KEY (`tenantId`) REFERENCES `tenants`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `api_keys` DROP FOREIGN KEY `FK_2cd545077d6e6e8378b051cf1b7`');
    await queryRunner.query('DROP INDEX `IDX_6f6105c8efe05b310d046cbdb3` ON `api_keys`');
    await queryRunner.query('DROP INDEX `IDX_2cd545077d6e6e8378b051cf1b` ON `api_keys`');
    await queryRunner.query('DROP TABLE `api_keys`');
    await queryRunner.query('DROP INDEX `IDX_32731f181236a46182a38c992a` ON `tenants`');
    await queryRunner.query('DROP TABLE `tenants`');
  }
}
