import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApp(config);
  // Nest's shutdown hooks stop accepting, let requests in flight finish, then close the pool.
  // If that takes longer than SHUTDOWN_TIMEOUT_MS, leave anyway: the database keeps no
  // half-written change, since every change is one transaction.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    });
  }
  await app.listen(config.port, config.host);
  new Logger('Bootstrap').log(`merchant-customers listening on http://localhost:${config.port}`);
}

void bootstrap();
