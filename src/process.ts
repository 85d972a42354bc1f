/** What the gateway and the standalone worker do alike as processes: read the config, stop cleanly on a signal. */
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { StartupError } from './db/database-check';
import type { Logger } from './logger';

/** The config (from the environment, and `.env` when present), or a message naming every bad variable and exit 1. */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    loadDotEnv();
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * On SIGTERM or SIGINT: close (drain requests, finish or hand back running jobs, close the database), then exit; at
 * most `timeoutMs` (SHUTDOWN_TIMEOUT_SECONDS, 5 s by default), after which the process exits anyway.
 */
export function exitOnSignals(
  logger: Logger,
  what: string,
  close: () => Promise<void>,
  timeoutMs: number,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${what} stopping`);
    const force = setTimeout(() => {
      logger.warn({ timeoutMs }, `${what} did not stop in time; exiting`);
      process.exit(1);
    }, timeoutMs);
    force.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${what} shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Entry points end here: an error that escaped start-up is printed and the process exits 1. */
export function run(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    // A configuration problem is one line naming the variable and the fix; anything else is a bug, with its stack.
    console.error(error instanceof StartupError || error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
