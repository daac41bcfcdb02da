import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CustomerChange, CustomerChanges } from '../customers/customer-changes';
import { DatabaseService } from '../database/database.service';
import type { SqlTransaction } from '../database/sql-transaction';
import { MetricsService } from '../metrics/metrics.service';
import { NewDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import type { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint, WebhookSurface } from './webhook-endpoint.entity';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { ALL_EVENTS, eventsOfChange, storedEvents, subscribes } from './webhook-events';
import { newSigningSecret, SecretBox } from './webhook-secrets';
import {
  DELIVERY_NOT_FOUND,
  MAX_ENDPOINTS_PER_MERCHANT,
  TOO_MANY_ENDPOINTS,
  WEBHOOK_DISABLED,
  WEBHOOK_NOT_FOUND,
  WEBHOOKS_NOT_CONFIGURED,
} from './webhook-messages';
import { checkTarget, TargetRules, urlProblem } from './webhook-targets';

/**
 * A delivery as its endpoint's state makes it: `held` (no next attempt) while the endpoint is
 * disabled, due at the pause's end while it is paused.
 */
export function shownDelivery(d: WebhookDelivery, endpoint: WebhookEndpoint, now: Date): WebhookDelivery {
  if (d.status !== 'pending') return d;
  if (endpoint.disabled_at) return { ...d, status: 'held', next_attempt_at: null };
  const pause = endpoint.paused_until;
  if (pause && pause > now && d.next_attempt_at && d.next_attempt_at < pause)
    return { ...d, next_attempt_at: pause };
  return d;
}

/** After a rotation the old secret keeps signing, beside the new one, for this long. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;

/** An endpoint with the secret in the clear: only in the answer that made it (creation, rotation). */
export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

/** What an update changes: the URL, the subscription list, or both (at least one is given). */
export interface EndpointChange {
  url?: string;
  /** The surface's event names, or ALL_EVENTS alone. */
  events?: string[];
  /** The request field that holds the URL, for messages (`target_url` on Stax, `url` on v0). */
  urlField: string;
}

export interface NewEndpoint {
  url: string;
  /** The surface's event names, or ALL_EVENTS alone. */
  events: string[];
  /** The request field that holds the URL, for messages (`target_url` on Stax, `url` on v0). */
  urlField: string;
}

/**
 * Webhooks, once, for both surfaces: endpoints (create, list, delete, rotate the secret,
 * re-enable), the outbox step that queues an event for every subscribed endpoint inside each
 * customer change's transaction, and the delivery log. Sending is the worker's (webhook-worker.ts).
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  private readonly sealer: SecretBox | null;
  readonly rules: TargetRules;
  /** Set by this process's worker: a change committed deliveries, due now, for these endpoints. */
  onQueued?: (merchantId: string, endpointIds: ReadonlySet<string>) => void;

  constructor(
    private readonly db: DatabaseService,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly changes: CustomerChanges,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const key = config.webhooks.secretKey;
    this.sealer = key ? new SecretBox(key) : null;
    this.rules = { allowPrivate: config.webhooks.allowPrivateTargets, allowHttp: config.webhooks.allowHttp };
  }

  /** Whether webhooks can sign: false in production without WEBHOOK_SECRET_KEY. */
  get configured(): boolean {
    return this.sealer !== null;
  }

  private get box(): SecretBox {
    if (!this.sealer) throw new ServiceUnavailableException(WEBHOOKS_NOT_CONFIGURED);
    return this.sealer;
  }

  onModuleInit(): void {
    this.changes.beforeCommit((tx, changes) => this.queueEvents(tx, changes));
    this.metrics.webhookBacklog = () => this.deliveries.backlog();
  }

  /**
   * The outbox step: one read of the merchant's endpoints, then only queued statements, so a
   * customer write never waits on a receiver. A merchant without endpoints pays that read alone:
   * nothing is rendered or written.
   */
  private async queueEvents(tx: SqlTransaction, changes: readonly CustomerChange[]): Promise<void> {
    const merchantId = changes[0].ctx.principal.merchantId;
    const subscribers = await this.endpoints.subscribers(tx, merchantId);
    if (subscribers.length === 0) return;
    const surfaces = new Set(subscribers.map((e) => e.surface));
    const rows: NewDelivery[] = [];
    const due = new Set<string>();
    for (const change of changes) {
      const at = change.customer.updated_at;
      for (const event of eventsOfChange(change, surfaces, randomUUID)) {
        for (const e of subscribers) {
          if (e.surface !== event.surface || !subscribes(e, event.type)) continue;
          const paused = e.paused_until && e.paused_until > at;
          if (!e.disabled_at && !paused) due.add(e.id);
          rows.push({
            event_id: event.id,
            merchant_id: merchantId,
            endpoint_id: e.id,
            customer_id: event.customerId,
            event_type: event.type,
            payload: event.payload,
            status: 'pending',
            attempt_count: 0,
            attempts: [],
            // Due now, or when a paused (failing) endpoint is next tried. A disabled endpoint's wait
            // for it to be enabled again: that is the endpoint's state, not the delivery's.
            next_attempt_at: paused ? e.paused_until : at,
            created_at: at,
            queued_at: at,
          });
        }
      }
    }
    this.deliveries.queue(tx, rows);
    // Due once committed: the worker claims them then, not after a guessed delay. Deliveries to a
    // paused (failing) endpoint wait for its next try, and a disabled one's for it to be enabled: no nudge.
    if (due.size > 0)
      tx.afterCommit(() => {
        this.onQueued?.(merchantId, due);
      });
  }

  /** The URL, checked as at creation (rules, then where it resolves now); a 400 names the field. */
  private async checkedUrl(raw: string, urlField: string): Promise<string> {
    const { url, problem } = urlProblem(raw, this.rules);
    if (!url) throw new BadRequestException([`${urlField} ${problem}`]);
    const refused = await checkTarget(url, this.rules);
    if (refused) throw new BadRequestException([`${urlField} is refused: ${refused}`]);
    return raw;
  }

  private static subscription(events: readonly string[]): string {
    return storedEvents(events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)]);
  }

  async create(
    ctx: RequestContext,
    surface: WebhookSurface,
    input: NewEndpoint,
  ): Promise<EndpointWithSecret> {
    await this.checkedUrl(input.url, input.urlField);
    const box = this.box;

    const now = new Date();
    const id = randomUUID();
    const secret = newSigningSecret();
    const endpoint: WebhookEndpoint = {
      id,
      merchant_id: ctx.principal.merchantId,
      surface,
      url: input.url,
      events: WebhooksService.subscription(input.events),
      secret: box.seal(secret, id),
      previous_secret: null,
      previous_secret_until: null,
      paused_until: null,
      failing_since: null,
      disabled_at: null,
      disabled_reason: null,
      enabled_at: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await this.db.transaction(async (tx) => {
      await this.endpoints.lockMerchant(tx, endpoint.merchant_id);
      if ((await this.endpoints.countLive(tx, endpoint.merchant_id)) >= MAX_ENDPOINTS_PER_MERCHANT)
        throw new BadRequestException([TOO_MANY_ENDPOINTS]);
      this.endpoints.insert(tx, endpoint);
    });
    return { endpoint, secret };
  }

  /** A live endpoint of this surface; 404 otherwise (another merchant's, another surface's, deleted). */
  async get(ctx: RequestContext, surface: WebhookSurface, id: string): Promise<WebhookEndpoint> {
    const found = await this.endpoints.findOne(ctx.principal.merchantId, id);
    if (!found || found.surface !== surface || found.deleted_at)
      throw new NotFoundException(WEBHOOK_NOT_FOUND);
    return found;
  }

  list(ctx: RequestContext, surface: WebhookSurface, skip: number, take: number) {
    return this.endpoints.page(ctx.principal.merchantId, surface, skip, take);
  }

  /**
   * Changes the URL, the subscription list or both, checked as at creation. Deliveries already
   * queued keep their events and go to the new URL (the worker reads the endpoint at each attempt);
   * changes committed from now on are queued for the new subscription list.
   */
  async update(
    ctx: RequestContext,
    surface: WebhookSurface,
    id: string,
    change: EndpointChange,
  ): Promise<WebhookEndpoint> {
    const endpoint = await this.get(ctx, surface, id);
    const values: Partial<WebhookEndpoint> = { updated_at: new Date() };
    if (change.url !== undefined) values.url = await this.checkedUrl(change.url, change.urlField);
    if (change.events !== undefined) values.events = WebhooksService.subscription(change.events);
    // Deleted meanwhile: as if it had been deleted first.
    if (!(await this.endpoints.updateLive(endpoint.merchant_id, id, values)))
      throw new NotFoundException(WEBHOOK_NOT_FOUND);
    return { ...endpoint, ...values };
  }

  /**
   * Soft delete: the endpoint stops receiving at once. Its pending deliveries are failed by the
   * worker at its next poll, a chunk at a time (WebhookWorker), not in this request: a dead endpoint's
   * backlog may be millions.
   */
  async remove(ctx: RequestContext, surface: WebhookSurface, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(ctx, surface, id);
    const now = new Date();
    await this.endpoints.update(endpoint.merchant_id, id, { deleted_at: now, updated_at: now });
    return { ...endpoint, deleted_at: now, updated_at: now };
  }

  /** A new secret; the one it replaces keeps signing too for PREVIOUS_SECRET_TTL_MS. */
  async rotateSecret(ctx: RequestContext, surface: WebhookSurface, id: string): Promise<EndpointWithSecret> {
    const endpoint = await this.get(ctx, surface, id);
    const now = new Date();
    const secret = newSigningSecret();
    const values = {
      secret: this.box.seal(secret, id),
      previous_secret: endpoint.secret,
      previous_secret_until: new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS),
      updated_at: now,
    };
    await this.endpoints.update(endpoint.merchant_id, id, values);
    return { endpoint: { ...endpoint, ...values }, secret };
  }

  /**
   * Re-enables a disabled endpoint. It then receives, in order and before anything newer of the
   * same customer, what it missed (its deliveries that waited, pending, while it was disabled: those
   * pending when it was disabled and the events of the changes made since), then every change from
   * now on. Nothing but the endpoint is written: its deliveries were never rewritten to hold them,
   * and their retry window counts from now (enabled_at).
   */
  async enable(ctx: RequestContext, surface: WebhookSurface, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(ctx, surface, id);
    if (!endpoint.disabled_at) return endpoint;
    const now = new Date();
    const values = {
      disabled_at: null,
      disabled_reason: null,
      failing_since: null,
      paused_until: null,
      enabled_at: now,
      updated_at: now,
    };
    await this.endpoints.update(endpoint.merchant_id, id, values);
    this.onQueued?.(endpoint.merchant_id, new Set([id]));
    return { ...endpoint, ...values };
  }

  /**
   * An endpoint's deliveries, newest first. While the endpoint is disabled, its pending deliveries
   * show as `held` with no next attempt; while it is paused (failing), they show the pause's end as
   * their next attempt. Both are the endpoint's state, not written into each delivery (README,
   * "Webhooks", "A dead endpoint's backlog costs nothing").
   */
  async deliveryPage(ctx: RequestContext, surface: WebhookSurface, id: string, skip: number, take: number) {
    const endpoint = await this.get(ctx, surface, id);
    const page = await this.deliveries.page(endpoint.merchant_id, id, skip, take);
    return { ...page, rows: page.rows.map((d) => shownDelivery(d, endpoint, new Date())) };
  }

  /**
   * Sends a delivery again (same webhook-id and body), due now, whatever its state. A pause of the
   * endpoint (failing) ends with it: the endpoint's pending deliveries are tried again now, in their
   * order, this one among them.
   */
  async redeliver(
    ctx: RequestContext,
    surface: WebhookSurface,
    id: string,
    eventId: string,
  ): Promise<WebhookDelivery> {
    const endpoint = await this.get(ctx, surface, id);
    if (endpoint.disabled_at) throw new BadRequestException([WEBHOOK_DISABLED]);
    const now = new Date();
    const found = await this.deliveries.findOne(endpoint.merchant_id, id, eventId);
    if (!found) throw new NotFoundException(DELIVERY_NOT_FOUND);
    // A delivery being attempted right now is already on its way: it is left as it is.
    await this.deliveries.redeliver(endpoint.merchant_id, id, eventId, now);
    if (endpoint.paused_until && endpoint.paused_until > now)
      await this.endpoints.endPause(endpoint.merchant_id, id);
    return (await this.deliveries.findOne(endpoint.merchant_id, id, eventId)) ?? found;
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its 24 hours. */
  signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
    const secrets = [this.box.open(endpoint.secret, endpoint.id)];
    if (endpoint.previous_secret && endpoint.previous_secret_until && endpoint.previous_secret_until > now) {
      // Sealed under an earlier WEBHOOK_SECRET_KEY (rotated because the key changed): the new one signs alone.
      try {
        secrets.push(this.box.open(endpoint.previous_secret, endpoint.id));
      } catch {
        // left out
      }
    }
    return secrets;
  }
}
