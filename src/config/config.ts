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
    metricsEnabled: readBool(env, 'METRICS_ENABLED', true),
    apiKeyCacheTtlMs: readInt(env, 'API_KEY_CACHE_TTL_MS', 5_000, 0, 60_000),
    idempotencyLeaseMs: readInt(env, 'IDEMPOTENCY_LEASE_MS', 5_000, 1_000, 60_000),
    listCountLimit: readInt(env, 'LIST_COUNT_LIMIT', 10_000, 1, 1_000_000),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
