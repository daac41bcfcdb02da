import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `held` is never stored: the listing shows a pending delivery of a disabled endpoint as held (it
 * waits, pending, to be sent in order when the endpoint is enabled again, or failed if it is deleted).
 */
export type DeliveryStatus = 'pending' | 'held' | 'delivered' | 'failed';

/** One attempt to deliver, as the deliveries listing shows it. */
export interface DeliveryAttempt {
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  next_retry_at: string | null;
}

/**
 * One event for one endpoint: the transactional outbox. Rows are written in the transaction of
 * the customer change they announce, one per subscribed endpoint (disabled ones too), with the
 * body already rendered;
 * the worker sends them. `seq` is the order of writing: under the customer's row lock, the order
 * of its versions, which deliveries to one endpoint keep.
 */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  /** The event id: the `webhook-id` header, the same on every attempt and redelivery. */
  @Column({ type: 'varchar', length: 36 })
  event_id!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @Column({ type: 'varchar', length: 36 })
  endpoint_id!: string;

  @Column({ type: 'varchar', length: 36 })
  customer_id!: string;

  @Column({ type: 'varchar', length: 32 })
  event_type!: string;

  /** The JSON body, exactly as sent (and signed). */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'int' })
  attempt_count!: number;

  /** The most recent attempts (at most 25), oldest first. */
  @Column({ type: 'simple-json' })
  attempts!: DeliveryAttempt[];

  /** When the next attempt is due; null once delivered or failed. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  next_attempt_at!: Date | null;

  /** A worker's claim: until then no other worker attempts this delivery. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  locked_until!: Date | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  lock_owner!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  /** When it was last queued (written, or redelivered): the retry window counts from here. */
  @Column({ type: 'datetime', precision: 3 })
  queued_at!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  completed_at!: Date | null;
}
