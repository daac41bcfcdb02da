import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { fastifyOptions, installHttpPipeline } from './common/http-pipeline';
import type { AppConfig } from './config/config';
import { createLogger, PinoNestLogger } from './logging/logger';
import { MetricsService } from './metrics/metrics.service';
import { setupOpenApi } from './openapi';

/**
 * Builds the whole application: used by main.ts and by the end-to-end tests alike. HTTP is
 * Nest's Fastify adapter: under Express a trivial route cost this machine about six times the
 * CPU (bench/README.md).
 */
export async function createApp(
  config: AppConfig,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const logger = createLogger(config);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter(fastifyOptions(config)),
    {
      bodyParser: false,
      logger: options.logger === false ? false : new PinoNestLogger(logger),
      // A failed start-up rejects here (main.ts turns it into one line) instead of Nest logging
      // the stack and exiting on its own.
      abortOnError: false,
    },
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      exposedHeaders: [
        'ETag',
        'x-request-id',
        'Idempotent-Replayed',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'x-should-retry',
      ],
    });
  }
  await installHttpPipeline(app, config, app.get(MetricsService), logger);
  setupOpenApi(app);
  return app;
}
