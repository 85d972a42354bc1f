import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Invoices1796305860103 implements MigrationInterface {
  name = 'Invoices1796305860103';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "payments" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "batchId" varchar(40) NOT NULL, "customerQuickbooksId" varchar(32) NOT NULL, "lines" text NOT NULL, "total" decimal(18,2) NOT NULL, "txnDate" varchar(10) NOT NULL, "paymentMethodId" varchar(32), "reference" varchar(21), "status" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query('CREATE INDEX "IDX_f6392318779da1c3781fe5b750" ON "payments" ("connectionId") ');
    await queryRunner.query('CREATE INDEX "IDX_86d1bbcff30b43aa0a3870ea12" ON "payments" ("batchId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_payments_tenant_created" ON "payments" ("tenantId", "createdAt") ',
    );
    await queryRunner.query('DROP INDEX "IDX_a58a78a0e0031dd93a2f56f1e8"');
    await queryRunner.query('DROP INDEX "IDX_89c82485e364081f457b210120"');
    await queryRunner.query(
      'CREATE TABLE "temporary_invoices" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "invoiceNumber" varchar(21) NOT NULL, "issuedAt" datetime(6) NOT NULL, "dueDate" varchar(10), "total" decimal(18,2) NOT NULL, "pushStatus" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "customerName" varchar(500) NOT NULL DEFAULT (\'\'), "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "docNumber" varchar(21), "customerQuickbooksId" varchar(32), "balance" decimal(18,2), "balanceCheckedAt" datetime(6), "emailStatus" varchar(16) NOT NULL DEFAULT (\'NOT_SET\'), "deliveredTo" varchar(255), "sendGeneration" integer NOT NULL DEFAULT (0), "sendBatchId" varchar(40))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_invoices"("id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt") SELECT "id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt" FROM "invoices"',
    );
    await queryRunner.query('DROP TABLE "invoices"');
    await queryRunner.query('ALTER TABLE "temporary_invoices" RENAME TO "invoices"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a58a78a0e0031dd93a2f56f1e8" ON "invoices" ("orderId") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_89c82485e364081f457b210120" ON "invoices" ("tenantId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_invoices_connection_status" ON "invoices" ("connectionId", "pushStatus") ',
    );
    await queryRunner.query('DROP INDEX "IDX_a58a78a0e0031dd93a2f56f1e8"');
    await queryRunner.query('DROP INDEX "IDX_89c82485e364081f457b210120"');
    await queryRunner.query('DROP INDEX "IDX_invoices_connection_status"');
    await queryRunner.query(
      'CREATE TABLE "temporary_invoices" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "invoiceNumber" varchar(21) NOT NULL, "issuedAt" datetime(6) NOT NULL, "dueDate" varchar(10), "total" decimal(18,2) NOT NULL, "pushStatus" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "customerName" varchar(500) NOT NULL DEFAULT (\'\'), "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "docNumber" varchar(21), "customerQuickbooksId" varchar(32), "balance" decimal(18,2), "balanceCheckedAt" datetime(6), "emailStatus" varchar(16) NOT NULL DEFAULT (\'NOT_SET\'), "deliveredTo" varchar(255), "sendGeneration" integer NOT NULL DEFAULT (0), "sendBatchId" varchar(40), CONSTRAINT "UQ_invoices_connection_number" UNIQUE ("connectionId", "invoiceNumber"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_invoices"("id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt", "customerName", "lines", "charges", "discountTotal", "taxTotal", "docNumber", "customerQuickbooksId", "balance", "balanceCheckedAt", "emailStatus", "deliveredTo", "sendGeneration", "sendBatchId") SELECT "id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt", "customerName", "lines", "charges", "discountTotal", "taxTotal", "docNumber", "customerQuickbooksId", "balance", "balanceCheckedAt", "emailStatus", "deliveredTo", "sendGeneration", "sendBatchId" FROM "invoices"',
    );
    await queryRunner.query('DROP TABLE "invoices"');
    await queryRunner.query('ALTER TABLE "temporary_invoices" RENAME TO "invoices"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a58a78a0e0031dd93a2f56f1e8" ON "invoices" ("orderId") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_89c82485e364081f457b210120" ON "invoices" ("tenantId") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_invoices_connection_status" ON "invoices" ("connectionId", "pushStatus") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_invoices_connection_status"');
    await queryRunner.query('DROP INDEX "IDX_89c82485e364081f457b210120"');
    await queryRunner.query('DROP INDEX "IDX_a58a78a0e0031dd93a2f56f1e8"');
    await queryRunner.query('ALTER TABLE "invoices" RENAME TO "temporary_invoices"');
    await queryRunner.query(
      'CREATE TABLE "invoices" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "invoiceNumber" varchar(21) NOT NULL, "issuedAt" datetime(6) NOT NULL, "dueDate" varchar(10), "total" decimal(18,2) NOT NULL, "pushStatus" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "customerName" varchar(500) NOT NULL DEFAULT (\'\'), "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "docNumber" varchar(21), "customerQuickbooksId" varchar(32), "balance" decimal(18,2), "balanceCheckedAt" datetime(6), "emailStatus" varchar(16) NOT NULL DEFAULT (\'NOT_SET\'), "deliveredTo" varchar(255), "sendGeneration" integer NOT NULL DEFAULT (0), "sendBatchId" varchar(40))',
    );
    await queryRunner.query(
      'INSERT INTO "invoices"("id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt", "customerName", "lines", "charges", "discountTotal", "taxTotal", "docNumber", "customerQuickbooksId", "balance", "balanceCheckedAt", "emailStatus", "deliveredTo", "sendGeneration", "sendBatchId") SELECT "id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt", "customerName", "lines", "charges", "discountTotal", "taxTotal", "docNumber", "customerQuickbooksId", "balance", "balanceCheckedAt", "emailStatus", "deliveredTo", "sendGeneration", "sendBatchId" FROM "temporary_invoices"',
    );
    await queryRunner.query('DROP TABLE "temporary_invoices"');
    await queryRunner.query(
      'CREATE INDEX "IDX_invoices_connection_status" ON "invoices" ("connectionId", "pushStatus") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_89c82485e364081f457b210120" ON "invoices" ("tenantId") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a58a78a0e0031dd93a2f56f1e8" ON "invoices" ("orderId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_invoices_connection_status"');
    await queryRunner.query('DROP INDEX "IDX_89c82485e364081f457b210120"');
    await queryRunner.query('DROP INDEX "IDX_a58a78a0e0031dd93a2f56f1e8"');
    await queryRunner.query('ALTER TABLE "invoices" RENAME TO "temporary_invoices"');
    await queryRunner.query(
      'CREATE TABLE "invoices" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "invoiceNumber" varchar(21) NOT NULL, "issuedAt" datetime(6) NOT NULL, "dueDate" varchar(10), "total" decimal(18,2) NOT NULL, "pushStatus" varchar(16) NOT NULL, "quickbooksId" varchar(32), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'INSERT INTO "invoices"("id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt") SELECT "id", "tenantId", "connectionId", "orderId", "invoiceNumber", "issuedAt", "dueDate", "total", "pushStatus", "quickbooksId", "sentAt", "lastError", "createdAt", "updatedAt" FROM "temporary_invoices"',
    );
    await queryRunner.query('DROP TABLE "temporary_invoices"');
    await queryRunner.query('CREATE INDEX "IDX_89c82485e364081f457b210120" ON "invoices" ("tenantId") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_a58a78a0e0031dd93a2f56f1e8" ON "invoices" ("orderId") ',
    );
    await queryRunner.query('DROP INDEX "IDX_payments_tenant_created"');
    await queryRunner.query('DROP INDEX "IDX_86d1bbcff30b43aa0a3870ea12"');
    await queryRunner.query('DROP INDEX "IDX_f6392318779da1c3781fe5b750"');
    await queryRunner.query('DROP TABLE "payments"');
  }
}
