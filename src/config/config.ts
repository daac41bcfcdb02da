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
  return {
    nodeEnv,
    port: readInt(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    migrationsRun: readBool(env, 'MIGRATIONS_RUN', true),
    bodyLimit,
    seedDemoMerchant: nodeEnv !== 'production' && readBool(env, 'DEMO_MERCHANT', true),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
