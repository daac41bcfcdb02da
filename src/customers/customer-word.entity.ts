import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One word of one customer (customer-words.ts says which words): what a keyword search reads to find
 * its candidates instead of walking the merchant's customers. The primary key (merchant_id, word,
 * customer_id) is the only index: a keyword's prefix is one range of it. Kept by the customers
 * module in the same transaction as each write that changes a keyword column, and as each soft
 * delete and restore (`deleted`). With `created_at` and `deleted` beside the key, a search of one
 * plain keyword counts and orders its matches from this table alone, without reading their rows
 * (CustomersRepository.searchByWords). On MySQL/MariaDB `word` compares bytes (utf8mb4_bin), as
 * SQLite does, so a prefix's range holds exactly its words.
 */
@Entity('customer_words')
export class CustomerWord {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  merchant_id!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  word!: string;

  @PrimaryColumn({ type: 'varchar', length: 36 })
  customer_id!: string;

  /** The customer's created_at: the default page order, read from here. */
  @Column({ type: 'datetime', precision: 3 })
  created_at!: Date;

  /** The customer is soft-deleted (its deleted_at is set). */
  @Column({ type: 'boolean' })
  deleted!: boolean;
}
