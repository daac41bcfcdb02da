import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { DatabaseService } from '../database/database.service';
import { RateLimitStore } from '../rate-limit/rate-limit-store';

/** Liveness and readiness, without an API key. */
@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly rateLimits: RateLimitStore,
    private readonly database: DatabaseService,
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
      'then fail open (requests go through unlimited), so a Redis outage never fails readiness. On SQLite, ' +
      '`details.sqlite_readers` has the read workers running and busy: `degraded` while one is being ' +
      'replaced (searches may then answer 503), which never fails readiness either; ' +
      '`details.sqlite_checkpointer` has the checkpoint worker and the WAL (frames in it, frames copied into ' +
      'the database file): `degraded` while the worker is being replaced (the main connection checkpoints meanwhile).',
  })
  @HealthCheck()
  async ready() {
    const result = await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
    const extra = { ...this.rateLimits.health(), ...this.readers(), ...this.checkpointer() };
    return { ...result, info: { ...result.info, ...extra }, details: { ...result.details, ...extra } };
  }

  /** The SQLite read workers (README, "What runs where"); nothing when reads use the main connection. */
  private readers() {
    const stats = this.database.readerStats();
    if (!stats) return {};
    const status = stats.workers === stats.size ? 'up' : 'degraded';
    return { sqlite_readers: { status, workers: stats.workers, busy: stats.busy } };
  }

  /** The SQLite checkpoint worker (README, "What runs where"); nothing when SQLite checkpoints in commits. */
  private checkpointer() {
    const stats = this.database.checkpointerStats();
    if (!stats) return {};
    return {
      sqlite_checkpointer: {
        status: stats.running ? 'up' : 'degraded',
        wal_frames: stats.walFrames,
        checkpointed_frames: stats.checkpointedFrames,
      },
    };
  }
}
