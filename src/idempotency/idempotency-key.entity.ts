import { Column, Entity, PrimaryColumn } from 'typeorm';

export type IdempotencyState = 'in_flight' | 'done';

@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  idem_key!: string;

  /** SHA-256 of method, path and canonical JSON body. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: IdempotencyState;

  @Column({ type: 'int', nullable: true })
  response_status!: number | null;

  @Column({ type: 'text', nullable: true })
  response_body!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  response_etag!: string | null;

  /** While in flight: the token of the request that owns the key (each claim or take-over writes a new one). */
  @Column({ type: 'varchar', length: 36, nullable: true })
  owner!: string | null;

  /** While in flight: the owner's lease. Past it, the owner is presumed dead and the key is free again. */
  @Column({ type: 'datetime', precision: 3 })
  locked_until!: Date;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  @Column({ type: 'datetime', precision: 3 })
  expires_at!: Date;
}
