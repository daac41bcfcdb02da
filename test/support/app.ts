/**
 * End-to-end harness: the real application (createApp → AppModule) listening on a real port.
 *
 * Database: E2E_DATABASE_URL when set (CI points it at a fresh MariaDB database), else a new
 * SQLite file per test file. Every test makes its own merchant, so tests never share data.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { AuthService } from '../../src/auth/auth.service';
import { loadConfig } from '../../src/config/config';

export interface TestApp {
  app: INestApplication;
  url: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the app. `options.databaseUrl` points it at a database the caller owns (say, one the
 * provisioning CLI already wrote to); the caller then also removes it.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: { databaseUrl?: string } = {},
): Promise<TestApp> {
  let sqliteFile: string | undefined;
  let databaseUrl = options.databaseUrl ?? process.env.E2E_DATABASE_URL;
  if (!databaseUrl) {
    sqliteFile = join(tmpdir(), `merchant-customers-e2e-${randomUUID()}.sqlite`);
    databaseUrl = `sqlite:${sqliteFile}`;
  }
  const config = loadConfig({ NODE_ENV: 'test', DEMO_MERCHANT: 'false', ...env, DATABASE_URL: databaseUrl });
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    databaseUrl,
    async close() {
      await app.close();
      if (sqliteFile)
        for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
    },
  };
}

export interface TestMerchant {
  merchantId: string;
  clientKey: string;
  secret: string;
  /** Stax style: Authorization: Bearer <secret>. */
  bearer: Record<string, string>;
  /** v0 style: x-client-key + x-client-secret. */
  keyPair: Record<string, string>;
}

/** A fresh merchant with one API key (default scopes unless given). */
export async function newMerchant(t: TestApp, scopes?: string[]): Promise<TestMerchant> {
  const auth = t.app.get(AuthService);
  const k = await auth.createMerchant(`Test merchant ${randomUUID().slice(0, 8)}`, scopes);
  return {
    merchantId: k.merchant_id,
    clientKey: k.client_key,
    secret: k.client_secret,
    bearer: { Authorization: `Bearer ${k.client_secret}` },
    keyPair: { 'x-client-key': k.client_key, 'x-client-secret': k.client_secret },
  };
}

/** Another key for the same merchant. */
export async function newKey(t: TestApp, merchantId: string, scopes?: string[]): Promise<TestMerchant> {
  const k = await t.app.get(AuthService).createKey(merchantId, scopes);
  return {
    merchantId,
    clientKey: k.client_key,
    secret: k.client_secret,
    bearer: { Authorization: `Bearer ${k.client_secret}` },
    keyPair: { 'x-client-key': k.client_key, 'x-client-secret': k.client_secret },
  };
}

export function http(t: TestApp) {
  return request(t.url);
}

/** Creates a customer through the Stax route and returns its body. */
export async function createStaxCustomer(t: TestApp, m: TestMerchant, body: Record<string, unknown> = {}) {
  const res = await http(t)
    .post('/customer')
    .set(m.bearer)
    .send({ firstname: 'John', lastname: 'Smith', email: `john.${randomUUID()}@example.com`, ...body })
    .expect(200);
  return res.body as Record<string, unknown> & { id: string };
}
