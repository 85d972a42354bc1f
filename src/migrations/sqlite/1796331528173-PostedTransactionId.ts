import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PostedTransactionId1796331528173 implements MigrationInterface {
  name = 'PostedTransactionId1796331528173';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_2816e2e44a08e78af6bac223dd"');
    await queryRunner.query('DROP INDEX "IDX_59b0c3b34ea0fa5562342f2414"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_date"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_status"');
    await queryRunner.query(
      'CREATE TABLE "temporary_orders" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "channel" varchar(100) NOT NULL, "externalId" varchar(191) NOT NULL, "orderNumber" varchar(21) NOT NULL, "orderDate" datetime(6) NOT NULL, "currency" varchar(3) NOT NULL, "customerName" varchar(500) NOT NULL, "customerEmail" varchar(255), "customer" text NOT NULL, "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "total" decimal(18,2) NOT NULL, "paymentMethod" varchar(100), "notes" text, "contentHash" varchar(64) NOT NULL, "status" varchar(16) NOT NULL, "postedTransaction" text, "postedAt" datetime(6), "modifiedAfterPosting" boolean NOT NULL DEFAULT (0), "lastError" text, "postingGeneration" integer NOT NULL DEFAULT (0), "postingBatchId" varchar(40), "sentAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "exchangeRate" decimal(20,10), "statusBeforeUndo" varchar(16), "postedTransactionId" varchar(32), CONSTRAINT "UQ_orders_connection_channel_external" UNIQUE ("connectionId", "channel", "externalId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_orders"("id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt", "exchangeRate", "statusBeforeUndo") SELECT "id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt", "exchangeRate", "statusBeforeUndo" FROM "orders"',
    );
    await queryRunner.query('DROP TABLE "orders"');
    await queryRunner.query('ALTER TABLE "temporary_orders" RENAME TO "orders"');
    await queryRunner.query('CREATE INDEX "IDX_2816e2e44a08e78af6bac223dd" ON "orders" ("connectionId") ');
    await queryRunner.query('CREATE INDEX "IDX_59b0c3b34ea0fa5562342f2414" ON "orders" ("orderNumber") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_date" ON "orders" ("tenantId", "orderDate") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_status" ON "orders" ("tenantId", "status") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_orders_connection_posted_id" ON "orders" ("connectionId", "postedTransactionId") ',
    );
    // Backfill: orders posted before the column existed.
    await queryRunner.query(
      'UPDATE "orders" SET "postedTransactionId" = json_extract("postedTransaction", \'$.id\') WHERE "postedTransaction" IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_orders_connection_posted_id"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_status"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_date"');
    await queryRunner.query('DROP INDEX "IDX_59b0c3b34ea0fa5562342f2414"');
    await queryRunner.query('DROP INDEX "IDX_2816e2e44a08e78af6bac223dd"');
    await queryRunner.query('ALTER TABLE "orders" RENAME TO "temporary_orders"');
    await queryRunner.query(
      'CREATE TABLE "orders" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "channel" varchar(100) NOT NULL, "externalId" varchar(191) NOT NULL, "orderNumber" varchar(21) NOT NULL, "orderDate" datetime(6) NOT NULL, "currency" varchar(3) NOT NULL, "customerName" varchar(500) NOT NULL, "customerEmail" varchar(255), "customer" text NOT NULL, "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "total" decimal(18,2) NOT NULL, "paymentMethod" varchar(100), "notes" text, "contentHash" varchar(64) NOT NULL, "status" varchar(16) NOT NULL, "postedTransaction" text, "postedAt" datetime(6), "modifiedAfterPosting" boolean NOT NULL DEFAULT (0), "lastError" text, "postingGeneration" integer NOT NULL DEFAULT (0), "postingBatchId" varchar(40), "sentAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "exchangeRate" decimal(20,10), "statusBeforeUndo" varchar(16), CONSTRAINT "UQ_orders_connection_channel_external" UNIQUE ("connectionId", "channel", "externalId"))',
    );
    await queryRunner.query(
      'INSERT INTO "orders"("id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt", "exchangeRate", "statusBeforeUndo") SELECT "id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt", "exchangeRate", "statusBeforeUndo" FROM "temporary_orders"',
    );
    await queryRunner.query('DROP TABLE "temporary_orders"');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_status" ON "orders" ("tenantId", "status") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_date" ON "orders" ("tenantId", "orderDate") ');
    await queryRunner.query('CREATE INDEX "IDX_59b0c3b34ea0fa5562342f2414" ON "orders" ("orderNumber") ');
    await queryRunner.query('CREATE INDEX "IDX_2816e2e44a08e78af6bac223dd" ON "orders" ("connectionId") ');
  }
}
