import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One committed customer write's webhook events, not yet turned into deliveries: the narrow row
 * the write's transaction adds (a primary key and nothing else to update), which the worker moves
 * into `webhook_deliveries` in `seq` order (webhook-outbox.ts; README, "Webhooks").
 */
@Entity('webhook_outbox')
export class WebhookOutboxRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  /** When the write committed its events (the oldest row's age is the fan-out's lag). */
  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  /** The events, rendered, each with the endpoints subscribed to it then (OutboxEntry[] as JSON). */
  @Column({ type: 'text' })
  events!: string;
}
