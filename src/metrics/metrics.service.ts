import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DatabaseService } from '../database/database.service';

/**
 * Prometheus metrics. Each application instance has its own registry, so several apps in one
 * process (the tests) never collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly bound = new Map<
    string,
    { count: { inc(): void }; latency: { observe(v: number): void } }
  >();
  readonly idempotencyReplays = new Counter({
    name: 'idempotency_replays_total',
    help: 'Responses replayed from a stored idempotency key',
    registers: [this.registry],
  });
  readonly rateLimitFailOpen = new Counter({
    name: 'rate_limit_fail_open_total',
    help: 'Requests let through without a rate-limit check because Redis was unreachable',
    registers: [this.registry],
  });

  /** Webhook attempts by outcome: delivered, retry (failed, will be tried again), failed (given up). */
  readonly webhookAttempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry, failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** Set by the webhooks module: pending deliveries and when the oldest was queued. */
  webhookBacklog?: () => Promise<{ pending: number; oldest: Date | null }>;

  constructor(db: DatabaseService) {
    collectDefaultMetrics({ register: this.registry });
    // Both webhook gauges share one read (it counts every pending delivery): a scrape collects them
    // at the same time, so the second finds the first's read in flight.
    let inFlight: Promise<{ pending: number; oldest: Date | null }> | undefined;
    const backlog = () =>
      (inFlight ??= (this.webhookBacklog?.() ?? Promise.resolve({ pending: 0, oldest: null })).finally(() => {
        inFlight = undefined;
      }));
    new Gauge({
      name: 'webhook_deliveries_pending',
      help: 'Webhook deliveries waiting to be delivered to enabled webhooks (all instances)',
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    new Gauge({
      name: 'webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest pending webhook delivery (0 when none)',
      registers: [this.registry],
      async collect() {
        const { oldest } = await backlog();
        this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (MySQL; SQLite has one embedded connection)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = db.dialect.poolStats(db.dataSource);
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'in_use' }, pool.total - pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
    // SQLite's read workers (README, "What runs where"); all 0 when reads use the main connection.
    if (db.dialect.kind === 'sqlite') {
      new Gauge({
        name: 'sqlite_read_workers',
        help: 'SQLite read worker threads: running, busy (with a query), in_flight (queries sent, not answered)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = db.readerStats();
          this.set({ state: 'running' }, stats?.workers ?? 0);
          this.set({ state: 'busy' }, stats?.busy ?? 0);
          this.set({ state: 'in_flight' }, stats?.inFlight ?? 0);
        },
      });
      new Gauge({
        name: 'sqlite_read_workers_replaced',
        help: 'SQLite read workers that stopped and were replaced since start-up',
        registers: [this.registry],
        collect() {
          this.set(db.readerStats()?.replaced ?? 0);
        },
      });
      // The checkpoint worker and the WAL, at its last report; all 0 when SQLite checkpoints in commits.
      new Gauge({
        name: 'sqlite_wal_frames',
        help: 'SQLite WAL frames (pages): in the WAL (total), and copied into the database file (checkpointed)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = db.checkpointerStats();
          this.set({ state: 'total' }, stats?.walFrames ?? 0);
          this.set({ state: 'checkpointed' }, stats?.checkpointedFrames ?? 0);
        },
      });
      new Gauge({
        name: 'sqlite_checkpoint_worker_replaced',
        help: 'SQLite checkpoint workers that stopped and were replaced since start-up',
        registers: [this.registry],
        collect() {
          this.set(db.checkpointerStats()?.replaced ?? 0);
        },
      });
    }
  }

  /**
   * One finished request under its route pattern, not its URL. Label sets are few (method × route
   * × status), so each one's bound counter and histogram child is kept rather than looked up anew.
   */
  observe(method: string, route: string, status: number, elapsedMs: number): void {
    const key = `${method} ${route} ${status}`;
    let bound = this.bound.get(key);
    if (!bound) {
      const labels = { method, route, status: String(status) };
      bound = { count: this.requests.labels(labels), latency: this.latency.labels(labels) };
      this.bound.set(key, bound);
    }
    bound.count.inc();
    bound.latency.observe(elapsedMs / 1000);
  }
}
