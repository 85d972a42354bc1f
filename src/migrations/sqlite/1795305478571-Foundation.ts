import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795305478571 implements MigrationInterface {
  name = 'Foundation1795305478571';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "tenants" ("id" varchar(40) PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_32731f181236a46182a38c992a8" UNIQUE ("name"))',
    );
    await queryRunner.query(
      'CREATE TABLE "api_keys" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(16) NOT NULL, "hash" varchar(64) NOT NULL, "scopes" text NOT NULL, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "lastUsedAt" datetime(6), "revokedAt" datetime(6), CONSTRAINT "UQ_6f6105c8efe05b310d046cbdb3d" UNIQUE ("prefix"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_2cd545077d6e6e8378b051cf1b" ON "api_keys" ("tenantId") ');
    await queryRunner.query('DROP INDEX "IDX_2cd545077d6e6e8378b051cf1b"');
    await queryRunner.query(
      'CREATE TABLE "temporary_api_keys" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(16) NOT NULL, "hash" varchar(64) NOT NULL, "scopes" text NOT NULL, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "lastUsedAt" datetime(6), "revokedAt" datetime(6), CONSTRAINT "UQ_6f6105c8efe05b310d046cbdb3d" UNIQUE ("prefix"), CONSTRAINT "FK_2cd545077d6e6e8378b051cf1b7" FOREIGN KEY ("tenantId") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_api_keys"("id", "tenantId", "name", "prefix", "hash", "scopes", "createdAt", "lastUsedAt", "revokedAt") SELECT "id", "tenantId", "name", "prefix", "hash", "scopes", "createdAt", "lastUsedAt", "revokedAt" FROM "api_keys"',
    );
    await queryRunner.query('DROP TABLE "api_keys"');
    await queryRunner.query('ALTER TABLE "temporary_api_keys" RENAME TO "api_keys"');
    await queryRunner.query('CREATE INDEX "IDX_2cd545077d6e6e8378b051cf1b" ON "api_keys" ("tenantId") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_2cd545077d6e6e8378b051cf1b"');
    await queryRunner.query('ALTER TABLE "api_keys" RENAME TO "temporary_api_keys"');
    await queryRunner.query(
      'CREATE TABLE "api_keys" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(16) NOT NULL, "hash" varchar(64) NOT NULL, "scopes" text NOT NULL, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "lastUsedAt" datetime(6), "revokedAt" datetime(6), CONSTRAINT "UQ_6f6105c8efe05b310d046cbdb3d" UNIQUE ("prefix"))',
    );
    await queryRunner.query(
      'INSERT INTO "api_keys"("id", "tenantId", "name", "prefix", "hash", "scopes", "createdAt", "lastUsedAt", "revokedAt") SELECT "id", "tenantId", "name", "prefix", "hash", "scopes", "createdAt", "lastUsedAt", "revokedAt" FROM "temporary_api_keys"',
    );
    await queryRunner.query('DROP TABLE "temporary_api_keys"');
    await queryRunner.query('CREATE INDEX "IDX_2cd545077d6e6e8378b051cf1b" ON "api_keys" ("tenantId") ');
    await queryRunner.query('DROP INDEX "IDX_2cd545077d6e6e8378b051cf1b"');
    await queryRunner.query('DROP TABLE "api_keys"');
    await queryRunner.query('DROP TABLE "tenants"');
  }
}
