import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Connections1795305576256 implements MigrationInterface {
  name = 'Connections1795305576256';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "connections" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "name" varchar(100) NOT NULL, "environment" varchar(16) NOT NULL, "status" varchar(32) NOT NULL, "realmId" varchar(32), "companyName" varchar(255), "connectedAt" datetime(6), "disconnectedAt" datetime(6), "accessTokenExpiresAt" datetime(6), "refreshTokenExpiresAt" datetime(6), "refreshTokenHardExpiresAt" datetime(6), "lastReferenceSyncAt" datetime(6), "lastError" text, "settings" text NOT NULL, "tokenCiphertext" text, "tokenKeyId" varchar(32), "tokenVersion" integer NOT NULL DEFAULT (0), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_connections_tenant_realm" UNIQUE ("tenantId", "realmId"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_cb49f0f162ee763e09842197e7" ON "connections" ("tenantId") ');
    await queryRunner.query(
      'CREATE TABLE "jobs" ("id" varchar(40) PRIMARY KEY NOT NULL, "kind" varchar(60) NOT NULL, "payload" text NOT NULL, "status" varchar(16) NOT NULL, "runAt" datetime(6) NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "maxAttempts" integer NOT NULL DEFAULT (10), "lockedBy" varchar(100), "lockedUntil" datetime(6), "lastError" text, "dedupeKey" varchar(191), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "finishedAt" datetime(6))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "IDX_55e035a1db1703c0d45da9ad11" ON "jobs" ("dedupeKey") ');
    await queryRunner.query('CREATE INDEX "IDX_jobs_status_run_at" ON "jobs" ("status", "runAt") ');
    await queryRunner.query(
      'CREATE TABLE "oauth_states" ("id" varchar(40) PRIMARY KEY NOT NULL, "stateHash" varchar(64) NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "expiresAt" datetime(6) NOT NULL, "usedAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9" ON "oauth_states" ("stateHash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_fa8cda7737187d7dc0eb7e8a12" ON "oauth_states" ("connectionId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "reference_entities" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "type" varchar(20) NOT NULL, "quickbooksId" varchar(32) NOT NULL, "name" varchar(500) NOT NULL, "kind" varchar(60), "sku" varchar(100), "email" varchar(255), "active" boolean NOT NULL, "syncToken" varchar(20), "quickbooksUpdatedAt" datetime(6), "data" text NOT NULL, "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_reference_connection_type_qbid" UNIQUE ("connectionId", "type", "quickbooksId"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_2115d752aacb5a29367077fc46" ON "reference_entities" ("tenantId") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_reference_connection_type_name" ON "reference_entities" ("connectionId", "type", "name") ',
    );
    await queryRunner.query(
      'CREATE TABLE "sync_batches" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "kind" varchar(32) NOT NULL, "status" varchar(32) NOT NULL, "total" integer NOT NULL, "processed" integer NOT NULL DEFAULT (0), "succeeded" integer NOT NULL DEFAULT (0), "failed" integer NOT NULL DEFAULT (0), "parameters" text, "error" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "startedAt" datetime(6), "finishedAt" datetime(6), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_1d4672b805615834e84b9a648a" ON "sync_batches" ("connectionId") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_batches_tenant_created" ON "sync_batches" ("tenantId", "createdAt") ',
    );
    await queryRunner.query(
      'CREATE TABLE "batch_items" ("id" varchar(40) PRIMARY KEY NOT NULL, "batchId" varchar(40) NOT NULL, "seq" integer NOT NULL, "entityType" varchar(40) NOT NULL, "entityId" varchar(64) NOT NULL, "label" varchar(255) NOT NULL, "status" varchar(16) NOT NULL, "quickbooksId" varchar(32), "error" text, "finishedAt" datetime(6), CONSTRAINT "UQ_batch_items_batch_seq" UNIQUE ("batchId", "seq"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_batch_items_batch_status" ON "batch_items" ("batchId", "status") ',
    );
    await queryRunner.query(
      'CREATE TABLE "sync_logs" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "batchId" varchar(40), "direction" varchar(16) NOT NULL, "action" varchar(16) NOT NULL, "entityType" varchar(40) NOT NULL, "entityId" varchar(64), "label" varchar(255), "quickbooksId" varchar(32), "status" varchar(16) NOT NULL, "code" varchar(32), "message" text, "attempt" integer NOT NULL DEFAULT (1), "requestId" varchar(64), "durationMs" integer, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query('CREATE INDEX "IDX_8625b2e78efe943eadb64d31c6" ON "sync_logs" ("batchId") ');
    await queryRunner.query('CREATE INDEX "IDX_decb58249480d35b10f0374d15" ON "sync_logs" ("entityId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_sync_logs_connection_created" ON "sync_logs" ("connectionId", "createdAt") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_sync_logs_tenant_created" ON "sync_logs" ("tenantId", "createdAt") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_sync_logs_tenant_created"');
    await queryRunner.query('DROP INDEX "IDX_sync_logs_connection_created"');
    await queryRunner.query('DROP INDEX "IDX_decb58249480d35b10f0374d15"');
    await queryRunner.query('DROP INDEX "IDX_8625b2e78efe943eadb64d31c6"');
    await queryRunner.query('DROP TABLE "sync_logs"');
    await queryRunner.query('DROP INDEX "IDX_batch_items_batch_status"');
    await queryRunner.query('DROP TABLE "batch_items"');
    await queryRunner.query('DROP INDEX "IDX_batches_tenant_created"');
    await queryRunner.query('DROP INDEX "IDX_1d4672b805615834e84b9a648a"');
    await queryRunner.query('DROP TABLE "sync_batches"');
    await queryRunner.query('DROP INDEX "IDX_reference_connection_type_name"');
    await queryRunner.query('DROP INDEX "IDX_2115d752aacb5a29367077fc46"');
    await queryRunner.query('DROP TABLE "reference_entities"');
    await queryRunner.query('DROP INDEX "IDX_fa8cda7737187d7dc0eb7e8a12"');
    await queryRunner.query('DROP INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9"');
    await queryRunner.query('DROP TABLE "oauth_states"');
    await queryRunner.query('DROP INDEX "IDX_jobs_status_run_at"');
    await queryRunner.query('DROP INDEX "IDX_55e035a1db1703c0d45da9ad11"');
    await queryRunner.query('DROP TABLE "jobs"');
    await queryRunner.query('DROP INDEX "IDX_cb49f0f162ee763e09842197e7"');
    await queryRunner.query('DROP TABLE "connections"');
  }
}
