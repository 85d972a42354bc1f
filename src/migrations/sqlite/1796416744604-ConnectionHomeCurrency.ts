import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectionHomeCurrency1796416744604 implements MigrationInterface {
  name = 'ConnectionHomeCurrency1796416744604';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_cb49f0f162ee763e09842197e7"');
    await queryRunner.query(
      'CREATE TABLE "temporary_connections" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "environment" varchar(16) NOT NULL, "status" varchar(32) NOT NULL, "realmId" varchar(32), "companyName" varchar(255), "connectedAt" datetime(6), "disconnectedAt" datetime(6), "accessTokenExpiresAt" datetime(6), "refreshTokenExpiresAt" datetime(6), "refreshTokenHardExpiresAt" datetime(6), "lastReferenceSyncAt" datetime(6), "lastError" text, "settings" text NOT NULL, "tokenCiphertext" text, "tokenKeyId" varchar(32), "tokenVersion" integer NOT NULL DEFAULT (0), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "homeCurrency" varchar(3), CONSTRAINT "UQ_connections_tenant_realm" UNIQUE ("tenantId", "realmId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_connections"("id", "tenantId", "name", "environment", "status", "realmId", "companyName", "connectedAt", "disconnectedAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "refreshTokenHardExpiresAt", "lastReferenceSyncAt", "lastError", "settings", "tokenCiphertext", "tokenKeyId", "tokenVersion", "createdAt", "updatedAt") SELECT "id", "tenantId", "name", "environment", "status", "realmId", "companyName", "connectedAt", "disconnectedAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "refreshTokenHardExpiresAt", "lastReferenceSyncAt", "lastError", "settings", "tokenCiphertext", "tokenKeyId", "tokenVersion", "createdAt", "updatedAt" FROM "connections"',
    );
    await queryRunner.query('DROP TABLE "connections"');
    await queryRunner.query('ALTER TABLE "temporary_connections" RENAME TO "connections"');
    await queryRunner.query('CREATE INDEX "IDX_cb49f0f162ee763e09842197e7" ON "connections" ("tenantId") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_cb49f0f162ee763e09842197e7"');
    await queryRunner.query('ALTER TABLE "connections" RENAME TO "temporary_connections"');
    await queryRunner.query(
      'CREATE TABLE "connections" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "environment" varchar(16) NOT NULL, "status" varchar(32) NOT NULL, "realmId" varchar(32), "companyName" varchar(255), "connectedAt" datetime(6), "disconnectedAt" datetime(6), "accessTokenExpiresAt" datetime(6), "refreshTokenExpiresAt" datetime(6), "refreshTokenHardExpiresAt" datetime(6), "lastReferenceSyncAt" datetime(6), "lastError" text, "settings" text NOT NULL, "tokenCiphertext" text, "tokenKeyId" varchar(32), "tokenVersion" integer NOT NULL DEFAULT (0), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_connections_tenant_realm" UNIQUE ("tenantId", "realmId"))',
    );
    await queryRunner.query(
      'INSERT INTO "connections"("id", "tenantId", "name", "environment", "status", "realmId", "companyName", "connectedAt", "disconnectedAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "refreshTokenHardExpiresAt", "lastReferenceSyncAt", "lastError", "settings", "tokenCiphertext", "tokenKeyId", "tokenVersion", "createdAt", "updatedAt") SELECT "id", "tenantId", "name", "environment", "status", "realmId", "companyName", "connectedAt", "disconnectedAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "refreshTokenHardExpiresAt", "lastReferenceSyncAt", "lastError", "settings", "tokenCiphertext", "tokenKeyId", "tokenVersion", "createdAt", "updatedAt" FROM "temporary_connections"',
    );
    await queryRunner.query('DROP TABLE "temporary_connections"');
    await queryRunner.query('CREATE INDEX "IDX_cb49f0f162ee763e09842197e7" ON "connections" ("tenantId") ');
  }
}
