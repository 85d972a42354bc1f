/**
 * `npm run migration:generate -- <Name>`: writes one migration per dialect with the SQL that brings a database that
 * has every committed migration up to the current entities. SQLite runs on a scratch file; MySQL on a scratch
 * database created on `MIGRATION_DATABASE_URL` (default mysql://root@127.0.0.1:3306/test's server).
 */
import 'reflect-metadata';
import type { DatabaseConfig } from '../src/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { initializeDataSource } from '../ormconfig';

async function generate(name: string): Promise<void> {
  const stamp = Date.now();
  const className = `${name}${stamp}`;
  const sqliteFile = path.join(os.tmpdir(), `qbg-migration-${stamp}.sqlite`);
  await writeFor('sqlite', { type: 'sqlite', url: sqliteFile, runMigrations: true });
  fs.rmSync(sqliteFile, { force: true });

  const server = process.env.MIGRATION_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const scratch = `qbg_migration_${stamp}`;
  const admin = await createConnection(server);
  await admin.query(`CREATE DATABASE \`${scratch}\``);
  try {
    await writeFor('mysql', {
      type: 'mysql',
      url: server.replace(/\/[^/]*$/, `/${scratch}`),
      runMigrations: true,
    });
  } finally {
    await admin.query(`DROP DATABASE \`${scratch}\``);
    await admin.end();
  }

  async function writeFor(dialect: 'mysql' | 'sqlite', db: DatabaseConfig): Promise<void> {
    const dataSource = await initializeDataSource(db);
    await dataSource.runMigrations();
    const sql = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    if (sql.upQueries.length === 0) {
      console.log(`${dialect}: no changes`);
      return;
    }
    const q = (s: string): string => JSON.stringify(s);
    const up = sql.upQueries.map((x) => `    await queryRunner.query(${q(x.query)});`).join('\n');
    const down = [...sql.downQueries]
      .reverse()
      .map((x) => `    await queryRunner.query(${q(x.query)});`)
      .join('\n');
    const dir = path.join(__dirname, '..', 'src', 'migrations', dialect);
    const file = `${stamp}-${name}`;
    fs.writeFileSync(
      path.join(dir, `${file}.ts`),
      `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
    );
    const indexFile = path.join(dir, 'index.ts');
    const constName = dialect === 'mysql' ? 'MYSQL_MIGRATIONS' : 'SQLITE_MIGRATIONS';
    const index = fs.readFileSync(indexFile, 'utf8');
    const imports = [...index.matchAll(/^import .*$/gm)].map((m) => m[0]);
    const names = [...index.matchAll(/^import \{ (\w+) \}/gm)].map((m) => m[1]);
    imports.push(`import { ${className} } from './${file}';`);
    names.push(className);
    const header = index.match(/^\/\*\*.*\*\/$/m)?.[0] ?? '';
    fs.writeFileSync(
      indexFile,
      `${imports.join('\n')}\n\n${header}\nexport const ${constName}: Function[] = [${names.join(', ')}];\n`,
    );
    console.log(
      `${dialect}: wrote src/migrations/${dialect}/${file}.ts (${sql.upQueries.length} statements)`,
    );
  }
}

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: npm run migration:generate -- <PascalCaseName>');
  process.exit(2);
}
generate(name).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
