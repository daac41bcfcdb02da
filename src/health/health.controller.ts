import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { RateLimitStore } from '../rate-limit/rate-limit-store';

/** Liveness and readiness, without an API key. */
@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly rateLimits: RateLimitStore,
  ) {}

  @Public()
  @Get('live')
  @ApiOperation({ operationId: 'healthLive', summary: 'The process is up' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Public()
  @Get('ready')
  @ApiOperation({
    operationId: 'healthReady',
    summary: 'The database answers (503 when it does not)',
    description:
      'With REDIS_URL set, `details.redis` is `up`, or `degraded` while Redis is unreachable: rate limits ' +
      'then fail open (requests go through unlimited), so a Redis outage never fails readiness.',
  })
  @HealthCheck()
  async ready() {
    const result = await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
    const redis = this.rateLimits.health();
    return { ...result, info: { ...result.info, ...redis }, details: { ...result.details, ...redis } };
  }
}
