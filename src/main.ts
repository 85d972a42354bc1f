/** `npm start`: the gateway on the configuration of the environment (embedded defaults when nothing is set). */
import 'reflect-metadata';
import { createGateway } from './app';
import { ensureBootstrapKeys } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const gateway = await createGateway(config, { logger });
  const { demoKey } = await ensureBootstrapKeys(config, gateway.services, logger);
  const url = await gateway.listen();
  const graphqlUrl = `${url.replace('127.0.0.1', 'localhost')}/graphql`;
  logger.info(
    { url: graphqlUrl, database: config.database.type, quickbooks: config.quickbooks.mode },
    'gateway listening',
  );
  if (demoKey) {
    // Printed plainly (not through the logger, which would redact it): this is the developer's own demo key.
    process.stdout.write(
      [
        '',
        `  QuickBooks Gateway is running at ${graphqlUrl}`,
        `  Demo API key (tenant "demo"): ${demoKey}`,
        '',
        `  curl -s ${graphqlUrl} -H 'authorization: Bearer ${demoKey}' \\`,
        `    -H 'content-type: application/json' -d '{"query":"{ viewer { tenantName scopes } }"}'`,
        '',
      ].join('\n') + '\n',
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests and closing the database');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
