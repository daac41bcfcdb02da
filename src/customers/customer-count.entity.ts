import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How many customers a merchant has, live and soft-deleted: the exact `total` of the unfiltered
 * list, read in one row instead of counting a million index entries. Changed by the customers
 * module in the same transaction as the change it counts (create, soft delete, restore), so it is
 * exact whenever the change is visible. A merchant without customers has no row (zero).
 */
@Entity('customer_counts')
export class CustomerCount {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @Column({ type: 'int' })
  live!: number;

  @Column({ type: 'int' })
  deleted!: number;
}
