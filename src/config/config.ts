import { createHash } from 'node:crypto';

/**
 * The service's configuration, read and validated once from the environment.
 * A bad value stops start-up with a message that names the variable.
 */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  host: string;
  databaseUrl: string;
  migrationsRun: boolean;
  bodyLimit: string;
  /** Print the demo merchant's credentials when the database has no merchant (never in production). */
  seedDemoMerchant: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logFormat: 'json' | 'pretty';
  /** Requests per minute per API key; 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  /** Shares rate-limit counters across instances when set. */
  redisUrl: string | null;
  /** Allowed CORS origins; empty: CORS off; ['*']: any origin. */
  corsOrigins: string[];
  /** Fastify trustProxy (as Express "trust proxy"): false, true, a hop count or a list of addresses/subnets. */
  trustProxy: boolean | number | string;
  shutdownTimeoutMs: number;
  dbPoolSize: number;
  /**
   * SQLite: worker threads that run searches and export pages on read-only connections of their own,
   * so a slow list never blocks writes (README, "What runs where"); 0 runs them on the main connection.
   */
  sqliteReadWorkers: number;
  /**
   * SQLite: the pause (ms) between two WAL checkpoints of the checkpoint worker, which keeps them
   * off the main thread (README, "What runs where"); 0: SQLite checkpoints inside commits.
   */
  sqliteCheckpointMs: number;
  metricsEnabled: boolean;
  /**
   * How long a checked API key is trusted without asking the database again (0: never). A key
   * revoked by another process (the CLI, another instance) is refused within this time.
   */
  apiKeyCacheTtlMs: number;
  /** How long a key stays "in flight" before a crashed owner's key is usable again (≤ 60 s). */
  idempotencyLeaseMs: number;
  /** A filtered list counts its matches exactly up to this many; past it `total` is this bound. */
  listCountLimit: number;
  /** Webhook delivery: signing-secret encryption, the worker's pace, retries, target rules. */
  webhooks: WebhookConfig;
}

export class ConfigError extends Error {}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function readEnum<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: T,
  allowed: readonly T[],
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function readTrustProxy(env: NodeJS.ProcessEnv): boolean | number | string {
  const raw = env.TRUST_PROXY;
  if (raw === undefined || raw === '' || /^(false|0|no)$/i.test(raw)) return false;
  if (/^(true|yes)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a list of addresses, got "${raw}"`);
}

function readBool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const nodeEnv = env.NODE_ENV || 'development';
  const databaseUrl = env.DATABASE_URL || 'sqlite:data/customers.sqlite';
  if (!/^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL must be sqlite:<path>, sqlite::memory: or mysql://user:pass@host:3306/db, got "${databaseUrl}"`,
    );
  }
  const bodyLimit = env.BODY_LIMIT || '100kb';
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) {
    throw new ConfigError(`BODY_LIMIT must look like 100kb or 1mb, got "${bodyLimit}"`);
  }
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl && !/^rediss?:\/\/.+/.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must look like redis://host:6379, got "${redisUrl}"`);
  }
  const production = nodeEnv === 'production';
  return {
    nodeEnv,
    port: readInt(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    migrationsRun: readBool(env, 'MIGRATIONS_RUN', true),
    bodyLimit,
    seedDemoMerchant: !production && readBool(env, 'DEMO_MERCHANT', true),
    logLevel: readEnum(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    logFormat: readEnum(env, 'LOG_FORMAT', production ? 'json' : 'pretty', ['json', 'pretty'] as const),
    rateLimitPerMinute: readInt(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    redisUrl,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: readTrustProxy(env),
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    dbPoolSize: readInt(env, 'DB_POOL_SIZE', 10, 1, 1000),
    sqliteReadWorkers: readInt(env, 'SQLITE_READ_WORKERS', 2, 0, 64),
    sqliteCheckpointMs: readInt(env, 'SQLITE_CHECKPOINT_MS', 20, 0, 60_000),
    metricsEnabled: readBool(env, 'METRICS_ENABLED', true),
    apiKeyCacheTtlMs: readInt(env, 'API_KEY_CACHE_TTL_MS', 5_000, 0, 60_000),
    idempotencyLeaseMs: readInt(env, 'IDEMPOTENCY_LEASE_MS', 5_000, 1_000, 60_000),
    listCountLimit: readInt(env, 'LIST_COUNT_LIMIT', 10_000, 1, 1_000_000),
    webhooks: readWebhookConfig(env, production),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

// ---- Webhooks (README, "Webhooks") -------------------------------------------------------------

export interface WebhookConfig {
  /**
   * The AES-256-GCM key that encrypts stored signing secrets (32 bytes). Null in production without
   * WEBHOOK_SECRET_KEY: webhooks are then off (creating one is 503) and the rest runs as before.
   */
  secretKey: Buffer | null;
  /** No WEBHOOK_SECRET_KEY was given outside production: a fixed development key is used. */
  secretKeyIsDefault: boolean;
  /** Run the delivery worker in this process. */
  workerEnabled: boolean;
  pollMs: number;
  /** The first retry's delay; each later one doubles (capped at an hour), with jitter. */
  retryBaseMs: number;
  /** A delivery keeps being retried until this long after it was written; then it is failed. */
  retryWindowMs: number;
  /** An endpoint with no success for this long is disabled. */
  disableAfterMs: number;
  /** Connect timeout, and again response timeout, of one attempt. */
  timeoutMs: number;
  /** Deliveries attempted at once by one process. */
  concurrency: number;
  allowPrivateTargets: boolean;
  allowHttp: boolean;
}

const DEV_WEBHOOK_KEY = 'merchant-customers development webhook key: never use in production';

function readWebhookConfig(env: NodeJS.ProcessEnv, production: boolean): WebhookConfig {
  const raw = env.WEBHOOK_SECRET_KEY;
  let secretKey: Buffer | null = null;
  if (raw) {
    const hex = /^[0-9a-f]{64}$/i.test(raw);
    if (!hex && !/^[A-Za-z0-9+/]{43}=?$/.test(raw))
      throw new ConfigError('WEBHOOK_SECRET_KEY must be 32 bytes as 64 hex digits or base64');
    secretKey = Buffer.from(raw, hex ? 'hex' : 'base64');
  } else if (!production) {
    secretKey = createHash('sha256').update(DEV_WEBHOOK_KEY).digest();
  }
  return {
    secretKey,
    secretKeyIsDefault: !raw && !production,
    workerEnabled: readBool(env, 'WEBHOOK_WORKER', true),
    pollMs: readInt(env, 'WEBHOOK_POLL_MS', 1_000, 10, 60_000),
    retryBaseMs: readInt(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 10, 3_600_000),
    retryWindowMs: readInt(env, 'WEBHOOK_RETRY_WINDOW_MS', 86_400_000, 100, 30 * 86_400_000),
    disableAfterMs: readInt(env, 'WEBHOOK_DISABLE_AFTER_MS', 3 * 86_400_000, 100, 30 * 86_400_000),
    timeoutMs: readInt(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    concurrency: readInt(env, 'WEBHOOK_CONCURRENCY', 32, 1, 256),
    allowPrivateTargets: readBool(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    allowHttp: readBool(env, 'WEBHOOK_ALLOW_HTTP', !production),
  };
}
