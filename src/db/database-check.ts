/**
 * Start-up checks of the database before TypeORM opens it, so that what commonly goes wrong ends in one line naming
 * the variable and the fix (issue: a raw ER_BAD_DB_ERROR or ECONNREFUSED stack), and so that the gateway creates its
 * MySQL database when it does not exist and the user may create it.
 */
import fs from 'node:fs';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../config';

/** A start-up failure a person fixes in the configuration: its message is one line, naming the variable and the fix. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const CREATE_HINT = 'or run `npm run cli -- migrate --create-database` once';

/**
 * Makes sure the configured database exists: MySQL databases are created when missing and `create` is true (and the
 * user may); a SQLite file is created by opening it, which only happens when `create` is true. Returns whether it
 * created one.
 */
export async function ensureDatabase(db: DatabaseConfig, options: { create: boolean }): Promise<boolean> {
  if (db.type === 'sqlite') {
    if (db.url === ':memory:' || fs.existsSync(db.url)) return false;
    if (!options.create) {
      throw new StartupError(
        `DATABASE_URL: there is no database at ${db.url}; run this from the gateway's folder, point DATABASE_URL at ` +
          `the database (sqlite:<path> or mysql://...), ${CREATE_HINT}`,
      );
    }
    return true;
  }
  const url = new URL(db.url);
  const name = decodeURIComponent(url.pathname.slice(1));
  const where = `${url.hostname}:${url.port || 3306}`;
  const user = decodeURIComponent(url.username) || '(no user)';
  try {
    await (await createConnection(db.url)).end();
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // MySQL does not tell a user without rights whether the database exists.
    if (code === 'ER_DBACCESS_DENIED_ERROR') throw noAccess(name, where, user);
    if (code !== 'ER_BAD_DB_ERROR') throw connectionProblem(code, where, user, error);
  }
  if (!options.create) {
    throw new StartupError(
      `DATABASE_URL: database "${name}" does not exist on ${where}; create it (CREATE DATABASE \`${name}\` ` +
        `CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci) ${CREATE_HINT}`,
    );
  }
  const server = new URL(db.url);
  server.pathname = '/';
  try {
    const admin = await createConnection(server.toString());
    try {
      await admin.query(
        `CREATE DATABASE IF NOT EXISTS \`${name.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    } finally {
      await admin.end();
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ER_DBACCESS_DENIED_ERROR' ||
      code === 'ER_ACCESS_DENIED_ERROR' ||
      code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR'
    ) {
      throw noAccess(name, where, user);
    }
    throw connectionProblem(code, where, user, error);
  }
  return true;
}

function noAccess(name: string, where: string, user: string): StartupError {
  return new StartupError(
    `DATABASE_URL: database "${name}" on ${where} does not exist or user "${user}" may not use it, and the user may ` +
      `not create it; have an administrator run CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE ` +
      `utf8mb4_unicode_ci and GRANT ALL ON \`${name}\`.* TO "${user}"`,
  );
}

function connectionProblem(code: string | undefined, where: string, user: string, error: unknown): Error {
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupError(
        `DATABASE_URL: nothing accepts connections at ${where}; start MySQL or MariaDB there, or fix the host and port`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`DATABASE_URL: the host of ${where} is not known; fix the host name`);
    case 'ETIMEDOUT':
      return new StartupError(
        `DATABASE_URL: ${where} did not answer; check the host, the port and any firewall`,
      );
    case 'ER_ACCESS_DENIED_ERROR':
      return new StartupError(
        `DATABASE_URL: ${where} refused user "${user}" (wrong user or password); fix the credentials in DATABASE_URL`,
      );
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
