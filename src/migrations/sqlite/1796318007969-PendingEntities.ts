import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PendingEntities1796318007969 implements MigrationInterface {
  name = 'PendingEntities1796318007969';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"partner_records\" (\"id\" varchar(40) PRIMARY KEY NOT NULL, \"tenantId\" varchar(40) NOT NULL, \"connectionId\" varchar(40) NOT NULL, \"type\" varchar(20) NOT NULL, \"channel\" varchar(100) NOT NULL, \"externalId\" varchar(191) NOT NULL, \"name\" varchar(500) NOT NULL, \"content\" text NOT NULL, \"quickbooksId\" varchar(32), \"syncedContent\" text, \"syncedSyncToken\" varchar(20), \"syncState\" varchar(16) NOT NULL, \"lastError\" text, \"sentAt\" datetime(6), \"createdAt\" datetime(6) NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime(6) NOT NULL DEFAULT (datetime('now')), CONSTRAINT \"UQ_partner_records_key\" UNIQUE (\"connectionId\", \"type\", \"channel\", \"externalId\"))");
    await queryRunner.query("CREATE INDEX \"IDX_fe21e147dbf432a2a2e2bcae25\" ON \"partner_records\" (\"tenantId\") ");
    await queryRunner.query("CREATE INDEX \"IDX_partner_records_connection_qbid\" ON \"partner_records\" (\"connectionId\", \"type\", \"quickbooksId\") ");
    await queryRunner.query("CREATE TABLE \"pending_entities\" (\"id\" varchar(40) PRIMARY KEY NOT NULL, \"tenantId\" varchar(40) NOT NULL, \"connectionId\" varchar(40) NOT NULL, \"direction\" varchar(16) NOT NULL, \"entityType\" varchar(20) NOT NULL, \"entityKey\" varchar(191) NOT NULL, \"quickbooksId\" varchar(32), \"externalId\" varchar(191), \"channel\" varchar(100), \"label\" varchar(255) NOT NULL, \"operation\" varchar(16) NOT NULL, \"changes\" text NOT NULL, \"snapshot\" text NOT NULL, \"conflict\" boolean NOT NULL DEFAULT (0), \"status\" varchar(16) NOT NULL, \"detectedAt\" datetime(6) NOT NULL, \"resolvedAt\" datetime(6), \"createdAt\" datetime(6) NOT NULL DEFAULT (datetime('now')), \"updatedAt\" datetime(6) NOT NULL DEFAULT (datetime('now')), CONSTRAINT \"UQ_pending_entities_key\" UNIQUE (\"connectionId\", \"direction\", \"entityType\", \"entityKey\"))");
    await queryRunner.query("CREATE INDEX \"IDX_206f0d2cd9336c220ac947437a\" ON \"pending_entities\" (\"tenantId\") ");
    await queryRunner.query("CREATE INDEX \"IDX_pending_entities_connection_status\" ON \"pending_entities\" (\"connectionId\", \"status\", \"direction\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"IDX_pending_entities_connection_status\"");
    await queryRunner.query("DROP INDEX \"IDX_206f0d2cd9336c220ac947437a\"");
    await queryRunner.query("DROP TABLE \"pending_entities\"");
    await queryRunner.query("DROP INDEX \"IDX_partner_records_connection_qbid\"");
    await queryRunner.query("DROP INDEX \"IDX_fe21e147dbf432a2a2e2bcae25\"");
    await queryRunner.query("DROP TABLE \"partner_records\"");
  }
}
