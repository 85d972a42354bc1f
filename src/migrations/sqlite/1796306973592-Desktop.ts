import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Desktop1796306973592 implements MigrationInterface {
  name = 'Desktop1796306973592';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "web_connectors" ("connectionId" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "userName" varchar(64) NOT NULL, "passwordHash" varchar(200) NOT NULL, "ownerId" varchar(40) NOT NULL, "fileId" varchar(40) NOT NULL, "companyFile" varchar(500), "lastPollAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_850ed0ae55b13f420566891cf9" ON "web_connectors" ("tenantId") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a4ab46c00ab2170a92e1f56b1a" ON "web_connectors" ("userName") ',
    );
    await queryRunner.query(
      'CREATE TABLE "desktop_sessions" ("id" varchar(40) PRIMARY KEY NOT NULL, "ticketHash" varchar(64) NOT NULL, "connectionId" varchar(40) NOT NULL, "answered" integer NOT NULL DEFAULT (0), "lastError" text, "closedAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_eaccd373237f5e8289b5f2dd5e" ON "desktop_sessions" ("ticketHash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_74ccf543d18bd53b59a9f1a8a7" ON "desktop_sessions" ("connectionId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "desktop_requests" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "batchId" varchar(40), "producer" varchar(32) NOT NULL, "purpose" varchar(32) NOT NULL, "type" varchar(48) NOT NULL, "entityKey" varchar(191), "label" varchar(255), "dedupeKey" varchar(191), "status" varchar(16) NOT NULL, "body" text NOT NULL, "context" text, "result" text, "sessionId" varchar(40), "sentAt" datetime(6), "attempts" integer NOT NULL DEFAULT (0), "statusCode" varchar(16), "statusMessage" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_c8d41cc2f754df17634d912011" ON "desktop_requests" ("dedupeKey") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_desktop_requests_batch" ON "desktop_requests" ("batchId", "purpose", "status") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_desktop_requests_connection_status" ON "desktop_requests" ("connectionId", "status") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_desktop_requests_connection_status"');
    await queryRunner.query('DROP INDEX "IDX_desktop_requests_batch"');
    await queryRunner.query('DROP INDEX "IDX_c8d41cc2f754df17634d912011"');
    await queryRunner.query('DROP TABLE "desktop_requests"');
    await queryRunner.query('DROP INDEX "IDX_74ccf543d18bd53b59a9f1a8a7"');
    await queryRunner.query('DROP INDEX "IDX_eaccd373237f5e8289b5f2dd5e"');
    await queryRunner.query('DROP TABLE "desktop_sessions"');
    await queryRunner.query('DROP INDEX "IDX_a4ab46c00ab2170a92e1f56b1a"');
    await queryRunner.query('DROP INDEX "IDX_850ed0ae55b13f420566891cf9"');
    await queryRunner.query('DROP TABLE "web_connectors"');
  }
}
