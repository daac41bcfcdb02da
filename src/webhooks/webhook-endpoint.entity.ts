import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which surface made the endpoint: it decides the event names and the body it receives. */
export type WebhookSurface = 'stax' | 'v0';

/**
 * A merchant's webhook endpoint. `events` holds the subscribed event names between commas
 * (`,customer.created,customer.updated,`), or `,*,` for every event, so a name is found with its
 * commas (`subscribes` in webhook-events.ts). Secrets are stored encrypted (webhook-secrets.ts).
 */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @Column({ type: 'varchar', length: 8 })
  surface!: WebhookSurface;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'varchar', length: 255 })
  events!: string;

  /** The signing secret, encrypted. */
  @Column({ type: 'varchar', length: 255 })
  secret!: string;

  /** The secret before the last rotation, encrypted; it signs too until previous_secret_until. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  previous_secret!: string | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  previous_secret_until!: Date | null;

  /**
   * After a failed attempt, the endpoint's next try: its other deliveries (and new ones) wait
   * until then too, so an endpoint that is down costs one attempt per backoff, not one per event.
   */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  paused_until!: Date | null;

  /** The first failed attempt since the last success; null while deliveries succeed. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  failing_since!: Date | null;

  /**
   * Disabled (no success for WEBHOOK_DISABLE_AFTER_MS): its deliveries wait, `pending`, and are
   * neither claimed nor rewritten; the listing shows them as `held`.
   */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  disabled_at!: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  disabled_reason!: string | null;

  /** When it was last enabled again: the retry window of a delivery that waited for it counts from then. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  enabled_at!: Date | null;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updated_at!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  deleted_at!: Date | null;
}
