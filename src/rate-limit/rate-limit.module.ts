import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '../config/config';
import { RateLimitStore } from './rate-limit-store';

/** The shared-counter store on its own, so the throttler and /health/ready both see it. */
@Module({
  providers: [RateLimitStore],
  exports: [RateLimitStore],
})
export class RateLimitStoreModule {}

/** The 429 message (the throttler's own names its exception class). */
export const RATE_LIMITED_MESSAGE = 'Too many requests for this API key; retry after Retry-After seconds';

/**
 * Per-API-key rate limits (RATE_LIMIT_PER_MINUTE, 0 = off). Counters live in Redis when
 * REDIS_URL is set, so several instances share one budget per key (failing open while Redis is
 * away: see RateLimitStore); in memory otherwise.
 */
@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [APP_CONFIG, RateLimitStore],
      useFactory: (config: AppConfig, store: RateLimitStore) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }],
        skipIf: () => config.rateLimitPerMinute === 0,
        errorMessage: RATE_LIMITED_MESSAGE,
        storage: store.usesRedis ? store : undefined,
      }),
    }),
  ],
  exports: [RateLimitStoreModule],
})
export class RateLimitModule {}
