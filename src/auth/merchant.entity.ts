import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('merchants')
export class Merchant {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;
}
