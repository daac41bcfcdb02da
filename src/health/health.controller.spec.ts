import type { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { DatabaseService } from '../database/database.service';
import type { CheckpointerStats } from '../database/sqlite-checkpointer';
import type { RateLimitStore } from '../rate-limit/rate-limit-store';
import { HealthController } from './health.controller';

/** The SQLite workers' part of /health/ready, from the stats DatabaseService gives. */
describe('HealthController.ready, SQLite checkpoint worker', () => {
  function ready(checkpointer: CheckpointerStats | undefined) {
    const health = { check: () => Promise.resolve({ status: 'ok', info: {}, error: {}, details: {} }) };
    const database = { readerStats: () => undefined, checkpointerStats: () => checkpointer };
    const controller = new HealthController(
      health as unknown as HealthCheckService,
      {} as TypeOrmHealthIndicator,
      { health: () => ({}) } as unknown as RateLimitStore,
      database as unknown as DatabaseService,
    );
    return controller.ready();
  }
  const stats = { walFrames: 120, checkpointedFrames: 100, replaced: 1 };

  it('up while the worker runs, with the WAL frames', async () => {
    const res = await ready({ running: true, ...stats });
    expect(res.details).toEqual({
      sqlite_checkpointer: { status: 'up', wal_frames: 120, checkpointed_frames: 100 },
    });
  });

  it('degraded while it is being replaced, and readiness still ok', async () => {
    const res = await ready({ running: false, ...stats });
    expect(res.status).toBe('ok');
    expect(res.details).toEqual({
      sqlite_checkpointer: { status: 'degraded', wal_frames: 120, checkpointed_frames: 100 },
    });
  });

  it('absent when SQLite checkpoints inside commits (or on MySQL)', async () => {
    expect((await ready(undefined)).details).toEqual({});
  });
});
