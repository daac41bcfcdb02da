import { ConfigError, loadConfig } from './config';

/** Runs loadConfig and returns the ConfigError it threw, failing the test if it threw nothing else. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has defaults that run a fresh checkout with no server', () => {
    expect(loadConfig({})).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: 'sqlite:data/customers.sqlite',
      migrationsRun: true,
      bodyLimit: '100kb',
      seedDemoMerchant: true,
    });
  });

  it('runs SQLite lists on 2 read workers unless told otherwise (0: on the main connection)', () => {
    expect(loadConfig({}).sqliteReadWorkers).toBe(2);
    expect(loadConfig({ SQLITE_READ_WORKERS: '0' }).sqliteReadWorkers).toBe(0);
    expect(loadConfig({ SQLITE_READ_WORKERS: '4' }).sqliteReadWorkers).toBe(4);
    expect(loadConfig({}).sqliteCheckpointMs).toBe(20);
    expect(loadConfig({ SQLITE_CHECKPOINT_MS: '0' }).sqliteCheckpointMs).toBe(0);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', MIGRATIONS_RUN: '', DATABASE_URL: '', BODY_LIMIT: '' })).toMatchObject({
      port: 3000,
      migrationsRun: true,
      databaseUrl: 'sqlite:data/customers.sqlite',
      bodyLimit: '100kb',
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        NODE_ENV: 'test',
        PORT: '8080',
        HOST: '127.0.0.1',
        DATABASE_URL: 'mysql://user:pass@db:3306/customers',
        MIGRATIONS_RUN: 'false',
        BODY_LIMIT: '1mb',
        DEMO_MERCHANT: 'no',
      }),
    ).toMatchObject({
      nodeEnv: 'test',
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'mysql://user:pass@db:3306/customers',
      migrationsRun: false,
      bodyLimit: '1mb',
      seedDemoMerchant: false,
    });
  });

  it.each([
    'sqlite::memory:',
    'sqlite:/tmp/x.sqlite',
    'mysql://root@127.0.0.1:3306/db',
    'mariadb://u:p@h/db',
  ])('accepts DATABASE_URL %s', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['False', false],
    ['0', false],
    ['no', false],
  ])('reads MIGRATIONS_RUN=%s as %s', (raw, value) => {
    expect(loadConfig({ MIGRATIONS_RUN: raw }).migrationsRun).toBe(value);
  });

  it('accepts the port range ends', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it('never seeds the demo merchant in production, even when asked', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).seedDemoMerchant).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DEMO_MERCHANT: 'true' }).seedDemoMerchant).toBe(false);
  });

  it.each(['abc', '-1', '65536', '3000.5', '30 00', '0x10'])('refuses PORT=%p, naming PORT', (raw) => {
    expect(configError({ PORT: raw }).message).toMatch(/^PORT must be an integer from 0 to 65535/);
  });

  it.each(['maybe', 'on', 'tru'])('refuses MIGRATIONS_RUN=%p, naming MIGRATIONS_RUN', (raw) => {
    expect(configError({ MIGRATIONS_RUN: raw }).message).toMatch(/^MIGRATIONS_RUN must be true or false/);
  });

  it.each(['postgres://u@h/db', 'sqlite:', 'customers.sqlite', 'mysql:/host/db'])(
    'refuses DATABASE_URL=%p, naming DATABASE_URL',
    (raw) => {
      expect(configError({ DATABASE_URL: raw }).message).toMatch(/^DATABASE_URL must be/);
    },
  );

  it.each(['100', '10 mb', '1gb', 'lots'])('refuses BODY_LIMIT=%p, naming BODY_LIMIT', (raw) => {
    expect(configError({ BODY_LIMIT: raw }).message).toMatch(/^BODY_LIMIT must look like/);
  });

  it('refuses a bad DEMO_MERCHANT outside production, naming it', () => {
    expect(configError({ DEMO_MERCHANT: 'sure' }).message).toMatch(/^DEMO_MERCHANT must be true or false/);
  });

  it('quotes the bad value in the message', () => {
    expect(configError({ PORT: 'http' }).message).toContain('"http"');
  });
});

describe('loadConfig: operations settings', () => {
  it('has these defaults', () => {
    expect(loadConfig({})).toMatchObject({
      logLevel: 'info',
      logFormat: 'pretty',
      rateLimitPerMinute: 600,
      redisUrl: null,
      corsOrigins: [],
      trustProxy: false,
      shutdownTimeoutMs: 10_000,
      metricsEnabled: true,
      apiKeyCacheTtlMs: 5_000,
      idempotencyLeaseMs: 5_000,
      listCountLimit: 10_000,
    });
  });

  it('is quiet under test and logs JSON in production', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).logLevel).toBe('silent');
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('reads CORS_ORIGINS as a trimmed comma-separated list', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://a.example , https://b.example,, ' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it.each([
    ['true', true],
    ['no', false],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ])('reads TRUST_PROXY=%p as %p', (raw, value) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toBe(value);
  });

  it.each([
    ['LOG_LEVEL', 'verbose', /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['LOG_FORMAT', 'xml', /^LOG_FORMAT must be one of json, pretty/],
    ['RATE_LIMIT_PER_MINUTE', '-5', /^RATE_LIMIT_PER_MINUTE must be an integer/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL must look like redis:\/\/host:6379/],
    ['TRUST_PROXY', 'a;b', /^TRUST_PROXY must be/],
    ['SHUTDOWN_TIMEOUT_MS', '600001', /^SHUTDOWN_TIMEOUT_MS must be an integer from 0 to 600000/],
    ['DB_POOL_SIZE', '0', /^DB_POOL_SIZE must be an integer from 1 to 1000/],
    ['SQLITE_READ_WORKERS', '65', /^SQLITE_READ_WORKERS must be an integer from 0 to 64/],
    ['SQLITE_CHECKPOINT_MS', '-1', /^SQLITE_CHECKPOINT_MS must be an integer from 0 to 60000/],
    ['METRICS_ENABLED', 'enabled', /^METRICS_ENABLED must be true or false/],
    ['API_KEY_CACHE_TTL_MS', '60001', /^API_KEY_CACHE_TTL_MS must be an integer from 0 to 60000/],
    ['IDEMPOTENCY_LEASE_MS', '999', /^IDEMPOTENCY_LEASE_MS must be an integer from 1000 to 60000/],
  ])('refuses a bad %s, naming it', (name, raw, message) => {
    expect(configError({ [name]: raw }).message).toMatch(message);
  });

  describe('webhooks', () => {
    const key = 'ab'.repeat(32);
    it('takes a 32-byte key as hex or base64, and refuses anything else', () => {
      expect(loadConfig({ WEBHOOK_SECRET_KEY: key }).webhooks.secretKey).toEqual(Buffer.from(key, 'hex'));
      const b64 = Buffer.alloc(32, 7).toString('base64');
      expect(loadConfig({ WEBHOOK_SECRET_KEY: b64 }).webhooks.secretKey).toEqual(Buffer.alloc(32, 7));
      expect(() => loadConfig({ WEBHOOK_SECRET_KEY: 'short' })).toThrow(
        /WEBHOOK_SECRET_KEY must be 32 bytes/,
      );
    });
    it('derives a development key outside production, and has none in production without one', () => {
      const dev = loadConfig({}).webhooks;
      expect(dev.secretKey).toHaveLength(32);
      expect(dev.secretKeyIsDefault).toBe(true);
      const prod = loadConfig({ NODE_ENV: 'production' }).webhooks;
      expect(prod.secretKey).toBeNull();
      expect(prod.secretKeyIsDefault).toBe(false);
    });
    it('refuses http targets and private addresses in production unless allowed', () => {
      const prod = loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: key }).webhooks;
      expect(prod).toMatchObject({ allowHttp: false, allowPrivateTargets: false, retryWindowMs: 86_400_000 });
      expect(loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'true' }).webhooks.allowHttp).toBe(
        true,
      );
      expect(loadConfig({}).webhooks).toMatchObject({
        allowHttp: true,
        timeoutMs: 10_000,
        retryBaseMs: 5_000,
      });
      expect(() => loadConfig({ WEBHOOK_RETRY_BASE_MS: '0' })).toThrow(/WEBHOOK_RETRY_BASE_MS/);
      expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' })).toThrow(
        /WEBHOOK_ALLOW_PRIVATE_TARGETS/,
      );
    });
  });
});
