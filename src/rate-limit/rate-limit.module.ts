import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';

/** The 429 message (the throttler's own names its exception class). */
export const RATE_LIMITED_MESSAGE = 'Too many requests for this API key; retry after Retry-After seconds';

/**
 * Per-API-key rate limits (RATE_LIMIT_PER_MINUTE, 0 = off). Counters live in Redis when
 * REDIS_URL is set, so several instances share one budget per key; in memory otherwise.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }],
        skipIf: () => config.rateLimitPerMinute === 0,
        errorMessage: RATE_LIMITED_MESSAGE,
        storage: config.redisUrl
          ? new ThrottlerStorageRedisService(
              new Redis(config.redisUrl, {
                maxRetriesPerRequest: 1,
                enableOfflineQueue: false,
                lazyConnect: false,
              }),
            )
          : undefined,
      }),
    }),
  ],
})
export class RateLimitModule {}
