import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';

/** Thrown by the store when Redis cannot count a request: the guard then lets the request through. */
export class RateLimitStoreUnavailable extends Error {}

/** How long start-up waits for the first connection to Redis before going on without it. */
const FIRST_CONNECT_WAIT_MS = 2000;

/** At most one warning per this many milliseconds while Redis stays away. */
export const OUTAGE_WARNING_INTERVAL_MS = 60_000;

/** Calls `warn` for the first problem and then at most once per interval; `reset` re-arms it. */
export class IntervalWarning {
  private lastAt: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this call should be logged. */
  due(): boolean {
    const t = this.now();
    if (this.lastAt !== undefined && t - this.lastAt < this.intervalMs) return false;
    this.lastAt = t;
    return true;
  }

  reset(): void {
    this.lastAt = undefined;
  }
}

/** `redis://user:pass@host:6379/0` → `host:6379`: never a password in a log line. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/**
 * The rate-limit counters in Redis (REDIS_URL), failing open: Redis only holds counters, so while
 * it is away requests go through unlimited, one warning per interval is logged and
 * `rate_limit_fail_open_total` counts them; as soon as the client reconnects, limits apply again.
 * Commands are never queued while disconnected and time out, so a dead or hung Redis costs a
 * request a few milliseconds at most.
 */
@Injectable()
export class RateLimitStore implements ThrottlerStorage, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis | null;
  private readonly storage: ThrottlerStorageRedisService | null;
  private readonly warning = new IntervalWarning(OUTAGE_WARNING_INTERVAL_MS);
  private lastError = 'not connected yet';
  private outage = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    if (!config.redisUrl) {
      this.redis = null;
      this.storage = null;
      return;
    }
    const address = redisAddress(config.redisUrl);
    this.redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 1000,
      connectTimeout: 2000,
      // Keep trying every second at most, for as long as it takes.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    // Without a listener ioredis reports every failed reconnect as an unhandled error event.
    this.redis.on('error', (err: Error) => this.failed(`${address}: ${describe(err)}`));
    this.redis.on('ready', () => {
      if (this.outage) this.logger.log(`Redis at ${address} is back: rate limits apply again`);
      this.outage = false;
      this.warning.reset();
    });
    this.storage = new ThrottlerStorageRedisService(this.redis);
  }

  /** Whether counters are shared through Redis at all (REDIS_URL is set). */
  get usesRedis(): boolean {
    return this.redis !== null;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    if (!this.redis || !this.storage) throw new Error('RateLimitStore used without REDIS_URL');
    if (this.redis.status !== 'ready') this.unavailable(`connection is ${this.redis.status}`);
    try {
      return await this.storage.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (err) {
      this.unavailable(describe(err as Error));
    }
  }

  /** For /health/ready: Redis's state, which never fails readiness (limits only fail open). */
  health(): { redis: { status: 'up' | 'degraded'; message?: string } } | Record<string, never> {
    if (!this.redis) return {};
    if (this.redis.status === 'ready') return { redis: { status: 'up' } };
    return {
      redis: { status: 'degraded', message: `unreachable (${this.lastError}); rate limits are not enforced` },
    };
  }

  /**
   * Gives the first connection a moment before the service listens, so the first requests are
   * counted when Redis is there; a Redis that is away does not hold start-up up for longer.
   */
  async onApplicationBootstrap(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((resolve) => redis.once('ready', resolve)),
      new Promise((resolve) => (timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect(false);
  }

  private unavailable(reason: string): never {
    this.metrics.rateLimitFailOpen.inc();
    this.failed(reason);
    throw new RateLimitStoreUnavailable(reason);
  }

  private failed(reason: string): void {
    this.lastError = reason;
    this.outage = true;
    if (this.warning.due())
      this.logger.warn(`Redis is unreachable (${reason}): requests are not rate-limited until it returns`);
  }
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
}
