import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 36 })
  merchant_id!: string;

  /** Public half of the key pair. */
  @Column({ type: 'varchar', length: 64 })
  client_key!: string;

  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  @Column({ type: 'varchar', length: 64 })
  secret_hash!: string;

  /** Space-separated scopes. */
  @Column({ type: 'varchar', length: 255 })
  scopes!: string;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  revoked_at!: Date | null;
}
