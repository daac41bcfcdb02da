import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fields whose per-field "starts with" filter an index serves (CustomersRepository,
 * PREFIX_INDEXES). Not firstname: an index costs every write that changes its column, and first
 * names are what updates change most (the bench's PUT changes it: +30 % database CPU per PUT with
 * its index); a first-name filter is rarely selective alone and keeps the created_at walk.
 */
const FIELDS = ['lastname', 'email', 'company'];

/**
 * Per-field "starts with" filters served by an index (issue 12): one B-tree per field on
 * (merchant_id, <field>, deleted_at, created_at, id), so `lastname=smi` reads the range of one
 * merchant's Smi… entries, live ones, with the page's order and the count's rows in the index
 * itself. MySQL/MariaDB: the column's utf8mb4_unicode_ci collation makes `LIKE 'smi%'` a range
 * (the exact, byte-wise check then runs on the index entries). SQLite compares bytes, so its index
 * is on lower(<field>), which the search compares as a range. (InnoDB keeps the primary key id in
 * every secondary index anyway; SQLite needs it spelled out to order by (created_at, id) from the
 * index.) Leads with merchant_id, as every index does.
 */
export class CustomerPrefixIndexes1733100000000 implements MigrationInterface {
  name = 'CustomerPrefixIndexes1733100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    for (const field of FIELDS) {
      const key = mysql ? `\`${field}\`` : `lower("${field}")`;
      await queryRunner.query(
        `CREATE INDEX idx_customers_prefix_${field} ON customers (merchant_id, ${key}, deleted_at, created_at, id)`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    for (const field of FIELDS) {
      await queryRunner.query(`DROP INDEX idx_customers_prefix_${field}${mysql ? ' ON customers' : ''}`);
    }
  }
}
