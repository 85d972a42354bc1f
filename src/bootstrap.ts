import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Services } from './core';

export const DEFAULT_TENANT = 'default';
export const DEMO_TENANT = 'demo';

/**
 * Start-up keys. `GATEWAY_API_KEY` becomes an all-scopes key of the `default` tenant. In local mode with no key
 * configured, a `demo` tenant gets a key that is kept in `data/demo-api-key` (owner-only) and returned so it can be
 * printed: local mode is a developer's own machine, and a key that is lost on every restart would be no help.
 */
export async function ensureBootstrapKeys(
  config: Readonly<Config>,
  services: Pick<Services, 'tenants' | 'apiKeys'>,
  logger: Logger,
): Promise<{ demoKey?: string }> {
  if (config.bootstrapApiKey) {
    const tenant = await services.tenants.ensure(DEFAULT_TENANT);
    await services.apiKeys.ensureKnownKey(tenant.id, 'GATEWAY_API_KEY', config.bootstrapApiKey);
    return {};
  }
  if (config.quickbooks.mode !== 'local') return {};

  const file = path.join(config.dataDir, 'demo-api-key');
  const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
  if (saved && (await services.apiKeys.authenticate(saved))) return { demoKey: saved };

  const tenant = await services.tenants.ensure(DEMO_TENANT);
  const { key } = await services.apiKeys.create(tenant.id, 'demo key (local mode)');
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  logger.info({ tenant: DEMO_TENANT }, 'created the demo tenant and its API key');
  return { demoKey: key };
}
