import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1795306300752 implements MigrationInterface {
  name = 'Orders1795306300752';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "invoices" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "invoiceNumber" varchar(21) NOT NULL, "issuedAt" datetime(6) NOT NULL, "dueDate" varchar(10), "total" decimal(18,2) NOT NULL, "pushStatus" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query('CREATE INDEX "IDX_89c82485e364081f457b210120" ON "invoices" ("tenantId") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a58a78a0e0031dd93a2f56f1e8" ON "invoices" ("orderId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "orders" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "channel" varchar(100) NOT NULL, "externalId" varchar(191) NOT NULL, "orderNumber" varchar(21) NOT NULL, "orderDate" datetime(6) NOT NULL, "currency" varchar(3) NOT NULL, "customerName" varchar(500) NOT NULL, "customerEmail" varchar(255), "customer" text NOT NULL, "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "total" decimal(18,2) NOT NULL, "paymentMethod" varchar(100), "notes" text, "contentHash" varchar(64) NOT NULL, "status" varchar(16) NOT NULL, "postedTransaction" text, "postedAt" datetime(6), "modifiedAfterPosting" boolean NOT NULL DEFAULT (0), "lastError" text, "postingGeneration" integer NOT NULL DEFAULT (0), "postingBatchId" varchar(40), "sentAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_orders_connection_channel_external" UNIQUE ("connectionId", "channel", "externalId"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_2816e2e44a08e78af6bac223dd" ON "orders" ("connectionId") ');
    await queryRunner.query('CREATE INDEX "IDX_59b0c3b34ea0fa5562342f2414" ON "orders" ("orderNumber") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_date" ON "orders" ("tenantId", "orderDate") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_status" ON "orders" ("tenantId", "status") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_status"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_date"');
    await queryRunner.query('DROP INDEX "IDX_59b0c3b34ea0fa5562342f2414"');
    await queryRunner.query('DROP INDEX "IDX_2816e2e44a08e78af6bac223dd"');
    await queryRunner.query('DROP TABLE "orders"');
    await queryRunner.query('DROP INDEX "IDX_a58a78a0e0031dd93a2f56f1e8"');
    await queryRunner.query('DROP INDEX "IDX_89c82485e364081f457b210120"');
    await queryRunner.query('DROP TABLE "invoices"');
  }
}
