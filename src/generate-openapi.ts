/**
 * Writes the OpenAPI document: `npm run openapi` (to openapi.json), `npm run -s openapi -- <file>`,
 * or `-` for stdout (then nothing else is written there). No database server is needed: the app
 * is built on an in-memory SQLite database, without the demo merchant and without a logger.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createApp } from './app.factory';
import { loadConfig } from './config/config';
import { createOpenApiDocument, sortKeys } from './openapi';

async function main(): Promise<void> {
  const target = process.argv[2] ?? 'openapi.json';
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', DEMO_MERCHANT: 'false' });
  const app = await createApp(config, { logger: false });
  try {
    const text = JSON.stringify(sortKeys(createOpenApiDocument(app)), null, 2) + '\n';
    if (target === '-') process.stdout.write(text);
    else writeFileSync(target, text);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
