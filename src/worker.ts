/**
 * `npm run worker`: a worker process alone. It claims jobs from the shared database (run several against one MySQL to
 * scale out) and publishes progress through Redis when REDIS_URL is set.
 */
import 'reflect-metadata';
import { createCore } from './core';
import { createLogger } from './logger';
import { exitOnSignals, loadConfigOrExit, run } from './process';

run(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (config.quickbooks.mode === 'local' && !config.quickbooks.sandboxUrl) {
    logger.warn(
      "local mode without QBO_SANDBOX_URL: this worker starts its own emulator; point it at the gateway's instead",
    );
  }
  const core = await createCore(config, logger, { runWorker: true });
  logger.info({ workerId: core.worker?.workerId, database: config.database.type }, 'worker running');
  exitOnSignals(logger, 'worker', () => core.close(), config.shutdownTimeoutMs);
});
