import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { APP_CONFIG, AppConfig, WebhookConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import type { DeliveryAttempt, WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { sendWebhook, SendOutcome } from './webhook-sender';
import { WebhooksService } from './webhooks.service';

const MAX_DELAY_MS = 60 * 60 * 1000;
const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;
const KEPT_ATTEMPTS = 25;
const USER_AGENT = 'merchant-customers-webhooks/1';
/** One endpoint may hold 1/ENDPOINT_SHARES of an instance's attempts in flight. */
const ENDPOINT_SHARES = 4;
/** A deleted endpoint's pending deliveries are failed this many per statement. */
const FAIL_CHUNK = 500;

/**
 * The delay before retry number `attempt` (1 for the first retry): base × 2^(attempt-1), at most
 * an hour, ±20% jitter so retries of many deliveries spread out.
 */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const plain = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(plain * (0.8 + 0.4 * random()));
}

/** The headers of one delivery: JSON, the Standard Webhooks trio, and the Stax event name for Stax endpoints. */
export function deliveryHeaders(
  delivery: Pick<WebhookDelivery, 'event_id' | 'event_type' | 'payload'>,
  surface: WebhookEndpoint['surface'],
  secrets: string[],
  at: Date,
): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(delivery.event_id, at, delivery.payload));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': delivery.event_id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
  if (surface === 'stax') headers['stax-event-name'] = delivery.event_type;
  return headers;
}

/**
 * Sends due deliveries. Every WEBHOOK_POLL_MS it claims due deliveries of every endpoint, and in
 * between those of an endpoint a committed change queued deliveries for or whose attempt just ended,
 * through the database (so several instances share the work and one attempt is never
 * made twice at the same time), sends each with its own timeouts, and records the outcome:
 * delivered, a retry after backoff (or Retry-After), or failed once the retry window has passed.
 * A claim lasts three timeouts: a crashed instance's claims are taken over after that. At each
 * poll it also fails, a chunk at a time, what deleted endpoints had pending. On shutdown it aborts
 * the attempts in flight and gives their claims back.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly config: WebhookConfig;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Attempts in flight per endpoint: one slow endpoint may hold only a share of the slots. */
  private readonly perEndpoint = new Map<string, number>();
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  /** A poll is scheduled: rounds for named endpoints in between leave it as it is. */
  private pollPending = false;
  private ticking: Promise<void> | null = null;
  /** Failing the pending deliveries of deleted endpoints, if under way. */
  private sweeping: Promise<void> | null = null;
  private again = false;
  private nudged = false;
  private stopped = false;
  /** Endpoints the next round claims for without looking at all (id → merchant id). */
  private readonly named = new Map<string, string>();
  /** The next round looks at every endpoint: a poll, or the last round used every free slot. */
  private lookAll = false;

  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.config = config.webhooks;
    // Every attempt in flight listens on it (up to WEBHOOK_CONCURRENCY): not a leak past Node's default of 10.
    setMaxListeners(this.config.concurrency + 10, this.abort.signal);
  }

  onApplicationBootstrap(): void {
    if (this.config.secretKeyIsDefault)
      this.logger.warn('WEBHOOK_SECRET_KEY is not set: webhook secrets are encrypted with a development key');
    if (!this.webhooks.configured) {
      this.logger.warn('WEBHOOK_SECRET_KEY is not set: webhooks are off (creating one answers 503)');
      return;
    }
    if (!this.config.workerEnabled) return;
    this.webhooks.onQueued = (merchantId, endpointIds) => this.nudge(merchantId, endpointIds);
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    // A round claiming right now finishes first (it starts nothing more once stopped).
    await this.ticking;
    await this.sweeping;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** An endpoint's share of the slots: a quarter, so a dead endpoint leaves the rest to the others. */
  private get perEndpointCap(): number {
    return Math.max(1, Math.ceil(this.config.concurrency / ENDPOINT_SHARES));
  }

  /**
   * A customer change queued deliveries in this process for these endpoints of the merchant and has
   * committed: claim them now instead of at the next poll (the changes committing in the same turn
   * of the event loop share one round), for these endpoints only, without looking at the others.
   * Not for an endpoint that already has all the attempts in flight here it may (a dead endpoint
   * holds its share until its attempts time out): no round could start one. Other instances find
   * them at their next poll.
   */
  nudge(merchantId: string, endpointIds: ReadonlySet<string>): void {
    if (this.stopped || !this.config.workerEnabled) return;
    for (const id of endpointIds)
      if ((this.perEndpoint.get(id) ?? 0) < this.perEndpointCap) this.named.set(id, merchantId);
    if (this.named.size === 0 || this.nudged) return;
    this.nudged = true;
    setImmediate(() => {
      this.nudged = false;
      void this.tick();
    });
  }

  /** An attempt of this endpoint ended: its next delivery (maybe the same customer's next version) may start. */
  private claimFor(merchantId: string, endpointId: string): void {
    if (this.stopped) return;
    this.named.set(endpointId, merchantId);
    void this.tick();
  }

  /** How long a claim holds: connecting and answering may each take a timeout, plus slack. */
  private get leaseMs(): number {
    return this.config.timeoutMs * 3;
  }

  /**
   * The next poll, `ms` from now. Rounds for named endpoints do not put it off: however busy one
   * endpoint keeps the worker, a poll still comes every WEBHOOK_POLL_MS for the others (a retry
   * coming due, another instance's deliveries).
   */
  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.pollPending = true;
    this.timer = setTimeout(() => {
      this.pollPending = false;
      this.lookAll = true;
      void this.tick();
      this.sweeping ??= this.failGone().finally(() => {
        this.sweeping = null;
      });
    }, ms);
    this.timer.unref();
  }

  /**
   * One round: claim as many due deliveries as there are free slots, and start them: of every
   * endpoint after a poll (or after a round that used every free slot: more may be due anywhere),
   * else of the endpoints named since the last round.
   */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = this.round().finally(() => {
      this.ticking = null;
      if (this.again) {
        this.again = false;
        void this.tick();
      } else if (!this.pollPending) this.schedule(this.config.pollMs);
    });
    return this.ticking;
  }

  private async round(): Promise<void> {
    try {
      const free = this.config.concurrency - this.inFlight.size;
      if (this.stopped) return;
      if (free <= 0) {
        this.lookAll = true;
        return;
      }
      const targets = this.lookAll
        ? undefined
        : [...this.named].map(([id, merchant_id]) => ({ merchant_id, id }));
      this.lookAll = false;
      this.named.clear();
      if (targets?.length === 0) return;
      const now = new Date();
      const owner = randomUUID();
      const claimed = await this.deliveries.claimDue(
        now,
        new Date(now.getTime() + this.leaseMs),
        owner,
        free,
        this.perEndpoint,
        this.perEndpointCap,
        targets,
      );
      if (claimed.length >= free) this.lookAll = true;
      // Each endpoint is read once per round, however many of its deliveries start.
      const endpoints = new Map<string, Promise<WebhookEndpoint | null>>();
      for (const d of claimed) {
        // Stopped while claiming: give the claim back rather than leave it to its lease.
        if (this.stopped) {
          await this.deliveries.release(d.seq, owner);
          continue;
        }
        let endpoint = endpoints.get(d.endpoint_id);
        if (!endpoint) {
          endpoint = this.endpoints.findOne(d.merchant_id, d.endpoint_id);
          endpoints.set(d.endpoint_id, endpoint);
        }
        this.start(d, owner, endpoint);
      }
    } catch (err) {
      this.logger.error(`claiming webhook deliveries failed: ${(err as Error).message}`);
    }
  }

  /**
   * Fails the pending deliveries of deleted endpoints (DELETE does not, however many there are),
   * FAIL_CHUNK per statement, letting other work run between statements. Several instances may do
   * it at once: each statement fails rows no other has.
   */
  private async failGone(): Promise<void> {
    try {
      for (const e of await this.deliveries.gone()) {
        let failed = 0;
        for (;;) {
          if (this.stopped) return;
          const n = await this.deliveries.failPending(e.merchant_id, e.id, new Date(), FAIL_CHUNK);
          failed += n;
          if (n < FAIL_CHUNK) break;
          await new Promise((r) => setImmediate(r));
        }
        if (failed > 0) this.logger.log(`webhook ${e.id} deleted: ${failed} pending deliveries failed`);
      }
    } catch (err) {
      this.logger.error(`failing deleted webhooks' deliveries failed: ${(err as Error).message}`);
    }
  }

  private start(d: WebhookDelivery, owner: string, read: Promise<WebhookEndpoint | null>): void {
    this.perEndpoint.set(d.endpoint_id, (this.perEndpoint.get(d.endpoint_id) ?? 0) + 1);
    let sent = false;
    // The endpoint's share counts requests to it: once this one is answered with a success, the
    // next can be claimed while the outcome is being recorded (the order rule still holds the
    // same customer's next version until it is).
    const answered = () => {
      if (sent) return;
      sent = true;
      const left = (this.perEndpoint.get(d.endpoint_id) ?? 1) - 1;
      if (left > 0) this.perEndpoint.set(d.endpoint_id, left);
      else this.perEndpoint.delete(d.endpoint_id);
      this.claimFor(d.merchant_id, d.endpoint_id);
    };
    const run = this.attempt(d, owner, read, answered)
      .catch((err: Error) => this.logger.error(`webhook attempt ${d.event_id} failed: ${err.message}`))
      .finally(() => {
        this.inFlight.delete(d.seq);
        answered();
        // The customer's next version may be waiting for this one.
        this.claimFor(d.merchant_id, d.endpoint_id);
      });
    this.inFlight.set(d.seq, run);
  }

  private async attempt(
    d: WebhookDelivery,
    owner: string,
    read: Promise<WebhookEndpoint | null>,
    answered: () => void,
  ): Promise<void> {
    const endpoint = await read;
    const started = new Date();
    if (endpoint?.disabled_at && !endpoint.deleted_at) {
      // Disabled since it was claimed: it waits, pending, with the others, for the endpoint to be enabled.
      await this.deliveries.release(d.seq, owner);
      return;
    }
    if (!endpoint || endpoint.deleted_at) {
      const why = 'the webhook was deleted';
      await this.finish(
        d,
        owner,
        endpoint,
        started,
        { statusCode: null, durationMs: 0, error: why, retryAfterMs: null },
        true,
      );
      return;
    }
    let secrets: string[];
    try {
      secrets = this.webhooks.signingSecrets(endpoint, started);
    } catch {
      // A failed attempt like any other (retried, and visible in the delivery log), not a crash.
      const error = 'the signing secret cannot be read (WEBHOOK_SECRET_KEY changed?): rotate the secret';
      await this.finish(
        d,
        owner,
        endpoint,
        started,
        { statusCode: null, durationMs: 0, error, retryAfterMs: null },
        false,
      );
      return;
    }
    const headers = deliveryHeaders(d, endpoint.surface, secrets, started);
    const outcome = await sendWebhook(endpoint.url, headers, d.payload, {
      timeoutMs: this.config.timeoutMs,
      rules: this.webhooks.rules,
      signal: this.abort.signal,
    });
    if (this.stopped && outcome.statusCode === null) {
      // Cut short by shutdown: not an attempt. Give the claim back for another instance (or the next start).
      await this.deliveries.release(d.seq, owner).catch(() => undefined);
      return;
    }
    // A failure first pauses the endpoint (finish), so the next claim does not try it again at once.
    if (outcome.error === null) answered();
    await this.finish(d, owner, endpoint, started, outcome, false);
  }

  private async finish(
    d: WebhookDelivery,
    owner: string,
    endpoint: WebhookEndpoint | null,
    at: Date,
    outcome: SendOutcome,
    giveUp: boolean,
  ): Promise<void> {
    const ok = outcome.error === null;
    const now = new Date();
    const count = d.attempt_count + 1;
    // The window counts from when it was queued, or from when its endpoint was enabled again if later.
    const from = Math.max(d.queued_at.getTime(), endpoint?.enabled_at?.getTime() ?? 0);
    const windowOver = now.getTime() - from >= this.config.retryWindowMs;
    let next: Date | null = null;
    if (!ok && !giveUp && !windowOver) {
      const delay =
        outcome.retryAfterMs !== null
          ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS)
          : retryDelayMs(count, this.config.retryBaseMs);
      next = new Date(now.getTime() + delay);
    }
    const status = ok ? 'delivered' : next ? 'pending' : 'failed';
    const attempt: DeliveryAttempt = {
      at: at.toISOString(),
      status_code: outcome.statusCode,
      duration_ms: outcome.durationMs,
      error: outcome.error,
      next_retry_at: next ? next.toISOString() : null,
    };
    const kept = await this.deliveries.complete(d.seq, owner, {
      status,
      attempt_count: count,
      attempts: [...d.attempts, attempt].slice(-KEPT_ATTEMPTS),
      next_attempt_at: next,
      completed_at: next ? null : now,
    });
    this.metrics.webhookAttempts.inc({ outcome: ok ? 'delivered' : next ? 'retry' : 'failed' });
    // One line per attempt; the target is named by its origin only (a URL's path or query may hold a token).
    const origin = endpoint ? new URL(endpoint.url).origin : '-';
    this.logger.log(
      `webhook ${d.event_id} ${d.event_type} to ${d.endpoint_id} (${origin}) attempt ${count}: ` +
        `${outcome.statusCode ?? '-'} ${outcome.error ?? 'ok'} in ${outcome.durationMs} ms → ${status}` +
        (next ? ` (next ${next.toISOString()})` : '') +
        (kept ? '' : ' (claim lost: outcome not recorded)'),
    );
    if (!endpoint || giveUp) return;
    // A success clears the endpoint's failing state; read just before the attempt, it had none: nothing to write.
    if (ok) {
      if (endpoint.failing_since || endpoint.paused_until)
        await this.endpoints.markSucceeded(d.merchant_id, d.endpoint_id);
    } else await this.noteFailure(endpoint, now, next ?? new Date(now.getTime() + this.config.retryBaseMs));
  }

  /**
   * A failed attempt pauses the whole endpoint until this delivery's next try: its other due
   * deliveries wait until then too (order is kept either way). The pause is the endpoint's alone:
   * no delivery is rewritten, and the claims pass over a paused endpoint without reading its
   * deliveries (WebhookDeliveriesRepository.claimDue). The attempts in flight with it (up to an
   * endpoint's share) fail with it; the first of them pauses the endpoint, the others find it
   * paused and leave the pause as it is. An endpoint with no success for WEBHOOK_DISABLE_AFTER_MS
   * is disabled: its pending deliveries wait, as they are, until it is enabled again (the claims
   * pass over a disabled endpoint as over a paused one).
   */
  private async noteFailure(endpoint: WebhookEndpoint, now: Date, until: Date): Promise<void> {
    await this.endpoints.markFailing(endpoint.merchant_id, endpoint.id, now, until);
    const since = new Date(now.getTime() - this.config.disableAfterMs);
    const hours = Math.round((this.config.disableAfterMs / 3_600_000) * 10) / 10;
    const reason = `No successful delivery for ${hours} hours`;
    if (await this.endpoints.disableIfFailingSince(endpoint.merchant_id, endpoint.id, since, now, reason))
      this.logger.warn(`webhook ${endpoint.id} disabled: ${reason}`);
  }
}
