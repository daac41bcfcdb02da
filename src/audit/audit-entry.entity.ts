import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditAction =
  | 'customer.created'
  | 'customer.updated'
  | 'customer.deleted'
  | 'customer.restored'
  | 'customer.status_changed';

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

@Entity('audit_entries')
export class AuditEntry {
  /** Insertion order; "newest first" sorts on it, so entries written in one millisecond keep their order. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @Column({ type: 'varchar', length: 36 })
  customer_id!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: AuditAction;

  @Column({ type: 'simple-json' })
  changes!: FieldChanges;

  /** The client_key of the API key that made the change. */
  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @Column({ type: 'varchar', length: 128 })
  request_id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  idempotency_key!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;
}
