import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { installHttpPipeline } from './common/http-pipeline';
import type { AppConfig } from './config/config';

/** Builds the whole application: used by main.ts and by the end-to-end tests alike. */
export async function createApp(
  config: AppConfig,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  app.disable('x-powered-by');
  // Only customer responses carry an ETag, and it is the row version (If-Match checks it).
  app.set('etag', false);
  installHttpPipeline(app, config.bodyLimit);
  app.enableShutdownHooks();
  return app;
}
