import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Checkpoints of the import CLI (`import_runs`), so an interrupted import resumes without writing a
 * row twice; and an index for `customers:import --match reference`, which looks customers up by
 * reference in batches. Both lead with merchant_id.
 */
export class ImportRuns1732900000000 implements MigrationInterface {
  name = 'ImportRuns1732900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const str = (name: string, length: number) => ({ name, type: 'varchar', length: String(length) });
    const int = (name: string) => ({ name, type: 'int' });
    const ts = (name: string) => ({ name, type: 'datetime', precision: 3 });
    await queryRunner.createTable(
      new Table({
        name: 'import_runs',
        columns: [
          { ...str('merchant_id', 36), isPrimary: true },
          { ...str('source_key', 64), isPrimary: true },
          str('source', 1024),
          str('state', 16),
          int('rows_done'),
          int('created'),
          int('updated'),
          int('unchanged'),
          int('rejected'),
          ts('started_at'),
          ts('updated_at'),
        ],
      }),
    );
    await queryRunner.createIndex(
      'customers',
      new TableIndex({ name: 'idx_customers_merchant_reference', columnNames: ['merchant_id', 'reference'] }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('customers', 'idx_customers_merchant_reference');
    await queryRunner.dropTable('import_runs');
  }
}
