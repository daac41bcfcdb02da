import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * The narrow webhook outbox (`webhook_outbox`): a customer write adds one row holding its rendered
 * events, and the worker moves it into `webhook_deliveries`. No secondary index: the row costs
 * the write one B-tree page instead of the five a delivery row touches. On SQLite `seq` is the
 * rowid without AUTOINCREMENT (no `sqlite_sequence` write per row): rows are deleted once moved,
 * and a new one is always numbered after every row still there, which is all the order needs.
 */
export class WebhookOutbox1733400000000 implements MigrationInterface {
  name = 'WebhookOutbox1733400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'webhook_outbox',
        columns: [
          mysql
            ? {
                name: 'seq',
                type: 'bigint',
                isPrimary: true,
                isGenerated: true,
                generationStrategy: 'increment',
              }
            : { name: 'seq', type: 'integer', isPrimary: true },
          { name: 'merchant_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'created_at', type: 'datetime', precision: 3, isNullable: false },
          { name: 'events', type: mysql ? 'mediumtext' : 'text', isNullable: false },
        ],
      }),
    );
  }

  /** Refused while events wait in the outbox: dropping it would lose them (start the service to move them). */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const [row] = (await queryRunner.query('SELECT COUNT(*) AS n FROM webhook_outbox')) as {
      n: number | string;
    }[];
    if (Number(row.n) > 0)
      throw new Error(
        `webhook_outbox still holds ${row.n} writes' events: start the service (its webhook worker moves them into webhook_deliveries), then revert again`,
      );
    await queryRunner.dropTable('webhook_outbox');
  }
}
