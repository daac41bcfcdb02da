import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { describeStartupFailure } from './startup-failure';

/**
 * A start-up that cannot succeed (port taken, database away, wrong password, no such database) is
 * one line on stderr naming the cause and the setting to change, and exit code 1; the stack
 * trace only at LOG_LEVEL=debug or trace.
 */
function failStartup(err: unknown, config: AppConfig): never {
  console.error(describeStartupFailure(err, config));
  if ((config.logLevel === 'debug' || config.logLevel === 'trace') && err instanceof Error && err.stack)
    console.error(err.stack);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  let app: INestApplication;
  try {
    app = await createApp(config);
  } catch (err) {
    failStartup(err, config);
  }
  const logger = new Logger('Bootstrap');
  // On SIGTERM/SIGINT: stop accepting, let requests in flight finish, close the pool, exit 0.
  // Past SHUTDOWN_TIMEOUT_MS, leave anyway: every change is one transaction, so an unfinished
  // request leaves nothing half-written.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => {
        logger.log('Shutdown complete');
        process.exit(0);
      },
      (err: Error) => {
        logger.error(`Shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    failStartup(err, config);
  }
  logger.log(`merchant-customers listening on http://localhost:${config.port}`);
}

void bootstrap();
