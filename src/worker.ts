/**
 * `npm run worker`: a worker process alone. It claims jobs from the shared database (run several against one MySQL to
 * scale out) and publishes progress through Redis when REDIS_URL is set.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createCore } from './core';
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
  if (config.quickbooks.mode === 'local' && !config.quickbooks.sandboxUrl) {
    logger.warn(
      "local mode without QBO_SANDBOX_URL: this worker starts its own emulator; point it at the gateway's instead",
    );
  }
  const core = await createCore(config, logger, { runWorker: true });
  logger.info({ workerId: core.worker?.workerId, database: config.database.type }, 'worker running');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping: finishing running jobs');
    core.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
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
