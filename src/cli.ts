/**
 * `npm run cli -- <command>`: administration against the configured database.
 *   tenant create <name>
 *   api-key create --tenant <name> [--scopes READ,WRITE,ADMIN] [--name <label>]   (prints the key once)
 *   api-key revoke <prefix>
 *   migrate
 */
import 'reflect-metadata';
import { openDatabase } from './core';
import { ApiKeyService } from './services/api-key.service';
import { TenantService } from './services/tenant.service';
import { API_SCOPES, type ApiScope } from './entities';
import { AppError } from './errors';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';

const USAGE = `usage: npm run cli -- <command>
  tenant create <name>
  api-key create --tenant <name> [--scopes READ,WRITE,ADMIN] [--name <label>]
  api-key revoke <prefix>
  migrate`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

export async function runCli(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const [area, action, ...rest] = args;
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const dataSource = await openDatabase(
    { ...config, database: { ...config.database, runMigrations: true } },
    logger,
  );
  try {
    const services = { tenants: new TenantService(dataSource), apiKeys: new ApiKeyService(dataSource) };
    if (area === 'migrate') {
      out('database migrations are up to date');
      return 0;
    }
    if (area === 'tenant' && action === 'create' && rest[0]) {
      const tenant = await services.tenants.create(rest[0]);
      out(`created tenant ${tenant.name} (${tenant.id})`);
      return 0;
    }
    if (area === 'api-key' && action === 'create') {
      const tenantName = option(rest, 'tenant');
      if (!tenantName) throw new AppError('BAD_USER_INPUT', '--tenant is required');
      const tenant = await services.tenants.findByName(tenantName);
      if (!tenant)
        throw new AppError(
          'NOT_FOUND',
          `tenant "${tenantName}" was not found (create it with: tenant create)`,
        );
      const scopes = (option(rest, 'scopes') ?? API_SCOPES.join(','))
        .split(',')
        .map((s) => s.trim().toUpperCase());
      const { key, apiKey } = await services.apiKeys.create(
        tenant.id,
        option(rest, 'name') ?? 'cli',
        scopes as ApiScope[],
      );
      out(
        `created API key ${apiKey.prefix} for tenant ${tenant.name} with scopes ${apiKey.scopes.join(',')}`,
      );
      out(`key (shown once, store it now): ${key}`);
      return 0;
    }
    if (area === 'api-key' && action === 'revoke' && rest[0]) {
      const revoked = await services.apiKeys.revoke(rest[0]);
      out(revoked ? `revoked API key ${rest[0]}` : `no active API key has the prefix ${rest[0]}`);
      return revoked ? 0 : 1;
    }
    out(USAGE);
    return 2;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof AppError) console.error(error.message);
      else console.error(error);
      process.exit(1);
    },
  );
}
