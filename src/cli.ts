/**
 * `npm run cli -- <command>`: administration against the configured database (see USAGE). It opens the database the
 * configuration names and creates none it was not asked to (`migrate --create-database`): run from another folder,
 * it says so instead of starting an empty database there.
 */
import 'reflect-metadata';
import { openDatabase } from './core';
import { StartupError } from './db/database-check';
import { ApiKeyService } from './services/api-key.service';
import { TenantService } from './services/tenant.service';
import { API_SCOPES, TenantEntity, type ApiScope } from './entities';
import { AppError } from './errors';
import { ConfigError, loadConfig, loadDotEnv } from './config';
import { createLogger } from './logger';

export const USAGE = `usage: npm run cli -- <command>

commands:
  tenant create <name>                      create a tenant
  tenant list                               list tenants
  api-key create --tenant <name> [--scopes READ,WRITE,ADMIN] [--name <label>]
                                            create a key (printed once)
  api-key list [--tenant <name>]            list keys (prefixes, scopes; never the keys)
  api-key revoke <prefix>                   revoke a key
  migrate [--create-database]               apply database migrations (and create the database if missing)
  help                                      this text (also --help, -h)

The database is the one DATABASE_URL names (./data/gateway.sqlite when unset); .env is read when present.`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Runs one command; returns the exit code (0 done, 1 failed, 2 usage). */
export async function runCli(
  args: string[],
  out: (line: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [area, action, ...rest] = args;
  if (!area || ['help', '--help', '-h'].includes(area)) {
    out(USAGE);
    return area ? 0 : 2;
  }
  const known =
    area === 'migrate' ||
    (area === 'tenant' && ['create', 'list'].includes(action ?? '')) ||
    (area === 'api-key' && ['create', 'list', 'revoke'].includes(action ?? ''));
  if (!known) {
    out(`unknown command: ${args.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const dataSource = await openDatabase(
    { ...config, database: { ...config.database, runMigrations: true } },
    logger,
    {
      createDatabase: area === 'migrate' && args.includes('--create-database'),
    },
  );
  try {
    const services = { tenants: new TenantService(dataSource), apiKeys: new ApiKeyService(dataSource) };
    const tenantNamed = async (name: string) => {
      const tenant = await services.tenants.findByName(name);
      if (!tenant) {
        throw new AppError('NOT_FOUND', `tenant "${name}" was not found (create it with: tenant create)`);
      }
      return tenant;
    };
    if (area === 'migrate') {
      out('database migrations are up to date');
      return 0;
    }
    if (area === 'tenant' && action === 'create') {
      if (!rest[0]) throw new AppError('BAD_USER_INPUT', 'tenant create needs a name');
      const tenant = await services.tenants.create(rest[0]);
      out(`created tenant ${tenant.name} (${tenant.id})`);
      return 0;
    }
    if (area === 'tenant' && action === 'list') {
      const tenants = await dataSource.getRepository(TenantEntity).find({ order: { createdAt: 'ASC' } });
      out(tenants.length === 0 ? 'no tenants' : tenants.map((t) => `${t.name}\t${t.id}`).join('\n'));
      return 0;
    }
    if (area === 'api-key' && action === 'create') {
      const tenantName = option(rest, 'tenant');
      if (!tenantName) throw new AppError('BAD_USER_INPUT', '--tenant is required');
      const tenant = await tenantNamed(tenantName);
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
    if (area === 'api-key' && action === 'list') {
      const tenantName = option(rest, 'tenant');
      const tenants = tenantName
        ? [await tenantNamed(tenantName)]
        : await dataSource.getRepository(TenantEntity).find({ order: { createdAt: 'ASC' } });
      const lines: string[] = [];
      for (const tenant of tenants) {
        for (const key of await services.apiKeys.list(tenant.id)) {
          lines.push(
            [
              key.prefix,
              tenant.name,
              key.name,
              key.scopes.join(','),
              key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active',
            ].join('\t'),
          );
        }
      }
      out(lines.length === 0 ? 'no API keys' : lines.join('\n'));
      return 0;
    }
    if (!rest[0]) throw new AppError('BAD_USER_INPUT', 'api-key revoke needs the key prefix');
    const revoked = await services.apiKeys.revoke(rest[0]);
    out(revoked ? `revoked API key ${rest[0]}` : `no active API key has the prefix ${rest[0]}`);
    return revoked ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  loadDotEnv();
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const known =
        error instanceof ConfigError || error instanceof AppError || error instanceof StartupError;
      console.error(known ? error.message : error);
      process.exit(1);
    },
  );
}
