/** `npm start`: the gateway on the configuration of the environment (embedded defaults when nothing is set). */
import 'reflect-metadata';
import { createGateway } from './app';
import { ensureBootstrapKeys } from './bootstrap';
import { createLogger } from './logger';
import { exitOnSignals, loadConfigOrExit, run } from './process';

run(async () => {
  const config = loadConfigOrExit();
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
        `  Operator console: ${graphqlUrl.replace(/graphql$/, 'console')}` +
          (config.graphql.graphiql ? `   GraphiQL: ${graphqlUrl}` : ''),
        '',
        `  curl -s ${graphqlUrl} -H 'authorization: Bearer ${demoKey}' \\`,
        `    -H 'content-type: application/json' -d '{"query":"{ viewer { tenantName scopes } }"}'`,
        '',
      ].join('\n') + '\n',
    );
  }
  exitOnSignals(logger, 'gateway', () => gateway.close(), config.shutdownTimeoutMs);
});
