import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { ApiKey } from '../auth/api-key.entity';
import { Merchant } from '../auth/merchant.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { CustomerCount } from '../customers/customer-count.entity';
import { CustomerWord } from '../customers/customer-word.entity';
import { Customer } from '../customers/customer.entity';
import { IdempotencyKey } from '../idempotency/idempotency-key.entity';
import { ImportRun } from '../migration-tools/import-run.entity';
import { InitialSchema1732300000000 } from './migrations/1732300000000-initial-schema';
import { IdempotencyKeys1732400000000 } from './migrations/1732400000000-idempotency-keys';
import { EmailKeyBinaryCollation1732460000000 } from './migrations/1732460000000-email-key-binary-collation';
import { CustomersLiveIndex1732500000000 } from './migrations/1732500000000-customers-live-index';
import { IdempotencyOwner1732600000000 } from './migrations/1732600000000-idempotency-owner';
import { ImportRuns1732900000000 } from './migrations/1732900000000-import-runs';
import { CustomerCounts1733000000000 } from './migrations/1733000000000-customer-counts';
import { CustomerPrefixIndexes1733100000000 } from './migrations/1733100000000-customer-prefix-indexes';
import { CustomerWords1733200000000 } from './migrations/1733200000000-customer-words';
import { CustomerWordsOrder1733300000000 } from './migrations/1733300000000-customer-words-order';
import { WebhookDeliveriesDuePerEndpoint1733400000000 } from './migrations/1733400000000-webhook-deliveries-due-per-endpoint';
import { WebhookHoldsOnEndpoint1733500000000 } from './migrations/1733500000000-webhook-holds-on-endpoint';
import { Webhooks1732800000000 } from './migrations/1732800000000-webhooks';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity';
import { registerSqliteFunctions, SqliteFunctionTarget } from './sqlite-functions';

export const ENTITIES = [
  Merchant,
  ApiKey,
  Customer,
  CustomerCount,
  CustomerWord,
  AuditEntry,
  IdempotencyKey,
  ImportRun,
  WebhookEndpoint,
  WebhookDelivery,
];
export const MIGRATIONS = [
  InitialSchema1732300000000,
  IdempotencyKeys1732400000000,
  EmailKeyBinaryCollation1732460000000,
  CustomersLiveIndex1732500000000,
  IdempotencyOwner1732600000000,
  Webhooks1732800000000,
  ImportRuns1732900000000,
  CustomerCounts1733000000000,
  CustomerPrefixIndexes1733100000000,
  CustomerWords1733200000000,
  CustomerWordsOrder1733300000000,
  WebhookDeliveriesDuePerEndpoint1733400000000,
  WebhookHoldsOnEndpoint1733500000000,
];

export type DatabaseKind = 'sqlite' | 'mysql';

export function databaseKind(url: string): DatabaseKind {
  return url.startsWith('sqlite:') ? 'sqlite' : 'mysql';
}

/**
 * The one definition of the TypeORM options, shared by the app, the migration CLI (ormconfig.ts),
 * the provisioning CLI and the tests. Schema changes only ever come from migrations.
 */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  } as const;

  if (databaseKind(url) === 'sqlite') {
    const path = url.slice('sqlite:'.length);
    const database = path === ':memory:' ? ':memory:' : path;
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      enableWAL: database !== ':memory:',
      // Wait for another process's write lock instead of failing at once.
      timeout: 5000,
      prepareDatabase: (db: SqliteFunctionTarget & { pragma(sql: string): unknown }) => {
        db.pragma('foreign_keys = ON');
        db.pragma('synchronous = NORMAL');
        registerSqliteFunctions(db);
      },
    };
  }

  return {
    ...common,
    type: 'mysql',
    url: url.replace(/^mariadb:/, 'mysql:'),
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    // mysql2 captures a stack trace on every query to decorate errors with the caller's frames:
    // a measurable share of each request's CPU (bench/README.md), for errors we never show.
    trace: false,
    // Several statements per packet: a customer write sends its UPDATE, audit INSERT and COMMIT as
    // one round trip (DatabaseService.transaction). Every value travels as a `?` parameter and
    // every identifier comes from entity metadata or a whitelist, never from a request.
    multipleStatements: true,
    // Fail fast instead of hanging when the server is away.
    connectTimeout: 5000,
    extra: { connectionLimit: poolSize, waitForConnections: true, enableKeepAlive: true },
  };
}
