import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Per-merchant customer counts (`customer_counts`, see CustomerCount): the unfiltered list's exact
 * total in one row. Counted from the table once here; from then on the customers module keeps it
 * in each write's transaction.
 */
export class CustomerCounts1733000000000 implements MigrationInterface {
  name = 'CustomerCounts1733000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'customer_counts',
        columns: [
          { name: 'merchant_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'live', type: 'int', isNullable: false },
          { name: 'deleted', type: 'int', isNullable: false },
        ],
      }),
    );
    await queryRunner.query(
      `INSERT INTO customer_counts (merchant_id, live, deleted)
       SELECT merchant_id,
              SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END)
         FROM customers GROUP BY merchant_id`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('customer_counts');
  }
}
