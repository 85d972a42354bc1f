import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RefundsWebhooksCurrency1796306020108 implements MigrationInterface {
  name = 'RefundsWebhooksCurrency1796306020108';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "order_refunds" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "orderId" varchar(40) NOT NULL, "seq" integer NOT NULL, "batchId" varchar(40) NOT NULL, "kind" varchar(16) NOT NULL, "status" varchar(16) NOT NULL, "lines" text, "amount" decimal(18,2) NOT NULL, "full" boolean NOT NULL DEFAULT (0), "reason" varchar(1000), "refundedAt" datetime(6) NOT NULL, "docNumber" varchar(21) NOT NULL, "quickbooksId" varchar(32), "syncToken" varchar(20), "totalAmount" decimal(18,2), "sentAt" datetime(6), "lastError" text, "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_order_refunds_order_seq" UNIQUE ("orderId", "seq"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_1d266acc6f94a5d28bf7bfa169" ON "order_refunds" ("orderId") ');
    await queryRunner.query('CREATE INDEX "IDX_order_refunds_batch" ON "order_refunds" ("batchId") ');
    await queryRunner.query(
      'CREATE TABLE "webhook_endpoints" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "url" varchar(2000) NOT NULL, "events" text NOT NULL, "description" varchar(255), "status" varchar(16) NOT NULL, "secretCiphertext" text NOT NULL, "secretKeyId" varchar(32) NOT NULL, "previousSecretCiphertext" text, "previousSecretKeyId" varchar(32), "previousSecretUntil" datetime(6), "failingSince" datetime(6), "disabledAt" datetime(6), "lastDeliveryAt" datetime(6), "leaseToken" varchar(100), "leaseUntil" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_e82953082c6d29f833fe458b14" ON "webhook_endpoints" ("tenantId") ',
    );
    await queryRunner.query(
      'CREATE TABLE "webhook_deliveries" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "endpointId" varchar(40) NOT NULL, "eventType" varchar(60) NOT NULL, "payload" text NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "nextAttemptAt" datetime(6) NOT NULL, "lastAttemptAt" datetime(6), "lastStatusCode" integer, "lastError" varchar(500), "deliveredAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_webhook_deliveries_endpoint_status" ON "webhook_deliveries" ("endpointId", "status", "id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "worker_heartbeats" ("workerId" varchar(100) PRIMARY KEY NOT NULL, "startedAt" datetime(6) NOT NULL, "lastSeenAt" datetime(6) NOT NULL)',
    );
    await queryRunner.query('DROP INDEX "IDX_fa8cda7737187d7dc0eb7e8a12"');
    await queryRunner.query('DROP INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9"');
    await queryRunner.query(
      'CREATE TABLE "temporary_oauth_states" ("id" varchar(40) PRIMARY KEY NOT NULL, "stateHash" varchar(64) NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "expiresAt" datetime(6) NOT NULL, "usedAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "returnUrl" varchar(2000))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_oauth_states"("id", "stateHash", "tenantId", "connectionId", "expiresAt", "usedAt", "createdAt") SELECT "id", "stateHash", "tenantId", "connectionId", "expiresAt", "usedAt", "createdAt" FROM "oauth_states"',
    );
    await queryRunner.query('DROP TABLE "oauth_states"');
    await queryRunner.query('ALTER TABLE "temporary_oauth_states" RENAME TO "oauth_states"');
    await queryRunner.query(
      'CREATE INDEX "IDX_fa8cda7737187d7dc0eb7e8a12" ON "oauth_states" ("connectionId") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9" ON "oauth_states" ("stateHash") ',
    );
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_status"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_date"');
    await queryRunner.query('DROP INDEX "IDX_59b0c3b34ea0fa5562342f2414"');
    await queryRunner.query('DROP INDEX "IDX_2816e2e44a08e78af6bac223dd"');
    await queryRunner.query(
      'CREATE TABLE "temporary_orders" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "channel" varchar(100) NOT NULL, "externalId" varchar(191) NOT NULL, "orderNumber" varchar(21) NOT NULL, "orderDate" datetime(6) NOT NULL, "currency" varchar(3) NOT NULL, "customerName" varchar(500) NOT NULL, "customerEmail" varchar(255), "customer" text NOT NULL, "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "total" decimal(18,2) NOT NULL, "paymentMethod" varchar(100), "notes" text, "contentHash" varchar(64) NOT NULL, "status" varchar(16) NOT NULL, "postedTransaction" text, "postedAt" datetime(6), "modifiedAfterPosting" boolean NOT NULL DEFAULT (0), "lastError" text, "postingGeneration" integer NOT NULL DEFAULT (0), "postingBatchId" varchar(40), "sentAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "exchangeRate" decimal(20,10), "statusBeforeUndo" varchar(16), CONSTRAINT "UQ_orders_connection_channel_external" UNIQUE ("connectionId", "channel", "externalId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_orders"("id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt") SELECT "id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt" FROM "orders"',
    );
    await queryRunner.query('DROP TABLE "orders"');
    await queryRunner.query('ALTER TABLE "temporary_orders" RENAME TO "orders"');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_status" ON "orders" ("tenantId", "status") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_date" ON "orders" ("tenantId", "orderDate") ');
    await queryRunner.query('CREATE INDEX "IDX_59b0c3b34ea0fa5562342f2414" ON "orders" ("orderNumber") ');
    await queryRunner.query('CREATE INDEX "IDX_2816e2e44a08e78af6bac223dd" ON "orders" ("connectionId") ');
    await queryRunner.query('DROP INDEX "IDX_reference_connection_type_name"');
    await queryRunner.query('DROP INDEX "IDX_2115d752aacb5a29367077fc46"');
    await queryRunner.query(
      'CREATE TABLE "temporary_reference_entities" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "type" varchar(20) NOT NULL, "quickbooksId" varchar(32) NOT NULL, "name" varchar(500) NOT NULL, "kind" varchar(60), "sku" varchar(100), "email" varchar(255), "active" boolean NOT NULL, "syncToken" varchar(20), "quickbooksUpdatedAt" datetime(6), "data" text NOT NULL, "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "currency" varchar(3), CONSTRAINT "UQ_reference_connection_type_qbid" UNIQUE ("connectionId", "type", "quickbooksId"))',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_reference_entities"("id", "tenantId", "connectionId", "type", "quickbooksId", "name", "kind", "sku", "email", "active", "syncToken", "quickbooksUpdatedAt", "data", "updatedAt") SELECT "id", "tenantId", "connectionId", "type", "quickbooksId", "name", "kind", "sku", "email", "active", "syncToken", "quickbooksUpdatedAt", "data", "updatedAt" FROM "reference_entities"',
    );
    await queryRunner.query('DROP TABLE "reference_entities"');
    await queryRunner.query('ALTER TABLE "temporary_reference_entities" RENAME TO "reference_entities"');
    await queryRunner.query(
      'CREATE INDEX "IDX_reference_connection_type_name" ON "reference_entities" ("connectionId", "type", "name") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_2115d752aacb5a29367077fc46" ON "reference_entities" ("tenantId") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_2115d752aacb5a29367077fc46"');
    await queryRunner.query('DROP INDEX "IDX_reference_connection_type_name"');
    await queryRunner.query('ALTER TABLE "reference_entities" RENAME TO "temporary_reference_entities"');
    await queryRunner.query(
      'CREATE TABLE "reference_entities" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "type" varchar(20) NOT NULL, "quickbooksId" varchar(32) NOT NULL, "name" varchar(500) NOT NULL, "kind" varchar(60), "sku" varchar(100), "email" varchar(255), "active" boolean NOT NULL, "syncToken" varchar(20), "quickbooksUpdatedAt" datetime(6), "data" text NOT NULL, "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_reference_connection_type_qbid" UNIQUE ("connectionId", "type", "quickbooksId"))',
    );
    await queryRunner.query(
      'INSERT INTO "reference_entities"("id", "tenantId", "connectionId", "type", "quickbooksId", "name", "kind", "sku", "email", "active", "syncToken", "quickbooksUpdatedAt", "data", "updatedAt") SELECT "id", "tenantId", "connectionId", "type", "quickbooksId", "name", "kind", "sku", "email", "active", "syncToken", "quickbooksUpdatedAt", "data", "updatedAt" FROM "temporary_reference_entities"',
    );
    await queryRunner.query('DROP TABLE "temporary_reference_entities"');
    await queryRunner.query(
      'CREATE INDEX "IDX_2115d752aacb5a29367077fc46" ON "reference_entities" ("tenantId") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_reference_connection_type_name" ON "reference_entities" ("connectionId", "type", "name") ',
    );
    await queryRunner.query('DROP INDEX "IDX_2816e2e44a08e78af6bac223dd"');
    await queryRunner.query('DROP INDEX "IDX_59b0c3b34ea0fa5562342f2414"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_date"');
    await queryRunner.query('DROP INDEX "IDX_orders_tenant_status"');
    await queryRunner.query('ALTER TABLE "orders" RENAME TO "temporary_orders"');
    await queryRunner.query(
      'CREATE TABLE "orders" ("id" varchar(40) PRIMARY KEY NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "channel" varchar(100) NOT NULL, "externalId" varchar(191) NOT NULL, "orderNumber" varchar(21) NOT NULL, "orderDate" datetime(6) NOT NULL, "currency" varchar(3) NOT NULL, "customerName" varchar(500) NOT NULL, "customerEmail" varchar(255), "customer" text NOT NULL, "lines" text NOT NULL, "charges" text NOT NULL, "discountTotal" decimal(18,2) NOT NULL, "taxTotal" decimal(18,2) NOT NULL, "total" decimal(18,2) NOT NULL, "paymentMethod" varchar(100), "notes" text, "contentHash" varchar(64) NOT NULL, "status" varchar(16) NOT NULL, "postedTransaction" text, "postedAt" datetime(6), "modifiedAfterPosting" boolean NOT NULL DEFAULT (0), "lastError" text, "postingGeneration" integer NOT NULL DEFAULT (0), "postingBatchId" varchar(40), "sentAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), "updatedAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')), CONSTRAINT "UQ_orders_connection_channel_external" UNIQUE ("connectionId", "channel", "externalId"))',
    );
    await queryRunner.query(
      'INSERT INTO "orders"("id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt") SELECT "id", "tenantId", "connectionId", "channel", "externalId", "orderNumber", "orderDate", "currency", "customerName", "customerEmail", "customer", "lines", "charges", "discountTotal", "taxTotal", "total", "paymentMethod", "notes", "contentHash", "status", "postedTransaction", "postedAt", "modifiedAfterPosting", "lastError", "postingGeneration", "postingBatchId", "sentAt", "createdAt", "updatedAt" FROM "temporary_orders"',
    );
    await queryRunner.query('DROP TABLE "temporary_orders"');
    await queryRunner.query('CREATE INDEX "IDX_2816e2e44a08e78af6bac223dd" ON "orders" ("connectionId") ');
    await queryRunner.query('CREATE INDEX "IDX_59b0c3b34ea0fa5562342f2414" ON "orders" ("orderNumber") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_date" ON "orders" ("tenantId", "orderDate") ');
    await queryRunner.query('CREATE INDEX "IDX_orders_tenant_status" ON "orders" ("tenantId", "status") ');
    await queryRunner.query('DROP INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9"');
    await queryRunner.query('DROP INDEX "IDX_fa8cda7737187d7dc0eb7e8a12"');
    await queryRunner.query('ALTER TABLE "oauth_states" RENAME TO "temporary_oauth_states"');
    await queryRunner.query(
      'CREATE TABLE "oauth_states" ("id" varchar(40) PRIMARY KEY NOT NULL, "stateHash" varchar(64) NOT NULL, "tenantId" varchar(40) NOT NULL, "connectionId" varchar(40) NOT NULL, "expiresAt" datetime(6) NOT NULL, "usedAt" datetime(6), "createdAt" datetime(6) NOT NULL DEFAULT (datetime(\'now\')))',
    );
    await queryRunner.query(
      'INSERT INTO "oauth_states"("id", "stateHash", "tenantId", "connectionId", "expiresAt", "usedAt", "createdAt") SELECT "id", "stateHash", "tenantId", "connectionId", "expiresAt", "usedAt", "createdAt" FROM "temporary_oauth_states"',
    );
    await queryRunner.query('DROP TABLE "temporary_oauth_states"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_ecbb987b8ec2ae8adc4b1e33a9" ON "oauth_states" ("stateHash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_fa8cda7737187d7dc0eb7e8a12" ON "oauth_states" ("connectionId") ',
    );
    await queryRunner.query('DROP TABLE "worker_heartbeats"');
    await queryRunner.query('DROP INDEX "IDX_webhook_deliveries_endpoint_status"');
    await queryRunner.query('DROP TABLE "webhook_deliveries"');
    await queryRunner.query('DROP INDEX "IDX_e82953082c6d29f833fe458b14"');
    await queryRunner.query('DROP TABLE "webhook_endpoints"');
    await queryRunner.query('DROP INDEX "IDX_order_refunds_batch"');
    await queryRunner.query('DROP INDEX "IDX_1d266acc6f94a5d28bf7bfa169"');
    await queryRunner.query('DROP TABLE "order_refunds"');
  }
}
